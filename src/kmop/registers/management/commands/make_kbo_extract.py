"""``kmop make_kbo_extract --scale S OUT.zip``: a synthetic KBO Open Data extract (full or update)."""

from __future__ import annotations

import importlib
from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kmop.registers.synthetic import DEFAULT_SNAPSHOT_DATE, EnterpriseRecord, Population, parse_scale
from kmop.registers.synthetic_extract import (
    ExtractResult,
    default_jobs,
    write_full_extract,
    write_update_extract,
)


class Command(BaseCommand):
    help = (
        "Write a synthetic KBO Open Data extract: `--scale demo` or a number of enterprises (to 2,000,000). "
        "The same --seed and --scale always give the same population; --update writes the update extract "
        "that applies on top of the full extract --number of that population."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("out", type=Path, help="the zip file to write")
        parser.add_argument("--scale", default="demo", help="'demo' or a number of enterprises")
        parser.add_argument("--seed", type=int, default=1, help="the population's seed (default 1)")
        parser.add_argument(
            "--number", type=int, default=1, help="ExtractNumber of the full extract (default 1)"
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="write update extract number+1 for the full extract --number of the same population",
        )
        parser.add_argument(
            "--snapshot-date",
            type=date.fromisoformat,
            default=DEFAULT_SNAPSHOT_DATE,
            help=f"snapshot day of the full extract, YYYY-MM-DD (default {DEFAULT_SNAPSHOT_DATE})",
        )
        parser.add_argument("--store", action="store_true", help="no compression (faster, bigger)")
        parser.add_argument("--functions", type=Path, help="also write the legal functions CSV here")
        parser.add_argument("--persons", type=Path, help="also write the national-register persons CSV here")
        parser.add_argument(
            "--jobs",
            type=int,
            default=default_jobs(),
            help="processes for a full extract (default: cores, max 4)",
        )
        parser.add_argument("--no-demo", action="store_true", help="--scale demo without the named demo data")
        parser.add_argument("--progress", action="store_true", help="show a progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            scale = parse_scale(options["scale"])
        except ValueError as e:
            raise CommandError(str(e)) from e
        if options["number"] < 1:
            raise CommandError("--number must be 1 or more")
        population = Population(seed=options["seed"], size=scale, snapshot_date=options["snapshot_date"])
        demo = str(options["scale"]).strip().lower() == "demo" and not options["no_demo"]
        result: ExtractResult
        if options["update"]:
            result = write_update_extract(
                options["out"],
                population,
                number=options["number"] + 1,
                store=options["store"],
                functions_csv=options["functions"],
                persons_csv=options["persons"],
            )
        else:
            extra: list[EnterpriseRecord] = []
            if demo:
                # kmop.demo is not among the packages mypy checks (pyproject), hence the import by name
                demo_data = importlib.import_module("kmop.demo.data")
                extra = demo_data.demo_enterprise_records(population)
            result = write_full_extract(
                options["out"],
                population,
                number=options["number"],
                extra=extra,
                store=options["store"],
                functions_csv=options["functions"],
                persons_csv=options["persons"],
                jobs=options["jobs"],
                progress=options["progress"],
            )
        self.stdout.write(
            f"{result.path}: {result.extract_type} extract {result.number}, snapshot {result.snapshot_date}, "
            f"{result.size_bytes:,} bytes in {result.seconds:.1f} s"
        )
        for name, count in result.row_counts.items():
            self.stdout.write(f"  {name:28} {count:>12,} rows")
        if options["functions"]:
            self.stdout.write(f"  {options['functions']}: {result.functions:,} legal functions")
        if options["persons"]:
            self.stdout.write(f"  {options['persons']}: {result.persons:,} persons")
