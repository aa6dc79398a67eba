"""``kmop load_schemes [FILE.json ...]``: load the scheme data files (default: all of ``schemes/data``)."""

from __future__ import annotations

import getpass
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kmop.audit.services import Actor
from kmop.schemes.errors import SchemeDataError
from kmop.schemes.services import scheme_data_load


class Command(BaseCommand):
    help = (
        "Laad de parameters van de steunmaatregelen uit de gegevensbestanden (versie data_version): nieuwe "
        "periodes erbij; een periode die al begonnen is verandert niet; overlappende periodes worden "
        "geweigerd en dan verandert er niets."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "files", nargs="*", type=Path, help="JSON-bestanden (standaard: schemes/data/*.json)"
        )
        parser.add_argument("--reason", default="", help="reden voor de historiek (audit)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = getpass.getuser()
        except Exception:  # no user name in some containers
            user = "?"
        actor = Actor.system(f"load_schemes ({user})")
        files: list[Path] = options["files"]
        for path in files:
            if not path.is_file():
                raise CommandError(f"{path}: bestand niet gevonden")
        try:
            changes = scheme_data_load(actor=actor, paths=files or None, reason=options["reason"])
        except (SchemeDataError, ValueError) as e:
            messages = e.messages if isinstance(e, SchemeDataError) else [str(e)]
            raise CommandError("Niets geladen:\n" + "\n".join(f"- {m}" for m in messages)) from None
        self.stdout.write(f"{changes} wijziging(en) geladen.")
