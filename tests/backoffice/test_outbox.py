"""The back office's "Berichten": what was sent to whom, never the body (codes and reset links)."""

from __future__ import annotations

import pytest
from django.test import Client

from kmop.notifications.models import OutboxMessage
from tests.backoffice.conftest import Setting

pytestmark = pytest.mark.django_db


def _message(recipient: str, subject: str, channel: str = "email", **extra: object) -> OutboxMessage:
    return OutboxMessage.objects.create(
        channel=channel, recipient=recipient, subject=subject, body_text="Uw code is 123456", **extra
    )


def test_staff_see_who_got_what_without_the_body(staff: Client, setting: Setting) -> None:
    _message("els@b.example", "Kmo-portefeuille: project 2025KMO000001 is stopgezet")
    _message("+32470123456", "", channel="sms")
    page = staff.get("/backoffice/berichten/").content.decode()
    assert "els@b.example" in page
    assert "project 2025KMO000001 is stopgezet" in page
    assert "+32470123456" in page
    assert "123456" not in page.replace("+32470123456", "")


def test_filters_combine(staff: Client, setting: Setting) -> None:
    _message("els@b.example", "Eerste")
    _message("els@b.example", "Tweede", state=OutboxMessage.State.FAILED, error="550 mailbox unavailable")
    _message("sofie@a.example", "Derde", state=OutboxMessage.State.FAILED)
    page = staff.get("/backoffice/berichten/", {"aan": "els@", "status": "failed"}).content.decode()
    assert "Tweede" in page
    assert "550 mailbox unavailable" in page
    assert "Eerste" not in page
    assert "Derde" not in page
    assert (
        "Er zijn geen berichten" in staff.get("/backoffice/berichten/", {"aan": "niemand"}).content.decode()
    )


def test_older_pages_by_id(staff: Client, setting: Setting) -> None:
    from kmop.backoffice.views_outbox import PAGE

    made = [_message(f"p{i}@x.example", f"Bericht {i}") for i in range(PAGE + 3)]
    first = staff.get("/backoffice/berichten/").content.decode()
    assert f"p{PAGE + 2}@x.example" in first
    assert "p0@x.example" not in first
    older = staff.get("/backoffice/berichten/", {"ouder_dan": made[3].pk}).content.decode()
    assert "p0@x.example" in older
    assert 'id="newest"' in older
    assert staff.get("/backoffice/berichten/", {"ouder_dan": "abc"}).status_code == 200


def test_an_enterprise_user_cannot_see_the_outbox(els: Client, setting: Setting) -> None:
    assert els.get("/backoffice/berichten/").status_code == 403
