"""``kmop daily [--date YYYY-MM-DD]``: run the daily jobs of every app (``<app>/daily_jobs.py``), each once a
day. Schedule it once a day (docs/daily-jobs.md); running it again the same day does nothing more. Without
``--date`` it catches up: each job runs for every day since the last day it succeeded for (at most
``--catch-up-days``), then for today."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from kmop.jobs import registry


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("--date verwacht een datum als JJJJ-MM-DD, niet %(value)r.") % {"value": value}
        ) from None


class Command(BaseCommand):
    help = (
        "Voer de dagelijkse taken uit (herinneringen van vervallende gebruikersrechten, ...), elke taak één "
        "keer per dag; een tweede uitvoering dezelfde dag doet niets meer. Zonder --date worden "
        "gemiste dagen eerst ingehaald. Stopt met code 1 als een taak mislukt (de andere taken lopen toch)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--date",
            help="enkel deze dag (JJJJ-MM-DD); standaard vandaag, na de gemiste dagen sinds de laatste "
            "geslaagde",
        )
        parser.add_argument(
            "--catch-up-days",
            type=int,
            default=registry.MAX_CATCH_UP_DAYS,
            help="zonder --date: hoogstens zoveel dagen inhalen per taak, vandaag inbegrepen (standaard 31)",
        )
        parser.add_argument("--job", action="append", default=[], help="enkel deze taak (herhaalbaar)")
        parser.add_argument("--list", action="store_true", help="de taken tonen en stoppen")
        parser.add_argument(
            "--force", action="store_true", help="ook taken die die dag al slaagden opnieuw uitvoeren"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = registry.daily_jobs()
        if options["list"]:
            for job in jobs:
                self.stdout.write(f"{job.name}\t{job.description}")
            return
        day = _day(options["date"]) if options["date"] else timezone.localdate()
        if options["catch_up_days"] < 1:
            raise CommandError(
                _("--catch-up-days verwacht een getal vanaf 1, niet %(value)s.")
                % {"value": options["catch_up_days"]}
            )
        if options["job"]:
            known = {job.name for job in jobs}
            unknown = [name for name in options["job"] if name not in known]
            if unknown:
                raise CommandError(_("Onbekende taak: %(jobs)s.") % {"jobs": ", ".join(unknown)})
            jobs = [job for job in jobs if job.name in options["job"]]
        self.stdout.write(_("kmop daily voor %(day)s") % {"day": day.strftime("%d/%m/%Y")})
        if options["date"]:
            report = registry.run_daily(day, stdout=self.stdout, jobs=jobs, force=options["force"])
        else:
            report = registry.catch_up(
                day, stdout=self.stdout, jobs=jobs, force=options["force"], max_days=options["catch_up_days"]
            )
        if report.failed:
            raise CommandError(
                _("%(n)d taak/taken mislukt: %(jobs)s.")
                % {
                    "n": len(report.failed),
                    "jobs": "; ".join(
                        f"{o.job}{f' ({o.day:%d/%m/%Y})' if o.day and o.day != day else ''}: {o.message}"
                        for o in report.failed
                    ),
                }
            )
        self.stdout.write(self.style.SUCCESS(_("Alle dagelijkse taken zijn klaar.")))
