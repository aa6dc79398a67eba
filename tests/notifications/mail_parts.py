"""What every mail of the platform has: its HTML part beside the text (``kmop.notifications.mail``)."""

from __future__ import annotations

from html import escape
from typing import Any


def assert_html_part(message: Any, language: str, *texts: str) -> str:
    """The message's one HTML alternative, in ``language``, showing each of ``texts`` (escaped); returned."""
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'<html lang="{language}">' in html
    assert f"<title>{escape(message.subject)}</title>" in html
    for text in texts:
        assert escape(text) in html, text
    return str(html)
