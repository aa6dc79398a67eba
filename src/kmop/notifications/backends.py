"""Django e-mail backend that writes every message to the outbox (``OutboxMessage``) as ``pending``, in the
caller's transaction: a change that is rolled back sends nothing. It does not deliver: ``kmop send_mail``
(``delivery.py``) does, through the mailer ``forward`` (settings: ``MAILERS["forward"]``, made from
``KMOP_EMAIL_FORWARD_BACKEND``) when there is one, else it marks the message "alleen bewaard".

Senders may set attributes on the ``EmailMessage`` (never sent with it) to link the message:
``kmop_organisation`` (an ``idm.Organisation``), ``kmop_person`` (an ``idm.Person``), ``kmop_language``
(default: the active language).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.translation import get_language

from kmop.notifications.models import OutboxMessage


def _html(message: EmailMessage) -> str:
    for alternative in getattr(message, "alternatives", None) or []:
        content, mimetype = alternative[0], alternative[1]
        if mimetype == "text/html":
            return str(content)
    if getattr(message, "content_subtype", "") == "html":
        return str(message.body)
    return ""


def _attachment(attachment: Any) -> dict[str, str] | None:
    if isinstance(attachment, tuple):
        filename, content, mimetype = attachment[0], attachment[1], attachment[2]
    elif hasattr(attachment, "get_content_type"):  # a MIME part
        filename = attachment.get_filename()
        content = attachment.get_payload(decode=True) or b""
        mimetype = attachment.get_content_type()
    else:
        return None
    raw = content.encode() if isinstance(content, str) else bytes(content)
    return {
        "filename": filename or "",
        "content": base64.b64encode(raw).decode("ascii"),
        "mimetype": mimetype or "application/octet-stream",
    }


def _envelope(message: EmailMessage) -> dict[str, Any] | None:
    envelope: dict[str, Any] = {}
    for key in ("to", "cc", "bcc", "reply_to"):
        values = [str(v) for v in getattr(message, key, None) or []]
        if values:
            envelope[key] = values
    if message.extra_headers:
        envelope["headers"] = {str(k): str(v) for k, v in message.extra_headers.items()}
    attachments = [a for a in (_attachment(x) for x in message.attachments) if a]
    if attachments:
        envelope["attachments"] = attachments
    return envelope or None


def _outbox_row(message: EmailMessage) -> OutboxMessage:
    """The message as a pending outbox row (rendered form), not saved yet."""
    html = _html(message)
    text = "" if getattr(message, "content_subtype", "") == "html" else str(message.body)
    organisation: Any = getattr(message, "kmop_organisation", None)
    person: Any = getattr(message, "kmop_person", None)
    return OutboxMessage(
        channel=OutboxMessage.Channel.EMAIL,
        recipient=", ".join([*message.to, *message.cc, *message.bcc])[:1000],
        sender=str(message.from_email or "")[:320],
        subject=str(message.subject)[:998],
        body_text=text,
        body_html=html,
        envelope=_envelope(message),
        language=(getattr(message, "kmop_language", None) or get_language() or "")[:10],
        organisation=organisation,
        person=person,
        state=OutboxMessage.State.PENDING,
    )


def store_email(message: EmailMessage) -> OutboxMessage:
    """The message as a pending outbox row."""
    row = _outbox_row(message)
    row.save()
    return row


class OutboxEmailBackend(BaseEmailBackend):
    """Store as pending; ``send_messages`` returns how many were stored. ``forward`` (the mailer that
    ``kmop send_mail`` delivers through) is accepted for the settings' sake and used by the worker."""

    def __init__(self, *, forward: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.forward = forward

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Stored in one INSERT per thousand (a daily job queues thousands at once)."""
        rows = [_outbox_row(message) for message in email_messages]
        OutboxMessage.objects.bulk_create(rows, batch_size=1000)
        return len(rows)
