"""``kmop daily``'s projects jobs: the deposit deadline, the closing a year after."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from typing import Any

from django.core import mail

from kmop.audit.models import AuditEvent
from kmop.jobs.registry import daily_jobs, run_daily
from kmop.projects import services
from kmop.projects.daily_jobs import JOBS
from kmop.projects.models import Project, ProjectStatus, YearBudget
from tests.idm.conftest import SYSTEM
from tests.projects.conftest import Setting

S = ProjectStatus


def run(day: date, force: bool = False) -> str:
    out = io.StringIO()
    report = run_daily(day, stdout=out, jobs=JOBS, force=force)
    assert not report.failed, out.getvalue()
    return out.getvalue()


def test_jobs_are_registered() -> None:
    names = [job.name for job in daily_jobs()]
    assert "projects.deposit_deadline" in names
    assert "projects.close_expired" in names


def test_no_deposit_within_the_deadline_cancels(setting: Setting) -> None:
    waiting = setting.submit()
    paid = services.project_mark_deposited(actor=SYSTEM, project=setting.submit(title="Betaald"))
    assert waiting.deposit_deadline == date(2025, 4, 9)
    run(date(2025, 4, 9))  # the last day to deposit: nothing yet
    waiting.refresh_from_db()
    assert waiting.status == S.BEVESTIGD
    mail.outbox.clear()
    out = run(date(2025, 4, 10))
    assert "1 project(en) geannuleerd" in out
    waiting.refresh_from_db()
    paid.refresh_from_db()
    assert waiting.status == S.GEANNULEERD
    assert waiting.budget_held == Decimal("0.00")
    assert "niet (correct) gestort" in waiting.note
    assert paid.status == S.LOPEND
    assert YearBudget.objects.get().used == paid.subsidy
    assert list(waiting.status_changes.values_list("action", flat=True)) == ["submit", "deposit_expired"]
    assert (
        AuditEvent.objects.filter(
            action="projects.project.deposit_expired", object_id=str(waiting.pk)
        ).count()
        == 1
    )
    assert len(mail.outbox) == 1
    assert "geen storting" in mail.outbox[0].subject
    # again (forced): nothing more
    assert "0 project(en) geannuleerd" in run(date(2025, 4, 10), force=True)
    assert YearBudget.objects.get().used == paid.subsidy


def test_catches_up_after_missed_days(setting: Setting, clock: Any) -> None:
    first = setting.submit()
    clock.move_to(date(2025, 3, 20))
    second = setting.submit(on=date(2025, 3, 20), start_date=date(2025, 3, 18), title="Tweede")
    run(date(2025, 6, 1))  # the job did not run in April and May
    assert set(Project.objects.values_list("status", flat=True)) == {S.GEANNULEERD}
    assert YearBudget.objects.get().used == Decimal("0.00")
    assert {first.pk, second.pk} == set(Project.objects.values_list("pk", flat=True))


def test_not_finished_by_31_december_of_the_year_after_is_closed(setting: Setting) -> None:
    running = services.project_mark_deposited(actor=SYSTEM, project=setting.submit())
    stopping = services.project_request_stop(
        actor=setting.els,
        project=services.project_mark_deposited(actor=SYSTEM, project=setting.submit(title="Twee")),
        reason="stop",
    )
    finished = services.project_mark_finished(
        actor=SYSTEM,
        project=services.project_mark_deposited(actor=SYSTEM, project=setting.submit(title="Drie")),
    )
    run(date(2026, 12, 31))
    running.refresh_from_db()
    assert running.status == S.LOPEND
    out = run(date(2027, 1, 1))
    assert "2 project(en) afgesloten" in out
    for project in (running, stopping, finished):
        project.refresh_from_db()
    assert running.status == S.AFGEWERKT
    assert stopping.status == S.AFGEWERKT
    assert "31/12/2026" in running.note
    assert finished.note == ""
    assert running.budget_held == running.subsidy  # the budget of a finished year stays used
    assert AuditEvent.objects.filter(action="projects.project.close_expired").count() == 2
    assert "0 project(en) afgesloten" in run(date(2027, 1, 2))
