"""The back office's daily job for ``kmop daily``: the dashboards' summary of closed days
(``dashboards.refresh_project_stats``): every day after the summary's last day up to the day before the
job's day; today's applications are counted live by the dashboards."""

from __future__ import annotations

from datetime import timedelta

from kmop.backoffice.dashboards import refresh_project_stats
from kmop.jobs.registry import DailyJob, JobContext


def _project_stats(ctx: JobContext) -> str:
    result = refresh_project_stats(through=ctx.day - timedelta(days=1))
    if result.first is None:
        return "niets samen te vatten"
    return (
        f"{result.days} dag(en) samengevat ({result.first:%d/%m/%Y}–{result.last:%d/%m/%Y}): "
        f"{result.projects} aanvragen in {result.rows} rij(en)"
    )


JOBS = [
    DailyJob(
        "backoffice.project_stats",
        _project_stats,
        "Dagtotalen van de aanvragen voor de dashboards (de afgesloten dagen)",
    )
]
