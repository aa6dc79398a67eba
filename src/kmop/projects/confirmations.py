"""A project action confirmed once: the form's data waits in the session under a token until the user
confirms it, and the confirmation is performed at most once per token (the e-loket's and the providers'
project pages).

* ``PendingForms(session_key)``: the forms awaiting confirmation in the session (the newest ``KEEP``).
* ``perform_once``: under the project's row lock, performs the action unless the token's audit event exists
  (a second POST of the same confirmation, from a double click or another tab, finds the first one's event
  and does nothing), and records that event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor, audit_record
from kmop.projects.models import Project

#: how many unconfirmed forms a session keeps (the newest)
KEEP = 10


class PendingForms:
    def __init__(self, session_key: str) -> None:
        self.session_key = session_key

    def all(self, request: HttpRequest) -> dict[str, dict[str, Any]]:
        value = request.session.get(self.session_key)
        return value if isinstance(value, dict) else {}

    def get(self, request: HttpRequest, token: str) -> dict[str, Any] | None:
        return self.all(request).get(token)

    def store(self, request: HttpRequest, token: str, data: dict[str, Any]) -> None:
        pending = self.all(request)
        pending[token] = data
        request.session[self.session_key] = dict(list(pending.items())[-KEEP:])

    def drop(self, request: HttpRequest, token: str) -> None:
        pending = self.all(request)
        if pending.pop(token, None) is not None:
            request.session[self.session_key] = pending


def confirmation_key(project: Project, token: str) -> str:
    return f"{project.number}/{token}"[:100]


def already_performed(object_type: str, key: str) -> bool:
    return AuditEvent.objects.filter(object_type=object_type, object_id=key).exists()


def perform_once(
    *,
    project: Project,
    object_type: str,
    key: str,
    actor: Actor,
    action: str,
    data: dict[str, Any] | None,
    perform: Callable[[dict[str, Any]], str],
) -> tuple[str, list[str]]:
    """``(done message, errors)``; the service's ``NotAllowed`` and ``IdmError`` go to the caller."""
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        if already_performed(object_type, key):
            return _("Dit formulier werd al verwerkt; er is niets opnieuw gedaan."), []
        if data is None:
            return "", [_("Dit formulier is verlopen of onbekend: vul het opnieuw in.")]
        done = perform(data)
        audit_record(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=key,
            after={k: v for k, v in data.items() if k != "proof_label"},
            reason=done,
        )
        return done, []
