"""Dutch first, English second: Accept-Language, the language switch (cookie) and the catalogues."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from .helpers import h1, html_lang

COOKIE = "kmop_language"


def test_switch_to_english_sets_the_cookie_and_returns_to_the_page(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/toegankelijkheid/"})
    assert response.status_code == 302
    assert response["Location"] == "/toegankelijkheid/"
    assert settings.LANGUAGE_COOKIE_NAME == COOKIE
    assert response.cookies[COOKIE].value == "en"
    assert response.cookies[COOKIE]["samesite"] == "Lax"

    page = client.get(response["Location"])
    assert html_lang(page) == "en"
    assert h1(page) == "Accessibility statement"
    assert html_lang(client.get("/")) == "en"


def test_switch_back_to_dutch(client):
    client.cookies[COOKIE] = "en"
    response = client.post("/i18n/setlang/", {"language": "nl", "next": "/"}, follow=True)
    assert html_lang(response) == "nl"
    assert h1(response) == "Subsidie voor opleiding en advies voor kmo's en zelfstandigen"


def test_the_cookie_wins_over_accept_language(client):
    client.cookies[COOKIE] = "nl"
    assert html_lang(client.get("/", headers={"accept-language": "en"})) == "nl"
    client.cookies[COOKIE] = "en"
    assert html_lang(client.get("/", headers={"accept-language": "nl-BE,nl"})) == "en"


def test_unknown_languages_fall_back_to_dutch(client):
    assert html_lang(client.get("/", headers={"accept-language": "fr-BE,fr;q=0.9,de;q=0.8"})) == "nl"
    client.cookies[COOKIE] = "xx"
    assert html_lang(client.get("/")) == "nl"


def test_the_switch_does_not_redirect_elsewhere(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/"


def _entries(po: Path) -> list[tuple[str, str, list[str]]]:
    """(msgid, all msgstr text, flags) of every entry but the header."""
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = block.strip().splitlines()
        flags = [flag.strip() for line in lines if line.startswith("#,") for flag in line[2:].split(",")]
        fields: dict[str, str] = {}
        key = ""
        for line in lines:
            match = re.match(r'^(msgid|msgid_plural|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            msgstr = "".join(value for name, value in fields.items() if name.startswith("msgstr"))
            entries.append((fields["msgid"], msgstr, flags))
    return entries


def test_every_string_has_an_english_translation():
    po = Path(settings.SRC_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
    entries = _entries(po)
    assert len(entries) > 100
    untranslated = [msgid for msgid, msgstr, _ in entries if not msgstr]
    fuzzy = [msgid for msgid, _, flags in entries if "fuzzy" in flags]
    assert not untranslated, f"untranslated in {po}: {untranslated}"
    assert not fuzzy, f"fuzzy (to review) in {po}: {fuzzy}"


def test_the_dutch_catalogue_exists():
    po = Path(settings.SRC_DIR) / "locale" / "nl" / "LC_MESSAGES" / "django.po"
    msgids = {msgid for msgid, _, _ in _entries(po)}
    assert "Toegankelijkheidsverklaring" in msgids
