"""The daily jobs: every installed app may define ``JOBS`` (a list of ``DailyJob``) in
``<app>/daily_jobs.py``, as the seed steps in ``<app>/seed_steps.py``. ``kmop daily`` runs them all, once
per job per day.

A job gets a ``JobContext`` (the day it runs for, the actor to write audit events as, where to write progress)
and returns a one-line summary; it fails by raising (``JobFailed`` for a failure it understands, with a clear
message). A job must be idempotent for its day: it may run again after a failure, and ``--force`` reruns it.
"""

from __future__ import annotations

import importlib
import logging
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Protocol

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kmop.audit.services import Actor
from kmop.jobs.models import JobRun

logger = logging.getLogger(__name__)

#: a run still marked "running" after this long is taken for a crashed one and may be run again
STALE_AFTER = timedelta(hours=6)


class Writer(Protocol):
    def write(self, msg: str) -> Any: ...


class JobFailed(Exception):
    """A job failed for a reason it can explain (the message is shown as is)."""


@dataclass(frozen=True)
class JobContext:
    day: date
    actor: Actor
    stdout: Writer


@dataclass(frozen=True)
class DailyJob:
    """A job of ``kmop daily``: ``name`` (unique, e.g. ``idm.reminders``) and ``run(ctx) -> summary``."""

    name: str
    run: Callable[[JobContext], str]
    description: str = ""


@dataclass
class JobOutcome:
    job: str
    status: str  # "succeeded", "failed", "skipped"
    message: str


@dataclass
class DailyReport:
    day: date
    outcomes: list[JobOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[JobOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def daily_jobs() -> list[DailyJob]:
    """``JOBS`` of every installed app's ``daily_jobs`` module, in the order of ``INSTALLED_APPS``."""
    jobs: list[DailyJob] = []
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.daily_jobs")
        except ModuleNotFoundError as e:
            if e.name != f"{config.name}.daily_jobs":
                raise
            continue
        jobs.extend(getattr(module, "JOBS", []))
    names = [job.name for job in jobs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RuntimeError(f"daily jobs with the same name: {', '.join(duplicates)}")
    return jobs


def _claim(job: DailyJob, day: date, force: bool) -> tuple[JobRun | None, str]:
    """Mark the job running for the day, or say why not (succeeded already, running elsewhere)."""
    now = timezone.now()
    with transaction.atomic():
        run, created = JobRun.objects.select_for_update().get_or_create(
            job=job.name,
            day=day,
            defaults={"status": JobRun.Status.RUNNING, "started_at": now, "attempts": 1},
        )
        if created:
            return run, ""
        if run.status == JobRun.Status.SUCCEEDED and not force:
            return None, _("al uitgevoerd op %(at)s: %(summary)s") % {
                "at": timezone.localtime(run.finished_at or run.started_at).strftime("%d/%m/%Y %H:%M"),
                "summary": run.summary,
            }
        if run.status == JobRun.Status.RUNNING and now - run.started_at < STALE_AFTER:
            return None, _("loopt al sinds %(at)s (een andere uitvoering)") % {
                "at": timezone.localtime(run.started_at).strftime("%d/%m/%Y %H:%M")
            }
        run.status = JobRun.Status.RUNNING
        run.started_at = now
        run.finished_at = None
        run.error = ""
        run.attempts += 1
        run.save(update_fields=["status", "started_at", "finished_at", "error", "attempts"])
        return run, ""


def _finish(run: JobRun, status: str, summary: str, error: str = "") -> None:
    run.status = status
    run.summary = summary
    run.error = error
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "summary", "error", "finished_at"])


def run_daily(
    day: date,
    *,
    stdout: Writer,
    jobs: Sequence[DailyJob] | None = None,
    force: bool = False,
    actor: Actor | None = None,
) -> DailyReport:
    """Run the jobs for the day, each at most once (unless ``force``); a failing job does not stop the
    others."""
    actor = actor or Actor.system("kmop daily")
    report = DailyReport(day=day)
    for job in daily_jobs() if jobs is None else jobs:
        run, why = _claim(job, day, force)
        if run is None:
            stdout.write(_("%(job)s: overgeslagen, %(why)s") % {"job": job.name, "why": why} + "\n")
            report.outcomes.append(JobOutcome(job.name, "skipped", why))
            continue
        started = time.monotonic()
        try:
            summary = job.run(JobContext(day=day, actor=actor, stdout=stdout)) or ""
        except Exception as e:
            message = str(e) if isinstance(e, JobFailed) else f"{type(e).__name__}: {e}"
            logger.exception("daily job %s failed for %s", job.name, day.isoformat())
            _finish(run, JobRun.Status.FAILED, "", message + "\n\n" + traceback.format_exc())
            stdout.write(_("%(job)s: MISLUKT: %(message)s") % {"job": job.name, "message": message} + "\n")
            report.outcomes.append(JobOutcome(job.name, "failed", message))
            continue
        _finish(run, JobRun.Status.SUCCEEDED, summary)
        stdout.write(
            _("%(job)s: klaar in %(seconds).1f s: %(summary)s")
            % {"job": job.name, "seconds": time.monotonic() - started, "summary": summary}
            + "\n"
        )
        report.outcomes.append(JobOutcome(job.name, "succeeded", summary))
    return report
