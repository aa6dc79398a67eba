"""The admin at /beheer/admin/ (ASVS 5.0 8.2.1 function-level access, 7.3.1 inactivity timeout)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

pytestmark = pytest.mark.django_db

ADMIN = "/beheer/admin/"


def login_url(next_url: str) -> str:
    return f"{ADMIN}login/?next={next_url}"


@pytest.fixture
def staff(django_user_model):
    # No password: hashing one costs a third of a second (PBKDF2, 1.5 M iterations); force_login needs none.
    return django_user_model.objects.create(username="beheerder", is_staff=True, is_superuser=True)


@pytest.mark.parametrize("url", [ADMIN, f"{ADMIN}acm/user/", f"{ADMIN}registers/enterprise/"])
def test_anonymous_is_sent_to_the_login(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == login_url(url)


def test_non_staff_is_sent_to_the_login(client: Client, django_user_model) -> None:
    client.force_login(django_user_model.objects.create(username="ondernemer"))
    response = client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"] == login_url(ADMIN)


def test_staff_gets_in(client: Client, staff) -> None:
    client.force_login(staff)
    assert client.get(ADMIN).status_code == 200


def test_login_with_wrong_password_fails(client: Client, staff) -> None:
    response = client.post(f"{ADMIN}login/", {"username": "beheerder", "password": "niet-het-wachtwoord"})
    assert response.status_code == 200  # the form again, with an error
    assert client.get(ADMIN).status_code == 302


def test_session_ends_after_30_idle_minutes(client: Client, staff) -> None:
    idle = datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    assert idle == datetime.timedelta(minutes=30)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(staff)
        assert client.get(ADMIN).status_code == 200
        # Activity keeps the session alive: every request moves its expiry.
        for _ in range(3):
            clock.shift(idle - datetime.timedelta(minutes=1))
            assert client.get(ADMIN).status_code == 200
        clock.shift(idle + datetime.timedelta(seconds=1))
        response = client.get(ADMIN)
        assert response.status_code == 302
        assert response["Location"] == login_url(ADMIN)


def test_logout_ends_the_session(client: Client, staff) -> None:
    client.force_login(staff)
    session_key = client.session.session_key
    assert client.post(f"{ADMIN}logout/").status_code == 200
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get(ADMIN).status_code == 302
