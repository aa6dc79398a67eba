"""``kmop import_kbo PATH...``: import KBO Open Data extracts (zip files or unzipped folders), in order."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kmop.audit.services import Actor
from kmop.registers.errors import ImportFileError
from kmop.registers.importer import import_extract


class Command(BaseCommand):
    help = (
        "Importeer KBO Open Data-extracten (KboOpenData_<nnnn>_<yyyy>_<mm>_Full.zip of ..._Update.zip, "
        "of een uitgepakte map), in de gegeven volgorde. Elk extract is één transactie: een extract met een "
        "fout verandert niets, de extracten ervoor blijven geïmporteerd en de volgende worden overgeslagen."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths", nargs="+", type=Path, metavar="PATH", help="zip-bestand of map van een extract"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=(
                "importeer een extract ook als het buiten volgorde is: een update die niet op het vorige "
                "extract volgt, of een volledig extract ouder dan het vorige (wordt vastgelegd)"
            ),
        )
        parser.add_argument("--no-progress", action="store_true", help="geen voortgangsbalk tonen")

    def handle(self, *args: Any, **options: Any) -> None:
        progress = not options["no_progress"] and sys.stderr.isatty()
        actor = Actor.system(f"import_kbo ({_os_user()})")
        imported: list[str] = []  # the extracts imported so far, for the message when a later one fails
        for path in options["paths"]:
            try:
                extract = import_extract(path, force=options["force"], progress=progress, actor=actor)
            except ImportFileError as error:
                if not imported:
                    message = _("Import van %(path)s mislukt, er is niets gewijzigd: %(error)s") % {
                        "path": path,
                        "error": error,
                    }
                else:
                    # Each extract is its own transaction: the ones before stay imported.
                    message = _(
                        "Import van %(path)s mislukt, dit extract heeft niets gewijzigd; de extracten "
                        "ervoor zijn wel geïmporteerd (%(imported)s): %(error)s"
                    ) % {"path": path, "imported": "; ".join(imported), "error": error}
                raise CommandError(message) from error
            imported.append(
                _("%(path)s (%(type)s-extract %(number)d)")
                % {"path": path, "type": extract.extract_type, "number": extract.extract_number}
            )
            rows = sum(extract.row_counts.values())
            message = _(
                "%(path)s: %(type)s-extract %(number)d (momentopname %(date)s) geïmporteerd, "
                "%(rows)d rijen in %(seconds).1f s."
            ) % {
                "path": path,
                "type": extract.extract_type,
                "number": extract.extract_number,
                "date": extract.snapshot_date.strftime("%d-%m-%Y"),
                "rows": rows,
                "seconds": extract.seconds,
            }
            if extract.forced:
                message += " " + _("Volgorde geforceerd (--force).")
            self.stdout.write(self.style.SUCCESS(message))


def _os_user() -> str:
    """The operating-system user running the command, for the audit trail."""
    try:
        return getpass.getuser()[:150]  # AuditEvent.actor_label holds 200 characters
    except (OSError, KeyError):  # no login name and no user database entry (a bare container)
        return "?"
