"""The projects' daily jobs for ``kmop daily`` (RULES.md §3):

* ``projects.deposit_deadline``: a project still Bevestigd after its deposit deadline (no correct deposit
  within the regime's days, 30) → ProjectGeannuleerd, its budget released, the wallet told, an e-mail;
* ``projects.close_expired``: a project not finished by 31 December of the year after its application year →
  Afgewerkt with a note (the wallet refunds what is left).

Both are set-based (batches of one UPDATE each, bulk history and audit), idempotent (they only take projects
still in the source statuses) and catch up after missed days (every deadline before the day counts).
"""

from __future__ import annotations

from kmop.jobs.registry import DailyJob, JobContext
from kmop.projects import services


def _deposit_deadline(ctx: JobContext) -> str:
    count = services.expire_deposits_bulk(actor=ctx.actor, day=ctx.day)
    return f"{count} project(en) geannuleerd zonder correcte storting"


def _close_expired(ctx: JobContext) -> str:
    count = services.close_expired_bulk(actor=ctx.actor, day=ctx.day)
    return f"{count} project(en) afgesloten na 31 december van het jaar na de aanvraag"


JOBS = [
    DailyJob(
        "projects.deposit_deadline",
        _deposit_deadline,
        "Projecten zonder correcte storting binnen de termijn annuleren (budget vrij, e-mail)",
    ),
    DailyJob(
        "projects.close_expired",
        _close_expired,
        "Projecten afsluiten die niet afgewerkt waren op 31 december van het jaar na de aanvraag",
    ),
]
