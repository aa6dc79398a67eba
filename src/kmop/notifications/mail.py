"""Every e-mail of the platform in plain text and HTML.

A mail's wording lives in one template per language, its text (``<name>_<lang>.txt``); :func:`message` adds
the HTML part: that same text in the platform's mail layout (``notifications/mail_layout.html``), a
paragraph where the text has a blank line, a line break where it has one, a link where it has a web or
e-mail address, every character escaped. The two parts cannot tell different things. (The Gebruikersbeheer's
reminders keep their own HTML templates: seed 003 gives that mail's HTML.)
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMultiAlternatives
from django.template import loader

LAYOUT = "notifications/mail_layout.html"


def html_of(text: str, *, subject: str, language: str) -> str:
    """The HTML part of a mail whose text is ``text``."""
    return loader.render_to_string(LAYOUT, {"subject": subject, "text": text, "language": language})


def message(subject: str, text: str, to: Sequence[str], *, language: str) -> EmailMultiAlternatives:
    """A mail in ``language`` (``kmop_language`` for the outbox) with its text and HTML parts."""
    email = EmailMultiAlternatives(subject=subject, body=text, to=list(to))
    email.attach_alternative(html_of(text, subject=subject, language=language), "text/html")
    email.kmop_language = language  # type: ignore[attr-defined]
    return email
