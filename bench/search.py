"""The public "Zoek een dienstverlener" on PostgreSQL at the real volume (issue 5, item 7): p95 of typical
searches at 16 concurrent clients, against a floor measured in the same run.

Data: ``--providers N`` (default 20,000, as ``kmop seed --scale 2000000`` makes) synthetic providers in their
own database (``BENCH_SEARCH_DATABASE_URL``, default ``<bench database>_search``), written by this module with
the providers' seed's own rules (``kmop.providers.seed_steps``: the registered office plus 0-3 other
establishments anywhere in Belgium, opleiding for 85 % and advies for 55 %, statuses over all nine with dates
consistent with today, 1-3 fields of expertise) but without the 2 M enterprises of the KBO and the IDM that
the full seed needs first (33 minutes on this machine): the search reads only the providers' tables. ``COPY``
in one transaction, deterministic; reused while it holds N providers seeded today.

- **in-process**: each search through Django's test client, one at a time (median of 20), with its number of
  statements.
- **HTTP**: gunicorn on 127.0.0.1 (4 sync workers, the connection pool, as ``bench/projects.py``), 16 clients
  at once, each one request at a time without pause; load generator wrk when installed (C, no GIL), else
  Python threads. The typical searches (by name; service + postcode + distance; field of expertise;
  municipality) mixed, then each kind alone; the floor is ``/health/`` with the same clients, alternated.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

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
from bench.iam import GUNICORN_WORKERS, gunicorn_command
from bench.iam_common import (
    HttpClient,
    Load,
    QueryCounter,
    django_setup,
    free_port,
    http_load,
    http_load_wrk,
    wait_for_server,
    wrk_path,
)

DEFAULT_PROVIDERS = 20_000
SEED = 1
SEARCH = "/zoek-een-dienstverlener/"
#: seconds of each wrk run
SECONDS = 6.0
ACTION = "bench.search.seed"

#: the typical searches, by kind (each kind's paths are taken in turn by the clients)
SEARCHES: dict[str, list[str]] = {
    "name": [
        f"{SEARCH}?naam=leer",
        f"{SEARCH}?naam=advies",
        f"{SEARCH}?naam=groep",
        f"{SEARCH}?naam=digi",
    ],
    "service + postcode + distance": [
        f"{SEARCH}?dienst=opleiding&plaats=9000&afstand=20",
        f"{SEARCH}?dienst=advies&plaats=2000&afstand=15",
        f"{SEARCH}?dienst=opleiding&plaats=3500&afstand=25",
        f"{SEARCH}?dienst=advies&plaats=8500&afstand=10",
    ],
    "field of expertise": [
        f"{SEARCH}?vakgebied=Digitalisering",
        f"{SEARCH}?vakgebied=talen",
        f"{SEARCH}?vakgebied=Boekhouding",
        f"{SEARCH}?vakgebied=leiderschap&dienst=opleiding",
    ],
    "municipality": [
        f"{SEARCH}?plaats=Gent",
        f"{SEARCH}?plaats=Hasselt",
        f"{SEARCH}?plaats=Antwerpen",
        f"{SEARCH}?plaats=Brugge&dienst=advies",
    ],
}
FLOOR = "/health/"

_PREFIXES = (
    "Leer",
    "Advies",
    "Kennis",
    "Groei",
    "Digi",
    "Fin",
    "Talen",
    "Vita",
    "Strate",
    "Manage",
    "Coach",
    "Proces",
    "Data",
    "Veilig",
    "Groen",
    "Export",
    "Lean",
    "Cyber",
    "Team",
    "Future",
)
_SUFFIXES = (
    "wijs",
    "punt",
    "huis",
    "partners",
    "academie",
    "groep",
    "lab",
    "centrum",
    "team",
    "works",
    "plus",
    "consult",
    "school",
    "instituut",
    "atelier",
)
_FORMS = ("BV", "NV", "VZW", "CommV", "BVBA", "")


def search_url() -> str:
    url = os.environ.get("BENCH_SEARCH_DATABASE_URL")
    if url:
        return url
    info = psycopg.conninfo.conninfo_to_dict(database_url())
    name = f"{info.get('dbname') or 'kmop_bench'}_search"
    user = info.get("user") or "postgres"
    password = f":{info['password']}" if info.get("password") else ""
    return f"postgres://{user}{password}@{info.get('host') or '127.0.0.1'}:{info.get('port') or 5432}/{name}"


# --- data -----------------------------------------------------------------------------------------------


def _seeded(providers: int, today: date) -> bool:
    from kmop.audit.models import AuditEvent
    from kmop.providers.models import Provider

    event = AuditEvent.objects.filter(action=ACTION).order_by("-id").first()
    after = dict(event.after or {}) if event is not None else {}
    return (
        after.get("providers") == providers
        and after.get("today") == today.isoformat()
        and Provider.objects.count() == providers
    )


def seed(providers: int, today: date) -> dict[str, int]:
    """Replace the providers by ``providers`` synthetic ones (see the module's docstring)."""
    from django.db import connection, transaction

    from kmop.audit.services import Actor, audit_record
    from kmop.providers.models import (
        NUMBER_PREFIX,
        Provider,
        ProviderEstablishment,
        Registration,
        Service,
    )
    from kmop.providers.seed_steps import (
        _FIELDS,
        ESTABLISHMENT_COLUMNS,
        PROVIDER_COLUMNS,
        REGISTRATION_COLUMNS,
        _clear,
        _dates,
        _moment,
        _status_of,
    )
    from kmop.registers.geo import postcode_point
    from kmop.registers.synthetic import read_municipalities
    from kmop.registers.synthetic_seed import TableWriter

    places = [m for m in read_municipalities() if postcode_point(m.zipcode) is not None]
    created = _moment(today - timedelta(days=1), 8)
    rng = random.Random(f"{SEED}:search-bench:{providers}")
    with transaction.atomic():
        _clear()
        provider_rows = TableWriter(Provider, PROVIDER_COLUMNS)
        establishment_rows = TableWriter(ProviderEstablishment, ESTABLISHMENT_COLUMNS)
        registration_rows = TableWriter(Registration, REGISTRATION_COLUMNS)
        number = 0
        for provider_id in range(1, providers + 1):
            name = f"{rng.choice(_PREFIXES)}{rng.choice(_SUFFIXES)} {rng.choice(_FORMS)}".strip()
            code = f"0{500_000_000 + provider_id:09d}"
            office = rng.choice(places)
            fields = ", ".join(rng.sample(_FIELDS, rng.randint(1, 3)))
            provider_rows.add(
                (
                    provider_id,
                    10_000_000 + provider_id,
                    name,
                    code,
                    "",
                    "Kerkstraat",
                    str(rng.randint(1, 200)),
                    "",
                    office.zipcode,
                    office.name_nl,
                    "BE",
                    f"Contactpersoon {name}",
                    f"info@provider{provider_id}.example",
                    f"+3292{rng.randrange(100000, 999999)}",
                    f"https://www.provider{provider_id}.example",
                    f"BE{rng.randrange(10**13, 10**14)}",
                    "",
                    fields,
                    f"{name}: {fields.lower()}.",
                    False,
                    code,
                    "",
                    created,
                    created,
                )
            )
            points = [(True, name, office)] + [
                (False, "", rng.choice(places)) for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3)))
            ]
            for is_office, label, place in points:
                point = postcode_point(place.zipcode)
                assert point is not None
                establishment_rows.add(
                    (
                        provider_id,
                        is_office,
                        label,
                        "Stationsstraat",
                        "1",
                        "",
                        place.zipcode,
                        place.name_nl,
                        "BE",
                        point.latitude,
                        point.longitude,
                        created,
                        created,
                    )
                )
            for service, share in ((Service.OPLEIDING, 0.85), (Service.ADVIES, 0.55)):
                if rng.random() >= share:
                    continue
                status = _status_of(rng)
                starter = rng.random() < 0.05
                valid_from, valid_until = _dates(status, rng, today, starter)
                requested = (valid_from or today - timedelta(days=rng.randint(1, 60))) - timedelta(days=30)
                decided_at = (
                    _moment(valid_from or requested + timedelta(days=28), 14) if status != "A" else None
                )
                number += 1
                registration_rows.add(
                    (
                        number,
                        f"{NUMBER_PREFIX[service]}{number:06d}",
                        provider_id,
                        None,
                        service,
                        "prive",
                        status,
                        starter,
                        valid_from,
                        valid_until,
                        _moment(requested, 10),
                        decided_at,
                        "bench" if decided_at else "",
                        "",
                        decided_at or _moment(requested, 10),
                        1,
                    )
                )
        for table in (provider_rows, establishment_rows, registration_rows):
            table.flush()
        counts = {
            "providers": provider_rows.count,
            "establishments": establishment_rows.count,
            "registrations": registration_rows.count,
        }
        audit_record(
            actor=Actor.system("bench search"),
            action=ACTION,
            object_type="providers.Provider",
            object_id="*",
            after={**counts, "today": today.isoformat()},
            reason="bench search",
        )
    with connection.cursor() as cursor:
        for model in (Provider, ProviderEstablishment, Registration):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return counts


def population(today: date) -> dict[str, int]:
    from kmop.providers.models import Provider, ProviderEstablishment, Registration
    from kmop.providers.selectors import valid_on_q

    return {
        "providers": Provider.objects.count(),
        "establishments": ProviderEstablishment.objects.count(),
        "registrations": Registration.objects.count(),
        "valid": Provider.objects.filter(
            pk__in=Registration.objects.filter(valid_on_q(today)).values("provider_id")
        ).count(),
    }


# --- measurements -----------------------------------------------------------------------------------------


def _backend_cpu() -> float | None:
    """CPU seconds (user + system) of this connection's PostgreSQL backend so far, from /proc (the database
    on this machine), else None."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    try:
        fields = Path(f"/proc/{row[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class InProcess:
    """One kind of search in-process: wall-clock median, the CPU of this process and of the database backend
    per request (independent of what else the machine runs), statements, results."""

    median_ms: float
    cpu_ms: float
    db_cpu_ms: float | None
    statements: int
    found: int


def in_process(rounds: int = 40) -> dict[str, InProcess]:
    import re

    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1")
    out: dict[str, InProcess] = {}
    for kind, paths in SEARCHES.items():
        seconds: list[float] = []
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        with QueryCounter() as counted:
            response = client.get(paths[0])
        found = re.search(r"Er werd(?:en)? ([\d.]+) dienstverlener", response.content.decode())
        db_start = _backend_cpu()
        cpu_start = time.process_time()
        for i in range(rounds):
            start = time.perf_counter()
            client.get(paths[i % len(paths)])
            seconds.append(time.perf_counter() - start)
        cpu = (time.process_time() - cpu_start) / rounds * 1000
        db_end = _backend_cpu()
        out[kind] = InProcess(
            median_ms=statistics.median(seconds) * 1000,
            cpu_ms=cpu,
            db_cpu_ms=(db_end - db_start) / rounds * 1000
            if db_start is not None and db_end is not None
            else None,
            statements=counted.count,
            found=int(found.group(1).replace(".", "")) if found else 0,
        )
    return out


def http(url: str, clients: int, seconds: float, requests: int) -> dict[str, Load]:
    port = free_port()
    env = kmop_env(url)
    env.update({"KMOP_DEBUG": "false", "KMOP_LOG_LEVEL": "WARNING", "KMOP_DB_POOL": "true"})
    server = subprocess.Popen(
        gunicorn_command(port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    cookies = [f"bench={i}" for i in range(clients)]
    mixed = [path for group in zip(*SEARCHES.values(), strict=True) for path in group]
    loads: dict[str, Load] = {}
    try:
        wait_for_server(port)
        pool = [HttpClient(port, cookie) for cookie in cookies]
        http_load(pool, [*mixed, FLOOR], len(pool) * 4)  # warm every worker
        if wrk_path() is not None:
            floors, pages = [], []
            for _ in range(2):  # alternated
                floors.append(http_load_wrk(port, cookies, [FLOOR], seconds))
                pages.append(http_load_wrk(port, cookies, mixed, seconds))
            loads["floor"] = _merged(floors)
            loads["mixed"] = _merged(pages)
            for kind, paths in SEARCHES.items():
                loads[kind] = http_load_wrk(port, cookies, paths, seconds / 2)
            loads["alone"] = http_load_wrk(port, cookies[:1], mixed, seconds / 2)
        else:
            floor = http_load(pool, [FLOOR], requests)
            page = http_load(pool, mixed, requests)
            loads["floor"] = Load.of("threads", floor)
            loads["mixed"] = Load.of("threads", page)
            for kind, paths in SEARCHES.items():
                loads[kind] = Load.of("threads", http_load(pool, paths, max(len(pool), requests // 2)))
            loads["alone"] = Load.of("threads", http_load(pool[:1], mixed, max(8, requests // 8)))
    finally:
        stop_server(server)
    return loads


def _merged(loads: list[Load]) -> Load:
    total = sum(load.requests for load in loads) or 1
    return Load(
        loads[0].tool,
        total,
        sum(load.rate for load in loads) / len(loads),
        sum(load.median_ms * load.requests for load in loads) / total,
        sum(load.p95_ms * load.requests for load in loads) / total,
    )


# --- report -----------------------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:,.0f} ms"


def machine() -> str:
    return machine_description(search_url())


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--providers", type=int, default=int(os.environ.get("BENCH_SEARCH_PROVIDERS", DEFAULT_PROVIDERS))
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="seconds of each wrk run")
    parser.add_argument("--requests", type=int, default=640, help="requests per measurement without wrk")
    args = parser.parse_args(argv)
    url = search_url()
    ensure_database(url)
    env = kmop_env(url)
    env["KMOP_LOG_LEVEL"] = "WARNING"
    migrated = run_measured([KMOP, "migrate", "--no-input", "-v0"], env)
    os.environ["KMOP_DB_POOL"] = "false"
    django_setup(url, str(VAR))
    from django.utils import timezone

    today = timezone.localdate()
    if _seeded(args.providers, today):
        how = "reused"
    else:
        start = time.perf_counter()
        seed(args.providers, today)
        how = f"written in {time.perf_counter() - start:.1f} s"
    counts = population(today)
    local = in_process()
    loads = http(url, args.clients, args.seconds, args.requests)
    floor, mixed = loads["floor"], loads["mixed"]
    lines = [
        f"## Zoek een dienstverlener ({counts['providers']:,} providers)",
        "",
        f"Machine: {machine()}",
        "",
        f"Data: {counts['providers']:,} providers ({how}; migrate {migrated.seconds:.0f} s), "
        f"{counts['establishments']:,} establishments, {counts['registrations']:,} registrations; "
        f"{counts['valid']:,} providers with a registration valid today.",
        "",
        "In-process (Django's test client, one request at a time; wall-clock median of 40, and the CPU time "
        "per request of the Django process and of the PostgreSQL backend, which do not depend on what else "
        "the machine runs):",
        "",
        "| search | median | Django CPU | PostgreSQL CPU | statements | found |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, r in local.items():
        db_cpu = ms(r.db_cpu_ms) if r.db_cpu_ms is not None else "?"
        lines.append(
            f"| {kind} (`{SEARCHES[kind][0].removeprefix(SEARCH)}`) | {ms(r.median_ms)} | {ms(r.cpu_ms)} | "
            f"{db_cpu} | {r.statements} | {r.found:,} |"
        )
    lines += [
        "",
        f"HTTP: gunicorn on 127.0.0.1 ({GUNICORN_WORKERS} sync workers), {args.clients} clients at once, "
        f"each one request at a time without pause, load generator: {mixed.tool}"
        + (
            f" ({args.seconds:g} s runs, the floor and the mix alternated twice)"
            if mixed.tool == "wrk"
            else ""
        )
        + "; the floor `/health/` with the same clients.",
        "",
        "| measurement | requests | requests/s | median | p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    rows = [("floor: `/health/`", floor), ("the four kinds mixed", mixed)]
    rows += [(kind, loads[kind]) for kind in SEARCHES]
    rows.append(("one client alone, mixed", loads["alone"]))
    for title, load in rows:
        lines.append(
            f"| {title} | {load.requests:,} | {load.rate:,.0f} | {ms(load.median_ms)} | {ms(load.p95_ms)} |"
        )
    lines += [
        "",
        f"- p95 at {args.clients} concurrent clients, typical searches mixed: **{ms(mixed.p95_ms)}** "
        f"(target < 50 ms); **{mixed.p95_ms / floor.p95_ms:.1f}×** the floor's p95 ({ms(floor.p95_ms)})",
        f"- one client alone: p95 {ms(loads['alone'].p95_ms)}",
        "",
    ]
    report = "\n".join(lines)
    write_report("search", report + "\n")
    return report


if __name__ == "__main__":
    print(main())
