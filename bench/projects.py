"""Projects and wallet on PostgreSQL at the real volume (issue 4): application submission throughput, the
ondernemingsfoto under 16 concurrent clients and the daily deadline pass, each against a floor of the same
run.

Data: ``kmop seed --scale N`` (N = 2,000,000 enterprises: about 1.5 M projects of 60,000 applicants since
2016 and their wallet ledger, ``kmop.projects.seed_steps`` and ``kmop.wallet.seed_steps``) in its own database
(``BENCH_PROJECTS_DATABASE_URL``, default ``<bench database>_projects``). Reused while it holds the population
of that scale: the registers and the IDM population whatever their day, the projects and the ledger when they
were seeded today (their statuses follow the day), else only those two steps run again (in this process).

- **submission**: ``kmop.projects.services.application_submit`` by ``--concurrency`` worker processes (each
  its own connection), as a legal representative of the enterprise acting for it, 100 euro training with a
  registered provider; on one hot enterprise (every application waits for the same budget row) and spread over
  as many enterprises as applications. Floor: the same number of bare conditional updates ``UPDATE
  projects_yearbudget SET used = used + x WHERE organisation_id = .. AND year = .. AND used + x <= cap``, one
  per transaction, on the same budget rows with the same concurrency. The ratio is applications per second /
  updates per second. The applications and the floor's updates are undone afterwards.
- **ondernemingsfoto**: ``/e-loket/`` over HTTP (gunicorn, 4 sync workers, as ``bench/iam.py``), 16 clients at
  once, each acting for another applicant enterprise (the one with the most projects among them); floor:
  ``/health/`` with the same clients and sessions, alternated with the page. Its queries are counted
  in-process.
- **daily deadline pass**: ``expire_deposits_bulk`` and ``close_expired_bulk`` (the jobs
  ``projects.deposit_deadline`` and ``projects.close_expired``) on an ordinary day (tomorrow) and on the year
  end (1 January of next year: every open project of last year is closed, and every deposit deadline before it
  passed), each in a transaction rolled back afterwards; floor: the same changes of status as set-based
  UPDATEs.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg

from bench.common import (
    KMOP,
    VAR,
    ensure_database,
    give_right,
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
    Timings,
    acting_session,
    django_setup,
    free_port,
    http_load,
    http_load_wrk,
    percentile,
    wait_for_server,
    wrk_path,
)

#: 2,000,000 enterprises: 1.5 M projects of 60,000 applicants
DEFAULT_SCALE = 2_000_000
SEED = 1
FOTO = "/e-loket/"
#: seconds of each wrk run of the ondernemingsfoto and its floor
FOTO_SECONDS = 10.0
LABEL = "bench-projects"
AMOUNT = Decimal("100.00")
SIZE = "MO"


def projects_url() -> str:
    url = os.environ.get("BENCH_PROJECTS_DATABASE_URL")
    if url:
        return url
    return sibling_url("projects")


# --- data -----------------------------------------------------------------------------------------------


def _last_seed(conn: psycopg.Connection[Any], action: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT after FROM audit_auditevent WHERE action = %s ORDER BY id DESC LIMIT 1", [action]
    ).fetchone()
    return dict(row[0]) if row else None


def _state(url: str, scale: int) -> str:
    """``"fresh"`` (projects and ledger of this scale seeded today), ``"base"`` (only the registers and the
    IDM population of this scale) or ``"none"``."""
    with psycopg.connect(url) as conn:
        idm = _last_seed(conn, "idm.population.seed")
        if not idm or idm.get("scale") != scale:
            return "none"
        wallet = _last_seed(conn, "wallet.seed")
        projects = _last_seed(conn, "projects.seed")
        row = conn.execute("SELECT count(*) FROM projects_project").fetchone()
    today = date.today().isoformat()
    if (
        wallet
        and projects
        and wallet.get("scale") == scale == projects.get("scale")
        and wallet.get("today") == today == projects.get("today")
        and row is not None
        and row[0] == projects.get("projects")
    ):
        return "fresh"
    return "base"


def prepare(url: str, scale: int, env: dict[str, str]) -> str:
    """Seed what is missing; returns how (for the report)."""
    run_measured([KMOP, "migrate", "--no-input", "-v0"], env)
    state = _state(url, scale)
    if state == "none":
        seeded = run_measured([KMOP, "seed", "--scale", str(scale), "--seed", str(SEED)], env)
        if _state(url, scale) != "fresh":
            raise SystemExit("kmop seed did not leave projects and a ledger:\n" + seeded.output[-3000:])
        return f"`kmop seed --scale {scale}` {seeded.seconds:.0f} s, peak {seeded.max_rss_mb:.0f} MB"
    if state == "fresh":
        return "reused"
    return "base reused; " + reseed_projects(scale)


def reseed_projects(scale: int) -> str:
    """The projects' and the wallet's seed steps again (in this process), timed."""
    from kmop.audit.services import Actor
    from kmop.projects.seed_steps import seed_projects_at_scale
    from kmop.wallet.seed_steps import seed_wallet_at_scale

    actor = Actor.system("kmop seed")
    start = time.perf_counter()
    projects = seed_projects_at_scale(scale=scale, seed=SEED, actor=actor)
    middle = time.perf_counter()
    wallet = seed_wallet_at_scale(scale=scale, seed=SEED, actor=actor)
    end = time.perf_counter()
    return (
        f"projects step {middle - start:.0f} s ({projects['projects']:,} projects), wallet step "
        f"{end - middle:.0f} s ({wallet['transactions']:,} transactions, {wallet['entries']:,} entries)"
    )


def population() -> dict[str, int]:
    from kmop.audit.models import AuditEvent

    counts: dict[str, int] = {}
    for action in ("projects.seed", "wallet.seed"):
        event = AuditEvent.objects.filter(action=action).order_by("-id").first()
        if event is not None and event.after:
            counts.update(
                {f"{action.split('.')[0]}_{k}": v for k, v in event.after.items() if isinstance(v, int)}
            )
    return counts


# --- who applies ------------------------------------------------------------------------------------------


def _representative(code: str, today: date) -> str | None:
    from kmop.registers.models import LegalFunction

    return (
        LegalFunction.objects.filter(enterprise_id=code, start_date__lte=today, function__represents=True)
        .exclude(end_date__lt=today)
        .order_by("person_number")
        .values_list("person_number", flat=True)
        .first()
    )


def _user_id(number: str) -> int:
    from kmop.acm.models import User

    user = User.objects.filter(national_number=number).first()
    if user is None:
        user = User(username=number, national_number=number)
        user.set_unusable_password()
        user.save()
    return int(user.pk)


def applicants(wanted: int, today: date) -> tuple[str, list[tuple[int, str, int]]]:
    """A registration number and ``wanted`` enterprises with no budget this year that an application of 100
    euro with it would be accepted for, each with a legal representative: (organisation id, code, user id)."""
    from kmop.idm.models import Organisation
    from kmop.projects import services
    from kmop.projects.models import EnterpriseProfile, YearBudget
    from kmop.projects.permissions import can_act_for_enterprise
    from kmop.providers.models import Registration

    start = today - timedelta(days=2)
    registrations = list(
        Registration.objects.filter(
            service="opleiding", status__in=["G", "G/V"], valid_from__lte=start, valid_until__gte=start
        )
        .order_by("id")
        .values_list("number", flat=True)[:5]
    )
    if not registrations:
        raise SystemExit("no valid registration for opleiding: seed the providers")
    busy = YearBudget.objects.filter(year=today.year).values("organisation_id")
    candidates = (
        EnterpriseProfile.objects.exclude(organisation_id__in=busy)
        .order_by("organisation_id")
        .values_list("organisation_id", flat=True)
    )
    found: list[tuple[int, str, int]] = []
    registration = registrations[0]
    for organisation_id in candidates.iterator(chunk_size=500):
        organisation = Organisation.objects.get(pk=organisation_id)
        preview = services.application_preview(
            organisation=organisation,
            registration=registration,
            service="opleiding",
            theme="bedrijfsstrategie",
            amount=AMOUNT,
            start_date=start,
            size_class=SIZE,
        )
        if not preview.ok:
            continue
        number = _representative(organisation.code, today)
        if number is None:
            continue
        if not can_act_for_enterprise(number, organisation):
            # a sole trader's representative acts in the e-loket with a grant of the right, as the login's
            # per-request check requires (given as the enterprise's access manager would)
            give_right(
                organisation,
                number,
                "VLAIOInkomGebruikerNieuw",
                "Gebruiker",
                category="vast",
                email="bench@example.org",
                label="bench projects",
            )
        if not can_act_for_enterprise(number, organisation):  # e.g. stopped in the KBO
            continue
        found.append((organisation_id, organisation.code, _user_id(number)))
        if len(found) >= wanted:
            break
    if not found:
        raise SystemExit("no enterprise that may apply today")
    return registration, found


# --- worker processes --------------------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _init(url: str, var: str) -> None:
    os.environ["KMOP_DB_POOL"] = "false"  # one persistent connection per worker, like a sync worker
    django_setup(url, var)
    _STATE["url"] = url
    _STATE["floor"] = psycopg.connect(url, autocommit=False)


def _warm(_: int) -> int:
    from django.db import connection

    from kmop.schemes.services import regime_on

    regime_on(date.today())
    connection.ensure_connection()
    time.sleep(0.2)  # so that every worker takes one
    return os.getpid()


def _submit_chunk(jobs: list[tuple[int, str, int, str, str]]) -> list[tuple[float, float, str]]:
    """Submit the applications (organisation id, code, user id, registration, key); returns (start, end,
    outcome) per application, on the wall clock."""
    from django.utils import timezone

    from kmop.acm.models import User
    from kmop.audit.services import Actor
    from kmop.idm.errors import IdmError
    from kmop.idm.models import Organisation
    from kmop.projects import services
    from kmop.projects.errors import ProjectError

    today = timezone.localdate()
    prepared = [
        (
            Organisation.objects.get(pk=org),
            Actor(label=LABEL, user=User.objects.get(pk=uid), organisation_code=code),
            registration,
            key,
        )
        for org, code, uid, registration, key in jobs
    ]  # fmt: skip
    out: list[tuple[float, float, str]] = []
    for organisation, actor, registration, key in prepared:
        start = time.time()
        try:
            project = services.application_submit(
                actor=actor,
                organisation=organisation,
                registration=registration,
                service="opleiding",
                theme="bedrijfsstrategie",
                training_type="klassikaal",
                title="Strategisch plan (bench)",
                start_date=today - timedelta(days=2),
                hours=Decimal("8"),
                amount=AMOUNT,
                participants=1,
                size_class=SIZE,
                idempotency_key=key,
            )
            outcome = "ok" if project.created_by == LABEL else "other"
        except (ProjectError, IdmError) as error:  # (an exception that reaches the pool does not unpickle)
            outcome = getattr(error, "code", type(error).__name__)
        out.append((start, time.time(), outcome))
    return out


FLOOR_SQL = (
    "UPDATE projects_yearbudget SET used = used + %s "
    "WHERE organisation_id = %s AND year = %s AND used + %s <= cap"
)


def _floor_chunk(jobs: list[tuple[int, int, Decimal]]) -> list[tuple[float, float, str]]:
    conn: psycopg.Connection[Any] = _STATE["floor"]
    out: list[tuple[float, float, str]] = []
    for organisation_id, year, amount in jobs:
        start = time.time()
        cursor = conn.execute(FLOOR_SQL, [amount, organisation_id, year, amount])
        conn.commit()
        out.append((start, time.time(), "ok" if cursor.rowcount == 1 else "capped"))
    return out


def _spread(jobs: list[Any], parts: int) -> list[list[Any]]:
    return [jobs[i::parts] for i in range(parts)]


def _run(pool: Any, fn: Any, jobs: list[Any], parts: int) -> dict[str, Any]:
    results = [r for chunk in pool.map(fn, _spread(jobs, parts), chunksize=1) for r in chunk]
    wall = max(r[1] for r in results) - min(r[0] for r in results)
    outcomes: dict[str, int] = {}
    for r in results:
        outcomes[r[2]] = outcomes.get(r[2], 0) + 1
    return {
        "count": len(results),
        "wall": wall,
        "rate": len(results) / wall if wall else 0.0,
        "p95_ms": percentile([r[1] - r[0] for r in results], 95) * 1000,
        "median_ms": statistics.median(r[1] - r[0] for r in results) * 1000,
        "outcomes": outcomes,
    }


# --- submission -----------------------------------------------------------------------------------------


def _budget_rows(organisations: list[int], year: int, cap: Decimal) -> list[int]:
    """Make the year's budget rows the floor updates (as the first application would); returns the ones
    made (to delete afterwards)."""
    from kmop.projects.models import YearBudget

    have = set(
        YearBudget.objects.filter(organisation_id__in=organisations, year=year).values_list(
            "organisation_id", flat=True
        )
    )
    made = [o for o in organisations if o not in have]
    YearBudget.objects.bulk_create(
        [YearBudget(organisation_id=o, year=year, cap=cap, used=Decimal("0.00")) for o in made]
    )
    return made


def _undo(organisations: list[int], year: int, sequence: int | None, sizes: set[int]) -> None:
    """Remove the bench's applications and give the budgets (used 0: the enterprises had none this year),
    the size classes and the numbers back."""
    from django.db import connection, transaction

    from kmop.projects.models import (
        Project,
        ProjectNumberSequence,
        ProjectStatusChange,
        SizeClassYear,
        YearBudget,
    )

    with transaction.atomic():
        ids = list(Project.objects.filter(created_by=LABEL).values_list("id", flat=True))
        ProjectStatusChange.objects.filter(project_id__in=ids)._raw_delete(connection.alias)
        Project.objects.filter(id__in=ids)._raw_delete(connection.alias)
        SizeClassYear.objects.filter(organisation_id__in=organisations, year=year).exclude(
            id__in=sizes
        )._raw_delete(connection.alias)
        YearBudget.objects.filter(organisation_id__in=organisations, year=year).update(used=Decimal("0.00"))
        if sequence is None:
            ProjectNumberSequence.objects.filter(year=year).delete()
        else:
            ProjectNumberSequence.objects.filter(year=year).update(last_value=sequence)


def bench_submission(url: str, applications: int, concurrency: int) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from kmop.projects.models import ProjectNumberSequence, SizeClassYear
    from kmop.schemes.services import regime_on

    today = timezone.localdate()
    registration, found = applicants(applications + 1, today)
    hot, spread = found[0], found[1 : applications + 1]
    if len(spread) < applications:
        spread = (spread * (applications // max(1, len(spread)) + 1))[:applications]
    regime = regime_on(today)
    cap = regime.yearly_cap(SIZE)
    subsidy = (regime.rate(SIZE, "opleiding", "bedrijfsstrategie", None) * AMOUNT).quantize(Decimal("0.01"))
    if subsidy * applications > cap:
        raise SystemExit(f"{applications} applications of {subsidy} exceed the cap {cap}: ask fewer")
    sequence = (
        ProjectNumberSequence.objects.filter(year=today.year).values_list("last_value", flat=True).first()
    )
    orgs = sorted({hot[0], *(s[0] for s in spread)})
    made = _budget_rows(orgs, today.year, cap)
    sizes = set(
        SizeClassYear.objects.filter(organisation_id__in=orgs, year=today.year).values_list("id", flat=True)
    )
    connection.close()
    context = multiprocessing.get_context("spawn")
    results: dict[str, Any] = {
        "registration": registration,
        "subsidy": subsidy,
        "distinct": len({s[0] for s in spread}),
    }
    with context.Pool(concurrency, initializer=_init, initargs=(url, str(VAR))) as pool:
        pool.map(_warm, range(concurrency), chunksize=1)
        try:
            for name, targets in (("hot", [hot] * applications), ("spread", spread)):
                floor_jobs = [(o, today.year, subsidy) for o, _c, _u in targets]
                results[f"{name}_floor"] = _run(pool, _floor_chunk, floor_jobs, concurrency)
                _undo(orgs, today.year, sequence, sizes)
                jobs = [(o, c, u, registration, f"{LABEL}-{name}-{i}") for i, (o, c, u) in enumerate(targets)]
                results[name] = _run(pool, _submit_chunk, jobs, concurrency)
                _undo(orgs, today.year, sequence, sizes)
        finally:
            _undo(orgs, today.year, sequence, sizes)
            from kmop.projects.models import YearBudget

            YearBudget.objects.filter(organisation_id__in=made, year=today.year).delete()
    return results


# --- the ondernemingsfoto ---------------------------------------------------------------------------------


def foto_sessions(clients: int) -> list[tuple[str, int, int]]:
    """``clients`` applicant enterprises with their number of projects (the one with the most first, then
    spread over the rest), each with a legal representative who may act for it: (session key, organisation
    id, projects)."""
    from django.db.models import Count
    from django.utils import timezone

    from kmop.idm.models import Organisation
    from kmop.projects.models import EnterpriseProfile

    today = timezone.localdate()
    ordered = list(
        Organisation.objects.filter(pk__in=EnterpriseProfile.objects.values("organisation_id"))
        .annotate(n=Count("projects"))
        .order_by("-n", "id")
        .values_list("id", "code", "n")
    )
    step = max(1, len(ordered) // (clients * 4))
    picked: list[tuple[str, int, int]] = []
    for organisation_id, code, n in [ordered[0], *ordered[1::step]]:
        number = _representative(code, today)
        if number is None:
            continue
        _user_id(number)
        try:
            key = acting_session(number, organisation_id)
        except SystemExit:
            continue
        picked.append((key, organisation_id, n))
        if len(picked) >= clients:
            break
    return picked


def _merged(loads: list[Load]) -> Load:
    """Runs of the same measurement together: requests summed, rate and latencies weighted by requests."""
    total = sum(load.requests for load in loads) or 1
    return Load(
        loads[0].tool,
        total,
        sum(load.rate for load in loads) / len(loads),
        sum(load.median_ms * load.requests for load in loads) / total,
        sum(load.p95_ms * load.requests for load in loads) / total,
    )


def bench_foto(url: str, requests: int, clients: int, seconds: float = FOTO_SECONDS) -> dict[str, Any]:
    from django.conf import settings
    from django.test import Client

    sessions = foto_sessions(clients)
    if not sessions:
        raise SystemExit("no enterprise to show")
    # in-process: the page's statements
    client = Client(SERVER_NAME="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = sessions[0][0]
    assert client.get(FOTO).status_code == 200
    with QueryCounter() as counted:
        response = client.get(FOTO)
    assert response.status_code == 200, response.status_code
    in_process: list[float] = []
    for _ in range(20):
        start = time.perf_counter()
        client.get(FOTO)
        in_process.append(time.perf_counter() - start)

    port = free_port()
    env = kmop_env(url)
    env.update({"KMOP_DEBUG": "false", "KMOP_LOG_LEVEL": "WARNING", "KMOP_DB_POOL": "true"})
    server = subprocess.Popen(
        gunicorn_command(port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    cookies = [f"{settings.SESSION_COOKIE_NAME}={key}" for key, _o, _n in sessions]
    try:
        wait_for_server(port)
        pool = [HttpClient(port, cookie) for cookie in cookies]
        http_load(pool, [FOTO, "/health/"], len(pool) * 4)  # warm
        if wrk_path() is not None:  # a C load generator: the clients take no CPU from the server
            loads: dict[str, list[Load]] = {"floor": [], "page": []}
            for _ in range(2):  # alternated
                loads["floor"].append(http_load_wrk(port, cookies, ["/health/"], seconds))
                loads["page"].append(http_load_wrk(port, cookies, [FOTO], seconds))
            floor_load, page_load = (_merged(loads[k]) for k in ("floor", "page"))
            alone_floor = http_load_wrk(port, cookies[:1], ["/health/"], seconds / 2)
            alone_page = http_load_wrk(port, cookies[:1], [FOTO], seconds / 2)
        else:
            floor: list[float] = []
            page: list[float] = []
            floor_wall = page_wall = 0.0
            for _ in range(2):  # alternated
                f = http_load(pool, ["/health/"], requests // 2)
                p = http_load(pool, [FOTO], requests // 2)
                floor += f.seconds
                page += p.seconds
                floor_wall += f.wall
                page_wall += p.wall
            floor_load = Load.of("threads", Timings(floor, floor_wall))
            page_load = Load.of("threads", Timings(page, page_wall))
            alone_floor = Load.of("threads", http_load(pool[:1], ["/health/"], max(40, requests // 8)))
            alone_page = Load.of("threads", http_load(pool[:1], [FOTO], max(40, requests // 8)))
    finally:
        stop_server(server)
    return {
        "floor": floor_load,
        "page": page_load,
        "alone_floor": alone_floor,
        "alone_page": alone_page,
        "clients": len(sessions),
        "projects": [n for _k, _o, n in sessions],
        "queries": counted.count,
        "in_process": Timings(in_process),
    }


# --- the daily deadline pass -----------------------------------------------------------------------------

DEADLINE_FLOOR = (
    "UPDATE projects_project SET status = 'ProjectGeannuleerd', budget_held = 0, status_changed_at = now() "
    "WHERE status = 'Bevestigd' AND deposit_deadline < %s"
)
CLOSE_FLOOR = (
    "UPDATE projects_project SET status = 'Afgewerkt', status_changed_at = now() "
    "WHERE status IN ('Lopend', 'StopzettingAangevraagd') AND application_date < %s"
)


def bench_daily(day: date) -> dict[str, Any]:
    from django.db import connection, transaction

    from kmop.audit.services import Actor
    from kmop.projects import services

    actor = Actor.system("kmop daily")
    result: dict[str, Any] = {"day": day}
    with transaction.atomic():
        with connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(DEADLINE_FLOOR, [day])
            expired = cursor.rowcount
            cursor.execute(CLOSE_FLOOR, [date(day.year - 1, 1, 1)])
            closed = cursor.rowcount
            result["floor"] = time.perf_counter() - start
        result["floor_rows"] = (expired, closed)
        transaction.set_rollback(True)
    with transaction.atomic():
        start = time.perf_counter()
        result["expired"] = services.expire_deposits_bulk(actor=actor, day=day)
        middle = time.perf_counter()
        result["closed"] = services.close_expired_bulk(actor=actor, day=day)
        end = time.perf_counter()
        transaction.set_rollback(True)
    result["deadline_seconds"] = middle - start
    result["close_seconds"] = end - middle
    return result


# --- report -----------------------------------------------------------------------------------------------


def machine() -> str:
    """``machine_description`` asked of the database of this benchmark."""
    return machine_description(projects_url())


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:,.0f} ms"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--scale", type=int, default=int(os.environ.get("BENCH_PROJECTS_SCALE", DEFAULT_SCALE))
    )
    parser.add_argument("--applications", type=int, default=300, help="applications per measurement")
    parser.add_argument("--concurrency", type=int, default=8, help="worker processes submitting at once")
    parser.add_argument("--requests", type=int, default=640, help="HTTP requests per measurement")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument(
        "--foto-seconds",
        type=float,
        default=FOTO_SECONDS,
        help="seconds of each wrk run of the ondernemingsfoto",
    )
    parser.add_argument("--skip", action="append", default=[], choices=["submission", "foto", "daily"])
    args = parser.parse_args(argv)
    url = projects_url()
    ensure_database(url)
    env = kmop_env(url)
    env["KMOP_LOG_LEVEL"] = "WARNING"
    run_measured([KMOP, "migrate", "--no-input", "-v0"], env)
    os.environ["KMOP_DB_POOL"] = "false"
    django_setup(url, str(VAR))
    seeded = prepare(url, args.scale, env)
    counts = population()

    def c(name: str) -> int:
        return counts.get(name, 0)

    submission = (
        bench_submission(url, args.applications, args.concurrency) if "submission" not in args.skip else None
    )
    foto = (
        bench_foto(url, args.requests, args.clients, args.foto_seconds) if "foto" not in args.skip else None
    )
    daily = None
    if "daily" not in args.skip:
        from django.utils import timezone

        today = timezone.localdate()
        daily = [bench_daily(today + timedelta(days=1)), bench_daily(date(today.year + 1, 1, 1))]

    lines = [
        f"## Projects ({args.scale:,} enterprises: {counts.get('projects_projects', 0):,} projects, "
        f"{counts.get('wallet_entries', 0):,} ledger entries)",
        "",
        f"Machine: {machine()}",
        "",
        f"Data: `kmop seed --scale {args.scale}` ({seeded}): {c('projects_profiles'):,} applicant "
        f"enterprises, {c('projects_projects'):,} projects, {c('projects_year_budgets'):,} "
        f"year budgets; wallet {c('wallet_accounts'):,} accounts, "
        f"{c('wallet_transactions'):,} transactions, {c('wallet_entries'):,} entries, "
        f"{c('wallet_payouts'):,} payouts in {c('wallet_payout_batches'):,} batches.",
        "",
    ]
    if submission is not None:
        lines += [
            "### Application submission",
            "",
            f"{args.concurrency} worker processes at once, each its own connection; applications of "
            f"{AMOUNT} euro (subsidy {submission['subsidy']}) with registration "
            f"{submission['registration']}, "
            f"by a legal representative acting for the enterprise; the floor's update adds the same subsidy.",
            "",
            "| measurement | count | per second | median | p95 | outcomes |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for name, title in (
            ("hot", "one hot enterprise"),
            ("spread", f"spread over {submission['distinct']:,} enterprises"),
        ):
            for key, what in ((f"{name}_floor", "floor: conditional UPDATE"), (name, "`application_submit`")):
                r = submission[key]
                outcome = ", ".join(f"{k} {v}" for k, v in sorted(r["outcomes"].items()))
                lines.append(
                    f"| {title}: {what} | {r['count']:,} | {r['rate']:,.0f} | {ms(r['median_ms'])} | "
                    f"{ms(r['p95_ms'])} | {outcome} |"
                )
        lines.append("")
        for name in ("hot", "spread"):
            ratio = submission[name]["rate"] / submission[f"{name}_floor"]["rate"]
            lines.append(f"- {name}: **{ratio:.3f}** of the floor's rate (goal ≥ 0.3)")
        lines.append("")
    if foto is not None:
        ratio = foto["page"].p95_ms / foto["floor"].p95_ms
        lines += [
            "### Ondernemingsfoto",
            "",
            f"gunicorn on 127.0.0.1 ({GUNICORN_WORKERS} sync workers), {foto['clients']} clients at once, "
            "each "
            f"acting for another enterprise (projects: {', '.join(str(n) for n in foto['projects'])}), one "
            f"request at a time, load generator: {foto['page'].tool} (wrk: two alternated runs of "
            f"{args.foto_seconds:g} s each, the server saturated); the floor `/health/` on the same server "
            "with the same sessions.",
            "",
            "| measurement | requests | requests/s | median | p95 |",
            "|---|---:|---:|---:|---:|",
        ]
        for title, t in (
            ("floor: `/health/`", foto["floor"]),
            (f"`{FOTO}`", foto["page"]),
            ("one client alone: floor `/health/`", foto["alone_floor"]),
            (f"one client alone: `{FOTO}`", foto["alone_page"]),
        ):
            lines.append(f"| {title} | {t.requests:,} | {t.rate:,.0f} | {ms(t.median_ms)} | {ms(t.p95_ms)} |")
        lines += [
            "",
            f"- p95 at {foto['clients']} concurrent clients: **{ms(foto['page'].p95_ms)}** (target < 50 ms); "
            f"**{ratio:.1f}×** the floor's p95",
            f"- in-process (Django's test client, one at a time): median {ms(foto['in_process'].median_ms)}, "
            f"{foto['queries']} statements for the enterprise with the most projects",
            "",
        ]
    if daily is not None:
        lines += [
            "### Daily deadline pass (`projects.deposit_deadline`, `projects.close_expired`)",
            "",
            "Each run in a transaction rolled back afterwards; e-mails to the outbox.",
            "",
            "| day | floor: set-based UPDATEs (expired, closed) | `expire_deposits_bulk` "
            "| `close_expired_bulk` | pass |",
            "|---|---:|---:|---:|---:|",
        ]
        for d in daily:
            total = d["deadline_seconds"] + d["close_seconds"]
            lines.append(
                f"| {d['day']:%d/%m/%Y} | {d['floor']:.2f} s "
                f"({d['floor_rows'][0]:,}, {d['floor_rows'][1]:,}) | "
                f"{d['deadline_seconds']:.2f} s ({d['expired']:,}) | {d['close_seconds']:.2f} s "
                f"({d['closed']:,}) | **{total:.2f} s** ({total / d['floor']:.0f}× the floor) |"
            )
        lines += ["", "- target: the pass under 30 s", ""]
    report = "\n".join(lines)
    write_report("projects", report + "\n")
    return report


if __name__ == "__main__":
    print(main())
