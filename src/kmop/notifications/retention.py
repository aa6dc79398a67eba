"""Outbox retention (the daily job ``notifications.retention``): the bodies of delivered messages are not kept
for ever. Mails and text messages carry one-time secrets (security codes, password reset links) and personal
data; what the back office's "Berichten" shows (recipient, subject, kind, channel, state, attempts, error,
dates) stays, so staff still see what was sent to whom.

A row in ``sent``, ``stored`` or ``failed`` created before the day's cutoff (``KMOP_OUTBOX_RETENTION_DAYS``
days before the job's day, at midnight) gets ``body_text``, ``body_html`` emptied, ``context`` and
``envelope`` (cc/bcc lists, headers, attachments) nulled and ``purged_at`` set. Set-based and batched: one
``UPDATE … WHERE id IN (SELECT id … ORDER BY created_at LIMIT n)`` per batch, each its own short transaction,
in the order of the partial index ``outbox_to_purge`` (only the rows still to purge; a batch reads its n rows,
not every row past the cutoff), so a pass over an old outbox never holds
many row locks for long and a daily pass with nothing to do reads nothing. Idempotent: a purged row is never
touched again; ``pending`` and ``sending`` rows are never touched whatever their age.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from kmop.notifications.models import OutboxMessage

#: rows per UPDATE (one short transaction each)
BATCH = 5_000
#: the states whose bodies are purged after the retention period
PURGED_STATES = (OutboxMessage.State.SENT, OutboxMessage.State.STORED, OutboxMessage.State.FAILED)

TABLE = OutboxMessage._meta.db_table


def retention_days() -> int:
    return int(settings.KMOP_OUTBOX_RETENTION_DAYS)


def cutoff(day: date, days: int | None = None) -> datetime:
    """Rows created before this moment are purged on ``day``: midnight (local) ``days`` days before."""
    keep = retention_days() if days is None else days
    return timezone.make_aware(datetime.combine(day - timedelta(days=keep), time.min))


def purge_bodies(before: datetime, *, batch: int = BATCH) -> int:
    """Empty the bodies of the delivered rows created before ``before``; returns how many rows."""
    now = timezone.now()
    at = connection.ops.adapt_datetimefield_value
    states = ", ".join(["%s"] * len(PURGED_STATES))
    sql = (
        f"UPDATE {TABLE} SET body_text = '', body_html = '', context = NULL, envelope = NULL, purged_at = %s "
        f"WHERE id IN (SELECT id FROM {TABLE} WHERE purged_at IS NULL AND state IN ({states}) "
        f"AND created_at < %s ORDER BY created_at LIMIT %s)"
    )
    params = [at(now), *[str(s) for s in PURGED_STATES], at(before), batch]
    total = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
            count = cursor.rowcount
        total += count
        if count < batch:
            return total
