"""The portal's mails to providers (Dutch; the project's mail backend, the outbox in production)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import EmailMessage
from django.template import loader
from django.utils import translation

logger = logging.getLogger(__name__)


def send(name: str, to: str, context: dict[str, Any]) -> bool:
    """Render ``portal/mail/<name>_subject.txt`` and ``<name>.txt`` in Dutch and send them to ``to``; False
    (and logged) when the mail could not be handed over: the change it reports stays."""
    with translation.override("nl"):
        subject = " ".join(loader.render_to_string(f"portal/mail/{name}_subject.txt", context).split())
        body = loader.render_to_string(f"portal/mail/{name}.txt", context)
    message = EmailMessage(subject=subject, body=body, to=[to])
    message.kmop_language = "nl"  # type: ignore[attr-defined]
    try:
        message.send()
    except Exception:
        logger.exception("portal: the %s mail could not be sent", name)
        return False
    return True
