"""Beveiligingscode via sms (acr ``urn:be:vlaanderen:authmech:csamsms``, level substantial); decision 0008.

- Enrolment, after an eID/itsme login: the person gives a mobile number; a code sent to it confirms it.
- Login, in two steps: username (or national/BIS number) + password; when they are right and a number is
  registered, a code is sent through the sms adapter (``kmop.notifications.sms``). The first step always goes
  on to the second, whatever the outcome, so that it does not tell whether an account or a number exists.
  Then the code: one generic message for any wrong, expired or used code.
- A code: 6 digits from ``secrets``, stored only as an HMAC (keyed with the secret key and bound to its
  challenge), valid ``CODE_MINUTES``, used at most once, at most ``MAX_ATTEMPTS`` tries and ``MAX_RESENDS``
  new codes per challenge; every failure also counts in the shared throttle (``kmop.acm.throttle``).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from kmop.acm import passwords, throttle
from kmop.acm import session as keys
from kmop.acm.methods import LoginMethod, get_method
from kmop.acm.models import SmsChallenge, SmsDevice, User
from kmop.acm.network import client_address
from kmop.acm.services import login_failed
from kmop.audit.services import Actor, audit_record
from kmop.registers.national_register import lookup

CODE_MINUTES = 5
MAX_ATTEMPTS = 3
MAX_RESENDS = 3
#: new numbers a person may try per hour (each sends an sms to a number nobody has confirmed yet)
MAX_ENROLMENTS_PER_HOUR = 5
METHOD_CODE = "csamsms"

_MOBILE = re.compile(r"^\+[1-9][0-9]{7,14}$")
_BELGIAN_MOBILE = re.compile(r"^\+324[0-9]{8}$")


def method() -> LoginMethod:
    found = get_method(METHOD_CODE)
    assert found is not None
    return found


def normalise_mobile(value: str) -> str | None:
    """A mobile number in E.164 (``+32470123456``) from what a person types (``0470 12 34 56``,
    ``+32 470/12.34.56``, ``0032…``); None when it is not one. Belgian numbers must be mobile (04…)."""
    compact = re.sub(r"[\s./()-]", "", value)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif compact.startswith("0"):
        compact = "+32" + compact[1:]
    if not _MOBILE.match(compact):
        return None
    if compact.startswith("+32") and not _BELGIAN_MOBILE.match(compact):
        return None
    return compact


def masked(number: str) -> str:
    """``+32 4•• •• •• 56``-like: enough to recognise one's own number."""
    return number[:4] + "•" * max(0, len(number) - 6) + number[-2:]


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _hash(challenge_pk: int, code: str) -> str:
    return salted_hmac("kmop.acm.sms.code", f"{challenge_pk}:{code}", algorithm="sha256").hexdigest()


def _actor(request: HttpRequest, user: User) -> Actor:
    return Actor(label=user.get_username(), user=user, acr=request.session.get(keys.ACR, ""))


def _send(challenge: SmsChallenge, code: str) -> None:
    from kmop.idm.models import Person
    from kmop.notifications.sms import send_sms

    if challenge.purpose == SmsChallenge.Purpose.ENROL:
        text = _(
            "Uw code om dit gsm-nummer te bevestigen voor de kmo-portefeuille is %(code)s. "
            "Ze is %(minutes)s minuten geldig."
        )
    else:
        text = _(
            "Uw beveiligingscode om aan te melden bij de kmo-portefeuille is %(code)s. Ze is %(minutes)s "
            "minuten geldig. Geef deze code aan niemand door."
        )
    person = Person.objects.filter(national_number=challenge.user.national_number).first()
    send_sms(challenge.number, text % {"code": code, "minutes": CODE_MINUTES}, person=person)


def _issue(challenge: SmsChallenge) -> None:
    """A new code for the challenge (saved), sent at once."""
    code = _new_code()
    now = timezone.now()
    challenge.code_hash = _hash(challenge.pk, code)
    challenge.sent_at = now
    challenge.expires_at = now + timedelta(minutes=CODE_MINUTES)
    challenge.save(update_fields=["code_hash", "sent_at", "expires_at"])
    _send(challenge, code)


def _open_challenge(user: User, purpose: str, number: str) -> SmsChallenge:
    """Close the user's earlier open challenges of this purpose, then make (and send) a new one."""
    now = timezone.now()
    SmsChallenge.objects.filter(user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    challenge = SmsChallenge.objects.create(
        user=user, purpose=purpose, number=number, code_hash="", sent_at=now, expires_at=now
    )
    _issue(challenge)
    return challenge


@dataclass(frozen=True)
class Outcome:
    user: User | None = None
    #: "" on success; "invalid" (the generic message), "locked" or "throttled" (try later)
    error: str = ""
    challenge_id: int | None = None


def _check_code(challenge: SmsChallenge | None, code: str) -> str:
    """ "" when ``code`` is the challenge's current code and may be used now; else why not (for the audit)."""
    if challenge is None:
        return "no code sent"
    if challenge.used_at is not None:
        return "code reused"
    if challenge.expires_at <= timezone.now():
        return "code expired"
    if challenge.attempts >= MAX_ATTEMPTS:
        return "too many tries for this code"
    typed = re.sub(r"\s", "", code)
    if not (len(typed) == 6 and typed.isdigit()) or not constant_time_compare(
        _hash(challenge.pk, typed), challenge.code_hash
    ):
        return "wrong code"
    return ""


# --- Enrolment --------------------------------------------------------------------------------------


def start_enrolment(*, request: HttpRequest, user: User, number: str) -> SmsChallenge | None:
    """Send a code to a new number; None when the person tried ``MAX_ENROLMENTS_PER_HOUR`` numbers in the
    last hour already (the platform does not text unconfirmed numbers without limit)."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()  # one enrolment at a time per person
        recent = SmsChallenge.objects.filter(
            user=user,
            purpose=SmsChallenge.Purpose.ENROL,
            created_at__gte=timezone.now() - timedelta(hours=1),
        ).count()
        if recent >= MAX_ENROLMENTS_PER_HOUR:
            return None
        return _open_challenge(user, SmsChallenge.Purpose.ENROL, number)


def confirm_enrolment(*, request: HttpRequest, user: User, challenge_id: int | None, code: str) -> bool:
    """Store the number of the challenge when ``code`` is its code. Audit ``acm.sms.enrol``."""
    with transaction.atomic():
        challenge = (
            SmsChallenge.objects.select_for_update()
            .filter(pk=challenge_id, user=user, purpose=SmsChallenge.Purpose.ENROL)
            .first()
            if challenge_id
            else None
        )
        address = client_address(request)
        if throttle.check(account=str(user.pk), address=address).blocked:
            return False
        reason = _check_code(challenge, code)
        if reason:
            if challenge is not None and reason == "wrong code":
                challenge.attempts += 1
                challenge.save(update_fields=["attempts"])
            throttle.failed(account=str(user.pk), address=address)
            return False
        assert challenge is not None
        challenge.used_at = timezone.now()
        challenge.save(update_fields=["used_at"])
        replaced = SmsDevice.objects.filter(user=user).delete()[0] > 0
        SmsDevice.objects.create(user=user, number=challenge.number, confirmed_at=timezone.now())
        audit_record(
            actor=_actor(request, user),
            action="acm.sms.enrol",
            object_type="acm.User",
            object_id=str(user.pk),
            after={"number": masked(challenge.number), "replaced": replaced},
        )
    return True


def remove(*, request: HttpRequest, user: User) -> bool:
    with transaction.atomic():
        removed = SmsDevice.objects.filter(user=user).delete()[0] > 0
        if removed:
            audit_record(
                actor=_actor(request, user),
                action="acm.sms.remove",
                object_type="acm.User",
                object_id=str(user.pk),
            )
    return removed


def resend(*, request: HttpRequest, user: User | None, challenge_id: int | None, purpose: str) -> bool:
    """A new code for an open challenge (the old one stops working), at most ``MAX_RESENDS`` times."""
    if not challenge_id:
        return False
    with transaction.atomic():
        challenge = SmsChallenge.objects.select_for_update().filter(pk=challenge_id, purpose=purpose).first()
        if (
            challenge is None
            or (user is not None and challenge.user_id != user.pk)
            or challenge.used_at is not None
            or challenge.resends >= MAX_RESENDS
            or challenge.attempts >= MAX_ATTEMPTS
        ):
            return False
        challenge.resends += 1
        challenge.save(update_fields=["resends"])
        _issue(challenge)
    return True


# --- Login ------------------------------------------------------------------------------------------


def start_login(*, request: HttpRequest, identifier: str, password: str) -> Outcome:
    """Step 1: the password. A code is sent only when it is right and a number is registered; the caller
    goes on to the code page anyway (``challenge_id`` None: no code was sent), except when throttled."""
    address = client_address(request)
    user = passwords.find_account(identifier)
    account = str(user.pk) if user else None
    verdict = throttle.check(account=account, address=address)
    if verdict.blocked:
        login_failed(
            request=request,
            user=user,
            identifier=identifier,
            method=METHOD_CODE,
            reason=f"{verdict.why} throttled",
        )
        return Outcome(error="locked" if verdict.why == "account" else "throttled")
    if not passwords.password_matches(user, password):
        locked = throttle.failed(account=account, address=address)
        reason = "unknown account" if user is None else "wrong password"
        login_failed(
            request=request,
            user=user,
            identifier=identifier,
            method=METHOD_CODE,
            reason=reason + (", locked" if locked else ""),
        )
        return Outcome(error="locked" if locked else "")
    assert user is not None
    device = SmsDevice.objects.filter(user=user).first()
    if device is None:
        login_failed(
            request=request, user=user, identifier=identifier, method=METHOD_CODE, reason="no number"
        )
        return Outcome()
    with transaction.atomic():
        challenge = _open_challenge(user, SmsChallenge.Purpose.LOGIN, device.number)
    return Outcome(challenge_id=challenge.pk)


def verify_login(*, request: HttpRequest, challenge_id: int | None, code: str) -> Outcome:
    """Step 2: the code. On success the login service logs the person in with acr csamsms."""
    from kmop.acm import services

    address = client_address(request)
    with transaction.atomic():
        challenge = (
            SmsChallenge.objects.select_for_update()
            .select_related("user")
            .filter(pk=challenge_id, purpose=SmsChallenge.Purpose.LOGIN)
            .first()
            if challenge_id
            else None
        )
        user = challenge.user if challenge else None
        account = str(user.pk) if user else None
        verdict = throttle.check(account=account, address=address)
        if verdict.blocked:
            login_failed(
                request=request,
                user=user,
                identifier="",
                method=METHOD_CODE,
                reason=f"{verdict.why} throttled",
            )
            return Outcome(error="locked" if verdict.why == "account" else "throttled")
        reason = _check_code(challenge, code)
        if reason:
            if challenge is not None and reason == "wrong code":
                challenge.attempts += 1
                challenge.save(update_fields=["attempts"])
            locked = throttle.failed(account=account, address=address)
            login_failed(
                request=request,
                user=user,
                identifier="",
                method=METHOD_CODE,
                reason=reason + (", locked" if locked else ""),
            )
            return Outcome(error="locked" if locked else "invalid")
        assert challenge is not None
        assert user is not None
        assert user.national_number
        challenge.used_at = timezone.now()
        challenge.save(update_fields=["used_at"])
        record = lookup(user.national_number)
        if record is None:  # no longer in the national register
            login_failed(
                request=request, user=user, identifier="", method=METHOD_CODE, reason="not in register"
            )
            return Outcome(error="invalid")
        throttle.succeeded(account=str(user.pk))
        services.person_login(request=request, method=method(), record=record)
    return Outcome(user=user)
