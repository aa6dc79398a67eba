"""Beveiligingscode via mobiele app: TOTP (RFC 6238, 30 s, 6 digits, SHA1, what authenticator apps support)
with pyotp, the QR code as inline SVG with segno. See decision 0007.

- A code is accepted for the current time step or one step before/after (clock drift), and only when its step
  is after the last step used: a code is never accepted twice.
- After ``MAX_FAILURES`` wrong codes for an account it is locked for ``LOCK_MINUTES``; per client address at
  most ``MAX_ADDRESS_FAILURES`` failures per ``LOCK_MINUTES`` (Django's cache: the default LocMemCache counts
  per process, a multi-process deployment needs a shared cache).
- Every enrolment, removal, failure and success is audited.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

import pyotp
import segno
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kmop.acm import session as keys
from kmop.acm.methods import LoginMethod, get_method
from kmop.acm.models import TotpDevice, User
from kmop.audit.services import Actor, audit_record
from kmop.registers.national_register import InvalidNationalNumber, lookup
from kmop.registers.numbers import format_national_number

ISSUER = "kmo-portefeuille"
VALID_WINDOW = 1  # time steps before/after the current one
MAX_FAILURES = 5
LOCK_MINUTES = 15
MAX_ADDRESS_FAILURES = 20


def method() -> LoginMethod:
    found = get_method("csamtotp")
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


def client_address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _address_key(address: str) -> str:
    return f"kmop:acm:totp:address:{address}"


def _address_failed(address: str) -> None:
    key = _address_key(address)
    if cache.add(key, 1, timeout=LOCK_MINUTES * 60):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired in between
        cache.add(key, 1, timeout=LOCK_MINUTES * 60)


def _failed(request: HttpRequest, user: User | None, number: str, reason: str) -> None:
    with transaction.atomic():
        audit_record(
            actor=_actor(request, user, user.get_username() if user else "anonymous"),
            action="acm.login.failed",
            object_type="acm.User",
            object_id=str(user.pk) if user else "",
            after={"method": "csamtotp", "address": client_address(request)},
            reason=reason if user else f"{reason} ({number[:20]})",
        )


def login(*, request: HttpRequest, number: str, code: str) -> Outcome:
    """Check the national/BIS number and the code; log in with acr csamtotp (the login service) or tell why
    not (for the audit; the user sees one generic message, or "try later")."""
    from kmop.acm import services

    address = client_address(request)
    if (cache.get(_address_key(address)) or 0) >= MAX_ADDRESS_FAILURES:
        _failed(request, None, number, "address throttled")
        return Outcome(error="throttled")
    try:
        record = lookup(number)
    except InvalidNationalNumber:
        record = None
    compact = record.national_number if record else ""
    with transaction.atomic():
        device = (
            TotpDevice.objects.select_for_update()
            .select_related("user")
            .filter(user__national_number=compact, confirmed_at__isnull=False)
            .first()
            if compact
            else None
        )
        if device is None or record is None:
            reason = "unknown number" if record is None else "no device"
            user = (
                device.user
                if device
                else User.objects.filter(national_number=compact).first()
                if compact
                else None
            )
            _address_failed(address)
            _failed(request, user, number, reason)
            return Outcome(error="invalid")
        now = timezone.now()
        if device.locked_until and device.locked_until > now:
            _address_failed(address)
            _failed(request, device.user, number, "locked")
            return Outcome(error="locked")
        step, replay = matching_step(device.secret, code, device.last_used_timestep)
        if step is None:
            device.failures += 1
            locked = device.failures >= MAX_FAILURES
            if locked:
                device.failures = 0
                device.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            device.save(update_fields=["failures", "locked_until"])
            _address_failed(address)
            _failed(
                request,
                device.user,
                number,
                ("code reused" if replay else "wrong code") + (", locked" if locked else ""),
            )
            return Outcome(error="locked" if locked else "invalid")
        device.failures = 0
        device.locked_until = None
        device.last_used_timestep = step
        device.save(update_fields=["failures", "locked_until", "last_used_timestep"])
        user = services.person_login(request=request, method=method(), record=record)
    return Outcome(user=user)
