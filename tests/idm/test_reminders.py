"""The daily reminders of expiring rights: one mail per right per day to its holder (seed 003's sample mail,
in the person's language) and a digest per organisation to its administrators with absolute links to extend;
never twice the same day; extended, paused, ended rights get none. The pass queues the mails in the outbox
(one transaction, set-based); the outbox worker delivers them and retries a failed one."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kmop.audit.models import AuditEvent
from kmop.idm import services
from kmop.idm.models import Person, RightGrant, WorkRelation
from kmop.idm.reminders import ReminderReport, send_reminders
from kmop.notifications.delivery import deliver_pending
from kmop.notifications.models import OutboxMessage

from .conftest import JONAS, KLAUS, NOW, PIETER, SOFIE, SYSTEM, TODAY, World

BASE = "https://kmop.example"


@pytest.fixture(autouse=True)
def _base_url(settings) -> None:
    settings.KMOP_BASE_URL = BASE


def grant(world: World, number: str, *, days: int, organisation=None, email: str = "") -> RightGrant:
    relation = world.relation(number, organisation or world.a, email=email or f"{number}@example.org")
    return services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
        end_date=TODAY + timedelta(days=days),
    )[0]


def remind(day, connection=None) -> ReminderReport:  # type: ignore[no-untyped-def]
    """The pass queues the mails in the outbox; the outbox worker then delivers them (locmem here)."""
    report = send_reminders(day)
    deliver_pending(connection=connection or EmailBackend())
    return report


def set_email(number: str, email: str, language: str = "nl") -> None:
    Person.objects.filter(national_number=number).update(email=email, language=language)


def to(address: str) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if address in m.to]


def test_holder_gets_the_seed_mail_and_administrators_a_digest_with_links(world: World) -> None:
    jonas = grant(world, JONAS, days=5, email="jonas@example.org")
    world.person(SOFIE)
    set_email(SOFIE, "sofie@example.org")  # legal representative of A
    pieter = world.person(PIETER)
    services.local_admin_appoint(actor=SYSTEM, organisation=world.a, person=pieter)
    set_email(PIETER, "pieter@example.org")

    report = remind(TODAY)

    assert (report.claimed, report.holder_mails, report.digest_mails) == (1, 1, 1)
    [holder] = to("jonas@example.org")
    assert (
        holder.subject == "Gebruikersbeheer: jouw recht tot een Vlaamse toepassing dient verlengd te worden"
    )
    assert holder.body.startswith("Beste gebruiker,")
    assert "Volgende rechten vervallen in de komende 10 dagen" in holder.body
    assert (
        f'Gebruikersrecht "VLAIO Inkom Gebruiker Nieuw, profiel Gebruiker" voor organisatie {world.a.name} '
        f'0912.345.673 vervalt op "15/03/2025"' in holder.body
    )
    assert "helpdesk 1700" in holder.body
    html, mimetype = holder.alternatives[0]
    assert mimetype == "text/html"
    assert f'<a href="{BASE}/gebruikersbeheer/mijn-profiel/">Mijn Profiel</a>' in html
    assert 'lang="nl"' in html
    link = f"{BASE}/gebruikersbeheer/werkrelaties/{jonas.work_relation_id}/verlengen/"
    # one digest for the organisation, to its administrators (the legal representative, the local admin)
    [digest] = to("sofie@example.org")
    assert sorted(digest.to) == ["pieter@example.org", "sofie@example.org"]
    assert digest.subject == f"Gebruikersbeheer: 1 gebruikersrecht van {world.a.name} vervalt binnenkort"
    assert digest.body.startswith("Beste beheerder,")
    assert "Jonas De Smet" in digest.body
    assert "15/03/2025" in digest.body
    assert link in digest.body
    assert f'href="{link}"' in digest.alternatives[0][0]
    jonas.refresh_from_db()
    assert jonas.last_reminder_on == TODAY
    event = AuditEvent.objects.get(action="idm.right_grant.remind", object_id=str(jonas.pk))
    assert event.organisation_code == world.a.code
    assert event.actor_label == "kmop daily"


def test_english_person_gets_the_english_mail(world: World) -> None:
    grant(world, KLAUS, days=3, email="klaus@example.org")
    set_email(KLAUS, "", language="en")
    remind(TODAY)
    [message] = to("klaus@example.org")
    assert message.subject == "User management: your right to a Flemish application needs to be extended"
    assert message.body.startswith("Dear user,")
    assert 'expires on "13/03/2025"' in message.body


def test_the_digest_in_each_administrators_language(world: World) -> None:
    grant(world, JONAS, days=5)
    grant(world, PIETER, days=7)
    world.person(SOFIE)
    set_email(SOFIE, "sofie@example.org")
    services.local_admin_appoint(actor=SYSTEM, organisation=world.a, person=world.person(KLAUS))
    set_email(KLAUS, "klaus@example.org", language="en")
    report = remind(TODAY)
    assert report.digest_mails == 2
    [dutch] = to("sofie@example.org")
    [english] = to("klaus@example.org")
    assert dutch.to == ["sofie@example.org"]
    assert english.subject == f"User management: 2 user rights of {world.a.name} expire soon"
    assert english.body.startswith("Dear administrator,")
    assert english.body.index("Jonas De Smet") < english.body.index("Pieter Claes")  # soonest first
    assert 'user right "VLAIO Inkom User New, profile User" expires on "17/03/2025"' in english.body


def test_twice_the_same_day_sends_nothing_more_and_the_next_day_again(
    world: World, clock: time_machine.Traveller
) -> None:
    one = grant(world, JONAS, days=10)
    grant(world, KLAUS, days=2)
    assert remind(TODAY).holder_mails == 2
    mail.outbox.clear()
    again = remind(TODAY)
    assert (again.due, again.claimed, again.holder_mails, again.digest_mails) == (0, 0, 0, 0)
    assert mail.outbox == []

    clock.move_to(NOW + timedelta(days=1))
    assert remind(TODAY + timedelta(days=1)).holder_mails == 2
    one.refresh_from_db()
    assert one.last_reminder_on == TODAY + timedelta(days=1)


def test_only_within_ten_days_of_the_end(world: World) -> None:
    grant(world, JONAS, days=11)
    grant(world, KLAUS, days=0)  # ends today: still effective, reminded
    remind(TODAY)
    assert [m.to for m in mail.outbox] == [[f"{KLAUS}@example.org"]]


def test_an_extended_right_stops_its_reminders(world: World, clock: time_machine.Traveller) -> None:
    jonas = grant(world, JONAS, days=5)
    remind(TODAY)
    assert len(mail.outbox) == 1
    services.right_grant_extend(actor=SYSTEM, grant=jonas)  # automatic: the maximum
    clock.move_to(NOW + timedelta(days=1))
    mail.outbox.clear()
    assert remind(TODAY + timedelta(days=1)).due == 0
    assert mail.outbox == []


def test_paused_and_ended_rights_get_none(world: World) -> None:
    paused = grant(world, JONAS, days=5)
    services.work_relation_pause(actor=SYSTEM, work_relation=paused.work_relation)
    ended = grant(world, KLAUS, days=5)
    services.right_grant_end(actor=SYSTEM, grant=ended)
    report = remind(TODAY)
    assert report.due == 0
    assert mail.outbox == []
    paused.refresh_from_db()
    assert paused.last_reminder_on is None


def test_holder_without_email_is_in_the_digest(world: World) -> None:
    jonas = grant(world, JONAS, days=5)
    # the relation's e-mail is required by the service; blanked here to test a holder without any address
    WorkRelation.objects.filter(pk=jonas.work_relation_id).update(email="")
    world.person(SOFIE)
    set_email(SOFIE, "sofie@example.org")
    report = remind(TODAY)
    assert report.holders_without_email == 1
    assert report.holder_mails == 0
    assert [m.to for m in mail.outbox] == [["sofie@example.org"]]


def test_administrator_without_person_email_uses_the_work_relation_email(world: World) -> None:
    grant(world, JONAS, days=5)
    world.relation(PIETER, world.a, email="pieter.work@example.org")
    services.local_admin_appoint(actor=SYSTEM, organisation=world.a, person=world.person(PIETER))
    remind(TODAY)
    assert len(to("pieter.work@example.org")) == 1


class FailingBackend(EmailBackend):
    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        if any(m.to == [f"{KLAUS}@example.org"] for m in messages):
            raise ConnectionError("mail server down")
        return super().send_messages(messages)


def test_a_failed_mail_stays_in_the_outbox_and_is_retried(
    world: World, clock: time_machine.Traveller
) -> None:
    """Delivery moved to the outbox worker: a mail the server refuses keeps its right's claim (no second
    reminder that day) and is delivered by a later attempt of the worker."""
    ok = grant(world, JONAS, days=5)
    failing = grant(world, KLAUS, days=5)
    report = remind(TODAY, connection=FailingBackend())
    assert (report.holder_mails, report.failed_mails) == (2, 0)
    assert [m.to for m in mail.outbox] == [[f"{JONAS}@example.org"]]
    ok.refresh_from_db()
    failing.refresh_from_db()
    assert ok.last_reminder_on == failing.last_reminder_on == TODAY
    waiting = OutboxMessage.objects.get(recipient=f"{KLAUS}@example.org")
    assert (waiting.state, waiting.attempts) == ("pending", 1)
    assert "mail server down" in waiting.error

    mail.outbox.clear()
    again = remind(TODAY)  # same day: nothing new queued, the failed one waits for its backoff
    assert again.claimed == 0
    assert mail.outbox == []
    clock.shift(120)
    deliver_pending(connection=EmailBackend())
    assert [m.to for m in mail.outbox] == [[f"{KLAUS}@example.org"]]
    waiting.refresh_from_db()
    assert waiting.state == "sent"


def test_the_digest_lists_the_rights_whose_holder_mail_failed(world: World) -> None:
    grant(world, JONAS, days=5)
    grant(world, KLAUS, days=5)
    world.person(SOFIE)
    set_email(SOFIE, "sofie@example.org")
    remind(TODAY, connection=FailingBackend())
    [digest] = to("sofie@example.org")
    assert "Jonas De Smet" in digest.body
    assert "Klaus Becker" in digest.body


def test_a_rolled_back_pass_leaves_no_claim_no_audit_and_no_mail(world: World) -> None:
    jonas = grant(world, JONAS, days=5)

    def failing_caller() -> None:
        with transaction.atomic():
            assert send_reminders(TODAY).holder_mails == 1
            raise RuntimeError("the caller's transaction fails")

    with pytest.raises(RuntimeError):
        failing_caller()
    jonas.refresh_from_db()
    assert jonas.last_reminder_on is None
    assert not AuditEvent.objects.filter(action="idm.right_grant.remind").exists()
    assert not OutboxMessage.objects.exists()
    deliver_pending(connection=EmailBackend())
    assert mail.outbox == []


def test_the_pass_renders_nothing_it_queues_kinds_with_a_json_context(world: World) -> None:
    grant(world, JONAS, days=5)
    send_reminders(TODAY)
    queued = OutboxMessage.objects.get()
    assert (queued.template, queued.state, queued.subject, queued.body_text) == (
        "idm.reminder_holder",
        "pending",
        "",
        "",
    )
    assert queued.context["end_date"] == "2025-03-15"
    assert queued.render().subject.startswith("Gebruikersbeheer: jouw recht")


def test_needs_the_base_url(world: World, settings) -> None:
    settings.KMOP_BASE_URL = ""
    grant(world, JONAS, days=5)
    with pytest.raises(ImproperlyConfigured, match="KMOP_BASE_URL"):
        remind(TODAY)
    assert RightGrant.objects.filter(last_reminder_on__isnull=False).count() == 0


def test_a_backfill_date_judges_that_day(world: World) -> None:
    """``--date`` of tomorrow: the rights ending within 10 days of tomorrow."""
    grant(world, JONAS, days=11)
    report = remind(TODAY + timedelta(days=1))
    assert report.holder_mails == 1


def test_queries_do_not_grow_with_the_number_of_rights(world: World, clock: time_machine.Traveller) -> None:
    """Set-based: the queries of a pass do not depend on how many rights are due (per batch, not per
    right)."""
    for number in (JONAS, KLAUS):
        grant(world, number, days=5)

    with CaptureQueriesContext(connection) as few:
        send_reminders(TODAY)
    clock.move_to(NOW + timedelta(days=1))
    day = TODAY + timedelta(days=1)
    for number in (SOFIE, PIETER):
        grant(world, number, days=5, organisation=world.b)
    with CaptureQueriesContext(connection) as more:
        report = send_reminders(day)
    assert report.holder_mails == 4
    # one more organisation (B) may add its administrators' queries, never one per right
    assert len(more.captured_queries) <= len(few.captured_queries) + 2


def test_reminded_on_an_earlier_day_is_due_again(world: World) -> None:
    jonas = grant(world, JONAS, days=5)
    RightGrant.objects.filter(pk=jonas.pk).update(last_reminder_on=date(2025, 3, 9))
    assert remind(TODAY).holder_mails == 1


@pytest.mark.django_db
def test_the_grants_pages_keep_room_for_the_daily_updates() -> None:
    """PostgreSQL: ``idm_rightgrant`` keeps 10 % of each page free (migration idm 0007), so that the reminder
    pass's update of ``last_reminder_on`` stays on the row's page and leaves the indexes alone."""
    if connection.vendor != "postgresql":
        pytest.skip("a table storage parameter: PostgreSQL")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'idm_rightgrant'")
        (options,) = cursor.fetchone()
    assert "fillfactor=90" in (options or [])
