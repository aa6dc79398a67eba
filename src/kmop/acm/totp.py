"""Beveiligingscode via mobiele app: TOTP (RFC 6238, 30 s, 6 digits, SHA1, what authenticator apps support)
with pyotp, the QR code as inline SVG with segno. See decision 0007.

- A code is accepted for the current time step or one step before/after (clock drift), and only when its step
  is after the last step used: a code is never accepted twice.
- The login asks the username (or national/BIS number) and password (``kmop.acm.passwords``) with the code;
  failures are throttled per account and per client address by ``kmop.acm.throttle`` (decision 0008).
- Every enrolment, removal, failure and success is audited.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import pyotp
import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kmop.acm import passwords, throttle
from kmop.acm import session as keys
from kmop.acm.methods import LoginMethod, get_method
from kmop.acm.models import TotpDevice, User
from kmop.acm.network import client_address
from kmop.audit.services import Actor, audit_record
from kmop.registers.national_register import lookup
from kmop.registers.numbers import format_national_number

ISSUER = "kmo-portefeuille"
VALID_WINDOW = 1  # time steps before/after the current one
METHOD_CODE = "csamtotp"
LOCK_MINUTES = throttle.MINUTES


def method() -> LoginMethod:
    found = get_method(METHOD_CODE)
    assert found is not None
    return found


def new_secret() -> str:
    return pyotp.random_base32()  # 32 base32 characters = 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, national_number: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(
        name=format_national_number(national_number), issuer_name=ISSUER
    )


def qr_svg(uri: str) -> str:
    """The QR code as an inline ``<svg>`` (no XML declaration), with a title for screen readers."""
    return segno.make(uri, error="m").svg_inline(
        scale=4, title="QR-code", dark="#000", light="#fff", svgclass="totp-qr", lineclass=None
    )


def grouped(secret: str) -> str:
    """The secret in groups of four for typing it over."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _timestep() -> int:
    return int(timezone.now().timestamp()) // 30  # RFC 6238 T with T0 = 0, X = 30 s


def matching_step(secret: str, code: str, after: int | None) -> tuple[int | None, bool]:
    """The time step (within the window) whose code is ``code`` and that is after ``after``; and whether the
    code matched a step that was already used (a replay)."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None, False
    totp = pyotp.TOTP(secret)
    now = _timestep()
    replay = False
    for step in range(now - VALID_WINDOW, now + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if after is not None and step <= after:
                replay = True
                continue
            return step, False
    return None, replay


def _actor(request: HttpRequest, user: User | None, label: str) -> Actor:
    return Actor(label=label, user=user, acr=request.session.get(keys.ACR, ""))


def enrol(*, request: HttpRequest, user: User, secret: str, code: str) -> bool:
    """Confirm the app with a first code and store it, replacing an earlier one. Audit ``acm.totp.enrol``."""
    step, _replay = matching_step(secret, code, None)
    if step is None:
        return False
    with transaction.atomic():
        replaced = TotpDevice.objects.filter(user=user).delete()[0] > 0
        TotpDevice.objects.create(
            user=user, secret=secret, confirmed_at=timezone.now(), last_used_timestep=step
        )
        audit_record(
            actor=_actor(request, user, user.get_username()),
            action="acm.totp.enrol",
            object_type="acm.User",
            object_id=str(user.pk),
            after={"replaced": replaced},
        )
    return True


def remove(*, request: HttpRequest, user: User) -> bool:
    with transaction.atomic():
        removed = TotpDevice.objects.filter(user=user).delete()[0] > 0
        if removed:
            audit_record(
                actor=_actor(request, user, user.get_username()),
                action="acm.totp.remove",
                object_type="acm.User",
                object_id=str(user.pk),
            )
    return removed


@dataclass(frozen=True)
class Outcome:
    user: User | None = None
    #: "" on success; else "invalid" (the generic message), "locked" or "throttled" (try later)
    error: str = ""


def login(*, request: HttpRequest, identifier: str, password: str, code: str) -> Outcome:
    """Check the username (or national/BIS number), the password and the code; log in with acr csamtotp (the
    login service) or tell why not (in the audit; the person sees one generic message, or "try later")."""
    from kmop.acm import services

    address = client_address(request)
    user = passwords.find_account(identifier)
    account = str(user.pk) if user else None
    verdict = throttle.check(account=account, address=address)
    if verdict.blocked:
        services.login_failed(
            request=request,
            user=user,
            identifier=identifier,
            method=METHOD_CODE,
            reason=f"{verdict.why} throttled",
        )
        return Outcome(error="locked" if verdict.why == "account" else "throttled")
    with transaction.atomic():
        device = (
            TotpDevice.objects.select_for_update().filter(user=user, confirmed_at__isnull=False).first()
            if user is not None
            else None
        )
        password_ok = passwords.password_matches(user, password)
        step, replay = (
            matching_step(device.secret, code, device.last_used_timestep) if device else (None, False)
        )
        reason = (
            "unknown account"
            if user is None
            else "no device"
            if device is None
            else "wrong password"
            if not password_ok
            else "code reused"
            if step is None and replay
            else "wrong code"
            if step is None
            else ""
        )
        record = lookup(user.national_number) if user and user.national_number and not reason else None
        if not reason and record is None:
            reason = "not in register"
        if reason:
            locked = throttle.failed(account=account, address=address)
            services.login_failed(
                request=request,
                user=user,
                identifier=identifier,
                method=METHOD_CODE,
                reason=reason + (", locked" if locked else ""),
            )
            return Outcome(error="locked" if locked else "invalid")
        assert device is not None
        assert user is not None
        assert record is not None
        device.last_used_timestep = step
        device.save(update_fields=["last_used_timestep"])
        throttle.succeeded(account=str(user.pk))
        services.person_login(request=request, method=method(), record=record)
    return Outcome(user=user)
