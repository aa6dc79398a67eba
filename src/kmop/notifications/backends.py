"""Django e-mail backend that keeps every message in the outbox (``OutboxMessage``) and, when its option
``forward`` names another mailer (settings: ``MAILERS["forward"]``, made from ``KMOP_EMAIL_FORWARD_BACKEND``,
e.g. ``django.core.mail.backends.smtp.EmailBackend``), also hands it to that real backend and records whether
that worked.

Senders may set attributes on the ``EmailMessage`` (never sent with it) to link the message:
``kmop_organisation`` (an ``idm.Organisation``), ``kmop_person`` (an ``idm.Person``), ``kmop_language``
(default: the active language).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from django.core.mail import EmailMessage, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone
from django.utils.translation import get_language

from kmop.notifications.models import OutboxMessage

log = structlog.get_logger(__name__)


def _html(message: EmailMessage) -> str:
    for alternative in getattr(message, "alternatives", None) or []:
        content, mimetype = alternative[0], alternative[1]
        if mimetype == "text/html":
            return str(content)
    if getattr(message, "content_subtype", "") == "html":
        return str(message.body)
    return ""


def store_email(message: EmailMessage) -> OutboxMessage:
    html = _html(message)
    text = "" if getattr(message, "content_subtype", "") == "html" else str(message.body)
    organisation: Any = getattr(message, "kmop_organisation", None)
    person: Any = getattr(message, "kmop_person", None)
    return OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.EMAIL,
        recipient=", ".join([*message.to, *message.cc, *message.bcc])[:1000],
        sender=str(message.from_email or "")[:320],
        subject=str(message.subject)[:998],
        body_text=text,
        body_html=html,
        language=(getattr(message, "kmop_language", None) or get_language() or "")[:10],
        organisation=organisation,
        person=person,
    )


class OutboxEmailBackend(BaseEmailBackend):
    """Store, then (when configured) forward. ``send_messages`` returns how many were accepted: stored, and
    delivered by the forward backend when there is one."""

    def __init__(self, *, forward: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.forward = forward

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        if not email_messages:
            return 0
        records = [store_email(message) for message in email_messages]
        if not self.forward:
            return len(records)
        sent = 0
        connection = mailers[self.forward]
        for message, record in zip(email_messages, records, strict=True):
            try:
                delivered = connection.send_messages([message]) or 0
            except Exception as exc:
                record.state = OutboxMessage.State.FAILED
                record.error = f"{type(exc).__name__}: {exc}"[:2000]
                record.save(update_fields=["state", "error"])
                log.warning("email.forward_failed", outbox_id=record.pk, error=record.error)
                raise
            record.state = OutboxMessage.State.SENT if delivered else OutboxMessage.State.FAILED
            record.sent_at = timezone.now() if delivered else None
            record.save(update_fields=["state", "sent_at"])
            sent += delivered
        return sent
