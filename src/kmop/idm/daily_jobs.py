"""The IDM's daily jobs for ``kmop daily``: the reminders of expiring rights (``reminders.py``)."""

from __future__ import annotations

from kmop.idm.reminders import send_reminders
from kmop.jobs.registry import DailyJob, JobContext, JobFailed


def _reminders(ctx: JobContext) -> str:
    report = send_reminders(ctx.day, actor=ctx.actor)
    if report.failed_mails:
        raise JobFailed(
            f"{report.failed_mails} herinneringsmail(s) niet verstuurd ({report.summary()}); eerste fout: "
            f"{report.errors[0]}. Niet verstuurde herinneringen aan houders gaan bij een volgende "
            "uitvoering vandaag opnieuw weg."
        )
    return report.summary()


JOBS = [
    DailyJob(
        "idm.reminders",
        _reminders,
        "Herinneringen van gebruikersrechten die binnen 10 dagen vervallen (houders en beheerders)",
    )
]
