"""IAM on PostgreSQL at the real volume (issue 3): the per-request check of the organisation acted for, the
daily reminder pass, and "Toekenning opzoeken" under 16 concurrent clients, each against
a floor of the same run.

Data: ``kmop seed --scale N`` (registers + the IDM population of ``kmop.idm.seed_steps``; N = 200,000 gives
300,000 persons and about 500,000 right grants), reused while the database holds the same population of
today. Figures:

- check: the same page (``/``) through Django's handler in this process, logged in and acting for the largest
  organisation, with ``ActingOrganisationMiddleware`` and with a copy of it that trusts the session's roles
  (no query): the difference of the medians is the check's cost. Its queries are counted and EXPLAINed.
- reminders: ``kmop.idm.reminders.send_reminders(today)`` (claims, audits and queues the mails in the
  outbox), in a transaction that is rolled back (so every repeat does the same work), against one set-based
  SQL query that selects the same due grants; one more run with its statements timed one by one.
- search: ``/gebruikersbeheer/toekenningen/`` with a mix of filters over real HTTP (gunicorn, the production
  server, with 4 sync workers on 127.0.0.1; 16 clients with their own session, each one request at a time),
  against ``/health/`` on the same server with the same clients and sessions. The load comes from ``wrk``
  when it is installed (``WRK_INSTALL``; a C event loop that costs the machine little), else from one
  Python process per client; the server's own time per request comes from gunicorn's access log. Also: 16
  clients that pause a second after each answer (users who read), and the former load generator (16
  threads in this process) on the floor, to show what a client costs. The selector ``grant_search`` is
  also measured in-process.
- the database's statistics are brought up to date first (``ANALYZE``), as autovacuum keeps them.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from typing import Any

import psycopg

from bench.common import (
    KMOP,
    VAR,
    database_url,
    ensure_database,
    kmop_env,
    machine_description,
    run_measured,
    stop_server,
    write_report,
)
from bench.iam_common import (
    CHECK_MIDDLEWARE,
    TRUSTING_MIDDLEWARE,
    WRK_INSTALL,
    HttpClient,
    Load,
    QueryCounter,
    Timings,
    acting_session,
    django_setup,
    explain,
    free_port,
    http_load,
    http_load_processes,
    http_load_wrk,
    wait_for_server,
    wrk_path,
)

#: ``--scale 200000``: 300,000 persons and about 500,000 grants
DEFAULT_SCALE = 200_000
PAGE = "/"
SEARCH_PATH = "/gebruikersbeheer/toekenningen/"

#: the set-based floor of the reminder pass: the due grants (effective on the day, ending within 10 days, not
#: reminded that day yet) with what a mail needs, in one statement
REMINDER_FLOOR_SQL = """
SELECT g.id, g.end_date, g.context_value, r.code, p.first_name, p.last_name, p.email, p.language,
       w.id, o.id, o.name, o.code, o.target_group
FROM idm_rightgrant g
JOIN idm_rightdefinition r ON r.id = g.right_id AND r.active
JOIN idm_workrelation w ON w.id = g.work_relation_id
JOIN idm_person p ON p.id = w.person_id
JOIN idm_organisation o ON o.id = w.organisation_id AND o.active
WHERE g.end_date BETWEEN %(day)s AND %(last)s
  AND g.begin_date <= %(day)s
  AND (g.ended_at IS NULL OR g.ended_at > %(at)s)
  AND g.last_reminder_on IS DISTINCT FROM %(day)s
  AND w.begin_date <= %(day)s AND w.end_date >= %(day)s AND (w.ended_at IS NULL OR w.ended_at > %(at)s)
  AND NOT EXISTS (
    SELECT 1 FROM idm_workrelationpause wp
    WHERE wp.work_relation_id = w.id AND wp.started_at <= %(at)s
      AND (wp.ended_at IS NULL OR wp.ended_at > %(at)s)
  )
  AND (o.target_group <> 'EA' OR NOT EXISTS (
    SELECT 1 FROM registers_enterprise e WHERE e.enterprise_number = o.code AND e.status <> 'AC'
  ))
"""


# --- data -----------------------------------------------------------------------------------------------


def seeded_population(url: str, scale: int) -> dict[str, Any] | None:
    """The counts of the IDM population in the database when it is of this scale and of today, else None."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT after FROM audit_auditevent WHERE action = 'idm.population.seed' ORDER BY id DESC LIMIT 1"
        ).fetchone()
        grants = conn.execute("SELECT count(*) FROM idm_rightgrant").fetchone()
    if not row or not grants:
        return None
    after = row[0]
    if after.get("scale") != scale or after.get("today") != date.today().isoformat():
        return None
    if grants[0] != after.get("grants"):
        return None
    return dict(after)


def prepare(url: str, scale: int, env: dict[str, str]) -> tuple[dict[str, Any], str]:
    run_measured([KMOP, "migrate", "--no-input", "-v0"], env)
    population = seeded_population(url, scale)
    if population is not None:
        analyse(url)
        return population, "reused"
    seeded = run_measured([KMOP, "seed", "--scale", str(scale), "--jobs", "1"], env)
    population = seeded_population(url, scale)
    if population is None:
        raise SystemExit("kmop seed did not leave an IDM population:\n" + seeded.output[-2000:])
    analyse(url)
    return population, f"{seeded.seconds:.0f} s, peak {seeded.max_rss_mb:.0f} MB"


def analyse(url: str) -> None:
    """The planner's statistics of every table, as autovacuum keeps them in production: the bench's server
    may run without autovacuum, and the seed analyses only some of the tables it fills (the KBO's legal
    functions were left without statistics, and the planner then hashed all 50,000 organisations to find
    the one an administrator represents)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


def bench_admin() -> tuple[str, int, str, int]:
    """A local administrator of the largest organisation, acting for it: (number, organisation id, code,
    persons with a work relation there)."""
    from django.db.models import Count

    from kmop.acm.selectors import acting_roles
    from kmop.idm.models import AdministratorAppointment, Organisation

    organisation = (
        Organisation.objects.annotate(n=Count("work_relations"))
        .order_by("-n", "id")
        .values("id", "code", "n")
    )[0]
    for number in (
        AdministratorAppointment.objects.filter(
            organisation_id=organisation["id"],
            level=AdministratorAppointment.Level.LOCAL_ADMIN,
            ended_at__isnull=True,
        )
        .order_by("id")
        .values_list("person__national_number", flat=True)
    ):
        if acting_roles(number, organisation["id"]):
            return number, organisation["id"], organisation["code"], organisation["n"]
    raise SystemExit("the seed made no local administrator of the largest organisation")


# --- the per-request check --------------------------------------------------------------------------------


def bench_check(number: str, organisation_id: int, requests: int) -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings

    from kmop.acm.selectors import acting_roles

    key = acting_session(number, organisation_id)
    with_check = Client(SERVER_NAME="127.0.0.1")
    with_check.cookies[settings.SESSION_COOKIE_NAME] = key
    without = Client(SERVER_NAME="127.0.0.1")
    without.cookies[settings.SESSION_COOKIE_NAME] = key
    trusting = [TRUSTING_MIDDLEWARE if m == CHECK_MIDDLEWARE else m for m in settings.MIDDLEWARE]
    with override_settings(MIDDLEWARE=trusting):
        assert without.get(PAGE).status_code == 200  # loads this client's middleware chain without the check
    for _ in range(20):  # warm both
        assert with_check.get(PAGE).status_code == 200
        assert without.get(PAGE).status_code == 200

    with QueryCounter() as checked:
        response = with_check.get(PAGE)
    assert response.status_code == 200
    assert response.wsgi_request.acting is not None  # type: ignore[attr-defined]
    with QueryCounter() as trusted:
        without.get(PAGE)
    with QueryCounter() as roles_queries:
        roles = acting_roles(number, organisation_id)
    statement, params = roles_queries.last
    plan = explain(statement, params)

    times: dict[str, list[float]] = {"with": [], "without": []}
    clients = (("with", with_check), ("without", without))
    for i in range(requests):
        for name, client in (
            clients if i % 2 == 0 else reversed(clients)
        ):  # interleaved: no drift between them
            start = time.perf_counter()
            client.get(PAGE)
            times[name].append(time.perf_counter() - start)
    direct: list[float] = []
    precompiled: list[float] = []
    with connection.cursor() as cursor:
        for _ in range(requests):
            start = time.perf_counter()
            acting_roles(number, organisation_id)
            direct.append(time.perf_counter() - start)
            # the same statement, built once: what the check costs without the ORM's query building
            start = time.perf_counter()
            cursor.execute(statement, params)
            cursor.fetchall()
            precompiled.append(time.perf_counter() - start)
    import statistics

    paired = [a - b for a, b in zip(times["with"], times["without"], strict=True)]
    return {
        "paired_ms": statistics.median(paired) * 1000,
        "with": Timings(times["with"]),
        "without": Timings(times["without"]),
        "direct": Timings(direct),
        "precompiled": Timings(precompiled),
        "queries_with": checked.count,
        "queries_without": trusted.count,
        "roles_queries": roles_queries.count,
        "roles": roles,
        "plan": plan,
    }


# --- the reminder pass ------------------------------------------------------------------------------------


def bench_reminders(repeats: int) -> dict[str, Any] | None:
    from django.core.mail.backends.locmem import EmailBackend
    from django.db import connection, transaction
    from django.utils import timezone

    try:
        from kmop.idm.reminders import due_grants, moment_of, send_reminders
    except ImportError:
        return None
    day = timezone.localdate()
    params = {"day": day, "last": day + timedelta(days=10), "at": moment_of(day)}
    floor: list[float] = []
    rows = 0
    for _ in range(repeats):
        with connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(REMINDER_FLOOR_SQL, params)
            rows = len(cursor.fetchall())
            floor.append(time.perf_counter() - start)
    plan = explain(REMINDER_FLOOR_SQL, params)
    selection: list[float] = []  # the pass's own selection of the due grants, alone
    for _ in range(repeats):
        start = time.perf_counter()
        selected = sum(1 for _ in due_grants(day).iterator(chunk_size=1000))
        selection.append(time.perf_counter() - start)
    feature: list[float] = []
    report: Any = None
    mails = 0
    for _ in range(repeats):
        backend = EmailBackend()
        with transaction.atomic():
            start = time.perf_counter()
            report = send_reminders(day, connection=backend)
            feature.append(time.perf_counter() - start)
            transaction.set_rollback(True)  # every repeat does the same work
        from django.core import mail

        mails = len(getattr(mail, "outbox", []))
        mail.outbox = []
    # where a run's time goes: its statements timed one by one (one more run, rolled back too)
    spent: dict[str, float] = {}

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            label = statement_label(sql)
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - start

    with transaction.atomic():
        start = time.perf_counter()
        with connection.execute_wrapper(timed):
            send_reminders(day, connection=EmailBackend())
        breakdown_total = time.perf_counter() - start
        transaction.set_rollback(True)
    return {
        "breakdown": sorted(spent.items(), key=lambda item: -item[1]),
        "breakdown_total": breakdown_total,
        "floor": Timings(floor),
        "floor_rows": rows,
        "floor_plan": plan,
        "selection": Timings(selection),
        "selected": selected,
        "feature": Timings(feature),
        "report": report,
        "mails": mails,
    }


def statement_label(sql: str) -> str:
    """What a statement of the reminder pass does, in a few words (its kind and its table)."""
    words = sql.replace('"', "").split()
    if not words:
        return "?"
    verb = words[0].upper()
    if verb == "INSERT" and len(words) > 2:
        return f"INSERT INTO {words[2]}"
    if verb == "UPDATE" and len(words) > 1:
        return f"UPDATE {words[1]}"
    if verb in ("SELECT", "(SELECT") and "FROM" in (w.upper() for w in words):
        upper = [w.upper() for w in words]
        table = words[upper.index("FROM") + 1].split(".")[0].strip("(")
        return f"SELECT … FROM {table}"
    return " ".join(words[:2])


# --- toekenning opzoeken ----------------------------------------------------------------------------------


def search_filters(number: str, organisation_id: int, code: str) -> list[dict[str, str]]:
    """A mix of what an administrator asks: everything, per organisation, per right, end dates in the next 30
    days, begin dates of last year, a name, the start of a national number."""
    from django.utils import timezone

    from kmop.idm.models import WorkRelation

    today = timezone.localdate()
    person = (
        WorkRelation.objects.filter(organisation_id=organisation_id)
        .order_by("id")
        .values_list("person__last_name", "person__national_number")
        .first()
    )
    last_name, national = person if person else ("Peeters", "85")

    def d(day: date) -> str:
        return day.strftime("%d/%m/%Y")

    return [
        {},
        {"organisation": code},
        {"right": "VLAIOInkomGebruikerNieuw"},
        {"end_from": d(today), "end_until": d(today + timedelta(days=30))},
        {"begin_from": d(today - timedelta(days=365)), "begin_until": d(today - timedelta(days=180))},
        {"person": last_name},
        {"person": national[:6]},
        {
            "organisation": code,
            "end_from": d(today),
            "end_until": d(today + timedelta(days=90)),
            "include_ended": "on",
        },
    ]


def bench_selector(number: str, organisation_id: int, code: str, rounds: int) -> dict[str, Any]:
    """``grant_search`` in this process, one call at a time: the first page (50 rows) of each filter, in the
    page's order (``grant_search_page``), after ``administration`` as the page asks it."""
    from datetime import datetime

    from kmop.idm import selectors
    from kmop.idm.models import Organisation

    organisation = Organisation.objects.get(pk=organisation_id)
    per_filter: dict[str, list[float]] = {}
    slowest: tuple[float, str, Any] = (0.0, "", None)
    for filters in search_filters(number, organisation_id, code):
        kwargs: dict[str, Any] = {}
        for key, value in filters.items():
            if key == "organisation":
                kwargs["organisation"] = organisation
            elif key == "right":
                kwargs["right_code"] = value
            elif key == "include_ended":
                kwargs["include_ended"] = True
            elif key == "person":
                kwargs["person"] = value
            else:
                kwargs[key] = datetime.strptime(value, "%d/%m/%Y").date()
        name = ", ".join(filters) or "no filter"
        per_filter[name] = []
        for _ in range(rounds):
            with QueryCounter() as queries:
                start = time.perf_counter()
                # as the page asks it: what he administers first (one statement), then the search
                administration = selectors.administration(number)
                grants = selectors.grant_search(
                    administrator=number,
                    application_manager=administration.application_manager,
                    organisation_ids=administration.organisation_ids,
                    **kwargs,
                )
                if hasattr(selectors, "grant_search_page"):  # the page's keyset order: soonest end first
                    selectors.grant_search_page(grants, size=50)
                else:
                    list(grants[:50])
                elapsed = time.perf_counter() - start
            per_filter[name].append(elapsed)
            if elapsed > slowest[0]:
                slowest = (elapsed, *queries.last)
    return {"per_filter": {k: Timings(v) for k, v in per_filter.items()}, "plan": explain(*slowest[1:])}


def search_page_exists() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("idm:grant-search") == SEARCH_PATH
    except NoReverseMatch:
        return False


#: the pause of a client between an answer and its next request in the measurement "with users who read"
THINK_MS = 1000

#: the production server of docs/operations.md: gunicorn, sync workers (two per core of the bench machine)
GUNICORN_WORKERS = 4


def gunicorn_command(port: int, workers: int = GUNICORN_WORKERS, access_log: str = "") -> list[str]:
    """The page and its floor are served as in production: gunicorn with ``workers`` sync workers on
    127.0.0.1 (not ``kmop runserver``, one development process). ``access_log``: a file where gunicorn
    writes, per request, its path, status and the time it spent on it (``%(D)s``, µs): the server's own
    time, without the client's and without the wait in the listen queue."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "kmop.conf.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    if access_log:
        command += ["--access-logfile", access_log, "--access-logformat", "%(s)s %(D)s %(U)s"]
    return command


class AccessLog:
    """The server's own time per request, read from gunicorn's access log between two moments."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.offset = 0

    def mark(self) -> None:
        self.offset = os.path.getsize(self.path) if os.path.exists(self.path) else 0

    def since_mark(self) -> Timings:
        seconds: list[float] = []
        with open(self.path, encoding="utf-8") as log:
            log.seek(self.offset)
            for line in log:
                parts = line.split()
                if len(parts) >= 2 and parts[1].isdigit():
                    seconds.append(int(parts[1]) / 1e6)
        return Timings(seconds)


def bench_search_http(
    number: str, organisation_id: int, code: str, requests: int, clients: int, url: str, seconds: float
) -> dict[str, Any]:
    """The page and its floor over HTTP with the leanest load generator there is: ``wrk`` (C, no GIL; see
    ``WRK_INSTALL``), else one Python process per client. The floor ``/health/`` is also measured with the
    former generator (16 threads in this process) to show what a client costs on this machine."""
    import tempfile
    from urllib.parse import urlencode

    from django.conf import settings

    port = free_port()
    env = kmop_env(url)
    env.update({"KMOP_DEBUG": "false", "KMOP_LOG_LEVEL": "WARNING"})
    env["KMOP_DB_POOL"] = "true"  # as docs/operations.md advises for gunicorn's sync workers
    log_dir = tempfile.mkdtemp(prefix="kmop-bench-")
    access = AccessLog(os.path.join(log_dir, "access.log"))
    server = subprocess.Popen(
        gunicorn_command(port, access_log=access.path),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    use_wrk = wrk_path() is not None

    def load(
        cookies: list[str], paths: list[str], count: int, duration: float, think_ms: int = 0
    ) -> tuple[Load, Timings]:
        access.mark()
        if use_wrk:
            got = http_load_wrk(port, cookies, paths, duration, think_ms=think_ms)
        else:
            got = http_load_processes(port, cookies, paths, count, think_ms=think_ms)
        return got, access.since_mark()

    try:
        wait_for_server(port)
        paths = [
            SEARCH_PATH + ("?" + urlencode(f) if f else "")
            for f in search_filters(number, organisation_id, code)
        ]
        name = settings.SESSION_COOKIE_NAME
        cookies = [f"{name}={acting_session(number, organisation_id)}" for _ in range(clients)]
        pool = [HttpClient(port, cookie) for cookie in cookies]
        http_load(pool, [*paths, "/health/"], len(pool) * (len(paths) + 1))  # warm: every client, every path
        results: dict[str, list[tuple[Load, Timings]]] = {"floor": [], "page": []}
        for _ in range(2):  # alternated, so that both see the same machine
            results["floor"].append(load(cookies, ["/health/"], requests // 2, seconds / 2))
            results["page"].append(load(cookies, paths, requests // 2, seconds / 2))
        access.mark()
        threads = Load.of("threads", http_load(pool, ["/health/"], requests // 2))
        threads_server = access.since_mark()
        alone = max(len(paths) * 4, requests // 8)
        alone_floor = load(cookies[:1], ["/health/"], alone, max(3.0, seconds / 4))
        alone_page = load(cookies[:1], paths, alone, max(3.0, seconds / 4))
        # users who read the page before their next search: each client pauses THINK_MS after an answer
        thinking = load(cookies, paths, max(len(cookies) * 8, requests // 4), max(seconds, 10), THINK_MS)
        status, body = pool[0].get(paths[1])
        rows = body.count(b"<tr") - 1 if status == 200 else -1
        return {
            "tool": "wrk" if use_wrk else "processes",
            "floor": merge_loads([r for r, _ in results["floor"]]),
            "page": merge_loads([r for r, _ in results["page"]]),
            "floor_server": Timings([t for _, s in results["floor"] for t in s.seconds]),
            "page_server": Timings([t for _, s in results["page"] for t in s.seconds]),
            "threads_floor": threads,
            "threads_server": threads_server,
            "alone_floor": alone_floor[0],
            "alone_floor_server": alone_floor[1],
            "alone_page": alone_page[0],
            "alone_page_server": alone_page[1],
            "thinking": thinking[0],
            "thinking_server": thinking[1],
            "paths": paths,
            "rows_first_page": rows,
        }
    finally:
        stop_server(server)


def merge_loads(loads: list[Load]) -> Load:
    """Two alternated runs as one: requests and rate added up, the median and p95 of the worse run (wrk
    gives percentiles, not the latencies themselves)."""
    return Load(
        loads[0].tool,
        sum(x.requests for x in loads),
        sum(x.rate for x in loads) / len(loads),
        max(x.median_ms for x in loads),
        max(x.p95_ms for x in loads),
    )


# --- report -----------------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:.2f} ms" if value < 10 else f"{value:.0f} ms"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=int(os.environ.get("BENCH_IAM_SCALE", DEFAULT_SCALE)))
    parser.add_argument("--requests", type=int, default=1000, help="page requests per variant of the check")
    parser.add_argument(
        "--search-requests",
        type=int,
        default=640,
        help="HTTP requests per measurement without wrk (the Python processes' load)",
    )
    parser.add_argument(
        "--search-seconds", type=float, default=20, help="seconds per measurement with wrk (16 clients)"
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=3, help="runs of the reminder pass and of its floor")
    args = parser.parse_args(argv)
    url = database_url()
    ensure_database(url)
    env = kmop_env(url)
    population, seeded = prepare(url, args.scale, env)
    django_setup(url, str(VAR))
    load_before = os.getloadavg()

    number, organisation_id, code, members = bench_admin()
    check = bench_check(number, organisation_id, args.requests)
    reminders = bench_reminders(args.repeats)
    selector = bench_selector(number, organisation_id, code, max(3, args.repeats))
    search = (
        bench_search_http(
            number, organisation_id, code, args.search_requests, args.clients, url, args.search_seconds
        )
        if search_page_exists()
        else None
    )

    lines = [
        f"## IAM ({args.scale:,} enterprises: {population['persons']:,} persons, "
        f"{population['grants']:,} grants)",
        "",
        f"Machine: {machine_description()}",
        "",
        f"Load average (1, 5, 15 min) before the measurements: {', '.join(f'{x:.1f}' for x in load_before)}; "
        f"after: {', '.join(f'{x:.1f}' for x in os.getloadavg())} (the machine is shared: other processes' "
        "load slows every figure below, the floors measured alongside as much).",
        "",
        f"Data: `kmop seed --scale {args.scale}` ({seeded}): {population['organisations']:,} organisations, "
        f"{population['persons']:,} persons, {population['work_relations']:,} work relations, "
        f"{population['grants']:,} right grants, {population['appointments']:,} administrators. Acting as a "
        f"local administrator of the largest organisation ({members:,} work relations).",
        "",
        "### Per-request check of the organisation acted for",
        "",
        "| measurement | requests | median | p95 | queries per request |",
        "|---|---:|---:|---:|---:|",
        f"| floor: `{PAGE}`, the session's roles trusted (no check) | {len(check['without'].seconds):,} | "
        f"{ms(check['without'].median_ms)} | {ms(check['without'].p95_ms)} | {check['queries_without']} |",
        f"| `{PAGE}` with `ActingOrganisationMiddleware` | {len(check['with'].seconds):,} | "
        f"{ms(check['with'].median_ms)} | {ms(check['with'].p95_ms)} | {check['queries_with']} |",
        f"| `acting_roles()` alone | {len(check['direct'].seconds):,} | {ms(check['direct'].median_ms)} | "
        f"{ms(check['direct'].p95_ms)} | {check['roles_queries']} |",
        f"| its SQL statement alone, built once (no ORM query building) | "
        f"{len(check['precompiled'].seconds):,} | "
        f"{ms(check['precompiled'].median_ms)} | {ms(check['precompiled'].p95_ms)} | 1 |",
        "",
    ]
    cost_median = check["with"].median_ms - check["without"].median_ms
    cost_p95 = check["with"].p95_ms - check["without"].p95_ms
    extra = check["queries_with"] - check["queries_without"]
    lines += [
        f"- check cost (median with − median without): **{cost_median:.2f} ms**; the median of the "
        f"{len(check['with'].seconds):,} differences of a request with and the request without next to it: "
        f"**{check['paired_ms']:.2f} ms** (p95 with − p95 without: {cost_p95:.2f} ms; "
        f"ratio with/without {check['with'].median_ms / check['without'].median_ms:.2f}) (target < 1 ms)",
        f"- extra queries per request: **{extra}** (target ≤ 1); roles: {', '.join(check['roles'])}",
        f"- plan of the check's query: {plan_summary(check['plan'])}",
        "",
    ]
    lines += ["### Reminder pass (`kmop daily`)", ""]
    if reminders is None:
        lines += ["- `kmop.idm.reminders.send_reminders` is not there yet: not measured.", ""]
    else:
        r = reminders["report"]
        ratio = reminders["feature"].median_ms / reminders["floor"].median_ms
        lines += [
            "| measurement | due grants | median of runs | runs |",
            "|---|---:|---:|---:|",
            f"| floor: one set-based SQL query selecting the due grants | {reminders['floor_rows']:,} | "
            f"{ms(reminders['floor'].median_ms)} | {len(reminders['floor'].seconds)} |",
            f"| the pass's own selection `due_grants(today)`, iterated | {reminders['selected']:,} | "
            f"{ms(reminders['selection'].median_ms)} | {len(reminders['selection'].seconds)} |",
            f"| `send_reminders(today)` (claims, audits, queues the mails in the outbox; rolled back) | "
            f"{r.due:,} | "
            f"{reminders['feature'].median_ms / 1000:.2f} s | {len(reminders['feature'].seconds)} |",
            "",
            f"- reminder pass: **{reminders['feature'].median_ms / 1000:.2f} s** (target < 30 s); "
            f"**{ratio:.1f}×** the floor (target ≤ 3×)",
            f"- it claimed {r.claimed:,} rights and queued {r.holder_mails:,} mails to holders and "
            f"{r.digest_mails:,} digests to administrators (rendered and sent later by `kmop send_mail`)",
            f"- plan of the floor: {plan_summary(reminders['floor_plan'])}",
            "",
            f"Where one run's time goes (its statements timed one by one; "
            f"{reminders['breakdown_total'] * 1000:,.0f} ms in all):",
            "",
            "| statements | time |",
            "|---|---:|",
            *(f"| `{label}` | {ms(spent * 1000)} |" for label, spent in reminders["breakdown"][:10]),
            "",
        ]
    lines += ["### Toekenning opzoeken", ""]
    if search is not None:
        ratio = search["page"].p95_ms / search["floor"].p95_ms
        tool = (
            "`wrk` (C, one event loop per thread, 2 threads)"
            if search["tool"] == "wrk"
            else f"one Python process per client (`wrk` not found: {WRK_INSTALL})"
        )

        def row(label: str, load: Load, server: Timings) -> str:
            return (
                f"| {label} | {load.requests:,} | {load.rate:,.0f} | {ms(load.median_ms)} | "
                f"{ms(load.p95_ms)} | {ms(server.median_ms)} | {ms(server.p95_ms)} |"
            )

        lines += [
            f"gunicorn on 127.0.0.1 ({GUNICORN_WORKERS} sync workers, the production server; the floor on "
            f"the same server), {args.clients} clients at once, each with its own session, one request at a "
            f"time; {len(search['paths'])} filter combinations in turn (first page). Load generator: {tool}. "
            "Client latency: from the request's first byte to the answer's last, as the client sees it; "
            "server: the time gunicorn's worker spent on the request (its access log, `%(D)s`), without "
            "the wait for a free worker.",
            "",
            "| measurement | requests | requests/s | client median | client p95 | server median "
            "| server p95 |",
            "|---|---:|---:|---:|---:|---:|---:|",
            row(f"floor: `/health/`, {args.clients} clients", search["floor"], search["floor_server"]),
            row(f"`{SEARCH_PATH}`, {args.clients} clients", search["page"], search["page_server"]),
            row("one client alone: floor `/health/`", search["alone_floor"], search["alone_floor_server"]),
            row(f"one client alone: `{SEARCH_PATH}`", search["alone_page"], search["alone_page_server"]),
            row(
                f"`{SEARCH_PATH}`, {args.clients} clients pausing {THINK_MS / 1000:.0f} s after each answer",
                search["thinking"],
                search["thinking_server"],
            ),
            row(
                f"floor `/health/`, {args.clients} threads in the bench process (the former client)",
                search["threads_floor"],
                search["threads_server"],
            ),
            "",
            f"- p95 at {args.clients} concurrent clients: **{ms(search['page'].p95_ms)}** (target < 50 ms); "
            f"**{ratio:.1f}×** the floor's p95; one client alone: {ms(search['alone_page'].p95_ms)}",
            f"- Little's law for {args.clients} clients that never pause: latency = clients / throughput; "
            f"the page's {search['page'].rate:,.0f} requests/s give "
            f"{args.clients / search['page'].rate * 1000 if search['page'].rate else 0:,.0f} ms, the "
            f"floor's {search['floor'].rate:,.0f} give "
            f"{args.clients / search['floor'].rate * 1000 if search['floor'].rate else 0:,.0f} ms",
            "",
        ]
    else:
        lines += ["- the page `idm:grant-search` is not there yet: only the selector is measured.", ""]
    lines += [
        "Selectors `administration` + `grant_search` + `grant_search_page` in-process, one call at a time, "
        "first page (50 rows):",
        "",
        "| filters | median | p95 |",
        "|---|---:|---:|",
    ]
    for name, timings in selector["per_filter"].items():
        lines.append(f"| {name} | {ms(timings.median_ms)} | {ms(timings.p95_ms)} |")
    lines += ["", f"- plan of the slowest: {plan_summary(selector['plan'])}", ""]
    report = "\n".join(lines)
    plans = ["", "<details><summary>Plans</summary>", ""]
    for title, plan in (
        ("check", check["plan"]),
        ("reminder floor", reminders["floor_plan"] if reminders else []),
        ("slowest search", selector["plan"]),
    ):
        plans += [f"{title}:", "", "```", *plan, "```", ""]
    plans.append("</details>")
    write_report("iam", report + "\n".join(plans) + "\n")
    return report


def plan_summary(plan: list[str]) -> str:
    """The execution time and the kinds of scan of an EXPLAIN ANALYZE."""
    if not plan:
        return "–"
    scans: list[str] = []
    for line in plan:
        text = line.strip().lstrip("-> ").strip()
        for kind in ("Index Only Scan", "Index Scan", "Bitmap Index Scan", "Seq Scan"):
            if text.startswith(kind):
                name = text.split(" on ", 1)[1].split(" ")[0] if " on " in text else text.split(" ")[-1]
                scans.append(f"{kind} {name}")
                break
    executed = next(
        (line.split(":", 1)[1].strip() for line in plan if line.startswith("Execution Time")), "?"
    )
    return f"{executed}; " + ", ".join(dict.fromkeys(scans))


if __name__ == "__main__":
    print(main())
