"""``kmop send_mail``: deliver the outbox's pending e-mails (see ``kmop.notifications.delivery``).

    kmop send_mail --once      # deliver everything deliverable now, then exit (cron, tests)
    kmop send_mail             # a worker: loops, sleeping --sleep seconds when there is nothing to do

SIGTERM/SIGINT stop the worker after the message in hand.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from kmop.notifications.delivery import BATCH_SIZE, LEASE, MAX_ATTEMPTS, Delivered, deliver_batch, worker_id


class Command(BaseCommand):
    help = "Verstuurt de e-mails die in de outbox wachten (--once: alles wat nu kan, dan stoppen)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="deliver what is deliverable now, then exit")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
        parser.add_argument("--sleep", type=float, default=2.0, help="seconds between polls when idle")
        parser.add_argument(
            "--lease", type=float, default=LEASE.total_seconds(), help="seconds before a claim may be retaken"
        )
        parser.add_argument("--max-attempts", type=int, default=MAX_ATTEMPTS)
        parser.add_argument("--worker-id", default="", help="default: host:pid")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        worker = options["worker_id"] or worker_id()
        total = Delivered()
        while not stopping:
            result = deliver_batch(
                worker=worker,
                batch_size=options["batch_size"],
                lease=timedelta(seconds=options["lease"]),
                max_attempts=options["max_attempts"],
            )
            total.add(result)
            for error in result.errors:
                self.stderr.write(error)
            if not result.claimed:
                if options["once"]:
                    break
                time.sleep(options["sleep"])
        self.stdout.write(
            f"{total.sent} verzonden, {total.stored} alleen bewaard, {total.retried} later opnieuw, "
            f"{total.failed} mislukt"
        )
