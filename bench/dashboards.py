"""The back office's dashboards (issue 6 §4) at national scale: 1.5 M projects since 1 April 2016.

Data: the providers' portal benchmark's synthetic database (``bench/portal_data.py``, reused, not copied) in
this benchmark's own database (``BENCH_DASHBOARDS_DATABASE_URL``, default ``<bench database>_dashboards``),
then spread for the dashboards' groups in one transaction (``spread``): themes and size classes over the
projects, a registered office (KBO ``REGO`` address, a real postcode of ``registers.Postcode``) for every
enterprise, the year budgets and size classes of every enterprise-year with projects (the cap by size class,
what its projects hold), registrations' statuses spread. Then the daily job's summary of every closed day
(``refresh_project_stats``, timed: the first run after an upgrade). Reused while it holds that population.

Measured in this process (Django on the database, no HTTP: the page's work is its queries and its rendering),
``--runs`` times each, alternated with the floors:

- each dashboard's figures of this year (summary of closed days + today live) and of last year (summary only):
  applications per month/service/theme/size/province (one query on the summary, one live), budget use,
  registrations by status;
- the whole page: every dataset, its SVG charts and the template;
- for comparison: the project figures of this year counted live from the projects (no summary);
- floors: ``SELECT 1`` (a round trip) and ``SELECT count(*) FROM providers_registration`` (a count over an
  indexed table, an index-only scan).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import psycopg

from bench import portal_data
from bench.common import (
    KMOP,
    VAR,
    ensure_database,
    kmop_env,
    machine_description,
    run_measured,
    sibling_url,
    write_report,
)
from bench.iam_common import django_setup, percentile

MARK = "bench.dashboards.spread"
RUNS = 30
#: applications of today: a busy day (the daily average is about 600)
TODAY_PROJECTS = 2000
TARGET_MS = 300.0


def dashboards_url() -> str:
    url = os.environ.get("BENCH_DASHBOARDS_DATABASE_URL")
    if url:
        return url
    return sibling_url("dashboards")


SPREAD_SQL = """
UPDATE projects_project SET
    theme = (ARRAY['bedrijfsstrategie', 'digitalisering', 'duurzaamheid', 'financiele-geletterdheid',
                   'innovatie', 'internationalisering', 'personeelsmanagement',
                   'beroepsspecifieke-competenties', ''])[1 + (id * 7) % 9],
    size_class = CASE WHEN organisation_id % 4 = 0 THEN 'MO' ELSE 'KO' END,
    budget_held = CASE WHEN status = 'ProjectGeannuleerd' THEN 0 ELSE subsidy END;

INSERT INTO registers_address (entity_number, type_of_address, zipcode, municipality_nl, country_nl)
SELECT o.code, 'REGO', pc.code, pc.municipality_nl, NULL
FROM idm_organisation o
JOIN (SELECT row_number() OVER (ORDER BY code, refnis) AS n, code, municipality_nl FROM registers_postcode) pc
  ON pc.n = 1 + (o.id * 7919) % (SELECT count(*) FROM registers_postcode)
WHERE o.id <= {enterprises} AND o.id % 50 <> 0;

INSERT INTO projects_sizeclassyear (organisation_id, year, size_class, confirmed_at, locked_at)
SELECT organisation_id, extract(year FROM application_date)::int, min(size_class), now(), now()
FROM projects_project GROUP BY 1, 2;

INSERT INTO projects_yearbudget (organisation_id, year, cap, used)
SELECT organisation_id, y, greatest(cap, used), used FROM (
    SELECT organisation_id, extract(year FROM application_date)::int AS y,
           CASE WHEN min(size_class) = 'MO' THEN 15000 ELSE 7500 END AS cap, sum(budget_held) AS used
    FROM projects_project GROUP BY 1, 2) b;

UPDATE providers_registration SET status =
    (ARRAY['G', 'G', 'G', 'G', 'G/V', 'A', 'N', 'L', 'L/H', 'S', 'U', 'T'])[1 + (id * 13) % 12]
WHERE status = 'G';
UPDATE providers_registration SET valid_from = NULL, valid_until = NULL WHERE status IN ('A', 'N');
"""


def spread(url: str) -> dict[str, Any]:
    """Spread the synthetic projects over the dashboards' groups (once; marked in the audit)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT after FROM audit_auditevent WHERE action = %s ORDER BY id DESC LIMIT 1", [MARK]
        ).fetchone()
        if row:
            return {**dict(row[0]), "how": "reused"}
    start = time.perf_counter()
    with psycopg.connect(url) as conn:
        conn.execute("SET LOCAL synchronous_commit = off")
        for statement in (
            s.strip() for s in SPREAD_SQL.format(enterprises=portal_data.ENTERPRISES).split(";\n")
        ):
            if statement:
                conn.execute(statement)
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # type: ignore[index]
            for table in (
                "projects_project",
                "registers_address",
                "projects_yearbudget",
                "providers_registration",
            )
        }
        conn.execute(
            "INSERT INTO audit_auditevent (actor_label, organisation_code, acr, action, object_type, "
            "object_id, after, reason, at) VALUES ('bench', '', '', %s, '', '', %s, 'bench', now())",
            [MARK, psycopg.types.json.Jsonb(counts)],
        )
    with psycopg.connect(url, autocommit=True) as conn:
        for table in (
            "projects_project",
            "registers_address",
            "projects_yearbudget",
            "projects_sizeclassyear",
        ):
            conn.execute(f"VACUUM ANALYZE {table}")
    return {**counts, "how": f"spread in {time.perf_counter() - start:.0f} s"}


def todays_applications(url: str, today: date, wanted: int) -> date | None:
    """Give today ``wanted`` applications (a busy day; the synthetic data spreads 1.5 M projects evenly, about
    385 a day, and has one today): the newest projects of this year are moved to today. Returns the first
    day they came from (its summary is stale), ``None`` when today has them already."""
    with psycopg.connect(url) as conn:
        have = conn.execute(
            "SELECT count(*) FROM projects_project WHERE application_date = %s", [today]
        ).fetchone()[0]  # type: ignore[index]
        if have >= wanted:
            return None
        row = conn.execute(
            "WITH moved AS (SELECT id, application_date FROM projects_project WHERE application_date < %s "
            "AND application_date >= %s ORDER BY id DESC LIMIT %s), "
            "upd AS (UPDATE projects_project p SET application_date = %s, start_date = %s FROM moved "
            "WHERE p.id = moved.id) SELECT min(application_date) FROM moved",
            [today, date(today.year, 1, 1), wanted - have, today, today],
        ).fetchone()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE projects_project")
    return row[0] if row else None


def _time(
    fn: Callable[[], Any], runs: int, floors: list[Callable[[], Any]], floor_times: list[list[float]]
) -> list[float]:
    seconds = []
    for _ in range(runs):
        for floor, times in zip(floors, floor_times, strict=True):
            start = time.perf_counter()
            floor()
            times.append(time.perf_counter() - start)
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds


def _ms(values: list[float]) -> tuple[float, float]:
    return statistics.median(values) * 1000, percentile(values, 95) * 1000


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--projects", type=int, default=portal_data.PROJECTS)
    parser.add_argument(
        "--today", type=int, default=TODAY_PROJECTS, help="applications of today (counted live by the page)"
    )
    parser.add_argument(
        "--large", type=int, default=portal_data.LARGE, help="the portal data's large provider (unused here)"
    )
    args = parser.parse_args(argv)
    url = dashboards_url()
    # the machine's description asks the bench database: this one when no other is named
    os.environ.setdefault("BENCH_DATABASE_URL", url)
    ensure_database(url)
    machine = machine_description()
    env = kmop_env(url)
    run_measured([KMOP, "migrate", "--no-input", "-v0"], env)
    os.environ["KMOP_DB_POOL"] = "false"
    django_setup(url, str(VAR))
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test import RequestFactory
    from django.utils import timezone

    from kmop.backoffice import charts, dashboards
    from kmop.backoffice.models import DailyProjectStat, ProjectStatCoverage
    from kmop.backoffice.views_dashboards import YearForm, _display

    today = timezone.localdate()
    data = portal_data.synthetic(url, args.large, today, args.projects)
    spread_info = spread(url)
    yesterday = today - timedelta(days=1)
    moved_from = todays_applications(url, today, args.today)
    coverage = ProjectStatCoverage.objects.filter(pk=1).first()
    refresh = "reused"
    if coverage is None or coverage.until != yesterday:
        ProjectStatCoverage.objects.all().delete()
        DailyProjectStat.objects.all().delete()
        start = time.perf_counter()
        result = dashboards.refresh_project_stats(through=yesterday)
        refresh = (
            f"{time.perf_counter() - start:.0f} s: {result.days:,} days, {result.projects:,} projects, "
            f"{result.rows:,} summary rows"
        )
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE backoffice_dailyprojectstat")
    if moved_from is not None and moved_from <= yesterday and refresh == "reused":
        # the moved projects' days were summarised with them: again without them
        dashboards.refresh_project_stats(through=yesterday, since=moved_from)
    start = time.perf_counter()
    one_day = dashboards.refresh_project_stats(through=yesterday, since=yesterday)
    one_day_s = time.perf_counter() - start
    start = time.perf_counter()
    all_years = dashboards.snapshot_budgets(None)
    snapshot_all_s = time.perf_counter() - start
    start = time.perf_counter()
    dashboards.snapshot_budgets({today.year, yesterday.year})
    snapshot_daily_s = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM projects_project")
        projects = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM projects_project WHERE application_date = %s", [today])
        today_count = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM backoffice_dailyprojectstat")
        summary_rows = cursor.fetchone()[0]

    def select_1() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    def indexed_count() -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM providers_registration")
            cursor.fetchone()

    request = RequestFactory().get("/backoffice/dashboards/")

    def page(year: int) -> Callable[[], str]:
        def run() -> str:
            sets = dashboards.datasets(year)
            form = YearForm({"jaar": str(year)}, years=list(range(today.year, 2015, -1)))
            form.is_valid()
            return render_to_string(
                "backoffice/dashboards/index.html",
                {
                    "backoffice_nav": [],
                    "may_act": True,
                    "form": form,
                    "year": year,
                    "coverage": ProjectStatCoverage.objects.filter(pk=1).first(),
                    "panels": [
                        {
                            "dataset": d,
                            "charts": charts.render_all(d),
                            "head": [str(c.heading) for c in d.columns],
                            "rows": [_display(d, r) for r in d.rows],
                            "footer": _display(d, d.footer) if d.footer else None,
                        }
                        for d in sets.values()
                    ],
                },
                request=request,
            )

        return run

    def first_view(year: int) -> Callable[[], str]:
        def run() -> str:
            dashboards.clear_live_provinces()
            return page(year)()

        return run

    def live_only(year: int) -> Callable[[], Any]:
        def run() -> Any:
            return dashboards._project_groups(date(year, 1, 1), today)

        return run

    cases: list[tuple[str, Callable[[], Any], int]] = [
        (
            f"applications per month/service/theme/size/province, {today.year} (summary + today live)",
            lambda: dashboards.year_figures(today.year),
            args.runs,
        ),
        (
            f"applications per month/service/theme/size/province, {today.year - 1} (summary)",
            lambda: dashboards.year_figures(today.year - 1),
            args.runs,
        ),
        (
            f"budget use, {today.year} (the daily job's snapshot)",
            lambda: dashboards.budget_use(today.year),
            args.runs,
        ),
        ("registrations by status (live)", dashboards.registrations_by_status, args.runs),
        (f"whole page, {today.year}: every dataset, SVG, template", page(today.year), args.runs),
        (
            f"whole page, {today.year}, the first view of the day (today's provinces looked up)",
            first_view(today.year),
            max(3, args.runs // 3),
        ),
        (f"whole page, {today.year - 1}", page(today.year - 1), args.runs),
        (f"for comparison: {today.year}'s applications counted live (no summary)", live_only(today.year), 3),
        (
            f"for comparison: budget use of {today.year} counted live",
            lambda: dashboards.budget_use_live(today.year),
            5,
        ),
    ]
    floor_names = ["`SELECT 1`", "`count(*)` of providers_registration (index-only)"]
    floor_times: list[list[float]] = [[], []]
    results = []
    for name, fn, runs in cases:
        fn()  # warm
        results.append((name, runs, _ms(_time(fn, runs, [select_1, indexed_count], floor_times))))
    floors = [_ms(times) for times in floor_times]
    lines = [
        "## Back office dashboards (issue 6)",
        "",
        f"Machine: {machine}",
        "",
        f"- Data: {projects:,} projects ({today_count:,} today), {data['how']} "
        f"({data.get('seconds', 0):.0f} s); "
        f"spread: {spread_info.get('how')}; summary of closed days: {refresh}; "
        f"{summary_rows:,} summary rows; one day again: {one_day_s * 1000:.0f} ms ({one_day.rows} rows); "
        f"snapshot of the year budgets: {len(all_years)} years {snapshot_all_s:.1f} s, the daily job's two "
        f"years {snapshot_daily_s:.1f} s.",
        "",
        "| what | runs | median | p95 | p95 / floor p95 (SELECT 1) | p95 / floor p95 (count) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, (median, p95) in zip(floor_names, floors, strict=True):
        lines.append(f"| floor: {name} | {len(floor_times[0])} | {median:.2f} ms | {p95:.2f} ms | | |")
    for name, runs, (median, p95) in results:
        lines.append(
            f"| {name} | {runs} | {median:.1f} ms | {p95:.1f} ms | {p95 / floors[0][1]:.0f}× | "
            f"{p95 / floors[1][1]:.1f}× |"
        )
    page_p95 = max(p95 for name, _runs, (_m, p95) in results if name.startswith("whole page"))
    lines += [
        "",
        f"Target: the page under {TARGET_MS:.0f} ms — p95 {page_p95:.0f} ms: "
        f"**{'met' if page_p95 < TARGET_MS else 'not met'}**.",
    ]
    text = "\n".join(lines) + "\n"
    write_report("dashboards", text)
    return text


if __name__ == "__main__":
    print(main())
