"""CSV export of "toekenning opzoeken": streamed row by row, for Excel in Belgium (UTF-8 with BOM, ``;``).

Cells that a spreadsheet would read as a formula (starting with ``= + - @``, a tab or a carriage return) get a
leading apostrophe (CSV injection). An empty result is an honest file with only the header.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from kmop.idm.models import RightGrant

BOM = "\ufeff"
CHUNK = 2000


class _Line:
    """A file-like object whose ``write`` returns the line (csv.writer writes one row per call)."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%d/%m/%Y %H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return spreadsheet_safe(str(value))


def spreadsheet_safe(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (CSV injection): a leading ``= + - @``, tab or
    carriage return is quoted with ``'``."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def header() -> list[str]:
    return [
        _("Organisatiecode"),
        _("Organisatie"),
        _("Rijksregisternummer"),
        _("Naam"),
        _("Voornaam"),
        _("Gebruikersrecht"),
        _("Profiel of departement"),
        _("Begindatum"),
        _("Einddatum"),
        _("Beëindigd op"),
    ]


def grants_csv(grants: QuerySet[RightGrant]) -> Iterator[str]:
    """The rows of the export (header first), one string each, for ``StreamingHttpResponse``."""
    writer = csv.writer(_Line(), delimiter=";", lineterminator="\r\n")
    yield BOM + writer.writerow(header())
    for grant in grants.iterator(chunk_size=CHUNK):
        relation = grant.work_relation
        person, organisation = relation.person, relation.organisation
        context = grant.department.name if grant.department else grant.context_value
        yield writer.writerow(
            [
                _cell(organisation.code),
                _cell(organisation.name),
                _cell(person.national_number),
                _cell(person.last_name),
                _cell(person.first_name),
                _cell(grant.right.label_nl),
                _cell(context),
                _cell(grant.begin_date),
                _cell(grant.end_date),
                _cell(grant.ended_at),
            ]
        )
