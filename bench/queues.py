"""The back office's work queues (issue 6) on PostgreSQL at national scale: each queue's page under 16
concurrent clients, against a floor of the same run.

Data: the dashboards benchmark's database (``bench/dashboards.py``: the portal's synthetic 1.5 M projects,
20,000 providers, their registrations spread over every status, so thousands of requests A, G/V and L/H wait),
``BENCH_QUEUES_DATABASE_URL`` to name another; built when missing, else reused. Added once (marked in the
audit): ``STOPS`` projects in StopzettingAangevraagd with their request in the history, ``REPORTS`` open
reports of providers, ``DEPOSITS`` unmatched credits with their refund waiting (booked through the wallet's
``book_many``), and a fifth of each queue's items taken by staff; VLAIO's staff member An (Medewerker).

Measured: gunicorn on 127.0.0.1 (4 sync workers, the pool, as the other HTTP benchmarks), ``--clients``
clients at once, each with its own session of An acting for VLAIO (eID), each taking in turn every queue's
URL with the filter all and free (8 URLs); floor: ``/health/`` with the same clients and sessions, the runs
alternated (wrk when installed, else Python threads). Then each URL alone in this process (the test client):
median, statements and the number of items the page says wait.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg

from bench import portal_data
from bench.common import (
    KMOP,
    VAR,
    ensure_database,
    give_right,
    kmop_env,
    machine_description,
    run_measured,
    stop_server,
)
from bench.dashboards import dashboards_url, spread
from bench.iam import GUNICORN_WORKERS, gunicorn_command
from bench.iam_common import (
    HttpClient,
    Load,
    QueryCounter,
    acting_session,
    django_setup,
    free_port,
    http_load,
    http_load_wrk,
    wait_for_server,
    wrk_path,
)

MARK = "bench.queues.items"
STOPS, REPORTS, DEPOSITS = 3_000, 500, 5_000
STAFF_NUMBER = "83041899839"
QUEUES = (
    "/backoffice/registraties/",
    "/backoffice/stopzettingen/",
    "/backoffice/meldingen/",
    "/backoffice/stortingen/",
)
SECONDS = 10.0
TARGET_MS = 100.0

ITEMS_SQL = """
WITH picked AS (
    SELECT id FROM projects_project WHERE status = 'Lopend' ORDER BY id LIMIT {stops}
), changed AS (
    UPDATE projects_project p SET status = 'StopzettingAangevraagd',
        status_changed_at = now() - (p.id % 90) * interval '1 day'
    FROM picked WHERE p.id = picked.id RETURNING p.id, p.status_changed_at
)
INSERT INTO projects_projectstatuschange (project_id, from_status, to_status, action, at, actor_label, reason,
                                          proof_name)
SELECT id, 'Lopend', 'StopzettingAangevraagd', 'request_stop', status_changed_at, 'bench',
       'De opleiding gaat niet door: de zaakvoerder is ziek.',
       CASE WHEN id % 2 = 0 THEN 'bewijs.pdf' ELSE '' END
FROM changed;

INSERT INTO projects_projectreport (project_id, provider_organisation_id, message, actor_label, created_at,
                                    status, closed_by, closing_note)
SELECT p.id, pr.organisation_id, 'Het project werd niet uitgevoerd zoals aangevraagd; graag contact.',
       'bench', now() - (p.id % 120) * interval '1 day', 'open', '', ''
FROM (SELECT id, registration_id FROM projects_project WHERE status = 'Afgewerkt'
      ORDER BY id LIMIT {reports}) p
JOIN providers_registration r ON r.id = p.registration_id
JOIN providers_provider pr ON pr.id = r.provider_id;
"""


def staff_organisation() -> tuple[int, str]:
    """VLAIO and An, Medewerker with the staff right (made once through the IDM services)."""
    from kmop.audit.services import Actor
    from kmop.idm import services as idm_services
    from kmop.idm.models import Organisation, RightDefinition, RightGrant
    from kmop.registers.models import NationalRegisterPerson

    system = Actor.system("bench")
    code = sorted(RightDefinition.objects.get(code="VLAIOInkomGebruiker").organisation_codes)[0]
    vlaio = Organisation.objects.filter(code=code).first()
    if vlaio is None:
        vlaio = idm_services.organisation_create_government(actor=system, code=code, name="VLAIO")
    if not RightGrant.objects.filter(
        right__code="VLAIOInkomGebruiker", work_relation__organisation=vlaio
    ).exists():
        NationalRegisterPerson.objects.get_or_create(
            national_number=STAFF_NUMBER,
            defaults={
                "first_name": "An",
                "last_name": "Wouters",
                "birth_date": date(1983, 4, 18),
                "sex": "F",
            },
        )
        give_right(
            vlaio,
            STAFF_NUMBER,
            "VLAIOInkomGebruiker",
            "Medewerker",
            category="ambtenaar",
            email="an@vlaio.example",
            label="bench",
        )
    return vlaio.pk, code


def add_items(url: str) -> dict[str, Any]:
    """The queues' items (once; marked in the audit)."""
    from django.db import transaction

    from kmop.audit.services import Actor, audit_record
    from kmop.backoffice.models import Assignment, Queue
    from kmop.wallet.models import AccountKind, Payout, TransactionKind
    from kmop.wallet.services import Booking, book_many, system_account

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT after FROM audit_auditevent WHERE action = %s ORDER BY id DESC LIMIT 1", [MARK]
        ).fetchone()
        if row:
            return {**dict(row[0]), "how": "reused"}
    from kmop.acm.models import User

    user, _created = User.objects.get_or_create(
        username=STAFF_NUMBER, defaults={"national_number": STAFF_NUMBER}
    )
    start = time.perf_counter()
    with psycopg.connect(url) as conn:
        for statement in ITEMS_SQL.format(stops=STOPS, reports=REPORTS).split(";\n\n"):
            conn.execute(statement)
    actor = Actor.system("bench")
    bank, refunds = system_account(AccountKind.BANK), system_account(AccountKind.REFUNDS)
    with transaction.atomic():
        bookings = [
            Booking(
                kind=TransactionKind.UNMATCHED,
                project=None,
                lines=[(bank, -amount), (refunds, amount)],
                reference=f"BENCH-UNMATCHED-{i}",
                memo="Storting terug te betalen: onbekende gestructureerde mededeling",
            )
            for i in range(DEPOSITS)
            for amount in [Decimal(100 + (i * 37) % 4900) + Decimal("0.50")]
        ]
        ledgers = book_many(actor=actor, bookings=bookings)
        Payout.objects.bulk_create(
            Payout(
                kind=Payout.Kind.REFUND,
                transaction=ledger,
                amount=booking.lines[1][1],
                iban="BE71096123456769" if i % 5 else "",
                name=f"Onderneming {i}",
                remittance="Terugbetaling: onbekende gestructureerde mededeling",
                created_by="bench",
            )
            for i, (ledger, booking) in enumerate(zip(ledgers, bookings, strict=True))
        )
    keys = {
        Queue.REGISTRATIONS: "SELECT number FROM providers_registration WHERE status IN ('A', 'G/V', 'L/H')",
        Queue.STOPS: "SELECT number FROM projects_project WHERE status = 'StopzettingAangevraagd'",
        Queue.REPORTS: "SELECT id::text FROM projects_projectreport WHERE status = 'open'",
        Queue.DEPOSITS: "SELECT id::text FROM wallet_payout WHERE batch_id IS NULL AND project_id IS NULL",
    }
    from django.db import connection

    taken = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for queue, sql in keys.items():
            cursor.execute(sql)
            rows = [r[0] for r in cursor.fetchall()][::5]
            Assignment.objects.bulk_create(
                Assignment(queue=queue, key=key, assignee=user, assigned_by="bench") for key in rows
            )
            taken += len(rows)
        info = {"stops": STOPS, "reports": REPORTS, "deposits": DEPOSITS, "taken": taken}
        audit_record(actor=actor, action=MARK, object_type="bench", object_id="queues", after=info)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return {**info, "how": f"built ({time.perf_counter() - start:.0f} s)"}


def in_process(cookie: str, urls: list[str], repeats: int = 5) -> list[dict[str, Any]]:
    """Each URL alone through Django's test client: median time, statements, the count shown."""
    from django.conf import settings
    from django.test import Client

    client = Client(SERVER_NAME="127.0.0.1", HTTP_ACCEPT_LANGUAGE="nl")
    client.cookies[settings.SESSION_COOKIE_NAME] = cookie
    rows = []
    for path in urls:
        client.get(path)  # warm
        times = []
        for _ in range(repeats):
            with QueryCounter() as counter:
                start = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code}")
        found = re.search(r'id="[a-z-]+-count">((?:Meer dan )?[\d.]+)', response.content.decode())
        count = found.group(1) if found else "?"
        rows.append(
            {
                "path": path,
                "median_ms": statistics.median(times) * 1000,
                "queries": counter.count,
                "count": count,
            }
        )
    return rows


def ms(value: float) -> str:
    return f"{value:.1f} ms"


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="seconds of each wrk run")
    parser.add_argument("--requests", type=int, default=640, help="requests per run without wrk")
    parser.add_argument("--projects", type=int, default=portal_data.PROJECTS)
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_QUEUES_DATABASE_URL") or dashboards_url()
    ensure_database(url)
    env = kmop_env(url)
    env["KMOP_LOG_LEVEL"] = "WARNING"
    run_measured([KMOP, "migrate", "--no-input", "-v0"], env)
    os.environ["KMOP_DB_POOL"] = "false"
    django_setup(url, str(VAR))
    from django.conf import settings
    from django.utils import timezone

    today = timezone.localdate()
    data = portal_data.synthetic(url, portal_data.LARGE, today, args.projects)
    spread(url)
    organisation_id, _code = staff_organisation()
    items = add_items(url)
    with psycopg.connect(url) as conn:
        total = conn.execute("SELECT count(*) FROM projects_project").fetchone()[0]  # type: ignore[index]
    keys = [acting_session(STAFF_NUMBER, organisation_id) for _ in range(args.clients)]
    cookies = [f"{settings.SESSION_COOKIE_NAME}={key}" for key in keys]
    urls = [f"{queue}?behandelaar={which}" for queue in QUEUES for which in ("alle", "vrij")]
    singles = in_process(keys[0], urls)

    port = free_port()
    server_env = kmop_env(url)
    server_env.update({"KMOP_DEBUG": "false", "KMOP_LOG_LEVEL": "WARNING", "KMOP_DB_POOL": "true"})
    server = subprocess.Popen(
        gunicorn_command(port), env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    loads: dict[str, Load] = {}
    per_queue: dict[str, Load] = {}
    try:
        wait_for_server(port)
        pool = [HttpClient(port, cookie) for cookie in cookies]
        http_load(pool, [*urls, "/health/"], len(pool) * 4)  # warm
        if wrk_path() is not None:
            from bench.projects import _merged

            runs: dict[str, list[Load]] = {"floor": [], "page": []}
            for _ in range(2):  # alternated
                runs["floor"].append(http_load_wrk(port, cookies, ["/health/"], args.seconds))
                runs["page"].append(http_load_wrk(port, cookies, urls, args.seconds))
            loads["floor"], loads["page"] = _merged(runs["floor"]), _merged(runs["page"])
            for queue in QUEUES:
                mine = [u for u in urls if u.startswith(queue)]
                per_queue[queue] = http_load_wrk(port, cookies, mine, args.seconds / 2)
        else:
            loads["floor"] = Load.of("threads", http_load(pool, ["/health/"], args.requests))
            loads["page"] = Load.of("threads", http_load(pool, urls, args.requests))
            for queue in QUEUES:
                mine = [u for u in urls if u.startswith(queue)]
                per_queue[queue] = Load.of("threads", http_load(pool, mine, args.requests // 2))
    finally:
        stop_server(server)

    machine = machine_description(url)
    floor = loads["floor"]
    lines = [
        f"## Back office work queues ({total:,} projects)",
        "",
        f"Machine: {machine}",
        "",
        f"Data: {data['how']}; queue items {items['how']}: {items['stops']:,} stop requests, "
        f"{items['reports']:,} open reports, {items['deposits']:,} unmatched deposits, the pending "
        f"registrations of the spread; {items['taken']:,} items taken by An.",
        "",
        f"gunicorn on 127.0.0.1 ({GUNICORN_WORKERS} sync workers, the pool), {len(cookies)} clients at once, "
        f"each its own session of An acting for VLAIO; load generator {floor.tool}; target p95 < "
        f"{TARGET_MS:.0f} ms.",
        "",
        "| measurement | requests | requests/s | median | p95 | p95 / floor p95 |",
        "|---|---:|---:|---:|---:|---:|",
        f"| floor: `/health/` | {floor.requests:,} | {floor.rate:.0f} | {ms(floor.median_ms)} | "
        f"{ms(floor.p95_ms)} | 1.0 |",
        f"| the four queues, filters all and free, in turn | {loads['page'].requests:,} | "
        f"{loads['page'].rate:.0f} | {ms(loads['page'].median_ms)} | {ms(loads['page'].p95_ms)} | "
        f"{loads['page'].p95_ms / floor.p95_ms:.1f} |",
    ]
    for queue, load in per_queue.items():
        lines.append(
            f"| `{queue}` alone | {load.requests:,} | {load.rate:.0f} | {ms(load.median_ms)} | "
            f"{ms(load.p95_ms)} | {load.p95_ms / floor.p95_ms:.1f} |"
        )
    lines += [
        "",
        "In this process, one request at a time (median of 5):",
        "",
        "| URL | items waiting | median | statements |",
        "|---|---:|---:|---:|",
    ]
    for row in singles:
        lines.append(f"| `{row['path']}` | {row['count']} | {ms(row['median_ms'])} | {row['queries']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main(sys.argv[1:]))
