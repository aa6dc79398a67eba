"""The demo staff account: VLAIO's Toepassingsbeheerder edits legal representatives in /beheer/admin/."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings

from kmop.acm.models import User
from kmop.acm.seed_steps import DEMO_STAFF_PASSWORD, demo_staff_username
from kmop.audit.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded() -> None:
    call_command("seed", "--scale", "demo", verbosity=0)


def test_seed_demo_creates_a_limited_staff_account_once(seeded: None) -> None:
    call_command("seed", "--scale", "demo", verbosity=0)  # a second run updates, never duplicates
    users = User.objects.filter(username=demo_staff_username())
    assert users.count() == 1
    user = users.get()
    assert user.is_staff
    assert user.is_active
    assert not user.is_superuser
    assert user.has_perm("registers.change_legalfunction")
    assert user.has_perm("registers.view_enterprise")
    assert not user.has_perm("registers.change_enterprise")
    assert not user.has_perm("acm.change_user")
    assert AuditEvent.objects.filter(object_type="User", object_id=str(user.pk)).count() == 2


def test_the_staff_account_opens_the_legal_functions_but_not_the_accounts(seeded: None) -> None:
    client = Client()
    assert client.login(username=demo_staff_username(), password=DEMO_STAFF_PASSWORD)
    assert client.get("/beheer/admin/registers/legalfunction/").status_code == 200
    assert client.get("/beheer/admin/acm/user/").status_code == 403


@override_settings(DEMO_MODE=True)
def test_the_demo_page_shows_the_staff_login(seeded: None, client: Client) -> None:
    page = client.get("/demo/personen/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert demo_staff_username() in page
    assert DEMO_STAFF_PASSWORD in page
    assert 'href="/beheer/admin/"' in page


@override_settings(DEMO_MODE=True)
def test_the_demo_page_without_seed_says_how_to_get_the_account(client: Client) -> None:
    page = client.get("/demo/personen/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert DEMO_STAFF_PASSWORD not in page
    assert "kmop seed --scale demo" in page
