"""The registry of notification kinds: what a queued outbox message (``template`` + ``context`` + language)
is rendered with at delivery.

A kind names its templates per language: ``<prefix>_subject_<lang>.txt``, ``<prefix>_<lang>.txt`` and (if
``html``) ``<prefix>_<lang>.html``; an unknown language falls back to the kind's first language. ``prepare``
turns the JSON context back into what the templates expect (e.g. ISO dates into ``date``). Apps register
their kinds at import of a module ``<app>/notification_kinds.py`` (autodiscovered when the registry is first
asked for an unknown kind) or of the module that queues them, e.g. ``kmop.idm.reminders``:

    kinds.register(kinds.Kind("idm.reminder_holder", "idm/mail/reminder_holder"))
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template import loader
from django.utils import translation
from django.utils.module_loading import autodiscover_modules

from kmop.notifications.models import Rendered

#: the modules searched in every installed app for kinds not registered yet
DISCOVER = ("notification_kinds", "reminders")


@dataclass(frozen=True)
class Kind:
    name: str  # e.g. "idm.reminder_holder"
    prefix: str  # template path without language and extension, e.g. "idm/mail/reminder_holder"
    languages: tuple[str, ...] = ("nl", "en")
    html: bool = True
    prepare: Callable[[dict[str, Any], str], dict[str, Any]] | None = None  # (context, language)

    def language(self, language: str) -> str:
        return language if language in self.languages else self.languages[0]

    def template_names(self, language: str) -> tuple[str, str, str | None]:
        lang = self.language(language)
        return (
            f"{self.prefix}_subject_{lang}.txt",
            f"{self.prefix}_{lang}.txt",
            f"{self.prefix}_{lang}.html" if self.html else None,
        )


_registry: dict[str, Kind] = {}
_templates: dict[str, Any] = {}
_lock = threading.Lock()
_discovered = False


def register(kind: Kind) -> Kind:
    _registry[kind.name] = kind
    return kind


def get(name: str) -> Kind:
    global _discovered
    kind = _registry.get(name)
    if kind is None and not _discovered:
        with _lock:
            autodiscover_modules(*DISCOVER)
            _discovered = True
        kind = _registry.get(name)
    if kind is None:
        raise LookupError(f"unknown notification kind {name!r}")
    return kind


def all_kinds() -> list[Kind]:
    """Every registered kind, after discovering the apps' modules, by name."""
    global _discovered
    with _lock:
        if not _discovered:
            autodiscover_modules(*DISCOVER)
            _discovered = True
    return sorted(_registry.values(), key=lambda kind: kind.name)


def _template(name: str) -> Any:
    template = _templates.get(name)
    if template is None:
        template = _templates[name] = loader.get_template(name)
    return template


def render(name: str, language: str, context: dict[str, Any]) -> Rendered:
    """Render a queued message: subject (one line), text and HTML (empty if the kind has none)."""
    kind = get(name)
    data = kind.prepare(dict(context), kind.language(language)) if kind.prepare else context
    subject_name, text_name, html_name = kind.template_names(language)
    with translation.override(kind.language(language)):
        subject = " ".join(str(_template(subject_name).render(data)).split())
        # plain strings, not SafeString: a page that shows them must escape them
        text = "".join([_template(text_name).render(data)])
        html = "".join([_template(html_name).render(data)]) if html_name else ""
    return Rendered(subject, text, html)
