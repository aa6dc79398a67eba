"""The portal's mails to providers, in the provider's language (``Provider.language``: Dutch or English; the
project's mail backend, the outbox in production)."""

from __future__ import annotations

import logging
from typing import Any

from django.template import loader
from django.utils import translation

from kmop.notifications import mail

logger = logging.getLogger(__name__)

#: the languages the portal's mails are written in; anything else is sent in the first
LANGUAGES = ("nl", "en")


def mail_language(language: str | None) -> str:
    """``language`` if the mails exist in it, else Dutch."""
    return language if language in LANGUAGES else LANGUAGES[0]


def send(name: str, to: str, context: dict[str, Any], *, language: str | None = "nl") -> bool:
    """Render ``portal/mail/<name>_subject.txt`` and ``<name>.txt`` (their ``{% translate %}`` texts) in
    ``language`` and send them to ``to``; False (and logged) when the mail could not be handed over: the
    change it reports stays."""
    language = mail_language(language)
    with translation.override(language):
        subject = " ".join(loader.render_to_string(f"portal/mail/{name}_subject.txt", context).split())
        body = loader.render_to_string(f"portal/mail/{name}.txt", context)
    message = mail.message(subject, body, [to], language=language)
    try:
        message.send()
    except Exception:
        logger.exception("portal: the %s mail could not be sent", name)
        return False
    return True
