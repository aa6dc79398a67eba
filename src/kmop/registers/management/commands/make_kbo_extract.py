"""``kmop make_kbo_extract --scale S OUT.zip``: a synthetic KBO Open Data extract (full or update)."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from kmop.registers.synthetic import DEFAULT_SNAPSHOT_DATE, EnterpriseRecord, Population, parse_scale
from kmop.registers.synthetic_extract import (
    ExtractResult,
    default_jobs,
    write_full_extract,
    write_update_extract,
)


class Command(BaseCommand):
    help = (
        "Schrijf een synthetisch KBO Open Data-extract: `--scale demo` of een aantal ondernemingen (tot "
        "2.000.000). Dezelfde --seed en --scale geven altijd dezelfde populatie; --update schrijft het "
        "update-extract dat volgt op het volledige extract --number van die populatie."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("out", type=Path, help="het zip-bestand om te schrijven")
        parser.add_argument("--scale", default="demo", help="'demo' of een aantal ondernemingen")
        parser.add_argument("--seed", type=int, default=1, help="de seed van de populatie (standaard 1)")
        parser.add_argument(
            "--number", type=int, default=1, help="ExtractNumber van het volledige extract (standaard 1)"
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="schrijf update-extract number+1 voor het volledige extract --number van dezelfde populatie",
        )
        parser.add_argument(
            "--snapshot-date",
            type=date.fromisoformat,
            default=DEFAULT_SNAPSHOT_DATE,
            help=f"momentopname van het volledige extract, JJJJ-MM-DD (standaard {DEFAULT_SNAPSHOT_DATE})",
        )
        parser.add_argument("--store", action="store_true", help="geen compressie (sneller, groter)")
        parser.add_argument("--functions", type=Path, help="schrijf ook het CSV-bestand met de functies hier")
        parser.add_argument(
            "--persons", type=Path, help="schrijf ook het CSV-bestand met de personen (rijksregister) hier"
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=default_jobs(),
            help="processen voor een volledig extract (standaard: de kernen, hoogstens 4)",
        )
        parser.add_argument("--no-demo", action="store_true", help="--scale demo zonder de demogegevens")
        parser.add_argument("--progress", action="store_true", help="een voortgangsbalk tonen")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            scale = parse_scale(options["scale"])
        except ValueError as e:
            raise CommandError(str(e)) from e
        if options["number"] < 1:
            raise CommandError(_("--number moet 1 of meer zijn."))
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
                from kmop.demo.data import demo_enterprise_records

                extra = demo_enterprise_records(population)
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
            _(
                "%(path)s: %(type)s-extract %(number)d, momentopname %(date)s, %(bytes)d bytes in "
                "%(seconds).1f s."
            )
            % {
                "path": result.path,
                "type": result.extract_type,
                "number": result.number,
                "date": result.snapshot_date.strftime("%d-%m-%Y"),
                "bytes": result.size_bytes,
                "seconds": result.seconds,
            }
        )
        for name, count in result.row_counts.items():
            self.stdout.write("  " + _("%(file)s: %(rows)d rijen") % {"file": name, "rows": count})
        if options["functions"]:
            self.stdout.write(
                "  "
                + _("%(file)s: %(count)d functies")
                % {"file": options["functions"], "count": result.functions}
            )
        if options["persons"]:
            self.stdout.write(
                "  "
                + _("%(file)s: %(count)d personen") % {"file": options["persons"], "count": result.persons}
            )
