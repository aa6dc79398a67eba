"""Beveiligingscode via SMS: enrolment of a mobile number after a high-level login, the two-step login
(username/number + password, then the code from the sms), and its abuse cases: expired and replayed codes,
guessing (per account and per address), resends, the code stored hashed, one generic message."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client

from kmop.acm import session as keys
from kmop.acm import sms, throttle
from kmop.acm.models import SmsChallenge, SmsDevice, User
from kmop.audit.models import AuditEvent
from kmop.notifications.models import OutboxMessage

from .conftest import JONAS, NOBODY, SOFIE, World, simulator_login
from .test_totp import LATER, PASSWORD, set_password

pytestmark = pytest.mark.django_db

ENROL = "/aanmelden/beveiligingscode-sms/activeren/"
LOGIN = "/aanmelden/beveiligingscode-sms/"
CODE = "/aanmelden/beveiligingscode-sms/code/"
GENERIC = "De combinatie van gebruikersnaam, wachtwoord en beveiligingscode is niet correct"
MOBILE = "+32470123456"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def last_code(number: str = MOBILE) -> str:
    message = OutboxMessage.objects.filter(channel="sms", recipient=number).latest("pk")
    found = re.search(r"\b(\d{6})\b", message.body_text)
    assert found, message.body_text
    return found.group(1)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def enrol(client: Client, number: str = SOFIE, mobile: str = "0470 12 34 56") -> None:
    simulator_login(client, number)
    set_password(client, f"user.{number[-4:]}")
    assert client.post(ENROL, {"action": "send", "number": mobile}).status_code == 302
    assert client.post(ENROL, {"action": "confirm", "code": last_code()}).status_code == 302
    client.post("/afmelden/")


def step_one(client: Client, identifier: str = SOFIE, password: str = PASSWORD, address: str = "192.0.2.1"):
    return client.post(LOGIN, {"identifier": identifier, "password": password}, REMOTE_ADDR=address)


def step_two(client: Client, code: str, address: str = "192.0.2.1"):
    return client.post(CODE, {"code": code}, REMOTE_ADDR=address)


def test_enrolment_confirms_the_number_with_a_code(client: Client, world: World) -> None:
    simulator_login(client, SOFIE)
    html = client.get(ENROL).content.decode()
    assert "Gebruikersnaam en wachtwoord instellen" in html  # no password yet: the page says so
    response = client.post(ENROL, {"action": "send", "number": "02 123 45 67"})  # a landline
    assert "Vul een geldig gsm-nummer in" in response.content.decode()
    assert not OutboxMessage.objects.exists()

    assert client.post(ENROL, {"action": "send", "number": "0470 12 34 56"}).status_code == 302
    message = OutboxMessage.objects.get(channel="sms")
    assert message.recipient == MOBILE  # normalised to E.164
    code = last_code()
    html = client.get(ENROL).content.decode()
    assert "+324••••••56" in html  # the number, masked
    response = client.post(ENROL, {"action": "confirm", "code": other_code(code)})
    assert "Deze code is niet correct of niet meer geldig." in response.content.decode()
    assert not SmsDevice.objects.exists()
    assert client.post(ENROL, {"action": "confirm", "code": code}).status_code == 302
    device = SmsDevice.objects.get()
    assert device.number == MOBILE
    event = AuditEvent.objects.get(action="acm.sms.enrol")
    assert event.after == {"number": "+324••••••56", "replaced": False}
    assert event.acr == "urn:be:vlaanderen:authmech:eid"
    assert "U ontvangt beveiligingscodes op +324••••••56" in client.get(ENROL).content.decode()
    assert client.post("/aanmelden/beveiligingscode-sms/verwijderen/").status_code == 302
    assert not SmsDevice.objects.exists()
    assert AuditEvent.objects.filter(action="acm.sms.remove").count() == 1


def test_enrolment_needs_a_high_level_login(client: Client, world: World) -> None:
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response["Location"].startswith("/aanmelden/?next=")
    enrol(client)
    step_one(client)
    assert step_two(client, last_code()).status_code == 302
    assert client.session[keys.ACR] == "urn:be:vlaanderen:authmech:csamsms"
    assert client.get(ENROL).status_code == 403  # substantial is not enough
    assert client.post(ENROL, {"action": "send", "number": "0470 99 99 99"}).status_code == 403
    assert client.post("/aanmelden/beveiligingscode-sms/verwijderen/").status_code == 403
    assert client.get("/aanmelden/gebruikersnaam-wachtwoord/").status_code == 403
    assert SmsDevice.objects.get().number == MOBILE


def test_login_with_the_code_from_the_sms(client: Client, world: World) -> None:
    enrol(client)
    client.get(LOGIN)
    before = client.session.session_key
    response = step_one(client, identifier="User.9882")
    assert response.status_code == 302
    assert response["Location"] == CODE
    challenge = SmsChallenge.objects.get(purpose="login")
    code = last_code()
    assert code not in challenge.code_hash  # stored only as a keyed hash
    assert (
        "Uw beveiligingscode om aan te melden bij de kmo-portefeuille is"
        in OutboxMessage.objects.latest("pk").body_text
    )
    response = step_two(client, code)
    assert response.status_code == 302
    assert response["Location"] == "/aanmelden-als/"
    assert client.session.session_key != before
    assert client.session[keys.ACR] == "urn:be:vlaanderen:authmech:csamsms"
    assert client.session[keys.METHOD] == "csamsms"
    assert int(client.session["_auth_user_id"]) == User.objects.get(national_number=SOFIE).pk
    assert AuditEvent.objects.filter(action="acm.login").latest("pk").after["acr"] == (
        "urn:be:vlaanderen:authmech:csamsms"
    )


def test_step_one_never_tells_whether_the_account_exists(client: Client, world: World) -> None:
    enrol(client)
    sent = OutboxMessage.objects.count()
    for identifier, password, reason in (
        (SOFIE, "not the password", "wrong password"),
        (NOBODY, PASSWORD, "unknown account"),
        ("nobody.here", PASSWORD, "unknown account"),
        ("12345678901", PASSWORD, "unknown account"),
    ):
        other = Client()
        response = step_one(other, identifier, password)
        assert response.status_code == 302  # on to the code page, as when everything is right
        assert response["Location"] == CODE
        assert AuditEvent.objects.filter(action="acm.login.failed").latest("pk").reason.startswith(reason)
        response = step_two(other, "123456")
        assert response.status_code == 200
        assert GENERIC in response.content.decode()
        assert "_auth_user_id" not in other.session
    assert OutboxMessage.objects.count() == sent  # no sms for any of them


def test_an_account_without_number_gets_no_sms(client: Client, world: World) -> None:
    simulator_login(client, JONAS)
    set_password(client, "jonas")
    client.post("/afmelden/")
    response = step_one(client, "jonas")
    assert response["Location"] == CODE
    assert not OutboxMessage.objects.filter(channel="sms").exists()
    assert AuditEvent.objects.filter(action="acm.login.failed").latest("pk").reason == "no number"


def test_an_expired_code_is_refused(client: Client, world: World, clock: time_machine.Traveller) -> None:
    enrol(client)
    step_one(client)
    code = last_code()
    clock.shift(sms.CODE_MINUTES * 60 + 1)
    response = step_two(client, code)
    assert response.status_code == 200
    assert GENERIC in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="acm.login.failed").latest("pk").reason == "code expired"


def test_a_code_just_before_it_expires_works(
    client: Client, world: World, clock: time_machine.Traveller
) -> None:
    enrol(client)
    step_one(client)
    clock.shift(sms.CODE_MINUTES * 60 - 5)
    assert step_two(client, last_code()).status_code == 302


def test_a_replayed_code_is_refused(client: Client, world: World) -> None:
    enrol(client)
    step_one(client)
    code = last_code()
    challenge_id = client.session["acm_sms_login"]["id"]
    assert step_two(client, code).status_code == 302
    client.post("/afmelden/")
    # an attacker who saw the code and the pending login (its challenge) replays both
    attacker = Client()
    session = attacker.session
    session["acm_sms_login"] = {"id": challenge_id}
    session.save()
    attacker.cookies["kmop_session"] = session.session_key
    response = step_two(attacker, code, address="198.51.100.99")
    assert response.status_code == 200
    assert GENERIC in response.content.decode()
    assert "_auth_user_id" not in attacker.session
    assert AuditEvent.objects.filter(action="acm.login.failed").latest("pk").reason == "code reused"
    assert sms.verify_login(request=_request(), challenge_id=challenge_id, code=code).error == "invalid"


def _request():
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    request = RequestFactory().post(CODE, REMOTE_ADDR="198.51.100.98")
    request.session = SessionStore()
    return request


def test_a_new_login_or_resend_replaces_the_code(client: Client, world: World) -> None:
    enrol(client)
    step_one(client)
    first = last_code()
    assert client.post(CODE, {"action": "resend"}).status_code == 302
    second = last_code()
    assert OutboxMessage.objects.filter(channel="sms").count() == 3  # enrolment + two codes
    if first != second:
        assert GENERIC in step_two(client, first).content.decode()  # the old code stopped working
    assert step_two(client, second).status_code == 302


def test_resends_are_limited(client: Client, world: World) -> None:
    enrol(client)
    step_one(client)
    sent = OutboxMessage.objects.count()
    for _ in range(sms.MAX_RESENDS + 2):
        client.post(CODE, {"action": "resend"})
    assert OutboxMessage.objects.count() == sent + sms.MAX_RESENDS
    assert SmsChallenge.objects.get(purpose="login").resends == sms.MAX_RESENDS


def test_a_code_allows_only_a_few_tries(client: Client, world: World) -> None:
    enrol(client)
    step_one(client)
    code = last_code()
    for _ in range(sms.MAX_ATTEMPTS):
        assert GENERIC in step_two(client, other_code(code)).content.decode()
    response = step_two(client, code)  # the right code, after too many tries for this code
    assert GENERIC in response.content.decode()
    assert (
        AuditEvent.objects.filter(action="acm.login.failed").latest("pk").reason.startswith("too many tries")
    )


def test_guessing_locks_the_account(client: Client, world: World, clock: time_machine.Traveller) -> None:
    enrol(client)
    user = User.objects.get(national_number=SOFIE)
    failures = 0
    while not throttle.is_locked(str(user.pk)):
        step_one(client)  # a new code each time (attackers from several addresses)
        response = step_two(client, other_code(last_code()), address=f"198.51.100.{failures}")
        failures += 1
        assert failures <= throttle.ACCOUNT_FAILURES
    assert failures == throttle.ACCOUNT_FAILURES
    assert LATER in response.content.decode()
    # locked: the right password is refused at step one, the right code at step two, from any address
    sent = OutboxMessage.objects.count()
    assert LATER in step_one(client, address="203.0.113.1").content.decode()
    assert OutboxMessage.objects.count() == sent
    clock.shift(throttle.MINUTES * 60)
    step_one(client)
    assert step_two(client, last_code()).status_code == 302


def test_guessing_is_throttled_per_address(client: Client, world: World) -> None:
    enrol(client)
    for i in range(throttle.ADDRESS_FAILURES // 2):  # each round: an unknown account and a wrong code
        attacker = Client()
        assert step_one(attacker, "nobody.here", address="198.51.100.7").status_code == 302
        assert GENERIC in step_two(attacker, f"{i:06d}", address="198.51.100.7").content.decode()
    response = step_one(client, address="198.51.100.7")  # even the right password
    assert LATER in response.content.decode()
    assert AuditEvent.objects.filter(action="acm.login.failed").latest("pk").reason == "address throttled"
    step_one(client, address="203.0.113.9")  # another address
    assert step_two(client, last_code(), address="203.0.113.9").status_code == 302


def test_code_page_without_step_one_goes_back(client: Client) -> None:
    response = client.get(CODE)
    assert response.status_code == 302
    assert response["Location"] == LOGIN


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("0470 12 34 56", "+32470123456"),
        ("+32 470/12.34.56", "+32470123456"),
        ("0032470123456", "+32470123456"),
        ("+31 6 12345678", "+31612345678"),
        ("02 123 45 67", None),  # Belgian landline
        ("12", None),
        ("abc", None),
    ],
)
def test_mobile_numbers(typed: str, expected: str | None) -> None:
    assert sms.normalise_mobile(typed) == expected


def test_codes_are_random_six_digits() -> None:
    codes = {sms._new_code() for _ in range(50)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 40


def test_new_numbers_per_hour_are_limited(
    client: Client, world: World, clock: time_machine.Traveller
) -> None:
    simulator_login(client, SOFIE)
    for i in range(sms.MAX_ENROLMENTS_PER_HOUR):
        assert client.post(ENROL, {"action": "cancel"}).status_code == 302
        assert client.post(ENROL, {"action": "send", "number": f"0470 12 34 5{i}"}).status_code == 302
    client.post(ENROL, {"action": "cancel"})
    response = client.post(ENROL, {"action": "send", "number": "0470 99 99 99"})
    assert response.status_code == 200
    assert "te veel nummers geprobeerd" in response.content.decode()
    assert OutboxMessage.objects.filter(channel="sms").count() == sms.MAX_ENROLMENTS_PER_HOUR
    clock.shift(3601)
    simulator_login(client, SOFIE)  # the session has gone idle meanwhile
    response = client.post(ENROL, {"action": "send", "number": "0470 99 99 99"})
    assert response["Location"] == ENROL
    assert OutboxMessage.objects.filter(channel="sms").count() == sms.MAX_ENROLMENTS_PER_HOUR + 1
