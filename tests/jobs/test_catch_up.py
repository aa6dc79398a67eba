"""``kmop daily`` without ``--date`` catches up by itself: each job runs for every day since the last day it
succeeded for, in day order, at most ``--catch-up-days`` days; a job stops at its first failed day and the
next call continues from there; a second call the same day runs nothing."""

from __future__ import annotations

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kmop.jobs import registry
from kmop.jobs.models import JobRun
from kmop.jobs.registry import DailyJob, JobContext, JobFailed, catch_up_plan
from tests.idm.conftest import TODAY

ran: list[tuple[str, date]] = []
broken_days: set[date] = set()


def _recorder(name: str):  # type: ignore[no-untyped-def]
    def run(ctx: JobContext) -> str:
        if name == "test.flaky" and ctx.day in broken_days:
            raise JobFailed(f"de bron van {ctx.day:%d/%m} ontbreekt")
        ran.append((name, ctx.day))
        return f"{ctx.day:%d/%m} gedaan"

    return run


JOBS = [
    DailyJob("test.first", _recorder("test.first")),
    DailyJob("test.flaky", _recorder("test.flaky")),
    DailyJob("test.today_only", _recorder("test.today_only"), catch_up=False),
]


@pytest.fixture(autouse=True)
def jobs(monkeypatch: pytest.MonkeyPatch, clock) -> None:  # type: ignore[no-untyped-def]
    ran.clear()
    broken_days.clear()
    monkeypatch.setattr(registry, "daily_jobs", lambda: JOBS)


def succeeded_on(job: str, day: date) -> None:
    now = timezone.now()
    JobRun.objects.create(job=job, day=day, status="succeeded", started_at=now, finished_at=now, attempts=1)


def days(n: int) -> date:
    return TODAY - timedelta(days=n)


def daily(*args: str) -> str:
    out = StringIO()
    call_command("daily", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_first_run_ever_is_today_only() -> None:
    daily()
    assert ran == [("test.first", TODAY), ("test.flaky", TODAY), ("test.today_only", TODAY)]
    assert set(JobRun.objects.values_list("day", flat=True)) == {TODAY}


@pytest.mark.django_db
def test_three_missed_days_are_run_in_day_order_then_today_and_a_second_call_runs_nothing() -> None:
    for job in ("test.first", "test.flaky", "test.today_only"):
        succeeded_on(job, days(4))
    out = daily()
    assert ran == [
        ("test.first", days(3)),
        ("test.flaky", days(3)),
        ("test.first", days(2)),
        ("test.flaky", days(2)),
        ("test.first", days(1)),
        ("test.flaky", days(1)),
        ("test.first", TODAY),
        ("test.flaky", TODAY),
        ("test.today_only", TODAY),  # catch_up=False: its missed days are not run
    ]
    assert f"{days(3):%d/%m/%Y} test.first: klaar" in out  # the day is named while catching up
    assert JobRun.objects.filter(job="test.first", status="succeeded").count() == 5
    assert not JobRun.objects.filter(job="test.today_only", day__in=[days(3), days(2), days(1)]).exists()

    ran.clear()
    out = daily()
    assert ran == []
    assert out.count("overgeslagen, al uitgevoerd") == 3
    assert JobRun.objects.count() == 3 + 4 + 4 + 1  # the days seeded, then each run recorded once
    assert set(JobRun.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_a_failure_mid_way_stops_that_job_only_and_the_next_call_continues_from_it() -> None:
    for job in ("test.first", "test.flaky"):
        succeeded_on(job, days(4))
    broken_days.add(days(2))
    with pytest.raises(CommandError) as failure:
        daily()
    assert f"test.flaky ({days(2):%d/%m/%Y}): de bron van {days(2):%d/%m} ontbreekt" in str(failure.value)
    assert [d for job, d in ran if job == "test.flaky"] == [days(3)]  # not days(1), not today
    assert [d for job, d in ran if job == "test.first"] == [days(3), days(2), days(1), TODAY]
    assert JobRun.objects.get(job="test.flaky", day=days(2)).status == "failed"
    assert not JobRun.objects.filter(job="test.flaky", day__gt=days(2)).exists()

    ran.clear()
    broken_days.clear()  # the source is back
    daily()
    assert ran == [
        ("test.flaky", days(2)),
        ("test.flaky", days(1)),
        ("test.flaky", TODAY),
        # test.first and test.today_only had succeeded today already
    ]
    flaky = JobRun.objects.get(job="test.flaky", day=days(2))
    assert (flaky.status, flaky.attempts) == ("succeeded", 2)


@pytest.mark.django_db
def test_a_job_that_never_succeeded_starts_at_its_first_failed_day() -> None:
    now = timezone.now()
    JobRun.objects.create(job="test.flaky", day=days(2), status="failed", started_at=now, attempts=1)
    daily("--job", "test.flaky")
    assert ran == [("test.flaky", days(2)), ("test.flaky", days(1)), ("test.flaky", TODAY)]


@pytest.mark.django_db
def test_the_last_succeeded_day_counts_also_one_run_with_date() -> None:
    succeeded_on("test.first", days(5))
    daily("--date", days(2).isoformat(), "--job", "test.first")
    ran.clear()
    daily("--job", "test.first")
    assert ran == [("test.first", days(1)), ("test.first", TODAY)]  # from the day after the last success


@pytest.mark.django_db
def test_a_day_still_running_elsewhere_stops_that_jobs_catch_up() -> None:
    succeeded_on("test.first", days(3))
    JobRun.objects.create(job="test.first", day=days(2), status="running", started_at=timezone.now())
    out = daily("--job", "test.first")
    assert ran == []
    assert "loopt al" in out
    assert not JobRun.objects.filter(job="test.first", day__gt=days(2)).exists()


@pytest.mark.django_db
def test_more_missed_days_than_the_cap_runs_the_latest_ones_and_says_so() -> None:
    succeeded_on("test.first", days(40))
    out = daily("--job", "test.first")
    assert [d for _, d in ran] == [days(n) for n in range(30, -1, -1)]  # 31 days, today included
    assert f"test.first: 9 eerdere dag(en) gemist vóór {days(30):%d/%m/%Y}" in out
    assert "--date" in out
    ran.clear()
    succeeded_on("test.flaky", days(6))
    daily("--job", "test.flaky", "--catch-up-days", "3")
    assert [d for _, d in ran] == [days(2), days(1), TODAY]


@pytest.mark.django_db
def test_force_reruns_today_not_the_days_caught_up() -> None:
    succeeded_on("test.first", days(2))
    daily("--job", "test.first")
    ran.clear()
    daily("--job", "test.first", "--force")
    assert ran == [("test.first", TODAY)]
    assert JobRun.objects.get(job="test.first", day=TODAY).attempts == 2
    assert JobRun.objects.get(job="test.first", day=days(1)).attempts == 1


@pytest.mark.django_db
def test_with_a_date_only_that_day_runs() -> None:
    succeeded_on("test.first", days(5))
    daily("--date", days(1).isoformat(), "--job", "test.first")
    assert ran == [("test.first", days(1))]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_catch_up_of_less_than_one_day_is_refused(value: str) -> None:
    succeeded_on("test.first", days(5))
    with pytest.raises(CommandError, match="--catch-up-days verwacht een getal vanaf 1"):
        daily("--catch-up-days", value)
    assert ran == []
    assert JobRun.objects.count() == 1


@pytest.mark.django_db
def test_the_plan_is_read_in_one_pass_per_table_state(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    for job in ("test.first", "test.flaky"):
        succeeded_on(job, days(2))
    with django_assert_max_num_queries(2):
        plans = catch_up_plan(JOBS, TODAY)
    assert [(p.job.name, p.days, p.missed) for p in plans] == [
        ("test.first", [days(1), TODAY], 0),
        ("test.flaky", [days(1), TODAY], 0),
        ("test.today_only", [TODAY], 0),
    ]
