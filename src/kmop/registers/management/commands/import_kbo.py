"""``kmop import_kbo PATH...``: import KBO Open Data extracts (zip files or unzipped folders), in order."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kmop.registers.errors import ImportFileError
from kmop.registers.importer import import_extract


class Command(BaseCommand):
    help = (
        "Importeer KBO Open Data-extracten (KboOpenData_<nnnn>_<yyyy>_<mm>_Full.zip of ..._Update.zip, "
        "of een uitgepakte map), in de gegeven volgorde. Elk extract is één transactie: bij een fout "
        "blijft alles zoals het was."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths", nargs="+", type=Path, metavar="PATH", help="zip-bestand of map van een extract"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="importeer een update ook als het extractnummer niet op het vorige volgt (wordt vastgelegd)",
        )
        parser.add_argument("--no-progress", action="store_true", help="geen voortgangsbalk tonen")

    def handle(self, *args: Any, **options: Any) -> None:
        progress = not options["no_progress"] and sys.stderr.isatty()
        for path in options["paths"]:
            try:
                extract = import_extract(path, force=options["force"], progress=progress)
            except ImportFileError as error:
                raise CommandError(
                    _("Import van %(path)s mislukt, er is niets gewijzigd: %(error)s")
                    % {"path": path, "error": error}
                ) from error
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
