"""The HTML part of the platform's mails: the text in the mail layout, escaped, with its paragraphs, line
breaks and links."""

from __future__ import annotations

from django.core import mail as outbox

from kmop.notifications import mail
from tests.notifications.mail_parts import assert_html_part

TEXT = """Beste <Jan> & co,

Uw project 2025KMO000001 is bevestigd.
Stort de eigen bijdrage met +++202/5000/00165+++.

Meer op https://www.vlaio.be/kmo-portefeuille of via info@vlaio.example."""


def test_the_html_part_is_the_text_escaped_in_paragraphs_with_links() -> None:
    html = mail.html_of(TEXT, subject="Project <bevestigd>", language="nl")
    assert '<html lang="nl">' in html
    assert "<title>Project &lt;bevestigd&gt;</title>" in html
    assert "<p>Beste &lt;Jan&gt; &amp; co,</p>" in html
    assert (
        "<p>Uw project 2025KMO000001 is bevestigd.<br>Stort de eigen bijdrage met +++202/5000/00165+++.</p>"
        in html
    )
    assert '<a href="https://www.vlaio.be/kmo-portefeuille" rel="nofollow">' in html
    assert '<a href="mailto:info@vlaio.example">info@vlaio.example</a>' in html
    assert "<Jan>" not in html


def test_a_message_carries_both_parts_and_its_language() -> None:
    message = mail.message("Onderwerp", TEXT, ["els@b.example"], language="en")
    assert message.body == TEXT
    assert message.kmop_language == "en"  # type: ignore[attr-defined]
    message.send()
    [sent] = outbox.outbox
    assert_html_part(sent, "en", "Uw project 2025KMO000001 is bevestigd.")
