"""Gebruikersnaam en wachtwoord: set after an eID/itsme login, Argon2id, Django's password validators."""

from __future__ import annotations

import pytest
from django.test import Client

from kmop.acm import passwords
from kmop.acm.models import PasswordCredential, User
from kmop.audit.models import AuditEvent

from .conftest import JONAS, SOFIE, World, simulator_login

pytestmark = pytest.mark.django_db

PAGE = "/aanmelden/gebruikersnaam-wachtwoord/"
GOOD = "paard batterij nietje correct"


def post(client: Client, username: str, password1: str = GOOD, password2: str | None = None):
    return client.post(
        PAGE,
        {
            "username": username,
            "password1": password1,
            "password2": password1 if password2 is None else password2,
        },
    )


def test_needs_a_high_level_login(client: Client) -> None:
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/aanmelden/?next=")


def test_set_and_change(client: Client, world: World) -> None:
    simulator_login(client, SOFIE)
    assert post(client, "Sofie.V").status_code == 302
    credential = PasswordCredential.objects.get()
    assert credential.username == "sofie.v"
    assert credential.password.startswith("argon2$argon2id$")
    assert GOOD not in credential.password
    user = User.objects.get(national_number=SOFIE)
    assert not user.has_usable_password()  # the account's own password (admin login) stays unusable
    assert passwords.find_account("SOFIE.V") == user
    assert passwords.find_account("79.05.14-998.82") == user
    assert passwords.password_matches(user, GOOD)
    assert not passwords.password_matches(user, GOOD.upper())
    event = AuditEvent.objects.get(action="acm.password.set")
    assert event.after == {"username": "sofie.v", "replaced": False}
    assert GOOD not in str(event.after)
    html = client.get(PAGE).content.decode()
    assert "Uw gebruikersnaam is sofie.v." in html
    assert post(client, "sofie.v", "een ander lang wachtwoord").status_code == 302
    assert passwords.password_matches(user, "een ander lang wachtwoord")
    assert not passwords.password_matches(user, GOOD)
    assert AuditEvent.objects.filter(action="acm.password.set").latest("pk").after["replaced"] is True


@pytest.mark.parametrize(
    ("username", "password1", "password2", "message"),
    [
        ("sofie", "kort", None, "password1"),  # Django's validators (their text may be English)
        ("sofie", "123456789012345", None, "password1"),
        ("sofie", GOOD, "iets anders dan dat", "De twee wachtwoorden zijn niet gelijk"),
        ("79051499882", GOOD, None, "Een gebruikersnaam heeft 3 tot 64 letters"),
        ("so", GOOD, None, "Een gebruikersnaam heeft 3 tot 64 letters"),
        ("sofie verhaeghe", GOOD, None, "Een gebruikersnaam heeft 3 tot 64 letters"),
    ],
)
def test_refusals(
    client: Client, world: World, username: str, password1: str, password2: str | None, message: str
) -> None:
    simulator_login(client, SOFIE)
    response = post(client, username, password1, password2)
    assert response.status_code == 200
    if message == "password1":
        assert "password1" in response.context["form"].errors
        assert 'href="#id_password1"' in response.content.decode()  # in the error summary
    else:
        assert message in response.content.decode()
    assert not PasswordCredential.objects.exists()


def test_a_username_is_unique(client: Client, world: World) -> None:
    simulator_login(client, SOFIE)
    assert post(client, "kmo.user").status_code == 302
    other = Client()
    simulator_login(other, JONAS)
    response = post(other, "KMO.user")
    assert "Deze gebruikersnaam is al in gebruik." in response.content.decode()
    assert PasswordCredential.objects.count() == 1
