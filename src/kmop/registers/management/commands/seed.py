"""``kmop seed --scale S``: realistic data in the database (S = ``demo`` or a number of enterprises)."""

from __future__ import annotations

import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from kmop.audit.services import Actor
from kmop.registers.synthetic import parse_scale
from kmop.registers.synthetic_extract import default_jobs
from kmop.registers.synthetic_seed import SeedContext, run_seed, seed_steps


class Command(BaseCommand):
    help = (
        "Fill the database with synthetic data: a KBO extract of S enterprises (through the KBO importer), "
        "the national register and the legal functions; `--scale demo` adds the named demo persons. "
        "Replaces what an earlier seed loaded; running it twice gives the same state."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--scale", default="demo", help="'demo' or a number of enterprises (to 2,000,000)"
        )
        parser.add_argument("--seed", type=int, default=1, help="the population's seed (default 1)")
        parser.add_argument("--jobs", type=int, default=default_jobs(), help="processes to write the extract")
        parser.add_argument("--progress", action="store_true", help="show progress bars")
        parser.add_argument("--list", action="store_true", help="list the seed steps and stop")
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="seed even with KMOP_ENV=production (replaces data!)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        steps = seed_steps()
        if options["list"]:
            for step in steps:
                self.stdout.write(step.name)
            return
        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError("kmop seed replaces register data: refused in production (--allow-production)")
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
        self.stdout.write(
            self.style.SUCCESS(f"seeded: {', '.join(f'{k} {v:,}' for k, v in ctx.counts.items())}")
        )
