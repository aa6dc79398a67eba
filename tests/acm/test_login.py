"""Aanmelden with the demo simulator of eID/itsme, the session, afmelden, the absolute timeout."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from kmop.acm import session as keys
from kmop.acm.methods import METHODS, get_method, level_at_least
from kmop.acm.models import User
from kmop.audit.models import AuditEvent

from .conftest import JONAS, NOBODY, SOFIE, World, simulator_login

pytestmark = pytest.mark.django_db


def test_login_page_lists_the_methods(client: Client) -> None:
    html = client.get("/aanmelden/").content.decode()
    for label in (
        "eID en aangesloten kaartlezer",
        "itsme",
        "Beveiligingscode via mobiele app",
        "Beveiligingscode via SMS",
        "Federaal token",
    ):
        assert label in html
    assert 'href="/aanmelden/simulator/eid/"' in html
    assert 'href="/aanmelden/simulator/itsme/"' in html
    assert 'href="/aanmelden/beveiligingscode-app/"' in html
    assert 'href="/aanmelden/beveiligingscode-sms/"' in html
    # "Eerste gebruik? Manier van aanmelden eerst activeren" (seed 003) for the two code methods
    assert 'href="/aanmelden/beveiligingscode-app/activeren/"' in html
    assert 'href="/aanmelden/beveiligingscode-sms/activeren/"' in html
    assert "Simulator — alleen in de demo" in html
    assert "Niet meer beschikbaar sinds 31 januari 2024" in html
    assert "/aanmelden/simulator/csamtotp/" not in html


def test_login_page_in_english(client: Client) -> None:
    client.cookies["kmop_language"] = "en"
    html = client.get("/aanmelden/").content.decode()
    assert "Log in" in html
    assert "Security code via mobile app" in html
    assert "Simulator — demo only" in html


def test_methods_registry() -> None:
    assert [m.code for m in METHODS] == ["eid", "itsme", "csamtotp", "csamsms", "federal_token"]
    assert get_method("eid").acr == "urn:be:vlaanderen:authmech:eid"  # type: ignore[union-attr]
    assert get_method("csamsms").acr == "urn:be:vlaanderen:authmech:csamsms"  # type: ignore[union-attr]
    assert get_method("csamtotp").available  # type: ignore[union-attr]
    assert get_method("csamsms").available  # type: ignore[union-attr]
    assert not get_method("federal_token").available  # type: ignore[union-attr]
    assert level_at_least("urn:be:vlaanderen:authmech:itsme", "high")
    assert level_at_least("urn:be:vlaanderen:authmech:csamsms", "substantial")
    assert not level_at_least("urn:be:vlaanderen:authmech:csamsms", "high")
    assert not level_at_least("", "substantial")


def test_outside_demo_mode_the_simulator_does_not_exist(client: Client, world: World, settings) -> None:
    settings.DEMO_MODE = False
    assert client.get("/aanmelden/simulator/eid/").status_code == 404
    assert simulator_login(client, SOFIE).status_code == 404
    assert "_auth_user_id" not in client.session
    html = client.get("/aanmelden/").content.decode()
    assert "/aanmelden/simulator/" not in html
    assert "Simulator" not in html
    assert 'href="/aanmelden/eid/"' in html  # the production eID adapter (client certificate)


def test_unknown_method_is_404(client: Client) -> None:
    assert client.get("/aanmelden/simulator/csamtotp/").status_code == 404
    assert client.get("/aanmelden/simulator/federal_token/").status_code == 404


def test_login_via_simulator(client: Client, world: World) -> None:
    client.get("/aanmelden/")
    before = client.cookies.get("kmop_session")
    response = simulator_login(client, "79.05.14-998.82", method="itsme")
    assert response.status_code == 302
    assert response["Location"] == "/"  # one option (A): chosen without asking
    session = client.session
    assert before is None or session.session_key != before.value
    assert session[keys.ACR] == "urn:be:vlaanderen:authmech:itsme"
    assert session[keys.METHOD] == "itsme"
    assert isinstance(session[keys.LOGIN_AT], float)
    user = User.objects.get(national_number=SOFIE)
    assert user.username == SOFIE
    assert not user.has_usable_password()
    assert user.get_full_name() == "Sofie Verhaeghe"
    event = AuditEvent.objects.get(action="acm.login")
    assert event.actor == user
    assert event.acr == "urn:be:vlaanderen:authmech:itsme"
    assert event.after == {"method": "itsme", "acr": "urn:be:vlaanderen:authmech:itsme", "new_account": True}


def test_the_session_key_changes_at_login(client: Client, world: World) -> None:
    client.post("/i18n/setlang/", {"language": "nl", "next": "/"})
    session = client.session
    session["x"] = 1
    session.save()
    old_key = session.session_key
    simulator_login(client, SOFIE)
    assert client.session.session_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    simulator_login(client, SOFIE)  # again: the same account
    assert User.objects.filter(national_number=SOFIE).count() == 1


def test_demo_person_button(client: Client, world: World) -> None:
    html = client.get("/aanmelden/simulator/eid/").content.decode()
    assert "Aanmelden als Sofie Verhaeghe" in html
    assert "Simulator — alleen in de demo" in html
    response = client.post("/aanmelden/simulator/eid/", {"person": "legal_representative"})
    assert response.status_code == 302
    assert User.objects.filter(national_number=SOFIE).exists()
    assert client.session[keys.ACR] == "urn:be:vlaanderen:authmech:eid"


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("12345678901", "Vul een geldig rijksregisternummer of BIS-nummer in"),
        ("", "Kies een demopersoon of vul een rijksregisternummer of BIS-nummer in"),
        (NOBODY, "Er staat geen persoon met dit nummer in het rijksregister van de demo"),
    ],
)
def test_invalid_or_unknown_number(client: Client, world: World, number: str, message: str) -> None:
    response = simulator_login(client, number)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Er is een probleem" in html
    assert message in html
    assert 'href="#id_national_number"' in html
    assert "_auth_user_id" not in client.session
    assert not User.objects.exists()
    assert not AuditEvent.objects.filter(action="acm.login").exists()


def test_unknown_demo_person_is_refused(client: Client, world: World) -> None:
    response = client.post("/aanmelden/simulator/eid/", {"person": "hacker"})
    assert response.status_code == 200
    assert "Deze demopersoon bestaat niet." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_header_shows_the_person_and_organisation(client: Client, world: World) -> None:
    html = client.get("/").content.decode()
    assert '<a href="/aanmelden/">Aanmelden</a>' in html
    simulator_login(client, SOFIE)
    html = client.get("/").content.decode()
    assert "Sofie Verhaeghe" in html
    assert world.a.name in html
    assert "Wissel van organisatie" in html
    assert 'action="/afmelden/"' in html
    assert '<a href="/aanmelden/">Aanmelden</a>' not in html


def test_logout_ends_the_session(client: Client, world: World) -> None:
    simulator_login(client, SOFIE)
    key = client.session.session_key
    response = client.post("/afmelden/")
    assert response.status_code == 302
    assert response["Location"] == "/aanmelden/"
    assert not Session.objects.filter(session_key=key).exists()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="acm.logout", organisation_code=world.a.code).exists()
    assert "U bent afgemeld." in client.get("/aanmelden/").content.decode()


def test_logout_needs_post_and_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    simulator_login(Client(), SOFIE)  # another browser
    assert client.get("/afmelden/").status_code == 405
    assert client.post("/afmelden/").status_code == 403


def test_absolute_timeout_after_12_hours_whatever_the_activity(
    client: Client, world: World, clock, settings
) -> None:
    assert settings.KMOP_SESSION_ABSOLUTE_HOURS == 12
    simulator_login(client, SOFIE)
    for _ in range(25):  # a request every 28 minutes for 11 h 40: the idle timeout never strikes
        clock.shift(datetime.timedelta(minutes=28))
        response = client.get("/")
        assert response.status_code == 200
        assert "Sofie Verhaeghe" in response.content.decode()
    clock.shift(datetime.timedelta(minutes=28))  # 12 h 08 after the login
    response = client.get("/toegankelijkheid/")
    assert response.status_code == 302
    assert response["Location"] == "/aanmelden/?next=/toegankelijkheid/"
    assert "_auth_user_id" not in client.session
    assert "hoogstens 12 uur" in client.get(response["Location"]).content.decode()
    event = AuditEvent.objects.get(action="acm.logout")
    assert event.reason == "absolute session lifetime"
    assert event.actor == User.objects.get(national_number=SOFIE)


def test_an_admin_login_has_the_absolute_timeout_too(client: Client, clock, django_user_model) -> None:
    staff = django_user_model.objects.create(username="beheerder", is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert keys.LOGIN_AT in client.session
    assert client.get("/beheer/admin/").status_code == 200
    clock.shift(datetime.timedelta(hours=12, seconds=1))
    assert client.get("/beheer/admin/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_login_next_is_kept(client: Client, world: World) -> None:
    client.get("/aanmelden/?next=/toegankelijkheid/")
    assert simulator_login(client, SOFIE)["Location"] == "/toegankelijkheid/"


def test_login_next_to_another_site_is_ignored(client: Client, world: World) -> None:
    client.get("/aanmelden/?next=https://evil.example/")
    simulator_login(client, SOFIE)
    assert keys.NEXT not in client.session


def test_employee_logs_in_with_a_bis_or_national_number(client: Client, world: World) -> None:
    world.relation(JONAS, world.a)
    simulator_login(client, JONAS)
    assert User.objects.get(username=JONAS).national_number == JONAS


def test_demo_persons_page_links_to_the_simulator(client: Client, world: World) -> None:
    html = client.get("/demo/personen/").content.decode()
    assert 'href="/aanmelden/simulator/eid/"' in html
    assert 'href="/aanmelden/simulator/itsme/"' in html
    assert "kan zodra het aanmelden" not in html


def test_simulator_prefills_a_demo_person(client: Client, world: World) -> None:
    html = client.get("/aanmelden/simulator/eid/?persoon=legal_representative").content.decode()
    assert 'value="79.05.14-998.82"' in html


def _expiry(client: Client) -> datetime.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_idle_timeout_moves_on_without_a_write_per_request(client: Client, world: World, clock) -> None:
    simulator_login(client, SOFIE)
    client.get("/")
    first = _expiry(client)
    clock.shift(datetime.timedelta(seconds=30))
    client.get("/")  # within the minute: the session is not written
    assert _expiry(client) == first
    clock.shift(datetime.timedelta(seconds=31))
    client.get("/")  # a minute after the last move: written, the expiry 30 minutes from now
    assert _expiry(client) == first + datetime.timedelta(seconds=61)


def test_the_session_ends_after_30_idle_minutes(client: Client, world: World, clock) -> None:
    simulator_login(client, SOFIE)
    clock.shift(datetime.timedelta(minutes=29))
    assert "Sofie Verhaeghe" in client.get("/").content.decode()
    clock.shift(datetime.timedelta(minutes=31))
    assert "Sofie Verhaeghe" not in client.get("/").content.decode()
