"""The providers' daily job for ``kmop daily``: registrations whose expiry date has come become L (G) or L/H
(G/V) (``services.registration_expire_due``)."""

from __future__ import annotations

from kmop.jobs.registry import DailyJob, JobContext
from kmop.providers.services import registration_expire_due


def _expire(ctx: JobContext) -> str:
    count = registration_expire_due(actor=ctx.actor, day=ctx.day)
    return f"{count} registratie(s) verlopen"


JOBS = [
    DailyJob(
        "providers.expire",
        _expire,
        "Registraties van dienstverleners die hun vervaldag bereiken: G wordt L, G/V wordt L/H",
    )
]
