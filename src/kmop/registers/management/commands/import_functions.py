"""``kmop import_functions FILE.csv``: import the legal functions CSV (docs/functions-csv.md)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kmop.audit.services import Actor
from kmop.registers.errors import ImportFileError
from kmop.registers.functions import import_functions_file
from kmop.registers.services import legal_function_codes_load


class Command(BaseCommand):
    help = (
        "Import legal functions (who holds which function in which enterprise) from our CSV: an upsert on "
        "enterprise, person, function and start date, in one transaction (a wrong line changes nothing)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="the CSV file (docs/functions-csv.md)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = Actor.system("kmop import_functions")
        created = legal_function_codes_load(actor=actor)
        if created:
            self.stdout.write(f"{created} function codes created from the data file")
        try:
            result = import_functions_file(options["file"], actor=actor)
        except ImportFileError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(
            f"{result.file}: {result.rows:,} lines, {result.created:,} created, {result.updated:,} updated, "
            f"{result.unchanged:,} unchanged in {result.seconds:.1f} s"
        )
        if result.unknown_enterprises:
            self.stdout.write(
                self.style.WARNING(
                    f"{result.unknown_enterprises:,} enterprise numbers are not in the KBO tables"
                )
            )
