"""The back office's daily jobs for ``kmop daily``: for the dashboards, the summary of closed days
(``dashboards.refresh_project_stats``: every day after the summary's last day up to the day before the job's
day; today's applications are counted live by the dashboards) and the snapshot of the year budgets
(``dashboards.snapshot_budgets``); for the work queues, the end of the assignments of items that left their
queue another way (``assignments.clear_finished``)."""

from __future__ import annotations

from datetime import timedelta

from kmop.backoffice.assignments import clear_finished
from kmop.backoffice.dashboards import refresh_project_stats, snapshot_budgets
from kmop.backoffice.models import YearBudgetStat
from kmop.jobs.registry import DailyJob, JobContext


def _project_stats(ctx: JobContext) -> str:
    result = refresh_project_stats(through=ctx.day - timedelta(days=1))
    if result.first is None:
        return "niets samen te vatten"
    return (
        f"{result.days} dag(en) samengevat ({result.first:%d/%m/%Y}–{result.last:%d/%m/%Y}): "
        f"{result.projects} aanvragen in {result.rows} rij(en)"
    )


def _budget_stats(ctx: JobContext) -> str:
    """The year budgets of the job's day's year and of the day before's (on 1 January: last year's final
    figures; a year's budgets change no more after it); every year at the first run."""
    first_run = not YearBudgetStat.objects.exists()
    years = snapshot_budgets(None if first_run else {ctx.day.year, (ctx.day - timedelta(days=1)).year})
    return f"jaarbudgetten van {', '.join(str(y) for y in years) or 'geen enkel jaar'}"


def _assignments(ctx: JobContext) -> str:
    return f"{clear_finished()} toewijzing(en) van behandelde items beëindigd"


JOBS = [
    DailyJob(
        "backoffice.project_stats",
        _project_stats,
        "Dagtotalen van de aanvragen voor de dashboards (de afgesloten dagen)",
    ),
    DailyJob(
        "backoffice.budget_stats",
        _budget_stats,
        "Stand van de jaarbudgetten per jaar en ondernemingsgrootte voor de dashboards",
    ),
    DailyJob(
        "backoffice.assignments",
        _assignments,
        "Toewijzingen beëindigen van items die hun werklijst op een andere manier verlieten",
        catch_up=False,  # the queues as they are now: a missed day has nothing of its own
    ),
]
