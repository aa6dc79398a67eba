"""``kmop daily`` at national scale on PostgreSQL (issue 6): every registered daily job for one day, timed per
job and in total, on an ordinary day (tomorrow) and on the year end (1 January of next year: every open
project of last year closes, every deposit deadline before it has passed), against a floor of the same run.

Data: the projects benchmark's database and builder (``bench/projects.py``: ``kmop seed --scale N``, reused
while it holds that scale; N = 2,000,000 is the national volume, about 1.5 M projects of 60,000 applicants,
the IDM population with its rights, the providers and the wallet ledger), plus ``--outbox`` delivered outbox
messages of the last ``--outbox-days`` days (about 3,000 a day, bodies of a real mail's size) for the
retention job, added once.

Each day's run is ``kmop.jobs.registry.run_daily`` (what ``kmop daily --date D --force`` runs, its
bookkeeping in ``jobs_jobrun`` included) in one transaction rolled back afterwards, so every run does the same
work. Floor: the same day's work as bare set-based statements, each rolled back: the reminders' selection of
the due grants (``bench/iam.py``'s ``REMINDER_FLOOR_SQL``), the projects' status changes
(``bench/projects.py``'s ``DEADLINE_FLOOR``/``CLOSE_FLOOR``) and one ``UPDATE`` emptying the outbox bodies
past the retention.
Target: under 60 s a day.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO
from typing import Any

import psycopg

from bench.common import VAR, ensure_database, kmop_env, write_report
from bench.iam import REMINDER_FLOOR_SQL
from bench.iam_common import django_setup
from bench.projects import CLOSE_FLOOR, DEADLINE_FLOOR, DEFAULT_SCALE, machine, prepare, projects_url

TARGET_SECONDS = 60.0
OUTBOX_MARK = "bench-daily@outbox.invalid"
BASE_URL = "https://kmo-portefeuille.example"
RETENTION_FLOOR = (
    "UPDATE notifications_outboxmessage SET body_text = '', body_html = '', context = NULL, envelope = NULL, "
    "purged_at = now() WHERE purged_at IS NULL AND state IN ('sent', 'stored', 'failed') AND created_at < %s"
)


def add_outbox(url: str, count: int, days: int) -> str:
    """``count`` sent messages spread over the last ``days`` days (once; reused after)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM notifications_outboxmessage WHERE sender = %s", [OUTBOX_MARK]
        ).fetchone()
        have = int(row[0]) if row else 0
        if have >= count:
            return f"{have:,} outbox messages reused"
        start = time.perf_counter()
        conn.execute(
            "INSERT INTO notifications_outboxmessage (channel, recipient, sender, subject, body_text, "
            "body_html, template, context, envelope, language, created_at, state, attempts, next_attempt_at, "
            "claimed_at, claimed_by, sent_at, error) "
            "SELECT 'email', 'persoon' || n || '@example.org', %s, "
            "'Uw project KMO-' || n || ' werd ingediend', "
            "repeat('Beste ondernemer, uw project werd ingediend. ', 20), "
            "'<p>' || repeat('Beste ondernemer, uw project werd ingediend. ', 20) || '</p>', '', NULL, NULL, "
            "'nl', t, 'sent', 1, NULL, t, 'bench', t, '' "
            "FROM (SELECT n, now() - (n::float8 / %s * %s) * interval '1 day' AS t "
            "FROM generate_series(1, %s) AS n) AS s",
            [OUTBOX_MARK, count - have, days, count - have],
        )
        conn.execute("ANALYZE notifications_outboxmessage")
    return f"{count - have:,} outbox messages added in {time.perf_counter() - start:.0f} s"


def _timed(job: Any, seconds: dict[str, float]) -> Any:
    from kmop.jobs.registry import DailyJob

    run: Callable[[Any], str] = job.run

    def timed(ctx: Any) -> str:
        from django.db import transaction

        start = time.perf_counter()
        try:
            with transaction.atomic():  # a savepoint: a failing job leaves the day's transaction usable
                return run(ctx)
        finally:
            seconds[job.name] = time.perf_counter() - start

    return DailyJob(job.name, timed, job.description, job.catch_up)


def run_day(day: date, *, keep_days: int, rollback: bool = True) -> dict[str, Any]:
    """``run_daily`` for the day (in a rolled-back transaction unless ``rollback`` is false) with
    ``KMOP_OUTBOX_RETENTION_DAYS = keep_days``: seconds per job, total, outcomes."""
    from django.db import transaction
    from django.test.utils import override_settings

    from kmop.jobs.registry import daily_jobs, run_daily

    seconds: dict[str, float] = {}
    jobs = [_timed(job, seconds) for job in daily_jobs()]
    out = StringIO()
    with override_settings(KMOP_OUTBOX_RETENTION_DAYS=keep_days), transaction.atomic():
        start = time.perf_counter()
        report = run_daily(day, stdout=out, jobs=jobs, force=rollback)
        total = time.perf_counter() - start
        transaction.set_rollback(rollback)
    failed = [f"{o.job}: {o.message}" for o in report.failed]
    if failed:
        raise SystemExit(f"kmop daily failed for {day}: " + "; ".join(failed))
    return {
        "day": day,
        "total": total,
        "jobs": [(o.job, seconds.get(o.job, 0.0), o.message) for o in report.outcomes],
    }


def floor(day: date) -> dict[str, float]:
    """The day's work as bare statements, each rolled back."""
    from django.db import connection, transaction

    from kmop.idm.reminders import moment_of
    from kmop.notifications.retention import cutoff

    steps: dict[str, tuple[str, Any]] = {
        "reminders: select the due grants": (
            REMINDER_FLOOR_SQL,
            {"day": day, "last": day + timedelta(days=10), "at": moment_of(day)},
        ),
        "projects: deposit deadline UPDATE": (DEADLINE_FLOOR, [day]),
        "projects: close UPDATE": (CLOSE_FLOOR, [date(day.year - 1, 1, 1)]),
        "outbox: empty the bodies UPDATE": (RETENTION_FLOOR, [cutoff(day)]),
    }
    result: dict[str, float] = {}
    for name, (query, params) in steps.items():
        with transaction.atomic(), connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(query, params)
            if cursor.description:
                cursor.fetchall()
            result[name] = time.perf_counter() - start
            transaction.set_rollback(True)
    return result


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench daily", description=__doc__)
    parser.add_argument(
        "--scale", type=int, default=int(os.environ.get("BENCH_PROJECTS_SCALE", DEFAULT_SCALE))
    )
    parser.add_argument("--outbox", type=int, default=300_000, help="delivered outbox messages")
    parser.add_argument("--outbox-days", type=int, default=100, help="spread over this many days")
    args = parser.parse_args(argv)
    url = projects_url()
    ensure_database(url)
    env = kmop_env(url)
    env["KMOP_LOG_LEVEL"] = "WARNING"
    data = prepare(url, args.scale, env)
    outbox = add_outbox(url, args.outbox, args.outbox_days)
    os.environ["KMOP_DB_POOL"] = "false"
    os.environ["KMOP_BASE_URL"] = BASE_URL
    django_setup(url, str(VAR))
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import override_settings
    from django.utils import timezone

    from kmop.projects.models import Project

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")  # the runs before were rolled back: no dead rows measured
    projects = Project.objects.count()
    today = timezone.localdate()
    # today's run, committed, as the nightly timer would have done (once per database: the back office's
    # statistics summarise every day since 2016 on their first run); its retention purges the oldest day of
    # the outbox messages, and each measured day's the next day of them (about 3,000), as on a real night
    oldest = args.outbox_days - 1
    first = run_day(today, keep_days=oldest, rollback=False)
    days = [today + timedelta(days=1), date(today.year + 1, 1, 1)]
    runs = []
    for day in days:
        keep = (day - today).days + oldest - 1
        with override_settings(KMOP_OUTBOX_RETENTION_DAYS=keep):
            floors = floor(day)
        run = run_day(day, keep_days=keep)
        run["floor"] = floors
        runs.append(run)
    call_command("check", verbosity=0)
    lines = [
        f"## `kmop daily` at scale (issue 6): {projects:,} projects (`kmop seed --scale {args.scale}`)",
        "",
        machine(),
        "",
        f"Data: {data}; {outbox}. Each day: `run_daily(day, force=True)` in a transaction rolled back after,",
        "each job in a savepoint; the outbox retention set so that one day of messages (about 3,000) is due.",
        "",
        f"Today ({today:%d/%m/%Y}), committed before the measured days: {first['total']:.2f} s "
        + "("
        + ", ".join(f"`{name}` {seconds:.2f} s" for name, seconds, _ in first["jobs"])
        + ").",
        "",
    ]
    for run in runs:
        floor_total = sum(run["floor"].values())
        lines += [
            f"### {run['day']:%d/%m/%Y}: **{run['total']:.2f} s** (floor {floor_total:.2f} s, "
            f"ratio {run['total'] / floor_total:.1f}×)",
            "",
            "| job | seconds | summary |",
            "|---|---:|---|",
            *[f"| `{name}` | {seconds:.2f} | {summary} |" for name, seconds, summary in run["jobs"]],
            f"| **total** (with the bookkeeping) | **{run['total']:.2f}** | |",
            "",
            "| floor step | seconds |",
            "|---|---:|",
            *[f"| {name} | {seconds:.2f} |" for name, seconds in run["floor"].items()],
            "",
        ]
    worst = max(run["total"] for run in runs)
    met = "met" if worst < TARGET_SECONDS else "NOT met"
    lines.append(f"Target: every day under {TARGET_SECONDS:.0f} s → {met} (worst {worst:.1f} s)")
    text = "\n".join(lines) + "\n"
    write_report("daily", text)
    return text
