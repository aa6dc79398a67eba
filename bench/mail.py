"""Outbox delivery on PostgreSQL: 10,000 realistic mails queued in the outbox, delivered by the real
``kmop send_mail --once`` (one or more worker processes) to a local SMTP sink (aiosmtpd on 127.0.0.1), timed
until every row is marked sent; the sink must have received exactly the 10,000 distinct Message-IDs. Floor,
measured in the same run against the same sink: the same number of prebuilt messages of the same size sent
with ``smtplib`` over one connection by a process of its own (what the wire and the sink cost, nothing of the
platform).

The mix (issue 6: what the platform mails): 60 % reminders to holders and 10 % digests to administrators
(queued rows, ``template`` + JSON context, rendered by the worker, text and HTML, Dutch and English), 30 %
rendered mails as the apps hand them to ``django.core.mail`` (a project's mail, text; one in ten with a PDF
attachment like the provider's certificate).

Runs on its own database (``<bench database>_mail``, dropped and made again each run). Target: under 60 s.
"""

from __future__ import annotations

import argparse
import email.policy
import os
import pickle
import re
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from email.utils import make_msgid
from typing import Any

import psycopg
from psycopg import sql

from bench.common import (
    BENCH_DIR,
    KMOP,
    REPO,
    VAR,
    database_url,
    ensure_database,
    machine_description,
    sibling_url,
    write_report,
)

TARGET_SECONDS = 60.0
BASE_URL = "https://kmo-portefeuille.example"
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


def _fresh_database() -> str:
    ensure_database(database_url())
    info = psycopg.conninfo.conninfo_to_dict(database_url())
    name = f"{info.get('dbname') or 'kmop_bench'}_mail"
    admin = psycopg.conninfo.make_conninfo(database_url(), dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return sibling_url("mail")


def _setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["KMOP_VAR_DIR"] = str(VAR)
    os.environ["KMOP_BASE_URL"] = BASE_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kmop.conf.settings")
    os.environ.setdefault("KMOP_LOG_LEVEL", "WARNING")
    import django

    django.setup()


# --- the SMTP sink --------------------------------------------------------------------------------------


class Sink:
    """Records the Message-ID of every message accepted (a header scan, no MIME parsing: the sink runs in
    this process, on the same two cores as the workers)."""

    def __init__(self) -> None:
        self.ids: list[bytes] = []
        self.bytes = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.original_content or envelope.content
        head = content.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head.replace(b"\r\n", b"\n"))
        with self.lock:
            self.ids.append(found.group(1) if found else b"")
            self.bytes += len(content)
        return "250 OK"

    def reset(self) -> None:
        with self.lock:
            self.ids.clear()
            self.bytes = 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- the mails ------------------------------------------------------------------------------------------

FIRST = ["Jonas", "An", "Pieter", "Sofie", "Wim", "Lotte", "Koen", "Els", "Bram", "Nele", "Jan", "Lien"]
LAST = ["Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens", "Wouters"]
RIGHTS = [
    ("VLAIO kmo-portefeuille gebruiker", "VLAIO SME wallet user", "Gebruiker", "User"),
    ("VLAIO kmo-portefeuille dienstverlener", "VLAIO SME wallet provider", "Beheerder", "Administrator"),
    ("Loket Ondernemers", "Business counter", "", ""),
]
PROJECT_BODY = (
    "Beste {name},\n\nUw project {number} ({title}) bij {provider} werd ingediend op {day}. De subsidie "
    "bedraagt {subsidy} euro; uw eigen bijdrage van {own} euro moet binnen 30 dagen op de rekening van het "
    "Agentschap Innoveren en Ondernemen staan, met de gestructureerde mededeling {reference}.\n\n"
    "U volgt uw project op in het e-loket: {base}/e-loket/projecten/{number}/\n\n"
    "Met vriendelijke groeten,\nHet kmo-portefeuilleteam\nAgentschap Innoveren en Ondernemen\n"
)


def _organisation(i: int) -> dict[str, Any]:
    return {
        "organisation_code": f"0{400000000 + i * 97 % 99999999:09d}"[:10],
        "organisation_name": f"{LAST[i % len(LAST)]} & {FIRST[i % len(FIRST)]} BV",
        "target_group": "EA",
        "base_url": "https://kmo-portefeuille.example",
    }


def _holder_context(i: int) -> dict[str, Any]:
    right_nl, right_en, profile_nl, profile_en = RIGHTS[i % len(RIGHTS)]
    return {
        **_organisation(i),
        "first_name": FIRST[i % len(FIRST)],
        "right_nl": right_nl,
        "right_en": right_en,
        "context_value": profile_nl,
        "profile_nl": profile_nl,
        "profile_en": profile_en,
        "department": "",
        "end_date": f"2026-12-{1 + i % 9:02d}",
        "profile_url": "https://mijnprofiel.vlaanderen.be/",
    }


def _digest_context(i: int) -> dict[str, Any]:
    rows = []
    for k in range(1 + i % 6):
        right_nl, right_en, profile_nl, profile_en = RIGHTS[(i + k) % len(RIGHTS)]
        rows.append(
            {
                "grant_id": i * 10 + k,
                "relation_id": i * 10 + k,
                "first_name": FIRST[(i + k) % len(FIRST)],
                "last_name": LAST[(i + k) % len(LAST)],
                "right_nl": right_nl,
                "right_en": right_en,
                "context_value": profile_nl,
                "profile_nl": profile_nl,
                "profile_en": profile_en,
                "department": "",
                "end_date": f"2026-12-{1 + (i + k) % 9:02d}",
            }
        )
    return {**_organisation(i), "rows": rows}


def queue(n: int) -> Counter[str]:
    """Queue ``n`` mails as the platform does: queued rows in bulk (the reminder pass writes them with
    ``INSERT … SELECT``), rendered ones through the default mailer (the outbox backend)."""
    from django.core.mail import EmailMessage, mailers

    from kmop.idm.reminders import DIGEST_KIND, HOLDER_KIND
    from kmop.notifications.models import OutboxMessage

    pdf = b"%PDF-1.4\n" + os.urandom(12_000) + b"\n%%EOF\n"  # a certificate-sized attachment
    mix: Counter[str] = Counter()
    queued: list[OutboxMessage] = []
    rendered: list[EmailMessage] = []
    for i in range(n):
        share = i % 10
        language = "en" if i % 7 == 0 else "nl"
        person = f"{FIRST[i % len(FIRST)].lower()}.{LAST[i % len(LAST)].lower()}{i}@example.org"
        if share < 6:
            queued.append(
                OutboxMessage(
                    channel="email",
                    recipient=person,
                    template=HOLDER_KIND,
                    context=_holder_context(i),
                    language=language,
                )
            )
            mix["reminder to a holder (queued, text + HTML)"] += 1
        elif share == 6:
            queued.append(
                OutboxMessage(
                    channel="email",
                    recipient=f"beheer{i}@example.org, {person}",
                    template=DIGEST_KIND,
                    context=_digest_context(i),
                    language=language,
                )
            )
            mix["digest to administrators (queued, text + HTML)"] += 1
        else:
            number = f"KMO-2026-{i:07d}"
            body = PROJECT_BODY.format(
                name=FIRST[i % len(FIRST)],
                number=number,
                title="Opleiding digitale marketing",
                provider="Leerwijs BV",
                day="29/11/2026",
                subsidy="1.250,00",
                own="1.250,00",
                reference=f"+++{i % 1000:03d}/{i % 10000:04d}/{i % 100000:05d}+++",
                base="https://kmo-portefeuille.example",
            )
            message = EmailMessage(f"Uw project {number} werd ingediend", body, to=[person])
            if share == 9:
                message.attach(f"certificaat-{number}.pdf", pdf, "application/pdf")
                mix["rendered, with a 12 kB PDF (certificate)"] += 1
            else:
                mix["rendered, text (project mails)"] += 1
            message.kmop_language = "nl"  # type: ignore[attr-defined]
            rendered.append(message)
    OutboxMessage.objects.bulk_create(queued, batch_size=2000)
    mailers.default.send_messages(rendered)
    return mix


# --- the floor ------------------------------------------------------------------------------------------


FLOOR_CLIENT = """
import pickle, smtplib, sys, time
messages = pickle.load(open(sys.argv[1], "rb"))
start = time.perf_counter()
with smtplib.SMTP("127.0.0.1", int(sys.argv[2])) as smtp:
    for raw in messages:
        smtp.sendmail("noreply@example.org", ["r@example.org"], raw)
print(time.perf_counter() - start)
"""


def floor(port: int, sample: list[bytes], n: int) -> float:
    """``n`` prebuilt messages (cycling through ``sample``, each with its own Message-ID) sent with smtplib
    over one connection, by a process of its own (as the workers: not sharing the sink's interpreter)."""
    messages = []
    for i in range(n):
        raw = sample[i % len(sample)]
        messages.append(MESSAGE_ID.sub(b"Message-ID: " + make_msgid("floor").encode(), raw, count=1))
    path = BENCH_DIR / "mail_floor.pickle"
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        pickle.dump(messages, handle)
    try:
        done = subprocess.run(
            [sys.executable, "-c", FLOOR_CLIENT, str(path), str(port)],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        path.unlink(missing_ok=True)
    return float(done.stdout.strip())


def main(argv: list[str]) -> str:
    parser = argparse.ArgumentParser(prog="python -m bench mail")
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="kmop send_mail processes")
    parser.add_argument("--batch-size", type=int, default=0, help="default: send_mail's own default")
    args = parser.parse_args(argv)
    url = _fresh_database()
    _setup_django(url)
    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.db import connection

    from kmop.notifications.delivery import BATCH_SIZE, message_id
    from kmop.notifications.models import OutboxMessage

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    mix = queue(args.mails)
    queue_seconds = time.perf_counter() - start
    connection.close()  # the workers get the database to themselves

    sink = Sink()
    port = _free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
        env.update(
            {
                "DATABASE_URL": url,
                "KMOP_VAR_DIR": str(VAR),
                "KMOP_BASE_URL": BASE_URL,
                "KMOP_EMAIL_FORWARD_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "KMOP_EMAIL_HOST": "127.0.0.1",
                "KMOP_EMAIL_PORT": str(port),
                "KMOP_EMAIL_USE_TLS": "false",
                "KMOP_LOG_LEVEL": "WARNING",
            }
        )
        batch = args.batch_size or BATCH_SIZE
        command = [KMOP, "send_mail", "--once", "--batch-size", str(batch)]
        start = time.perf_counter()
        workers = [
            subprocess.Popen(
                [*command, "--worker-id", f"bench-{w}"],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for w in range(args.workers)
        ]
        outputs = [worker.communicate()[0] for worker in workers]
        deliver_seconds = time.perf_counter() - start
        for worker, output in zip(workers, outputs, strict=True):
            if worker.returncode != 0:
                sys.stderr.write(output)
                raise SystemExit(f"kmop send_mail failed with exit code {worker.returncode}")
        states = Counter(OutboxMessage.objects.values_list("state", flat=True))
        expected = {message_id(m).encode() for m in OutboxMessage.objects.only("pk", "created_at")}
        received = Counter(sink.ids)
        received_bytes = sink.bytes
        distinct_ok = set(received) == expected and len(sink.ids) == len(expected) == args.mails
        # the floor: the same sizes through the same sink, smtplib over one connection
        sample = _sample()
        sink.reset()
        floor_seconds = floor(port, sample, args.mails)
        floor_received = len(set(sink.ids))
    finally:
        controller.stop()
    if not distinct_ok:
        raise SystemExit(
            f"the sink received {len(sink.ids)} messages, {len(received)} distinct Message-IDs; "
            f"expected {args.mails}; states {dict(states)}"
        )
    ratio = deliver_seconds / floor_seconds
    per_second = args.mails / deliver_seconds
    mix_rows = "\n".join(f"| {kind} | {count:,} |" for kind, count in mix.items())
    met = "met" if deliver_seconds < TARGET_SECONDS and args.mails >= 10_000 else "NOT met"
    text = (
        f"## Outbox delivery ({args.mails:,} mails, {args.workers} × `kmop send_mail --once --batch-size "
        f"{batch}`, SMTP sink on 127.0.0.1)\n\n"
        f"{machine_description()}\n\n"
        f"| mails | count |\n|---|---|\n{mix_rows}\n\n"
        f"| run | seconds | note |\n|---|---|---|\n"
        f"| queue (bulk insert + the outbox backend) | {queue_seconds:.2f} | not part of the target |\n"
        f"| floor: smtplib, one connection, prebuilt messages of the same sizes | {floor_seconds:.2f} | "
        f"{floor_received:,} received |\n"
        f"| `kmop send_mail` until every row is `sent` | {deliver_seconds:.2f} | {per_second:,.0f} mails/s; "
        f"ratio to the floor {ratio:.1f}×; {received_bytes / 2**20:.0f} MB received; states "
        f"{', '.join(f'{k} {v:,}' for k, v in sorted(states.items()))} |\n\n"
        f"The sink received exactly {len(expected):,} distinct Message-IDs, each once.\n\n"
        f"Target: 10,000 mails under {TARGET_SECONDS:.0f} s → {met}\n"
    )
    write_report("mail", text)
    return text


def _sample(size: int = 200) -> list[bytes]:
    """Messages of the mix's sizes for the floor: ``size`` rows spread over the outbox, as the worker renders
    them."""
    from kmop.notifications.delivery import email_of
    from kmop.notifications.models import OutboxMessage

    pks = list(OutboxMessage.objects.order_by("pk").values_list("pk", flat=True))
    picked = pks[:: max(len(pks) // size, 1)][:size]
    rows = OutboxMessage.objects.filter(pk__in=picked).order_by("pk")
    return [email_of(m).message(policy=email.policy.SMTP).as_bytes() for m in rows]
