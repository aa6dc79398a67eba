"""``kmop import_functions FILE.csv``: import the legal functions CSV (docs/functions-csv.md)."""

from __future__ import annotations

import getpass
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kmop.audit.services import Actor
from kmop.registers.errors import ImportFileError
from kmop.registers.functions import import_functions_file
from kmop.registers.services import legal_function_codes_load


class Command(BaseCommand):
    help = (
        "Importeer de functies (wie welke functie heeft in welke onderneming) uit ons CSV-bestand: een "
        "upsert op onderneming, persoon, functie en begindatum, in één transactie (een foute regel "
        "verandert niets)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="het CSV-bestand (docs/functions-csv.md)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system(f"import_functions ({_os_user()})")
        path: Path = options["file"]
        try:
            # One transaction for the codes and the file: a wrong file leaves the codes as they were too.
            with transaction.atomic():
                codes_created = legal_function_codes_load(actor=actor)
                result = import_functions_file(path, actor=actor)
        except ImportFileError as e:
            raise CommandError(
                _("Import van %(path)s mislukt, er is niets gewijzigd: %(error)s")
                % {"path": path, "error": e}
            ) from e
        if codes_created:
            self.stdout.write(
                ngettext(
                    "%(count)d functiecode aangemaakt uit het gegevensbestand.",
                    "%(count)d functiecodes aangemaakt uit het gegevensbestand.",
                    codes_created,
                )
                % {"count": codes_created}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "%(file)s: %(rows)d regels, %(created)d aangemaakt, %(updated)d gewijzigd, "
                    "%(unchanged)d ongewijzigd in %(seconds).1f s."
                )
                % {
                    "file": result.file,
                    "rows": result.rows,
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                    "seconds": result.seconds,
                }
            )
        )
        if result.unknown_enterprises:
            self.stdout.write(
                self.style.WARNING(
                    ngettext(
                        "%(count)d ondernemingsnummer staat (nog) niet in de KBO-tabellen.",
                        "%(count)d ondernemingsnummers staan (nog) niet in de KBO-tabellen.",
                        result.unknown_enterprises,
                    )
                    % {"count": result.unknown_enterprises}
                )
            )


def _os_user() -> str:
    """The operating-system user running the command, for the audit trail."""
    try:
        return getpass.getuser()[:150]  # AuditEvent.actor_label holds 200 characters
    except (OSError, KeyError):  # no login name and no user database entry (a bare container)
        return "?"
