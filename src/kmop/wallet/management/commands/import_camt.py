"""``kmop import_camt FILE.xml``: import a camt.053 bank statement (deposits matched, the rest refunded) and
print the report; a file that cannot be read is refused with nothing booked."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kmop.audit.services import Actor
from kmop.wallet.camt import CamtError, import_statement
from kmop.wallet.services import WalletError


class Command(BaseCommand):
    help = "Importeer een camt.053-rekeninguittreksel: stortingen koppelen, de rest terugbetalen."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="het camt.053-bestand (XML)")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        try:
            with open(path, "rb") as stream:
                report = import_statement(stream, actor=Actor.system("kmop import_camt"))
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror}") from None
        except (CamtError, WalletError) as error:
            raise CommandError(f"{path}: {error} (niets geboekt)") from None
        self.stdout.write(report.as_text())
