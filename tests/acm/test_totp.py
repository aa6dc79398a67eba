"""Beveiligingscode via mobiele app (TOTP): enrolment after a high-level login, login with username (or
number) + password + code, no reuse of a code, drift of one step, generic errors, lockout per account,
throttle per address."""

from __future__ import annotations

import datetime

import pyotp
import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from kmop.acm import session as keys
from kmop.acm import throttle, totp
from kmop.acm.models import TotpDevice, User
from kmop.acm.views import TOTP_PENDING
from kmop.audit.models import AuditEvent

from .conftest import JONAS, NOBODY, SOFIE, World, simulator_login

pytestmark = pytest.mark.django_db

ENROL = "/aanmelden/beveiligingscode-app/activeren/"
LOGIN = "/aanmelden/beveiligingscode-app/"
PASSWORD_PAGE = "/aanmelden/gebruikersnaam-wachtwoord/"
GENERIC = "De combinatie van gebruikersnaam, wachtwoord en beveiligingscode is niet correct."
LATER = "Probeer het over 15 minuten opnieuw."
PASSWORD = "paard batterij nietje correct"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def code(secret: str, steps: int = 0) -> str:
    totp_ = pyotp.TOTP(secret)
    return totp_.at(datetime.datetime.now(datetime.UTC), counter_offset=steps)


def set_password(client: Client, username: str, password: str = PASSWORD) -> None:
    response = client.post(
        PASSWORD_PAGE, {"username": username, "password1": password, "password2": password}
    )
    assert response.status_code == 302, response.content.decode()


def enrol(client: Client, number: str = SOFIE, username: str = "sofie") -> str:
    simulator_login(client, number)
    set_password(client, f"{username}.{number[-4:]}")
    client.get(ENROL)
    secret = client.session[TOTP_PENDING]
    assert client.post(ENROL, {"code": code(secret)}).status_code == 302
    return secret


def login(client: Client, number: str, value: str, address: str = "192.0.2.1", password: str = PASSWORD):
    return client.post(
        LOGIN, {"identifier": number, "password": password, "code": value}, REMOTE_ADDR=address
    )


def test_enrol_shows_qr_and_secret_and_confirms(client: Client, world: World) -> None:
    simulator_login(client, SOFIE)
    html = client.get(ENROL).content.decode()
    secret = client.session[TOTP_PENDING]
    assert "<svg" in html
    assert 'class="totp-qr"' in html
    assert totp.grouped(secret) in html
    assert "79.05.14-998.82" in html
    uri = totp.provisioning_uri(secret, SOFIE)
    assert uri.startswith("otpauth://totp/kmo-portefeuille:79.05.14-998.82?secret=")
    assert "issuer=kmo-portefeuille" in uri

    wrong = f"{(int(code(secret)) + 1) % 1_000_000:06d}"
    response = client.post(ENROL, {"code": wrong})
    assert response.status_code == 200
    assert "Deze beveiligingscode is niet correct." in response.content.decode()
    assert not TotpDevice.objects.exists()
    assert client.session[TOTP_PENDING] == secret  # the same QR code, try again

    response = client.post(ENROL, {"code": code(secret)})
    assert response.status_code == 302
    device = TotpDevice.objects.get(user__national_number=SOFIE)
    assert device.secret == secret
    assert device.confirmed_at is not None
    assert TOTP_PENDING not in client.session
    event = AuditEvent.objects.get(action="acm.totp.enrol")
    assert event.after == {"replaced": False}
    assert event.acr == "urn:be:vlaanderen:authmech:eid"


def test_re_enrol_replaces_and_remove(client: Client, world: World, clock: time_machine.Traveller) -> None:
    first = enrol(client)
    clock.shift(60)
    client.get(ENROL)
    second = client.session[TOTP_PENDING]
    assert second != first
    assert client.post(ENROL, {"code": code(second)}).status_code == 302
    assert TotpDevice.objects.get().secret == second
    assert AuditEvent.objects.filter(action="acm.totp.enrol").latest("pk").after == {"replaced": True}
    assert client.post("/aanmelden/beveiligingscode-app/verwijderen/").status_code == 302
    assert not TotpDevice.objects.exists()
    assert AuditEvent.objects.filter(action="acm.totp.remove").count() == 1


def test_enrol_needs_a_high_level_login(client: Client, world: World, clock: time_machine.Traveller) -> None:
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response["Location"].startswith("/aanmelden/?next=")
    secret = enrol(client)
    client.post("/afmelden/")
    clock.shift(30)
    assert login(client, SOFIE, code(secret)).status_code == 302
    assert client.session[keys.ACR] == "urn:be:vlaanderen:authmech:csamtotp"
    assert client.get(ENROL).status_code == 403  # substantial is not enough
    assert client.post(ENROL, {"code": code(secret)}).status_code == 403
    assert client.post("/aanmelden/beveiligingscode-app/verwijderen/").status_code == 403
    assert TotpDevice.objects.get().secret == secret


def test_login_with_a_valid_code(client: Client, world: World, clock: time_machine.Traveller) -> None:
    secret = enrol(client)
    client.post("/afmelden/")
    clock.shift(30)
    client.get(LOGIN)
    before = client.session.session_key
    response = login(client, "Sofie.9882", code(secret))  # the username, in any case
    assert response.status_code == 302
    assert response["Location"] == "/aanmelden-als/"
    assert client.session.session_key != before
    assert client.session[keys.ACR] == "urn:be:vlaanderen:authmech:csamtotp"
    assert client.session[keys.METHOD] == "csamtotp"
    assert int(client.session["_auth_user_id"]) == User.objects.get(national_number=SOFIE).pk
    event = AuditEvent.objects.filter(action="acm.login").latest("pk")
    assert event.after["acr"] == "urn:be:vlaanderen:authmech:csamtotp"
    assert client.get("/aanmelden-als/").status_code in (200, 302)


def test_a_code_is_never_accepted_twice(client: Client, world: World, clock: time_machine.Traveller) -> None:
    secret = enrol(client)
    client.post("/afmelden/")
    clock.shift(30)
    value = code(secret)
    assert login(client, SOFIE, value).status_code == 302
    client.post("/afmelden/")
    response = login(client, SOFIE, value)
    assert response.status_code == 200
    assert GENERIC in response.content.decode()
    assert AuditEvent.objects.filter(action="acm.login.failed").latest("pk").reason == "code reused"
    # the code used at enrolment cannot log in either
    other = Client()
    clock.shift(-30)
    assert login(other, SOFIE, code(secret)).status_code == 200


def test_drift_of_one_step(client: Client, world: World, clock: time_machine.Traveller) -> None:
    secret = enrol(client)
    client.post("/afmelden/")
    clock.shift(300)
    assert login(client, SOFIE, code(secret, -2)).status_code == 200  # two steps old: too old
    assert login(client, SOFIE, code(secret, -1)).status_code == 302  # one step old: accepted
    client.post("/afmelden/")
    assert login(client, SOFIE, code(secret, -1)).status_code == 200  # but never again
    assert login(client, SOFIE, code(secret, 2)).status_code == 200  # two steps ahead: refused
    assert login(client, SOFIE, code(secret, 1)).status_code == 302  # one step ahead: accepted
    client.post("/afmelden/")
    assert login(client, SOFIE, code(secret)).status_code == 200  # the current step is before the last used


def test_one_generic_error(client: Client, world: World, clock: time_machine.Traveller) -> None:
    secret = enrol(client)
    client.post("/afmelden/")
    clock.shift(30)
    wrong = f"{(int(code(secret)) + 1) % 1_000_000:06d}"
    for number, value, password, reason in (
        (SOFIE, wrong, PASSWORD, "wrong code"),
        (SOFIE, code(secret), "not the password", "wrong password"),
        (NOBODY, code(secret), PASSWORD, "unknown account"),  # not in the register
        ("12345678901", code(secret), PASSWORD, "unknown account"),  # not a valid number
        ("nobody.here", code(secret), PASSWORD, "unknown account"),  # no such username
        (JONAS, code(secret), PASSWORD, "unknown account"),  # never logged in
        (SOFIE, "abc", PASSWORD, "wrong code"),
    ):
        response = login(client, number, value, password=password)
        html = response.content.decode()
        assert response.status_code == 200
        assert GENERIC in html
        assert LATER not in html
        assert AuditEvent.objects.filter(action="acm.login.failed").latest("pk").reason.startswith(reason)
        assert reason not in html
    assert "_auth_user_id" not in client.session


def test_lockout_after_five_failures(client: Client, world: World, clock: time_machine.Traveller) -> None:
    secret = enrol(client)
    client.post("/afmelden/")
    clock.shift(30)
    wrong = f"{(int(code(secret)) + 1) % 1_000_000:06d}"
    for _ in range(4):
        assert GENERIC in login(client, SOFIE, wrong).content.decode()
    assert LATER in login(client, SOFIE, wrong).content.decode()  # the fifth
    user = User.objects.get(national_number=SOFIE)
    assert throttle.is_locked(str(user.pk))
    clock.shift(60)
    response = login(client, SOFIE, code(secret), address="203.0.113.50")  # the right code, but locked
    assert response.status_code == 200
    assert LATER in response.content.decode()
    assert AuditEvent.objects.filter(action="acm.login.failed").latest("pk").reason == "account throttled"
    clock.shift(14 * 60)
    assert not throttle.is_locked(str(user.pk))
    assert login(client, SOFIE, code(secret)).status_code == 302


def test_wrong_passwords_lock_the_account_too(
    client: Client, world: World, clock: time_machine.Traveller
) -> None:
    secret = enrol(client)
    client.post("/afmelden/")
    clock.shift(30)
    for _ in range(5):
        login(client, SOFIE, code(secret), password="not the password")
    response = login(client, SOFIE, code(secret))
    assert LATER in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_throttle_per_address(client: Client, world: World, clock: time_machine.Traveller) -> None:
    secret = enrol(client)
    client.post("/afmelden/")
    clock.shift(30)
    for _ in range(20):
        assert GENERIC in login(client, NOBODY, "123456", address="198.51.100.7").content.decode()
    response = login(client, SOFIE, code(secret), address="198.51.100.7")
    assert response.status_code == 200
    assert LATER in response.content.decode()
    assert (
        AuditEvent.objects.filter(action="acm.login.failed")
        .latest("pk")
        .reason.startswith("address throttled")
    )
    assert login(client, SOFIE, code(secret), address="203.0.113.9").status_code == 302  # another address


def test_login_page_links_the_app_method(client: Client, settings) -> None:
    settings.DEMO_MODE = False
    html = client.get("/aanmelden/").content.decode()
    assert 'href="/aanmelden/beveiligingscode-app/"' in html
    assert client.get(LOGIN).status_code == 200


def test_the_app_is_offered_after_a_high_level_login_only(
    client: Client, world: World, clock: time_machine.Traveller
) -> None:
    page = simulator_login(client, JONAS).content.decode()  # no access yet: the no-access page
    assert f'href="{ENROL}"' in page  # the no-access page offers to activate the app
    assert f'href="{PASSWORD_PAGE}"' in page
    secret = enrol(client, JONAS)
    client.post("/afmelden/")
    clock.shift(30)
    assert login(client, JONAS, code(secret)).status_code == 302
    page = client.get("/aanmelden-als/").content.decode()
    assert f'href="{ENROL}"' not in page  # a substantial login cannot activate it
