"""camt.053 import on PostgreSQL: ``import_statement`` of a statement with N credit entries for N seeded
projects in Bevestigd (a share with a wrong amount or an unknown reference), against a floor: the same file
read with ``ElementTree.iterparse`` (every element, cleared as it goes) without booking anything. Prints the
time, its ratio to the floor, the time of the same file imported again, and where the time goes (the
import's DEBUG step timings, summed over its chunks, and the commit timed apart).

Runs in-process on its own database (``<bench database>_wallet``, dropped and made again each run), so the
projects are seeded by bulk insert (the application wizard is measured elsewhere). Target: 100,000 entries
under 20 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import psycopg
from psycopg import sql

from bench.common import BENCH_DIR, database_url, ensure_database, machine_description, write_report

NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"


def _fresh_database() -> str:
    ensure_database(database_url())
    info = psycopg.conninfo.conninfo_to_dict(database_url())
    name = f"{info.get('dbname') or 'kmop_bench'}_wallet"
    admin = psycopg.conninfo.make_conninfo(database_url(), dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return psycopg.conninfo.make_conninfo(database_url(), dbname=name)


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmop.conf.settings")
    os.environ.setdefault("KMOP_LOG_LEVEL", "WARNING")
    import django

    django.setup()


def _url(conninfo: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(conninfo)
    user = info.get("user") or "postgres"
    password = f":{info['password']}" if info.get("password") else ""
    host = info.get("host") or "127.0.0.1"
    port = info.get("port") or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{info['dbname']}"


def seed(n: int) -> list[tuple[str, Decimal]]:
    """N projects in Bevestigd of one enterprise and one provider; returns (reference, own contribution)."""
    from django.utils import timezone

    from kmop.idm.models import Organisation
    from kmop.projects.models import Project
    from kmop.projects.services import structured_reference_for
    from kmop.providers.models import Provider, Registration

    now = timezone.now()
    enterprise = Organisation.objects.create(code="0934567878", name="Bench BV", target_group="EA")
    provider_org = Organisation.objects.create(code="0912345673", name="Leerwijs BV", target_group="EA")
    provider = Provider.objects.create(
        organisation=provider_org,
        legal_name="Leerwijs BV",
        enterprise_number="0912345673",
        contact_name="Bench",
        contact_email="bench@example.org",
        iban="BE71096123456769",
        login="bench",
    )
    registration = Registration.objects.create(
        number="DV.O000001",
        provider=provider,
        service="opleiding",
        basis="prive",
        status="G",
        valid_from=date(2016, 1, 1),
        valid_until=date(2030, 1, 1),
        requested_at=now,
        status_changed_at=now,
    )
    rows = []
    out = []
    for i in range(1, n + 1):
        number = f"2025KMO{i:06d}"
        reference = structured_reference_for(number)
        amount = Decimal(100 + i % 900) + Decimal("0.50")
        subsidy = (amount * Decimal("0.3")).quantize(Decimal("0.01"))
        rows.append(
            Project(
                number=number,
                organisation=enterprise,
                registration=registration,
                service="opleiding",
                title=f"Opleiding {i}",
                start_date=date(2025, 3, 3),
                hours=Decimal("8"),
                amount=amount,
                application_date=date(2025, 3, 10),
                regime_from=date(2026, 2, 1),
                size_class="KO",
                rate=Decimal("0.3000"),
                subsidy=subsidy,
                own_contribution=amount - subsidy,
                budget_held=subsidy,
                structured_reference=reference,
                deposit_deadline=date(2025, 4, 9),
                status="Bevestigd",
                status_changed_at=now,
            )
        )
        out.append((reference, amount - subsidy))
        if len(rows) == 5000:
            Project.objects.bulk_create(rows)
            rows = []
    Project.objects.bulk_create(rows)
    return out


def make_statement(path: Path, projects: list[tuple[str, Decimal]], wrong_every: int) -> None:
    day = date(2025, 3, 11)
    with path.open("w", encoding="utf-8") as out:
        out.write(f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{NS}"><BkToCstmrStmt>')
        out.write("<GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2025-03-11T18:00:00</CreDtTm></GrpHdr>")
        out.write("<Stmt><Id>BENCH-1</Id><Acct><Id><IBAN>BE71096123456769</IBAN></Id></Acct>\n")
        for i, (reference, own) in enumerate(projects, start=1):
            amount = own
            if wrong_every and i % wrong_every == 0:
                amount = own + Decimal("1.00")
            if wrong_every and i % wrong_every == 1 and i > 1:
                base = f"{9_000_000_000 + i:010d}"
                reference = f"{base}{int(base) % 97 or 97:02d}"
            ogm = f"+++{reference[:3]}/{reference[3:7]}/{reference[7:]}+++"
            out.write(
                f'<Ntry><NtryRef>{i}</NtryRef><Amt Ccy="EUR">{amount:.2f}</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
                f"<Sts>BOOK</Sts><BookgDt><Dt>{day + timedelta(days=i % 3)}</Dt></BookgDt>"
                f"<AcctSvcrRef>BENCH{i:09d}</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>Bench BV</Nm>"
                f"</Dbtr><DbtrAcct><Id><IBAN>DE89370400440532013000</IBAN></Id></DbtrAcct></RltdPties>"
                f"<RmtInf><Strd><CdtrRefInf><Ref>{ogm}</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls>"
                f"</Ntry>\n"
            )
        out.write("</Stmt></BkToCstmrStmt></Document>\n")


class _Steps(logging.Handler):
    """Adds up the import's DEBUG lines "camt step <what> <seconds>" per step (over the chunks)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seconds: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("camt step "):
            what, _sep, value = message.removeprefix("camt step ").rstrip(" s").rpartition(" ")
            name = " ".join(what.split())
            self.seconds[name] = self.seconds.get(name, 0.0) + float(value)

    def table(self, total: float) -> str:
        rows = sorted(self.seconds.items(), key=lambda item: -item[1])
        return "\n".join(f"| {name} | {value:.2f} | {100 * value / total:.0f} % |" for name, value in rows)


def floor(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    count = 0
    for _event, element in ET.iterparse(path, events=("end",)):  # noqa: S314  (our own file)
        if element.tag == f"{{{NS}}}Ntry":
            count += 1
            element.clear()
    return time.perf_counter() - start, count


def main(argv: list[str]) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench camt_import")
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument(
        "--wrong-every", type=int, default=20, help="every Nth entry a wrong amount (0: none)"
    )
    args = parser.parse_args(argv)
    url = _url(_fresh_database())
    _setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    projects = seed(args.entries)
    seed_seconds = time.perf_counter() - t0
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    path = BENCH_DIR / f"camt053_{args.entries}.xml"
    make_statement(path, projects, args.wrong_every)
    floor_seconds, count = floor(path)

    from django.db import transaction

    from kmop.audit.services import Actor
    from kmop.wallet.camt import import_statement

    handler = _Steps()
    camt_logger = logging.getLogger("kmop.wallet.camt")
    camt_logger.addHandler(handler)
    camt_logger.setLevel(logging.DEBUG)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    with transaction.atomic():  # only to time the commit (the deferred checks) apart
        with path.open("rb") as handle:
            report = import_statement(handle, actor=Actor.system("bench"))
        before_commit = time.perf_counter()
    seconds = time.perf_counter() - start
    handler.seconds["COMMIT (deferred foreign keys, balance trigger)"] = seconds - (before_commit - start)
    camt_logger.removeHandler(handler)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    with path.open("rb") as handle:
        again = import_statement(handle, actor=Actor.system("bench"))
    again_seconds = time.perf_counter() - start
    size_mb = path.stat().st_size / 2**20
    text = (
        f"## camt.053 import ({count:,} entries, {size_mb:.0f} MB)\n\n"
        f"{machine_description()}\n\n"
        f"| run | seconds | note |\n|---|---|---|\n"
        f"| floor: iterparse, nothing booked | {floor_seconds:.2f} | |\n"
        f"| import_statement | {seconds:.2f} | {report.deposits:,} deposits, {report.refunds:,} refunds; "
        f"ratio to the floor {seconds / floor_seconds:.1f}×; "
        f"peak RSS {rss_before:.0f} → {rss_after:.0f} MB |\n"
        f"| the same file again | {again_seconds:.2f} | "
        f"{again.already_booked:,} already booked, nothing booked |\n"
        f"\nWhere the import's time goes (summed over the chunks):\n\n"
        f"| step | seconds | share |\n|---|---|---|\n"
        f"{handler.table(seconds)}\n"
        f"\nTarget: 100,000 entries under 20 s → "
        f"{('met' if seconds < 20 else 'NOT met') if count >= 100_000 else 'measured at 100,000 only'} "
        f"(seed of the projects: {seed_seconds:.1f} s)\n"
    )
    write_report("camt_import", text)
    return text
