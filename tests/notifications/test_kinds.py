"""Every e-mail of the platform in Dutch and English, as plain text and HTML.

- Each notification kind (``kmop.notifications.kinds``, the queued mails rendered by the worker) has the six
  templates (subject, text, HTML × nl, en) and renders in both languages with an example context: a one-line
  subject, a text and an HTML part (``<html lang="..">``), the context's values in both, no template syntax
  left, the English not the Dutch.
- The other mail templates (``<app>/templates/<app>/mail/``, rendered by their apps and handed to
  ``django.core.mail``) are inventoried: a mail family without English or HTML must be listed in
  ``KNOWN_GAPS`` (so a new mail cannot miss them unnoticed, and a closed gap must be struck off).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.template import TemplateDoesNotExist, loader

from kmop.notifications import kinds
from kmop.notifications.models import OutboxMessage

LANGUAGES = ("nl", "en")
BASE = "https://kmo-portefeuille.example"
_ORGANISATION = {
    "organisation_code": "0404616494",
    "organisation_name": "Peeters & Zonen BV",
    "target_group": "EA",
    "base_url": BASE,
}
_RIGHT = {
    "right_nl": "VLAIO kmo-portefeuille gebruiker",
    "right_en": "VLAIO SME wallet user",
    "context_value": "Gebruiker",
    "profile_nl": "Gebruiker",
    "profile_en": "User",
    "department": "",
}
#: an example context per kind (the JSON a producer queues); a new kind needs one here
EXAMPLES: dict[str, dict[str, Any]] = {
    "idm.reminder_holder": {
        **_ORGANISATION,
        **_RIGHT,
        "first_name": "Jonas",
        "end_date": "2026-12-05",
        "profile_url": "https://mijnprofiel.example/",
    },
    "idm.reminder_digest": {
        **_ORGANISATION,
        "rows": [
            {
                **_RIGHT,
                "grant_id": 7,
                "relation_id": 41,
                "first_name": "An",
                "last_name": "Maes",
                "end_date": "2026-12-03",
            }
        ],
    },
}
#: values of the examples that each rendered part must show
SHOWN = {
    "idm.reminder_holder": ["Peeters &amp; Zonen BV", "05/12/2026"],
    "idm.reminder_digest": ["An Maes", "03/12/2026", "/41/"],
}

#: mail families (``<app>/mail/<name>``) rendered by their apps, and what they lack today
#: the families sent through ``kmop.notifications.mail.message``: their HTML part is their text in the mail
#: layout (``notifications/mail_layout.html``), no HTML template of their own; their senders' tests check
#: that part (``tests/notifications/mail_parts.py``)
HTML_BY_LAYOUT = {
    "portal/mail/certificate",
    "portal/mail/password_reset",
    "portal/mail/sign_up",
    "projects/mail/service_report",
    "projects/mail/service_stop_requested",
    "projects/mail/cancelled",
    "projects/mail/deposit_expired",
    "projects/mail/stop_refused",
    "projects/mail/stopped",
    "projects/mail/submitted",
}

KNOWN_GAPS: dict[str, set[str]] = {
    # to providers, in their language: one template whose {% translate %} texts are rendered in the
    # provider's language (no _en file)
    "portal/mail/password_reset": {"en"},
    "portal/mail/sign_up": {"en"},
    # to the kmo-portefeuille service's own mailbox: Dutch only
    "projects/mail/service_report": {"en"},
    "projects/mail/service_stop_requested": {"en"},
}


def test_there_are_kinds_and_an_example_for_each() -> None:
    names = [kind.name for kind in kinds.all_kinds()]
    assert {"idm.reminder_holder", "idm.reminder_digest"} <= set(names)
    assert set(names) == set(EXAMPLES), "give every notification kind an example context in EXAMPLES"


@pytest.mark.parametrize("kind", kinds.all_kinds(), ids=lambda kind: kind.name)
def test_a_kind_has_its_six_templates(kind: kinds.Kind) -> None:
    assert set(LANGUAGES) <= set(kind.languages)
    assert kind.html
    for language in LANGUAGES:
        for name in kind.template_names(language):
            assert name is not None
            assert language in name
            loader.get_template(name)  # raises TemplateDoesNotExist


@pytest.mark.parametrize("kind", kinds.all_kinds(), ids=lambda kind: kind.name)
def test_a_kind_renders_in_both_languages_as_text_and_html(kind: kinds.Kind) -> None:
    rendered = {language: kinds.render(kind.name, language, EXAMPLES[kind.name]) for language in LANGUAGES}
    for language, mail in rendered.items():
        assert mail.subject
        assert "\n" not in mail.subject
        assert mail.text.strip()
        assert mail.html.strip()
        assert f'<html lang="{language}"' in mail.html
        for part in (mail.subject, mail.text, mail.html):
            assert "{{" not in part
            assert "{%" not in part
        for value in SHOWN[kind.name]:
            assert value in mail.html
            assert value.replace("&amp;", "&") in mail.text
    assert rendered["nl"].subject != rendered["en"].subject
    assert rendered["nl"].text != rendered["en"].text
    assert rendered["nl"].html != rendered["en"].html


@pytest.mark.django_db
@pytest.mark.parametrize("kind", kinds.all_kinds(), ids=lambda kind: kind.name)
def test_an_unknown_language_falls_back_to_the_first(kind: kinds.Kind) -> None:
    row = OutboxMessage(template=kind.name, language="de", context=EXAMPLES[kind.name])
    assert row.render() == kinds.render(kind.name, kind.languages[0], EXAMPLES[kind.name])


def _mail_families() -> dict[str, set[str]]:
    """``<app>/mail/<name>`` → its files, over every installed app's templates."""
    families: dict[str, set[str]] = {}
    for config in apps.get_app_configs():
        for path in sorted(Path(config.path).glob("templates/*/mail/*")):
            match = re.fullmatch(r"(.+?)(?:_subject)?(?:_(?:nl|en))?\.(?:txt|html)", path.name)
            assert match, f"unexpected mail template {path}"
            family = f"{path.parent.parent.name}/mail/{match.group(1)}"
            families.setdefault(family, set()).add(path.name)
    return families


def _lacks(family: str, files: set[str]) -> set[str]:
    name = family.rsplit("/", 1)[1]
    lacking = set()
    if not {f"{name}_en.txt", f"{name}_subject_en.txt"} <= files:
        lacking.add("en")
    if family not in HTML_BY_LAYOUT and not any(f.endswith(".html") for f in files):
        lacking.add("html")
    return lacking


def test_every_mail_template_family_has_english_and_html_or_is_a_known_gap() -> None:
    families = _mail_families()
    assert {"idm/mail/reminder_holder", "projects/mail/submitted"} <= set(families)
    gaps = {family: lacks for family, files in families.items() if (lacks := _lacks(family, files))}
    assert gaps == KNOWN_GAPS


def test_the_kinds_templates_are_found_by_the_inventory_too() -> None:
    families = _mail_families()
    for kind in kinds.all_kinds():
        family = kind.prefix
        assert family in families
        assert _lacks(family, families[family]) == set()
        with pytest.raises(TemplateDoesNotExist):
            loader.get_template(f"{family}_de.txt")  # only the kinds' own languages exist
