"""The outbox's daily job for ``kmop daily``:

* ``notifications.retention``: the bodies of messages delivered (or only stored, or given up) more than
  ``KMOP_OUTBOX_RETENTION_DAYS`` days ago are emptied; who, when, subject and delivery stay
  (``retention.py``).
"""

from __future__ import annotations

from kmop.jobs.registry import DailyJob, JobContext
from kmop.notifications import retention


def _retention(ctx: JobContext) -> str:
    days = retention.retention_days()
    before = retention.cutoff(ctx.day, days)
    purged = retention.purge_bodies(before)
    return f"inhoud van {purged} bericht(en) van vóór {before:%d/%m/%Y} gewist (bewaartermijn {days} dagen)"


JOBS = [
    DailyJob(
        "notifications.retention",
        _retention,
        "De inhoud van verzonden berichten wissen na de bewaartermijn (KMOP_OUTBOX_RETENTION_DAYS)",
    ),
]
