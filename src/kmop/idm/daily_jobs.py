"""The IDM's daily jobs for ``kmop daily``: the reminders of expiring rights (``reminders.py``).

The job claims the due rights and queues their e-mails in the outbox in one transaction; ``kmop send_mail``
(the outbox worker) delivers them, with retries (decision 0014)."""

from __future__ import annotations

from kmop.idm.reminders import send_reminders
from kmop.jobs.registry import DailyJob, JobContext


def _reminders(ctx: JobContext) -> str:
    return send_reminders(ctx.day, actor=ctx.actor).summary()


JOBS = [
    DailyJob(
        "idm.reminders",
        _reminders,
        "Herinneringen van gebruikersrechten die binnen 10 dagen vervallen (houders en beheerders), "
        "in de outbox gezet voor kmop send_mail",
    )
]
