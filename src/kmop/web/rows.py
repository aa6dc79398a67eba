"""Table rows rendered in Python, for the long lists whose pages show 50 rows at a time (the
Gebruikersbeheer's "toekenning opzoeken", the back office's work queues).

The template language costs a few microseconds per variable, tag and filter, and an ``include`` per row more:
at 50 rows with a link or a form each, that was half to two thirds of such a page's time. The rows' markup is
written here instead, with its labels and URL patterns resolved once per page. Every value goes through
``esc`` before it goes into the markup; the callers mark the joined rows safe.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import quote

from django.db.models import Model
from django.urls import reverse
from django.utils import timezone


def esc(value: object) -> str:
    """A value as text in HTML (as the template language shows it, ``None`` as nothing)."""
    return "" if value is None else html.escape(str(value))


def url_of(name: str) -> Callable[[object], str]:
    """``reverse(name, args=[key])`` resolved once for a page of rows: ``url_of(name)(key)``, the key
    percent-encoded (as ``reverse`` does) and not checked against the pattern (a number, a registration or
    project number)."""
    sentinel = "987654321987"
    head, _sep, tail = reverse(name, args=[sentinel]).partition(sentinel)
    return lambda key: f"{head}{quote(str(key), safe='')}{tail}"


def choice_labels(model: type[Model], field: str) -> Callable[[object], str]:
    """A field's choice label per value, escaped, translated once per page (``get_FOO_display`` builds the
    choices' dictionary again on every call); an unknown value is shown as it is."""
    labels = {value: esc(label) for value, label in model._meta.get_field(field).flatchoices}
    return lambda value: labels.get(value, esc(value))


def day(value: date | datetime | None) -> str:
    """``dd/mm/yyyy`` as ``{{ value|date:"d/m/Y" }}``: a moment in the local time zone, a date as it is."""
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y")
