"""``kmop seed --scale S``: realistic data in the database (S = ``demo`` or a number of enterprises)."""

from __future__ import annotations

import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kmop.audit.services import Actor
from kmop.registers.synthetic import parse_scale
from kmop.registers.synthetic_extract import default_jobs
from kmop.registers.synthetic_seed import SeedContext, run_seed, seed_steps


class Command(BaseCommand):
    help = (
        "Vul de databank met synthetische gegevens: een KBO-extract van S ondernemingen (via de KBO-import), "
        "het rijksregister en de functies; `--scale demo` voegt de demopersonen met naam toe. Vervangt wat "
        "een vorige seed laadde; twee keer uitvoeren geeft dezelfde toestand."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--scale", default="demo", help="'demo' of een aantal ondernemingen (tot 2.000.000)"
        )
        parser.add_argument("--seed", type=int, default=1, help="de seed van de populatie (standaard 1)")
        parser.add_argument(
            "--jobs", type=int, default=default_jobs(), help="processen om het extract te schrijven"
        )
        parser.add_argument("--progress", action="store_true", help="voortgangsbalken tonen")
        parser.add_argument("--list", action="store_true", help="de stappen van de seed tonen en stoppen")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="ook met KMOP_ENV=production (vervangt gegevens!)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        steps = seed_steps()
        if options["list"]:
            for step in steps:
                self.stdout.write(step.name)
            return
        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError(
                _(
                    "kmop seed vervangt de gegevens van de registers: geweigerd in productie "
                    "(--allow-production)."
                )
            )
        try:
            scale = parse_scale(options["scale"])
        except ValueError as e:
            raise CommandError(str(e)) from e
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=settings.VAR_DIR, prefix="seed-") as tmp:
            ctx = SeedContext(
                scale=scale,
                demo=str(options["scale"]).strip().lower() == "demo",
                seed=options["seed"],
                workdir=Path(tmp),
                actor=Actor.system("kmop seed"),
                stdout=self.stdout,
                jobs=options["jobs"],
                progress=options["progress"],
            )
            run_seed(ctx, steps)
        counts = ", ".join(f"{name} {count}" for name, count in ctx.counts.items())
        self.stdout.write(self.style.SUCCESS(_("Seed klaar: %(counts)s.") % {"counts": counts}))
