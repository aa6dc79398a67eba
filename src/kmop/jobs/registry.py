"""The daily jobs: every installed app may define ``JOBS`` (a list of ``DailyJob``) in
``<app>/daily_jobs.py``, as the seed steps in ``<app>/seed_steps.py``. ``kmop daily`` runs them all, once
per job per day, and catches up by itself on the days it missed (``catch_up``): each job runs for every day
since the last day it succeeded for, in day order, at most ``MAX_CATCH_UP_DAYS`` days back.

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
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kmop.audit.services import Actor
from kmop.jobs.models import JobRun

logger = logging.getLogger(__name__)

#: a run still marked "running" after this long is taken for a crashed one and may be run again
STALE_AFTER = timedelta(hours=6)
#: ``kmop daily`` without a date catches up on at most this many days per job (today included)
MAX_CATCH_UP_DAYS = 31


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
    #: False: after missed days the job runs for today only (for a job whose past days make no sense)
    catch_up: bool = True


@dataclass
class JobOutcome:
    job: str
    status: str  # "succeeded", "failed", "skipped"
    message: str
    day: date | None = None


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


def _run_one(
    job: DailyJob, day: date, *, force: bool, actor: Actor, stdout: Writer, show_day: bool = False
) -> JobOutcome:
    """Claim the job for the day, run it and record the outcome (a failure is recorded, never raised)."""
    prefix = f"{day:%d/%m/%Y} " if show_day else ""
    run, why = _claim(job, day, force)
    if run is None:
        stdout.write(prefix + _("%(job)s: overgeslagen, %(why)s") % {"job": job.name, "why": why} + "\n")
        return JobOutcome(job.name, "skipped", why, day)
    started = time.monotonic()
    try:
        summary = job.run(JobContext(day=day, actor=actor, stdout=stdout)) or ""
    except Exception as e:
        message = str(e) if isinstance(e, JobFailed) else f"{type(e).__name__}: {e}"
        logger.exception("daily job %s failed for %s", job.name, day.isoformat())
        _finish(run, JobRun.Status.FAILED, "", message + "\n\n" + traceback.format_exc())
        stdout.write(
            prefix + _("%(job)s: MISLUKT: %(message)s") % {"job": job.name, "message": message} + "\n"
        )
        return JobOutcome(job.name, "failed", message, day)
    _finish(run, JobRun.Status.SUCCEEDED, summary)
    stdout.write(
        prefix
        + _("%(job)s: klaar in %(seconds).1f s: %(summary)s")
        % {"job": job.name, "seconds": time.monotonic() - started, "summary": summary}
        + "\n"
    )
    return JobOutcome(job.name, "succeeded", summary, day)


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
        report.outcomes.append(_run_one(job, day, force=force, actor=actor, stdout=stdout))
    return report


@dataclass(frozen=True)
class CatchUpPlan:
    """The days one job is due for: ``days`` in order (today last), ``missed`` how many earlier days were
    left out by the cap (0: none)."""

    job: DailyJob
    days: list[date]
    missed: int = 0


def catch_up_plan(
    jobs: Sequence[DailyJob], today: date, *, max_days: int = MAX_CATCH_UP_DAYS
) -> list[CatchUpPlan]:
    """Per job, the days from the day after its last succeeded day (``jobs_jobrun``) up to today; a job that
    never succeeded starts at its first recorded (failed) day, a job never run at today. At most ``max_days``
    days, the latest ones: ``missed`` counts those left out. One query for all jobs."""
    if max_days < 1:
        raise ValueError("max_days must be at least 1")
    names = [job.name for job in jobs]
    last_succeeded = dict(
        JobRun.objects.filter(job__in=names, status=JobRun.Status.SUCCEEDED, day__lte=today)
        .values("job")
        .annotate(last=models.Max("day"))
        .values_list("job", "last")
    )
    first_recorded = dict(
        JobRun.objects.filter(job__in=names, day__lte=today)
        .exclude(status=JobRun.Status.SUCCEEDED)
        .values("job")
        .annotate(first=models.Min("day"))
        .values_list("job", "first")
    )
    plans = []
    for job in jobs:
        last = last_succeeded.get(job.name)
        if not job.catch_up:
            start = today
        elif last is not None:
            start = min(last + timedelta(days=1), today)
        else:
            start = first_recorded.get(job.name, today)
        due = (today - start).days + 1
        if due > max_days:
            start = today - timedelta(days=max_days - 1)
        days = [start + timedelta(days=n) for n in range((today - start).days + 1)]
        plans.append(CatchUpPlan(job, days, max(due - max_days, 0)))
    return plans


def catch_up(
    today: date,
    *,
    stdout: Writer,
    jobs: Sequence[DailyJob] | None = None,
    force: bool = False,
    actor: Actor | None = None,
    max_days: int = MAX_CATCH_UP_DAYS,
) -> DailyReport:
    """What ``kmop daily`` without a date does: run each job for every day it is due (``catch_up_plan``),
    day by day (on each day the jobs in their registry order), each (job, day) at most once. A job that fails
    on a day (or is still running elsewhere) is not run for the later days: the next call starts again at
    that day. ``force`` reruns today's runs that already succeeded, never the earlier days'."""
    actor = actor or Actor.system("kmop daily")
    plans = catch_up_plan(daily_jobs() if jobs is None else jobs, today, max_days=max_days)
    for plan in plans:
        if plan.missed:
            stdout.write(
                _(
                    "%(job)s: %(missed)d eerdere dag(en) gemist vóór %(start)s; enkel de laatste "
                    "%(max)d dagen worden ingehaald. Voer de vroegere dagen zo nodig uit met --date."
                )
                % {
                    "job": plan.job.name,
                    "missed": plan.missed,
                    "start": plan.days[0].strftime("%d/%m/%Y"),
                    "max": max_days,
                }
                + "\n"
            )
    report = DailyReport(day=today)
    show_day = any(len(plan.days) > 1 for plan in plans)
    stopped: set[str] = set()
    for day in sorted({day for plan in plans for day in plan.days}):
        for plan in plans:
            if day not in plan.days or plan.job.name in stopped:
                continue
            outcome = _run_one(
                plan.job, day, force=force and day == today, actor=actor, stdout=stdout, show_day=show_day
            )
            report.outcomes.append(outcome)
            if outcome.status == "failed" or (
                outcome.status == "skipped" and day != today and not _succeeded(plan.job, day)
            ):
                stopped.add(plan.job.name)
    return report


def _succeeded(job: DailyJob, day: date) -> bool:
    return JobRun.objects.filter(job=job.name, day=day, status=JobRun.Status.SUCCEEDED).exists()
