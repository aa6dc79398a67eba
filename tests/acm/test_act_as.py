"""Aanmelden als: the choice of organisation, login_hint, switching, and the per-request check."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client

from kmop.acm import session as keys
from kmop.acm.decorators import acting_required
from kmop.acm.hints import make_login_hint, parse_login_hint
from kmop.acm.models import User
from kmop.acm.selectors import acting_roles
from kmop.audit.models import AuditEvent
from kmop.idm import permissions, services
from kmop.idm.models import RightGrant
from kmop.registers.models import Enterprise, LegalFunction

from .conftest import JONAS, SOFIE, SYSTEM, TOM, A, B, N, World, simulator_login

pytestmark = pytest.mark.django_db


def _two_organisations(world: World) -> None:
    """Sofie: legal representative of A, and a right in B."""
    relation = world.relation(SOFIE, world.b)
    services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )


def test_one_option_is_chosen_without_asking(client: Client, world: World) -> None:
    response = simulator_login(client, SOFIE)
    assert response.status_code == 302
    assert response["Location"] == "/"
    session = client.session
    assert session[keys.ORG_CODE] == A
    assert session[keys.ROLES] == ["VLAIOInkomGebruikerNieuw-Gebruiker"]
    event = AuditEvent.objects.get(action="acm.act_as")
    assert event.organisation_code == A
    assert event.acr == "urn:be:vlaanderen:authmech:eid"
    assert event.after["via"] == "single"


def test_several_options_are_a_choice(client: Client, world: World) -> None:
    _two_organisations(world)
    response = simulator_login(client, SOFIE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Aanmelden als" in html
    assert 'value="0912345673"' in html
    assert 'value="0934567878"' in html
    assert keys.ORG_CODE not in client.session
    # no choice: an error
    response = client.post("/aanmelden-als/", {})
    html = response.content.decode()
    assert "Kies de organisatie waarvoor u wilt werken" in html
    assert 'href="#id_organisation_0"' in html
    assert 'id="id_organisation_0"' in html
    response = client.post("/aanmelden-als/", {"organisation": B})
    assert response.status_code == 302
    assert client.session[keys.ORG_CODE] == B
    assert "Wissel van organisatie" in client.get("/").content.decode()


def test_switching_without_logging_out(client: Client, world: World) -> None:
    _two_organisations(world)
    simulator_login(client, SOFIE)
    client.post("/aanmelden-als/", {"organisation": A})
    key = client.session.session_key
    login_at = client.session[keys.LOGIN_AT]
    page = client.get("/aanmelden-als/")
    assert page.status_code == 200
    assert "huidige keuze" in page.content.decode()
    client.post("/aanmelden-als/", {"organisation": B})
    session = client.session
    assert session[keys.ORG_CODE] == B
    assert session[keys.LOGIN_AT] == login_at  # still the same login
    assert session.session_key != key
    events = AuditEvent.objects.filter(action="acm.act_as").order_by("id")
    assert [e.organisation_code for e in events] == [A, B]
    assert events.last().before == {"organisation": A}  # type: ignore[union-attr]


def test_a_new_login_chooses_again(client: Client, world: World) -> None:
    _two_organisations(world)
    simulator_login(client, SOFIE)
    client.post("/aanmelden-als/", {"organisation": B})
    assert simulator_login(client, SOFIE).status_code == 200  # the choice page again
    assert keys.ORG_CODE not in client.session


def test_choosing_an_organisation_not_in_my_list_is_refused(client: Client, world: World) -> None:
    _two_organisations(world)
    simulator_login(client, SOFIE)
    for code in (N, "OVO003112", "0000000000", ""):
        response = client.post("/aanmelden-als/", {"organisation": code})
        assert response.status_code == 200
        assert keys.ORG_CODE not in client.session
    response = client.post("/aanmelden-als/", {"organisation": N})
    assert "U kunt niet aanmelden voor deze organisatie" in response.content.decode()
    assert not AuditEvent.objects.filter(action="acm.act_as").exists()


def test_no_option_is_the_no_access_page(client: Client, world: World) -> None:
    response = simulator_login(client, JONAS)  # only an auditor's function in B: no access
    assert response.status_code == 200
    html = response.content.decode()
    assert "U hebt nog geen toegang tot de kmo-portefeuille" in html
    assert "lokale beheerder" in html
    assert "hoofdtoegangsbeheerder" in html
    assert keys.ORG_CODE not in client.session


def test_natural_person_enterprise_needs_a_grant(client: Client, world: World) -> None:
    response = simulator_login(client, TOM)
    assert "U hebt nog geen toegang" in response.content.decode()


def test_anonymous_is_sent_to_the_login(client: Client) -> None:
    response = client.get("/aanmelden-als/")
    assert response.status_code == 302
    assert response["Location"].startswith("/aanmelden/")


def test_login_hint_preselects_the_organisation(client: Client, world: World) -> None:
    _two_organisations(world)
    client.get("/aanmelden/?login_hint=" + make_login_hint("EA", "0934.567.878"))
    response = simulator_login(client, SOFIE)
    assert response.status_code == 302
    assert client.session[keys.ORG_CODE] == B
    assert AuditEvent.objects.get(action="acm.act_as").after["via"] == "login_hint"


def test_login_hint_not_allowed_is_the_normal_choice_with_a_message(client: Client, world: World) -> None:
    client.get("/aanmelden/?login_hint=" + make_login_hint("EA", N))
    response = simulator_login(client, SOFIE)
    assert response.status_code == 200  # not skipped, so that the message is seen
    html = response.content.decode()
    assert "U kunt niet aanmelden voor de gevraagde organisatie 0923456727" in html
    assert keys.ORG_CODE not in client.session


def test_login_hint_when_already_logged_in_only_preselects(client: Client, world: World) -> None:
    _two_organisations(world)
    simulator_login(client, SOFIE)
    client.post("/aanmelden-als/", {"organisation": A})
    response = client.get("/aanmelden/?login_hint=" + make_login_hint("EA", B), follow=True)
    assert response.status_code == 200
    assert client.session[keys.ORG_CODE] == A  # a link (GET) never switches by itself
    html = response.content.decode()
    assert re.search(r'value="0934567878" id="id_organisation_\d" checked', html)
    client.post("/aanmelden-als/", {"organisation": B})
    assert client.session[keys.ORG_CODE] == B


def test_parse_login_hint() -> None:
    assert parse_login_hint(make_login_hint("EA", "0428315871")) == {"cap": "EA", "code": "0428315871"}
    assert parse_login_hint("eyJjYXBfaGludCI6IkVBIiwiY29kZV9oaW50IjoiMDQyODMxNTg3MSJ9") == {
        "cap": "EA",
        "code": "0428315871",
    }
    assert parse_login_hint(make_login_hint("GID", "OVO003112")) == {"cap": "GID", "code": "OVO003112"}
    for bad in (
        "",
        "!!!",
        make_login_hint("EA", "123"),
        make_login_hint("XX", "0428315871"),
        "W10",
        "x" * 600,
    ):
        assert parse_login_hint(bad) is None


def test_bad_login_hint_is_a_message(client: Client) -> None:
    html = client.get("/aanmelden/?login_hint=nonsense").content.decode()
    assert "De gevraagde organisatie kon niet gelezen worden." in html


# --- the per-request check ------------------------------------------------------------------------------


def _employee_of_a(client: Client, world: World) -> RightGrant:
    relation = world.relation(JONAS, world.a)
    [grant] = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    simulator_login(client, JONAS)
    assert client.session[keys.ORG_CODE] == A
    return grant


def _assert_dropped(client: Client) -> None:
    response = client.get("/toegankelijkheid/")
    assert response.status_code == 302
    assert response["Location"] == "/aanmelden-als/"
    assert keys.ORG_CODE not in client.session
    page = client.get("/aanmelden-als/").content.decode()
    assert "U hebt geen toegang meer tot" in page


def test_a_right_that_ends_stops_access_at_once(client: Client, world: World, clock) -> None:
    grant = _employee_of_a(client, world)
    assert client.get("/toegankelijkheid/").status_code == 200
    services.right_grant_end(actor=SYSTEM, grant=grant)
    clock.shift(datetime.timedelta(seconds=1))
    _assert_dropped(client)


def test_a_paused_work_relation_stops_access_at_once(client: Client, world: World, clock) -> None:
    grant = _employee_of_a(client, world)
    services.work_relation_pause(actor=SYSTEM, work_relation=grant.work_relation)
    clock.shift(datetime.timedelta(seconds=1))
    _assert_dropped(client)


def test_an_inactive_organisation_stops_access(client: Client, world: World) -> None:
    simulator_login(client, SOFIE)
    Enterprise.objects.filter(pk=A).update(status="ST")
    _assert_dropped(client)


def test_a_legal_representative_whose_function_ends(client: Client, world: World) -> None:
    simulator_login(client, SOFIE)
    LegalFunction.objects.filter(enterprise_id=A, person_number=SOFIE).update(
        end_date=datetime.date(2025, 3, 1)
    )
    _assert_dropped(client)


def test_other_requests_get_403(client: Client, world: World) -> None:
    grant = _employee_of_a(client, world)
    services.right_grant_end(actor=SYSTEM, grant=grant)
    response = client.post("/toegankelijkheid/")
    assert response.status_code == 403
    assert keys.ORG_CODE not in client.session
    assert client.get("/toegankelijkheid/").status_code == 200  # still logged in, without organisation
    assert "_auth_user_id" in client.session


def test_htmx_requests_are_sent_to_the_choice(client: Client, world: World) -> None:
    grant = _employee_of_a(client, world)
    services.right_grant_end(actor=SYSTEM, grant=grant)
    response = client.get("/toegankelijkheid/", headers={"HX-Request": "true"})
    assert response.status_code == 403
    assert response["HX-Redirect"] == "/aanmelden-als/"


def test_the_check_costs_one_query(client: Client, world: World, django_assert_num_queries) -> None:
    simulator_login(client, SOFIE)
    client.get("/toegankelijkheid/")
    # the session, the user and the check (one query); no save of the session within the minute
    # (IdleSessionMiddleware moves the idle timeout on at most once a minute)
    with django_assert_num_queries(3):
        assert client.get("/toegankelijkheid/").status_code == 200


def test_request_acting_and_acting_required(rf, client: Client, world: World) -> None:
    _two_organisations(world)
    seen = {}

    @acting_required
    def view(request):
        from django.http import HttpResponse

        seen["acting"] = request.acting
        return HttpResponse("ok")

    from django.urls import path

    from kmop.conf import urls

    urls.urlpatterns.append(path("test-acting/", view))
    try:
        assert client.get("/test-acting/")["Location"] == "/aanmelden/?next=/test-acting/"
        simulator_login(client, SOFIE)
        response = client.get("/test-acting/")
        assert response["Location"] == "/aanmelden-als/?next=%2Ftest-acting%2F"
        assert client.get(response["Location"]).status_code == 200
        assert client.post("/test-acting/").status_code == 403
        assert client.post("/aanmelden-als/", {"organisation": B})["Location"] == "/test-acting/"
        assert client.get("/test-acting/").content == b"ok"
    finally:
        urls.urlpatterns.pop()
    acting = seen["acting"]
    assert acting.organisation_code == B
    assert acting.organisation == world.b
    assert acting.user == User.objects.get(national_number=SOFIE)
    assert acting.person.national_number == SOFIE
    assert acting.roles == ("VLAIOInkomGebruikerNieuw-Gebruiker",)
    assert acting.profiles == ("Gebruiker",)
    assert acting.has_role("VLAIOInkomGebruikerNieuw", "Gebruiker")
    assert acting.acr == "urn:be:vlaanderen:authmech:eid"


def test_acting_roles_agrees_with_can_act_for(world: World, clock) -> None:
    relation = world.relation(JONAS, world.a)
    [grant] = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    cases = [(p, o) for p in (SOFIE, JONAS, TOM) for o in (world.a, world.b, world.n, world.vlaio)]

    def check() -> None:
        for person, organisation in cases:
            assert bool(acting_roles(person, organisation.pk)) == permissions.can_act_for(
                person, organisation
            ), (
                person,
                organisation.code,
            )

    check()
    assert acting_roles(JONAS, world.a.pk) == ("VLAIOInkomGebruikerNieuw-Gebruiker",)
    services.work_relation_pause(actor=SYSTEM, work_relation=relation)
    clock.shift(datetime.timedelta(seconds=1))
    check()
    services.work_relation_resume(actor=SYSTEM, work_relation=relation)
    clock.shift(datetime.timedelta(seconds=1))
    check()
    services.right_grant_end(actor=SYSTEM, grant=grant)
    clock.shift(datetime.timedelta(seconds=1))
    check()
    world.a.active = False
    world.a.save()
    check()
