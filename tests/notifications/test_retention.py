"""Outbox retention (``notifications.retention``): after ``KMOP_OUTBOX_RETENTION_DAYS`` the bodies of sent,
only stored and failed messages are emptied, batch by batch; what the back office's "Berichten" shows stays;
pending and sending messages and younger ones are never touched; a second pass changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from kmop.jobs.models import JobRun
from kmop.jobs.registry import daily_jobs
from kmop.notifications import retention
from kmop.notifications.models import OutboxMessage
from tests.idm.conftest import TODAY

REPO = Path(__file__).resolve().parents[2]
#: what the back office's Berichten page and the admin list show: never purged
SHOWN = ("recipient", "subject", "template", "channel", "state", "attempts", "sent_at", "error", "created_at")


def message(age_days: float, state: str = "sent", **fields: Any) -> OutboxMessage:
    row = OutboxMessage.objects.create(
        channel=fields.pop("channel", "email"),
        recipient=fields.pop("recipient", "jonas@example.org, an@example.org"),
        subject=fields.pop("subject", "Uw gebruikersrecht vervalt"),
        body_text="Uw code is 123456",
        body_html="<p>Uw code is 123456</p>",
        envelope={"to": ["jonas@example.org"], "bcc": ["an@example.org"]},
        state=state,
        attempts=1,
        sent_at=timezone.now() if state == "sent" else None,
        error="smtp down" if state == "failed" else "",
        **fields,
    )
    created = timezone.now() - timedelta(days=age_days)
    OutboxMessage.objects.filter(pk=row.pk).update(created_at=created)
    row.refresh_from_db()
    return row


def shown(row: OutboxMessage) -> dict[str, Any]:
    return {name: getattr(row, name) for name in SHOWN}


def is_purged(row: OutboxMessage) -> bool:
    row.refresh_from_db()
    return (row.body_text, row.body_html, row.context, row.envelope) == ("", "", None, None) and bool(
        row.purged_at
    )


@pytest.mark.django_db
def test_old_delivered_bodies_are_emptied_and_what_the_back_office_shows_stays(clock, settings) -> None:
    settings.KMOP_OUTBOX_RETENTION_DAYS = 90
    old = [
        message(91, "sent"),
        message(200, "stored", channel="sms", recipient="+32470123456", subject=""),
        message(95, "failed"),
        message(
            120,
            "sent",
            subject="",
            template="idm.reminder_holder",
            context={"name": "Jonas", "end_date": "2025-01-01"},
            language="nl",
        ),
    ]
    young = [message(89, "sent"), message(1, "stored")]
    waiting = [message(300, "pending"), message(300, "sending")]
    before = {row.pk: shown(row) for row in OutboxMessage.objects.all()}

    purged = retention.purge_bodies(retention.cutoff(TODAY))

    assert purged == 4
    assert all(is_purged(row) for row in old)
    assert not any(is_purged(row) for row in young + waiting)
    for row in OutboxMessage.objects.all():
        assert shown(row) == before[row.pk]  # recipient, subject, kind, state, attempts, error, dates
    for row in young + waiting:
        row.refresh_from_db()
        assert row.body_text == "Uw code is 123456"
        assert row.envelope == {"to": ["jonas@example.org"], "bcc": ["an@example.org"]}

    assert retention.purge_bodies(retention.cutoff(TODAY)) == 0  # idempotent


@pytest.mark.django_db
def test_the_cutoff_is_midnight_retention_days_before_the_day(settings) -> None:
    settings.KMOP_OUTBOX_RETENTION_DAYS = 30
    at = retention.cutoff(TODAY)
    assert timezone.localtime(at).replace(tzinfo=None) == datetime(2025, 2, 8, 0, 0)
    assert retention.cutoff(TODAY, 1) == timezone.make_aware(datetime(2025, 3, 9))


@pytest.mark.django_db
def test_batches_cover_every_row_and_each_batch_is_one_statement(
    clock,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    rows = [message(100) for _ in range(7)]
    with django_assert_num_queries(3 * 3):  # 3 batches (3, 3, 1 rows): savepoint, UPDATE, release
        assert retention.purge_bodies(retention.cutoff(TODAY, 90), batch=3) == 7
    assert all(is_purged(row) for row in rows)


@pytest.mark.django_db
def test_kmop_daily_runs_the_retention_job(clock, settings) -> None:
    assert "notifications.retention" in [job.name for job in daily_jobs()]
    settings.KMOP_OUTBOX_RETENTION_DAYS = 10
    old, young = message(11), message(9)
    out = StringIO()
    call_command("daily", "--job", "notifications.retention", stdout=out)
    assert "notifications.retention: klaar" in out.getvalue()
    run = JobRun.objects.get(job="notifications.retention", day=TODAY)
    assert run.status == "succeeded"
    assert run.summary == "inhoud van 1 bericht(en) van vóór 28/02/2025 gewist (bewaartermijn 10 dagen)"
    assert is_purged(old)
    assert not is_purged(young)


@pytest.mark.parametrize("value", ["0", "-1", "negentig"])
def test_a_retention_that_is_not_a_positive_number_refuses_to_start(tmp_path: Path, value: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))}
    env.update({"KMOP_VAR_DIR": str(tmp_path), "KMOP_OUTBOX_RETENTION_DAYS": value})
    result = subprocess.run(
        [sys.executable, "-m", "kmop", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "KMOP_OUTBOX_RETENTION_DAYS must be" in result.stderr


@pytest.mark.django_db
def test_a_purged_message_set_back_to_pending_is_not_sent_empty(clock) -> None:
    from django.core import mail
    from django.core.mail.backends.locmem import EmailBackend

    from kmop.notifications.delivery import deliver_pending

    row = message(100, "failed")
    retention.purge_bodies(retention.cutoff(TODAY, 90))
    OutboxMessage.objects.filter(pk=row.pk).update(state="pending")  # an operator's retry
    mail.outbox = []
    result = deliver_pending(connection=EmailBackend())
    assert (result.claimed, result.sent, result.failed) == (1, 0, 1)
    assert mail.outbox == []
    row.refresh_from_db()
    assert row.state == "failed"
    assert "gewist na de bewaartermijn" in row.error


@pytest.mark.django_db
def test_a_purged_queued_message_is_shown_without_rendering_its_lost_data(clock) -> None:
    row = message(100, "sent", subject="", template="idm.reminder_holder", context={"x": 1}, language="nl")
    retention.purge_bodies(retention.cutoff(TODAY, 90))
    row.refresh_from_db()
    shown_row = row.for_display()
    assert (shown_row.subject, shown_row.body_text, shown_row.body_html) == ("", "", "")
