"""The providers' portal on PostgreSQL at the real volume (issue 5): the project overview of one large
provider (50,000 projects in the last two calendar years among 1.5 M) under 16 concurrent clients with every
filter combination, against a floor of the same run, and the CSV export of its 50,000 rows.

Data (``bench/portal_data.py``): the projects benchmark's database (``BENCH_PROJECTS_DATABASE_URL``, ``kmop
seed --scale 2000000``) when it exists and holds projects, one provider given ``--large`` projects of the last
two years; else (or with ``--synthetic``) a database of its own (``BENCH_PORTAL_DATABASE_URL``, default
``<bench database>_portal``) filled set-based: 20,000 providers, 60,000 enterprises, 1.5 M projects since
2016, of which ``--large`` scattered through the last two years belong to provider 1. Both reused.

- **overview**: ``/dienstverlener/projecten/`` over HTTP (gunicorn, 4 sync workers, the pool, as
  ``bench/iam.py``), ``--clients`` clients at once, each with its own session of the large provider's own
  login, taking in turn every URL of ``FILTERS`` (no filter, each filter alone, combinations, each sort, all
  years, a deep page); floor: ``/health/`` with the same clients and sessions, alternated with the page. Then
  each URL alone, in-process (the test client, one at a time): median, statements, the count shown.
- **CSV export**: the large provider's 50,000 rows of the last two years, over HTTP (one client, the whole
  file read) and in-process with ``tracemalloc`` (the peak of Python's allocations while the response is
  streamed) for 5,000 and 50,000 rows: flat memory means the same peak for both; the server's peak RSS is
  read from ``/proc`` of the gunicorn workers before and after. The Excel export is timed too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
import tracemalloc
from datetime import date
from typing import Any
from urllib.parse import urlencode

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
    stop_server,
    write_report,
)
from bench.iam import GUNICORN_WORKERS, gunicorn_command
from bench.iam_common import (
    HttpClient,
    Load,
    QueryCounter,
    django_setup,
    explain,
    free_port,
    http_load,
    http_load_wrk,
    wait_for_server,
    wrk_path,
)

OVERVIEW = "/dienstverlener/projecten/"
EXPORT = "/dienstverlener/projecten/export/"
SECONDS = 10.0


def filters(today: date) -> list[dict[str, str]]:
    """The filter combinations taken in turn: none, each column's filter alone, combinations, each sort."""
    month = f"{today.month:02d}/{today.year}"
    return [
        {},
        {"nummer": "KMO0001"},
        {"onderneming": "Bakkerij"},
        {"onderneming": "Onderneming 1234"},
        {"datum": month},
        {"datum": f"{today.year - 1}"},
        {"bedrag": "728"},
        {"dienst": "advies"},
        {"status": "Lopend"},
        {"dienst": "opleiding", "status": "Bevestigd"},
        {"onderneming": "Bakkerij", "status": "Lopend", "dienst": "opleiding"},
        {"datum": month, "status": "Afgewerkt", "sorteer": "-bedrag"},
        {"nummer": f"{today.year}KMO", "bedrag": "1000", "dienst": "opleiding"},
        {"sorteer": "nummer"},
        {"sorteer": "-onderneming"},
        {"sorteer": "bedrag"},
        {"sorteer": "-status"},
        {"sorteer": "dienst"},
        {"periode": "alle"},
        {"periode": "alle", "status": "Gestopt", "sorteer": "-bedrag"},
        {"pagina": "40"},
        {"status": "Afgewerkt", "pagina": "100"},
    ]


def url_of(params: dict[str, str]) -> str:
    return OVERVIEW + ("?" + urlencode(params) if params else "")


def portal_url() -> str:
    """The projects benchmark's database when it exists with projects, else the portal's own."""
    from bench.projects import projects_url

    if not os.environ.get("BENCH_PORTAL_SYNTHETIC"):
        url = projects_url()
        try:
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT count(*) > 1000000 FROM projects_project").fetchone()
            if row and row[0]:
                return url
        except psycopg.Error:
            pass
    own = os.environ.get("BENCH_PORTAL_DATABASE_URL")
    if own:
        return own
    return sibling_url("portal")


def sessions(provider_id: int, count: int) -> list[str]:
    """``count`` sessions of the provider's own login (as after "Login dienstverleners")."""
    from django.contrib.sessions.backends.db import SessionStore
    from django.utils import timezone

    from kmop.portal import access
    from kmop.providers.models import Provider

    provider = Provider.objects.get(pk=provider_id)
    keys = []
    for _ in range(count):
        store = SessionStore()
        store[access.PROVIDER_ID] = provider.pk
        store[access.LOGIN_AT] = timezone.now().timestamp()
        store[access.PASSWORD_HASH] = access.password_fingerprint(provider)
        store.create()
        assert store.session_key is not None
        keys.append(store.session_key)
    return keys


def in_process(cookie: str, urls: list[str], repeats: int = 5) -> list[dict[str, Any]]:
    """Each URL alone through Django's test client: median time, statements, the sentence's count."""
    import re

    from django.conf import settings
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    out = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        with QueryCounter() as counted:
            client.get(url)
        seconds = []
        for _ in range(repeats):
            start = time.perf_counter()
            client.get(url)
            seconds.append(time.perf_counter() - start)
        text = response.content.decode()
        found = re.search(r"Er werden ((?:meer dan )?[\d.]+) \(waarvan (\d+) getoond\)", text)
        out.append(
            {
                "url": url,
                "median_ms": statistics.median(seconds) * 1000,
                "queries": counted.count,
                "found": found.group(1) if found else "?",
                "shown": found.group(2) if found else "?",
            }
        )
    return out


def plans(provider_id: int, combos: list[dict[str, str]]) -> list[tuple[str, str]]:
    """The page statement's plan root and execution time for a few combinations (EXPLAIN ANALYZE)."""
    from kmop.projects import provider_selectors as ps

    scope = ps.ProviderScope(provider_id=provider_id)
    out = []
    for combo in combos:
        f = ps.ProjectFilters.parse(combo)
        query = ps._page_query(scope.registration_ids(), f, ps.PER_PAGE + 1)
        sql, params = query.query.sql_with_params()
        lines = explain(sql, params)
        root = lines[0].split("(")[0].strip()
        execution = next((line for line in lines if line.startswith("Execution Time")), "")
        out.append((url_of(combo), f"{root}; {execution}"))
    return out


def _rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):  # the peak resident set of the process
                        total = max(total, int(line.split()[1]))
        except OSError:
            pass
    return total


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def export_in_process(cookie: str, params: dict[str, str]) -> dict[str, Any]:
    """The CSV streamed through the test client: timed, then again with ``tracemalloc`` on (the peak of
    Python's allocations while streaming; tracemalloc slows Python down, so that run is not timed)."""
    from django.conf import settings
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    path = EXPORT + "csv/" + ("?" + urlencode(params) if params else "")

    def stream() -> tuple[int, int]:
        response = client.get(path)
        size = rows = 0
        for chunk in response.streaming_content:  # type: ignore[attr-defined]
            size += len(chunk)
            rows += chunk.count(b"\r\n")
        return size, rows

    start = time.perf_counter()
    size, rows = stream()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    stream()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rows": rows - 1, "bytes": size, "seconds": seconds, "peak_mb": peak / 2**20}


def download(port: int, cookie: str, path: str) -> tuple[float, int, int]:
    start = time.perf_counter()
    status, body = HttpClient(port, cookie).get(path)
    seconds = time.perf_counter() - start
    assert status == 200, (path, status)
    return seconds, len(body), body.count(b"\r\n") - 1


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:,.0f} ms"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--large", type=int, default=portal_data.LARGE, help="the large provider's projects")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="seconds of each wrk run")
    parser.add_argument("--requests", type=int, default=640, help="requests per run without wrk")
    parser.add_argument("--synthetic", action="store_true", help="the portal's own synthetic database")
    parser.add_argument(
        "--projects", type=int, default=portal_data.PROJECTS, help="projects of the synthetic database"
    )
    parser.add_argument("--skip", action="append", default=[], choices=["overview", "export"])
    args = parser.parse_args(argv)
    if args.synthetic:
        os.environ["BENCH_PORTAL_SYNTHETIC"] = "1"
    url = portal_url()
    ensure_database(url)
    env = kmop_env(url)
    env["KMOP_LOG_LEVEL"] = "WARNING"
    run_measured([KMOP, "migrate", "--no-input", "-v0"], env)
    os.environ["KMOP_DB_POOL"] = "false"
    django_setup(url, str(VAR))
    from django.utils import timezone

    today = timezone.localdate()
    from bench.projects import projects_url

    if url == projects_url() and not args.synthetic:
        data = portal_data.reuse(url, args.large, today)
    else:
        data = portal_data.synthetic(url, args.large, today, args.projects)
    provider_id = int(data["provider_id"])
    with psycopg.connect(url) as conn:
        total = conn.execute("SELECT count(*) FROM projects_project").fetchone()[0]  # type: ignore[index]
        providers = conn.execute("SELECT count(*) FROM providers_provider").fetchone()[0]  # type: ignore[index]
        large = conn.execute(
            "SELECT count(*) FROM projects_project p JOIN providers_registration r "
            "ON r.id = p.registration_id WHERE r.provider_id = %s AND p.application_date >= %s",
            [provider_id, portal_data.first_of_window(today)],
        ).fetchone()[0]  # type: ignore[index]
    keys = sessions(provider_id, args.clients)
    combos = filters(today)
    urls = [url_of(c) for c in combos]

    from django.conf import settings

    cookies = [f"{settings.SESSION_COOKIE_NAME}={key}" for key in keys]
    singles = in_process(keys[0], urls)
    plan_lines = plans(
        provider_id, [{}, {"onderneming": "Bakkerij"}, {"sorteer": "nummer"}, {"bedrag": "728"}]
    )
    exports_in_process = (
        [
            export_in_process(keys[0], {"datum": f"{today.month:02d}/{today.year}"}),
            export_in_process(keys[0], {}),
        ]
        if "export" not in args.skip
        else []
    )

    port = free_port()
    server_env = kmop_env(url)
    server_env.update({"KMOP_DEBUG": "false", "KMOP_LOG_LEVEL": "WARNING", "KMOP_DB_POOL": "true"})
    server = subprocess.Popen(
        gunicorn_command(port), env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    loads: dict[str, Load] = {}
    http_exports: list[tuple[str, float, int, int]] = []
    rss_before = rss_after = 0
    try:
        wait_for_server(port)
        pool = [HttpClient(port, cookie) for cookie in cookies]
        http_load(pool, [*urls, "/health/"], len(pool) * 4)  # warm
        if "overview" not in args.skip:
            if wrk_path() is not None:
                runs: dict[str, list[Load]] = {"floor": [], "page": []}
                for _ in range(2):  # alternated
                    runs["floor"].append(http_load_wrk(port, cookies, ["/health/"], args.seconds))
                    runs["page"].append(http_load_wrk(port, cookies, urls, args.seconds))
                from bench.projects import _merged

                loads["floor"], loads["page"] = _merged(runs["floor"]), _merged(runs["page"])
                loads["alone_floor"] = http_load_wrk(port, cookies[:1], ["/health/"], args.seconds / 2)
                loads["alone_page"] = http_load_wrk(port, cookies[:1], urls, args.seconds / 2)
            else:
                floor = http_load(pool, ["/health/"], args.requests)
                page = http_load(pool, urls, args.requests)
                loads["floor"], loads["page"] = Load.of("threads", floor), Load.of("threads", page)
                loads["alone_floor"] = Load.of("threads", http_load(pool[:1], ["/health/"], 80))
                loads["alone_page"] = Load.of("threads", http_load(pool[:1], urls, 80))
        if "export" not in args.skip:
            workers = _children(server.pid)
            rss_before = _rss_kb(workers)
            for fmt, params in (("csv", {}), ("csv", {"periode": "alle"}), ("xlsx", {})):
                path = EXPORT + f"{fmt}/" + ("?" + urlencode(params) if params else "")
                seconds, size, rows = download(port, cookies[0], path)
                http_exports.append((path, seconds, size, rows))
            rss_after = _rss_kb(workers)
    finally:
        stop_server(server)

    machine = machine_description(url)
    lines = [
        f"## Providers' portal: project overview and export ({total:,} projects, {providers:,} providers)",
        "",
        f"Machine: {machine}",
        "",
        f"Data: {data['how']} ({data.get('seconds', 0):.0f} s); the large provider (id {provider_id}) has "
        f"{large:,} projects since {portal_data.first_of_window(today):%d/%m/%Y}.",
        "",
    ]
    if loads:
        ratio = loads["page"].p95_ms / loads["floor"].p95_ms if loads["floor"].p95_ms else 0.0
        lines += [
            "### Overzicht projecten",
            "",
            f"gunicorn on 127.0.0.1 ({GUNICORN_WORKERS} sync workers, the pool), {len(cookies)} clients at "
            f"once, each its own session of the large provider's login, taking the {len(urls)} URLs below in "
            "turn; "
            f"load generator {loads['page'].tool}"
            + (f" (two alternated runs of {args.seconds:g} s)" if loads["page"].tool == "wrk" else "")
            + "; the floor `/health/` on the same server with the same sessions.",
            "",
            "| measurement | requests | requests/s | median | p95 |",
            "|---|---:|---:|---:|---:|",
        ]
        for title, key in (
            ("floor: `/health/`", "floor"),
            ("the overview, every filter combination", "page"),
            ("one client alone: floor", "alone_floor"),
            ("one client alone: the overview", "alone_page"),
        ):
            t = loads[key]
            lines.append(f"| {title} | {t.requests:,} | {t.rate:,.0f} | {ms(t.median_ms)} | {ms(t.p95_ms)} |")
        lines += [
            "",
            f"- p95 at {len(cookies)} concurrent clients: **{ms(loads['page'].p95_ms)}** (target < 100 ms); "
            f"**{ratio:.1f}×** the floor's p95",
            "",
        ]
    lines += [
        "In-process (Django's test client, one request at a time, median of 5):",
        "",
        "| URL | found (shown) | statements | median |",
        "|---|---:|---:|---:|",
    ]
    for s in singles:
        lines.append(
            f"| `{s['url']}` | {s['found']} ({s['shown']}) | {s['queries']} | {ms(s['median_ms'])} |"
        )
    lines += ["", "Plans of the page's statement (EXPLAIN ANALYZE):", ""]
    lines += [f"- `{u}`: {p}" for u, p in plan_lines]
    lines.append("")
    if exports_in_process or http_exports:
        lines += ["### Export", "", "| export | rows | size | time | memory |", "|---|---:|---:|---:|---:|"]
        for e in exports_in_process:
            lines.append(
                f"| CSV in-process (test client) | {e['rows']:,} | {e['bytes'] / 2**20:.1f} MB | "
                f"{e['seconds']:.2f} s | peak {e['peak_mb']:.1f} MB of Python allocations |"
            )
        for path, seconds, size, rows in http_exports:
            counted = rows if "/csv/" in path else large  # the workbook's rows: those of the first CSV
            lines.append(
                f"| `{path}` over HTTP | {counted:,} | {size / 2**20:.1f} MB | {seconds:.2f} s | "
                f"workers' peak RSS {rss_before / 1024:.0f} → {rss_after / 1024:.0f} MB (all three) |"
            )
        lines += ["", "- target: 50,000 rows streamed in < 5 s with flat memory", ""]
    report = "\n".join(lines)
    write_report("portal", report + "\n")
    return report


if __name__ == "__main__":
    print(main())
