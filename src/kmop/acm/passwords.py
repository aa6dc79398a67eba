"""CSAM's password step for the security code methods (app and sms): a username and password set after an
eID/itsme login, asked together with the code. Hashed with Argon2id through Django's password hashers.

``find_account`` resolves what the person typed (their username, or their national/BIS number) to an account;
``password_matches`` checks the password and spends the same hashing time when there is no account, so that
the answer time does not tell which accounts exist.
"""

from __future__ import annotations

import re

from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from kmop.acm import session as keys
from kmop.acm.models import PasswordCredential, User
from kmop.audit.services import Actor, audit_record
from kmop.registers.national_register import InvalidNationalNumber, lookup

HASHER = "argon2"
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
_DUMMY = "kmop-no-account-dummy-password"


def normalise_username(value: str) -> str:
    return value.strip().lower()


def find_account(identifier: str) -> User | None:
    """The person's account by username (case-insensitive) or national/BIS number (any punctuation)."""
    typed = identifier.strip()
    if not typed:
        return None
    credential = (
        PasswordCredential.objects.select_related("user")
        .filter(username=normalise_username(typed), user__is_active=True)
        .first()
    )
    if credential is not None:
        return credential.user
    try:
        record = lookup(typed)
    except InvalidNationalNumber:
        return None
    if record is None:
        return None
    return User.objects.filter(national_number=record.national_number, is_active=True).first()


def password_matches(user: User | None, password: str) -> bool:
    credential = (
        PasswordCredential.objects.filter(user=user).first() if user is not None and user.pk else None
    )
    if credential is None:
        make_password(_DUMMY, hasher=HASHER)  # the same time as a real check
        return False
    return check_password(password, credential.password)


def has_password(user: User) -> bool:
    return PasswordCredential.objects.filter(user=user).exists()


def username_taken(username: str, user: User) -> bool:
    return (
        PasswordCredential.objects.filter(username=normalise_username(username)).exclude(user=user).exists()
    )


def valid_username(username: str) -> bool:
    """3 to 64 letters, digits, dots, hyphens or underscores, with at least one letter (so that it never
    looks like a national number)."""
    value = normalise_username(username)
    return bool(USERNAME_RE.match(value)) and any(c.isalpha() for c in value)


def validate(user: User, password: str) -> None:
    """Django's password validators (``AUTH_PASSWORD_VALIDATORS``: at least 12 characters, not common, not
    only digits, not like the name); raises ``ValidationError``."""
    validate_password(password, user=user)


def set_credential(*, request: HttpRequest, user: User, username: str, password: str) -> PasswordCredential:
    """Set (or change) the username and password. Audit ``acm.password.set`` (never the password)."""
    with transaction.atomic():
        credential = PasswordCredential.objects.select_for_update().filter(user=user).first()
        replaced = credential is not None
        if credential is None:
            credential = PasswordCredential(user=user)
        credential.username = normalise_username(username)
        credential.password = make_password(password, hasher=HASHER)
        credential.set_at = timezone.now()
        credential.save()
        audit_record(
            actor=Actor(label=user.get_username(), user=user, acr=request.session.get(keys.ACR, "")),
            action="acm.password.set",
            object_type="acm.User",
            object_id=str(user.pk),
            after={"username": credential.username, "replaced": replaced},
        )
    return credential
