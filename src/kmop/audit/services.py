"""Writing audit events. Call inside the transaction of the change it records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser

from kmop.acm.models import User
from kmop.audit.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who does something: a user account and/or a label (a command, a job), for which organisation."""

    label: str
    user: User | None = None
    organisation_code: str = ""
    acr: str = ""

    @classmethod
    def system(cls, label: str) -> Actor:
        return cls(label=label)

    @classmethod
    def from_user(cls, user: User | AnonymousUser, organisation_code: str = "") -> Actor:
        if isinstance(user, AnonymousUser):
            return cls(label="anonymous", organisation_code=organisation_code)
        return cls(label=user.get_username(), user=user, organisation_code=organisation_code)


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
