"""The portal's login with the provider's own login and password, the menu, the logout."""

from __future__ import annotations

import pytest
from django.test import Client

from kmop.audit.models import AuditEvent
from kmop.providers import services
from kmop.providers.models import Provider
from tests.portal.conftest import PASSWORD, SYSTEM

pytestmark = pytest.mark.django_db


def test_menu_needs_a_login(client: Client) -> None:
    response = client.get("/dienstverlener/")
    assert response.status_code == 302
    assert response["Location"].startswith("/dienstverlener/login/?next=")


def test_login_opens_the_menu_of_seed_004(client: Client, provider_with_password: Provider) -> None:
    response = client.post(
        "/dienstverlener/login/",
        {"login": provider_with_password.login, "password": PASSWORD, "next": "/dienstverlener/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/dienstverlener/"
    page = client.get("/dienstverlener/").content.decode()
    assert "Dienstverlener: menu" in page
    for label in (
        "Registraties beheren",
        "Dienstverleners aanmelden en beheren",
        "Vestigingen beheren",
        "Overzicht projecten",
        "Login en paswoord wijzigen",
    ):
        assert label in page
    assert "Uitloggen" in page
    event = AuditEvent.objects.get(action="portal.login")
    assert event.actor_label == f"dienstverlener-login:{provider_with_password.login}"
    assert event.organisation_code == provider_with_password.organisation.code


def test_wrong_password_is_refused_with_a_message(client: Client, provider_with_password: Provider) -> None:
    response = client.post(
        "/dienstverlener/login/", {"login": provider_with_password.login, "password": "fout"}
    )
    assert response.status_code == 200
    assert "De login of het paswoord is niet juist." in response.content.decode()
    assert client.get("/dienstverlener/").status_code == 302


def test_five_failures_lock_the_login_even_for_the_right_password(
    client: Client, provider_with_password: Provider
) -> None:
    for _ in range(5):
        client.post("/dienstverlener/login/", {"login": provider_with_password.login, "password": "fout"})
    response = client.post(
        "/dienstverlener/login/", {"login": provider_with_password.login, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "Te veel mislukte pogingen" in response.content.decode()


def test_a_provider_without_password_cannot_log_in(client: Client, provider: Provider) -> None:
    response = client.post("/dienstverlener/login/", {"login": provider.login, "password": ""})
    assert response.status_code == 200
    assert client.get("/dienstverlener/").status_code == 302


def test_a_new_password_ends_the_other_sessions(portal: Client, provider_with_password: Provider) -> None:
    assert portal.get("/dienstverlener/").status_code == 200
    services.provider_password_set(
        actor=SYSTEM, provider=provider_with_password, password="Een-ander-paswoord-9"
    )
    assert portal.get("/dienstverlener/").status_code == 302


def test_logout(portal: Client) -> None:
    response = portal.post("/dienstverlener/uitloggen/")
    assert response.status_code == 302
    assert portal.get("/dienstverlener/").status_code == 302


def test_next_outside_the_site_is_ignored(client: Client, provider_with_password: Provider) -> None:
    response = client.post(
        "/dienstverlener/login/",
        {"login": provider_with_password.login, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/dienstverlener/"


def test_provider_profile_in_the_gebruikersbeheer_opens_the_portal(client: Client, provider_user) -> None:
    from tests.eloket.conftest import login

    login(client, provider_user.user.national_number)
    page = client.get("/dienstverlener/")
    assert page.status_code == 200, page
    assert "Dienstverlener: menu" in page.content.decode()


def test_an_organisation_no_longer_active_loses_its_password_login(
    portal: Client, provider_with_password: Provider
) -> None:
    """Stopped in the KBO (or deactivated): the session ends, the login and the services refuse it."""
    from kmop.audit.services import Actor
    from kmop.idm.models import Organisation
    from kmop.providers.errors import NotAllowed

    assert portal.get("/dienstverlener/").status_code == 200
    Organisation.objects.filter(pk=provider_with_password.organisation_id).update(active=False)
    assert portal.get("/dienstverlener/").status_code == 302
    response = portal.post(
        "/dienstverlener/login/", {"login": provider_with_password.login, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert "De login of het paswoord is niet juist." in response.content.decode()
    actor = Actor.provider_password(provider_with_password.login, provider_with_password.organisation.code)
    with pytest.raises(NotAllowed):
        services.provider_update(actor=actor, provider=provider_with_password, iban="BE68793230773034")


def test_a_failed_login_on_a_known_login_is_audited(client: Client, provider_with_password: Provider) -> None:
    client.post("/dienstverlener/login/", {"login": provider_with_password.login, "password": "fout"})
    event = AuditEvent.objects.get(action="portal.login_failed")
    assert event.object_id == str(provider_with_password.pk)
    client.post("/dienstverlener/login/", {"login": "bestaat-niet", "password": "fout"})
    assert AuditEvent.objects.filter(action="portal.login_failed").count() == 1
