"""The work queues' assignment (issue 6): a staff member takes an item, the queue filters on "mine" and on the
free items, a colleague cannot take an item someone has (a clear message, nothing changed), releasing gives it
back, a decided item's assignment ends; taking and releasing are audited."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.utils import timezone

from kmop.audit.models import AuditEvent
from kmop.backoffice.assignments import clear_finished
from kmop.backoffice.models import Assignment, Queue
from kmop.idm import services as idm_services
from kmop.jobs.registry import daily_jobs, run_daily
from kmop.projects import services as project_services
from tests.backoffice.conftest import Setting, login, stop_requested
from tests.projects.conftest import BART, SYSTEM

STOPS = "/backoffice/stopzettingen/"


def act(client: Client, action: str, queue: str, key: str, next_url: str = STOPS) -> None:
    response = client.post(
        "/backoffice/toewijzen/", {"queue": queue, "key": key, "action": action, "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == next_url


@pytest.fixture
def colleague(setting: Setting) -> Client:
    """Bart, a second Medewerker of VLAIO, in a browser of his own."""
    relation = setting.world.relation(BART, setting.world.vlaio)
    idm_services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code="VLAIOInkomGebruiker", context_values=["Medewerker"]
    )
    return login(Client(), BART)


def test_take_filter_and_release(staff: Client, setting: Setting) -> None:
    mine = stop_requested(setting)
    other = stop_requested(setting, reason="Tweede vraag.")
    act(staff, "nemen", Queue.STOPS, mine.number)
    assignment = Assignment.objects.get(queue=Queue.STOPS, key=mine.number)
    assert assignment.assignee.username.endswith("83041899839")
    listed = staff.get(f"{STOPS}?behandelaar=mijn").context["projects"]
    assert [p.number for p in listed] == [mine.number]
    free = staff.get(f"{STOPS}?behandelaar=vrij").context["projects"]
    assert [p.number for p in free] == [other.number]
    everything = staff.get(STOPS)
    assert {p.number for p in everything.context["projects"]} == {mine.number, other.number}
    assert "Vrijgeven" in everything.content.decode()
    assert AuditEvent.objects.filter(action="backoffice.assignment.take", object_id=mine.number).exists()
    act(staff, "vrijgeven", Queue.STOPS, mine.number)
    assert not Assignment.objects.exists()
    assert AuditEvent.objects.filter(action="backoffice.assignment.release", object_id=mine.number).exists()


def test_a_colleague_cannot_take_a_taken_item(staff: Client, colleague: Client, setting: Setting) -> None:
    project = stop_requested(setting)
    act(staff, "nemen", Queue.STOPS, project.number)
    act(colleague, "nemen", Queue.STOPS, project.number)
    page = colleague.get(STOPS).content.decode()
    assert "behandelt dit item al" in page
    assert Assignment.objects.get().assignee.username.endswith("83041899839")
    assert AuditEvent.objects.filter(action="backoffice.assignment.take").count() == 1


def test_a_decided_item_leaves_with_its_assignment(staff: Client, setting: Setting) -> None:
    project = stop_requested(setting)
    act(staff, "nemen", Queue.STOPS, project.number)
    response = staff.post(f"{STOPS}{project.number}/", {"decision": "weigeren", "reason": "Geen bewijs."})
    assert response.status_code == 302
    assert not Assignment.objects.exists()


def test_an_unknown_queue_or_an_outside_return_address_is_refused(staff: Client, setting: Setting) -> None:
    project = stop_requested(setting)
    response = staff.post(
        "/backoffice/toewijzen/",
        {"queue": "nothing", "key": project.number, "action": "nemen", "next": "https://example.org/"},
    )
    assert response["Location"] == "/backoffice/"
    assert not Assignment.objects.exists()
    assert "Onbekend item van een werklijst" in staff.get("/backoffice/").content.decode()
    # an item that does not wait in the queue, or a key no item has
    for key in ("2025KMO999999", "x" * 500, "1\x00"):
        staff.post("/backoffice/toewijzen/", {"queue": Queue.STOPS, "key": key, "action": "nemen"})
    for key in ("²", "9" * 5000):
        staff.post("/backoffice/toewijzen/", {"queue": Queue.DEPOSITS, "key": key, "action": "nemen"})
    assert not Assignment.objects.exists()


def test_every_queue_has_the_filter_and_the_column(staff: Client, setting: Setting) -> None:
    for url in ("/backoffice/registraties/", STOPS, "/backoffice/meldingen/", "/backoffice/stortingen/"):
        html = staff.get(f"{url}?behandelaar=vrij").content.decode()
        assert 'id="queue-filter"' in html, url
        assert '?behandelaar=vrij" aria-current="page"' in html, url


def test_an_id_with_leading_zeros_names_the_same_item(
    staff: Client, colleague: Client, setting: Setting
) -> None:
    """A report's or a payout's id is a number: ``007`` is item 7 (one assignment, shown and ended as such),
    not a second item a colleague could take next to it."""
    from tests.backoffice.test_deposits import LIST, unmatched

    payout = unmatched("700.00")
    act(staff, "nemen", Queue.DEPOSITS, f"00{payout.pk}", LIST)
    assert list(Assignment.objects.values_list("key", flat=True)) == [str(payout.pk)]
    assert [d.pk for d in staff.get(f"{LIST}?behandelaar=mijn").context["deposits"]] == [payout.pk]
    assert staff.get(f"{LIST}?behandelaar=vrij").context["deposits"] == []
    act(colleague, "nemen", Queue.DEPOSITS, str(payout.pk), LIST)
    assert "behandelt dit item al" in colleague.get(LIST).content.decode()
    assert Assignment.objects.count() == 1
    act(staff, "vrijgeven", Queue.DEPOSITS, f"0{payout.pk}", LIST)
    assert not Assignment.objects.exists()


def test_the_daily_job_ends_the_assignments_of_items_decided_elsewhere(
    staff: Client, setting: Setting
) -> None:
    """An item decided without its queue's page (here the service, as the administrator's screen or a daily
    job would) keeps its assignment until ``kmop daily``; then it ends, the open item's stays, and a new
    request of the same project comes back free."""

    decided = stop_requested(setting)
    waiting = stop_requested(setting, reason="Tweede vraag.")
    act(staff, "nemen", Queue.STOPS, decided.number)
    act(staff, "nemen", Queue.STOPS, waiting.number)
    project_services.project_decide_stop(actor=SYSTEM, project=decided, approve=False, reason="Geen bewijs.")
    assert Assignment.objects.count() == 2

    assert clear_finished() == 1
    assert list(Assignment.objects.values_list("key", flat=True)) == [waiting.number]
    assert clear_finished() == 0

    project_services.project_request_stop(actor=setting.els, project=decided, reason="Nieuwe vraag.")
    free = staff.get(f"{STOPS}?behandelaar=vrij").context["projects"]
    assert [p.number for p in free] == [decided.number]
    # the job runs with the others
    act(staff, "nemen", Queue.STOPS, decided.number)
    project_services.project_decide_stop(
        actor=SYSTEM, project=decided, approve=False, reason="Nog steeds niet."
    )
    job = next(j for j in daily_jobs() if j.name == "backoffice.assignments")
    report = run_daily(timezone.localdate(), stdout=io.StringIO(), jobs=[job], force=True)
    assert [o.status for o in report.outcomes] == ["succeeded"]
    assert list(Assignment.objects.values_list("key", flat=True)) == [waiting.number]
