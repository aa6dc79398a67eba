"""``kmop daily``: runs every app's jobs once per job per day, records each run, goes on after a failing job
and then exits with an error; ``--date`` for backfills."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from kmop.idm import services
from kmop.jobs import registry
from kmop.jobs.models import JobRun
from kmop.jobs.registry import DailyJob, JobContext, JobFailed, daily_jobs, run_daily
from tests.idm.conftest import JONAS, SYSTEM, TODAY, World

calls: list[tuple[str, date]] = []


def _ok(ctx: JobContext) -> str:
    calls.append(("ok", ctx.day))
    return "alles goed"


def _broken(ctx: JobContext) -> str:
    calls.append(("broken", ctx.day))
    raise JobFailed("de server antwoordt niet")


def _crash(ctx: JobContext) -> str:
    calls.append(("crash", ctx.day))
    raise ZeroDivisionError("oeps")


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()


@pytest.fixture
def fake_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = [DailyJob("test.broken", _broken), DailyJob("test.crash", _crash), DailyJob("test.ok", _ok)]
    monkeypatch.setattr(registry, "daily_jobs", lambda: jobs)


def test_the_idm_reminders_are_registered() -> None:
    assert "idm.reminders" in [job.name for job in daily_jobs()]


def test_list(db: None) -> None:
    out = StringIO()
    call_command("daily", "--list", stdout=out)
    assert "idm.reminders" in out.getvalue()
    assert not JobRun.objects.exists()


@pytest.mark.django_db
def test_a_failing_job_does_not_stop_the_others_and_the_command_fails(fake_jobs: None) -> None:
    out = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("daily", "--date", "2025-03-10", stdout=out)
    assert "test.broken: de server antwoordt niet" in str(failure.value)
    assert "test.crash: ZeroDivisionError: oeps" in str(failure.value)
    assert calls == [("broken", date(2025, 3, 10)), ("crash", date(2025, 3, 10)), ("ok", date(2025, 3, 10))]
    assert "MISLUKT" in out.getvalue()
    runs = {run.job: run for run in JobRun.objects.all()}
    assert runs["test.ok"].status == JobRun.Status.SUCCEEDED
    assert runs["test.ok"].summary == "alles goed"
    assert runs["test.broken"].status == JobRun.Status.FAILED
    assert "de server antwoordt niet" in runs["test.broken"].error
    assert "ZeroDivisionError" in runs["test.crash"].error


@pytest.mark.django_db
def test_a_second_run_the_same_day_runs_only_what_failed(fake_jobs: None) -> None:
    with pytest.raises(CommandError):
        call_command("daily", "--date", "2025-03-10", stdout=StringIO())
    calls.clear()
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("daily", "--date", "2025-03-10", stdout=out)
    assert [name for name, _ in calls] == ["broken", "crash"]
    assert "test.ok: overgeslagen, al uitgevoerd" in out.getvalue()
    assert JobRun.objects.get(job="test.broken").attempts == 2
    assert JobRun.objects.get(job="test.ok").attempts == 1
    calls.clear()
    with pytest.raises(CommandError):  # --force also reruns the one that succeeded
        call_command("daily", "--date", "2025-03-10", "--force", stdout=StringIO())
    assert [name for name, _ in calls] == ["broken", "crash", "ok"]


@pytest.mark.django_db
def test_another_day_runs_again(fake_jobs: None) -> None:
    call_command("daily", "--date", "2025-03-10", "--job", "test.ok", stdout=StringIO())
    call_command("daily", "--date", "2025-03-11", "--job", "test.ok", stdout=StringIO())
    assert calls == [("ok", date(2025, 3, 10)), ("ok", date(2025, 3, 11))]
    assert JobRun.objects.filter(job="test.ok").count() == 2


@pytest.mark.django_db
def test_a_running_job_is_not_started_twice(fake_jobs: None) -> None:
    from django.utils import timezone

    JobRun.objects.create(job="test.ok", day=date(2025, 3, 10), status="running", started_at=timezone.now())
    out = StringIO()
    call_command("daily", "--date", "2025-03-10", "--job", "test.ok", stdout=out)
    assert calls == []
    assert "loopt al" in out.getvalue()
    # a run marked running for longer than STALE_AFTER crashed: it may run again
    JobRun.objects.filter(job="test.ok").update(started_at=timezone.now() - registry.STALE_AFTER)
    call_command("daily", "--date", "2025-03-10", "--job", "test.ok", stdout=StringIO())
    assert calls == [("ok", date(2025, 3, 10))]


@pytest.mark.django_db
@pytest.mark.parametrize("args", [["--date", "10/03/2025"], ["--date", "2025-02-30"], ["--job", "nope"]])
def test_bad_arguments_are_refused(args: list[str]) -> None:
    with pytest.raises(CommandError):
        call_command("daily", *args, stdout=StringIO())
    assert not JobRun.objects.exists()


def test_kmop_daily_sends_the_reminders_once_a_day(world: World, settings) -> None:
    settings.KMOP_BASE_URL = "https://kmop.example"
    relation = world.relation(JONAS, world.a, email="jonas@example.org")
    services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
        end_date=TODAY + timedelta(days=4),
    )
    out = StringIO()
    call_command("daily", stdout=out)  # today (the fixture's clock: 10 March 2025)
    assert mail.outbox == []  # the job only queues the mail in the outbox, in its transaction
    call_command("send_mail", "--once", stdout=StringIO())  # the outbox worker delivers it
    assert [m.to for m in mail.outbox] == [["jonas@example.org"]]
    assert "idm.reminders: klaar" in out.getvalue()
    run = JobRun.objects.get(job="idm.reminders", day=TODAY)
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.summary.startswith("1 rechten herinnerd")

    call_command("daily", stdout=StringIO())
    call_command("daily", "--force", stdout=StringIO())  # even forced: the rights were reminded today
    call_command("send_mail", "--once", stdout=StringIO())
    assert len(mail.outbox) == 1


def test_a_reminder_job_without_base_url_fails_clearly(world: World, settings) -> None:
    settings.KMOP_BASE_URL = ""
    with pytest.raises(CommandError, match="KMOP_BASE_URL"):
        call_command("daily", stdout=StringIO())
    assert JobRun.objects.get(job="idm.reminders").status == JobRun.Status.FAILED


def test_run_daily_returns_the_outcomes(db: None, fake_jobs: None) -> None:
    report = run_daily(date(2025, 3, 10), stdout=StringIO(), jobs=[DailyJob("test.ok", _ok)])
    assert [(o.job, o.status) for o in report.outcomes] == [("test.ok", "succeeded")]
    assert report.failed == []
