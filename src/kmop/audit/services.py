"""Writing audit events, inside the transaction of the change they record (enforced).

An event written outside a transaction would be committed on its own: it could record a change that is then
rolled back, or be lost while the change stays. So ``audit_record`` and ``audit_record_many`` refuse to run
outside ``transaction.atomic()`` (``TransactionManagementError``).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import router, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from kmop.acm.models import User
from kmop.audit.models import AuditEvent

#: ``Actor.credential`` of a provider logged in with its own login and password
PROVIDER_PASSWORD = "provider-password"  # noqa: S105  (a kind of credential, not a password)


@dataclass(frozen=True)
class Actor:
    """Who does something: a user account and/or a label (a command, a job), for which organisation."""

    label: str
    user: User | None = None
    organisation_code: str = ""
    acr: str = ""
    #: how an actor without a user account proved who it is: empty for the system (a command, a job), which
    #: the services trust; ``PROVIDER_PASSWORD`` for a provider's own login and password (seed 004), which
    #: may act for ``organisation_code`` only and only where a service says so (docs/decisions/0017)
    credential: str = ""

    @classmethod
    def system(cls, label: str) -> Actor:
        return cls(label=label)

    @classmethod
    def provider_password(cls, login: str, organisation_code: str) -> Actor:
        """A provider organisation logged in with its own login and password (no person known)."""
        return cls(
            label=f"dienstverlener-login:{login}",
            organisation_code=organisation_code,
            credential=PROVIDER_PASSWORD,
        )

    @property
    def is_system(self) -> bool:
        """The trusted system: no user account, no credential of its own, and named."""
        return self.user is None and not self.credential and self.label not in ("", "anonymous")

    @classmethod
    def from_user(cls, user: User | AnonymousUser, organisation_code: str = "") -> Actor:
        if isinstance(user, AnonymousUser):
            return cls(label="anonymous", organisation_code=organisation_code)
        return cls(label=user.get_username(), user=user, organisation_code=organisation_code)


@dataclass(frozen=True)
class AuditChange:
    """One change for ``audit_record_many``: what happened to which object, before and after."""

    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    #: this change's reason, instead of the one of the call
    reason: str | None = None


def _require_transaction(function: str) -> None:
    if not transaction.get_connection(router.db_for_write(AuditEvent)).in_atomic_block:
        raise TransactionManagementError(
            f"{function}() must be called inside the transaction of the change it records "
            "(transaction.atomic()), so that the event and the change are committed or rolled back together"
        )


def audit_record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Record one change; call inside its transaction (raises ``TransactionManagementError`` otherwise)."""
    _require_transaction("audit_record")
    return AuditEvent.objects.create(
        actor=actor.user,
        actor_label=actor.label,
        organisation_code=actor.organisation_code,
        acr=actor.acr,
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        reason=reason,
    )


def audit_record_many(
    *, actor: Actor, changes: Iterable[AuditChange], reason: str = "", batch_size: int = 2000
) -> int:
    """Record many changes by one actor for one reason (an import, a daily pass): on PostgreSQL with one
    ``COPY`` (no model instance per event; the append-only triggers allow inserts), else in batches of
    ``bulk_create``. The same rows either way (one ``at`` for the whole call on PostgreSQL).

    Call inside the transaction of the changes (raises ``TransactionManagementError`` otherwise). Returns the
    number of events written.
    """
    _require_transaction("audit_record_many")
    if transaction.get_connection(router.db_for_write(AuditEvent)).vendor == "postgresql":
        return _record_many_copy(actor, changes, reason)
    return _record_many_orm(actor, changes, reason, batch_size)


def _record_many_orm(actor: Actor, changes: Iterable[AuditChange], reason: str, batch_size: int) -> int:
    count = 0
    changes = iter(changes)
    while batch := [
        AuditEvent(
            actor=actor.user,
            actor_label=actor.label,
            organisation_code=actor.organisation_code,
            acr=actor.acr,
            action=change.action,
            object_type=change.object_type,
            object_id=change.object_id,
            before=change.before,
            after=change.after,
            reason=reason if change.reason is None else change.reason,
        )
        for change in itertools.islice(changes, batch_size)
    ]:
        AuditEvent.objects.bulk_create(batch)
        count += len(batch)
    return count


#: the columns ``_record_many_copy`` writes (the id from its sequence)
COPY_COLUMNS = (
    "at",
    "actor_id",
    "actor_label",
    "organisation_code",
    "acr",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "reason",
)


def _json(value: dict[str, Any] | None) -> str | None:
    """What ``JSONField.get_prep_value`` stores (``json.dumps`` without an encoder; None is SQL NULL)."""
    return None if value is None else json.dumps(value)


def _record_many_copy(actor: Actor, changes: Iterable[AuditChange], reason: str) -> int:
    """``COPY audit_auditevent FROM STDIN`` of the changes (PostgreSQL), values as the ORM prepares them."""
    now = timezone.now()
    user_id = actor.user.pk if actor.user is not None else None
    fixed = (actor.label, actor.organisation_code, actor.acr)
    # the rows first: the changes may come from a generator that reads the database, not possible during COPY
    rows = [
        (
            now,
            user_id,
            *fixed,
            change.action,
            change.object_type,
            change.object_id,
            _json(change.before),
            _json(change.after),
            reason if change.reason is None else change.reason,
        )
        for change in changes
    ]
    if not rows:
        return 0
    table = AuditEvent._meta.db_table
    connection = transaction.get_connection(router.db_for_write(AuditEvent))
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(COPY_COLUMNS)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
    return len(rows)
