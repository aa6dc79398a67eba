"""Sign-up, forgotten password and "Login en paswoord wijzigen" in the portal (seed 004 §1, §2.4)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from kmop.audit.models import AuditEvent
from kmop.providers.models import Provider, ProviderEstablishment
from tests.notifications.mail_parts import assert_html_part
from tests.portal.conftest import PASSWORD, A, password_login, sign_up_data

pytestmark = pytest.mark.django_db


def _form(**overrides: str) -> dict[str, str]:
    data = {k: v for k, v in sign_up_data().items() if isinstance(v, str)}
    data.update(country="BE", legal_form="")
    data.update(overrides)
    return data


def test_sign_up_confirm_mail_and_login(client: Client, world, django_capture_on_commit_callbacks) -> None:
    response = client.post("/dienstverlener/aanmelden/", _form())
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Provider.objects.count() == 0  # nothing written before the confirmation
    overview = client.get(response["Location"]).content.decode()
    assert "Leerwijs BV" in overview
    assert "BE71 0961 2345 6769" in overview
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dienstverlener/aanmelden/bevestigen/")
    assert response.status_code == 302
    provider = Provider.objects.get(enterprise_number=A)
    assert ProviderEstablishment.objects.get(provider=provider).is_registered_office
    done = client.get(response["Location"]).content.decode()
    assert "info@leerwijs.example" in done
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["info@leerwijs.example"]
    password = re.search(r"Paswoord: (\S+)", message.body).group(1)
    assert f"Login: {provider.login}" in message.body
    assert_html_part(message, "nl", f"Login: {provider.login}", f"Paswoord: {password}")
    password_login(client, provider.login, password)
    assert "Dienstverlener: menu" in client.get("/dienstverlener/").content.decode()
    assert (
        AuditEvent.objects.filter(action="providers.provider.sign_up").exists()
        or AuditEvent.objects.filter(object_type="providers.provider", object_id=str(provider.pk)).exists()
    )


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("enterprise_number", "0123.456.780", "geen geldig ondernemingsnummer"),
        ("iban", "BE71 0961 2345 6760", "IBAN"),
    ],
)
def test_sign_up_bad_input_is_refused_at_the_field(
    client: Client, world, field: str, value: str, message: str
) -> None:
    response = client.post("/dienstverlener/aanmelden/", _form(**{field: value}))
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert f'id="id_{field}_error"' in page
    assert Provider.objects.count() == 0
    assert not mail.outbox


def test_a_second_sign_up_of_the_same_organisation_is_refused(client: Client, provider: Provider) -> None:
    response = client.post("/dienstverlener/aanmelden/", _form())
    assert response.status_code == 200
    assert "al aangemeld als dienstverlener" in response.content.decode()
    assert Provider.objects.count() == 1


def test_confirm_without_a_form_goes_back_to_the_form(client: Client, world) -> None:
    response = client.post("/dienstverlener/aanmelden/bevestigen/")
    assert response["Location"] == "/dienstverlener/aanmelden/"
    assert Provider.objects.count() == 0


def _reset_link(client: Client, provider: Provider) -> str:
    response = client.post(
        "/dienstverlener/paswoord-vergeten/",
        {"enterprise_number": provider.enterprise_number, "email": provider.contact_email.upper()},
    )
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    return re.search(r"https?://\S+/paswoord-vergeten/\S+/", mail.outbox[0].body).group(0)


def test_forgotten_password_link_works_once(client: Client, provider_with_password: Provider) -> None:
    link = _reset_link(client, provider_with_password)
    path = link.split("testserver", 1)[1]
    assert client.get(path).status_code == 200
    response = client.post(
        path, {"new_password": "Nieuw-paswoord-2025", "new_password_again": "Nieuw-paswoord-2025"}
    )
    assert response["Location"] == "/dienstverlener/login/"
    password_login(client, provider_with_password.login, "Nieuw-paswoord-2025")
    again = client.get(path)
    assert again.status_code == 400
    assert "Deze link werkt niet meer" in again.content.decode()


def test_forgotten_password_says_the_same_for_an_unknown_address(
    client: Client, provider_with_password: Provider
) -> None:
    response = client.post(
        "/dienstverlener/paswoord-vergeten/",
        {"enterprise_number": provider_with_password.enterprise_number, "email": "iemand@elders.example"},
    )
    assert response.status_code == 200
    assert "ontvangt u binnen enkele minuten een mail" in response.content.decode()
    assert not mail.outbox


def test_a_tampered_reset_link_is_refused(client: Client, provider_with_password: Provider) -> None:
    link = _reset_link(client, provider_with_password)
    path = link.split("testserver", 1)[1]
    response = client.post(
        path[:-3] + "xx/",
        {"new_password": "Nieuw-paswoord-2025", "new_password_again": "Nieuw-paswoord-2025"},
    )
    assert response.status_code == 400
    password_login(client, provider_with_password.login, PASSWORD)


def test_credentials_change_keeps_this_session(portal: Client, provider_with_password: Provider) -> None:
    page = portal.get("/dienstverlener/login-wijzigen/").content.decode()
    assert f"Uw huidige login is: {provider_with_password.login}" in page
    response = portal.post(
        "/dienstverlener/login-wijzigen/",
        {
            "new_login": "leerwijs",
            "old_password": PASSWORD,
            "new_password": "Een-nieuw-paswoord-7",
            "new_password_again": "Een-nieuw-paswoord-7",
        },
    )
    assert response["Location"] == "/dienstverlener/"
    assert portal.get("/dienstverlener/").status_code == 200
    provider_with_password.refresh_from_db()
    assert provider_with_password.login == "leerwijs"
    event = AuditEvent.objects.get(action="providers.provider.credentials_change")
    assert event.actor_label.startswith("dienstverlener-login:")


def test_credentials_change_with_a_wrong_old_password_changes_nothing(
    portal: Client, provider_with_password: Provider
) -> None:
    response = portal.post(
        "/dienstverlener/login-wijzigen/",
        {
            "new_login": "leerwijs",
            "old_password": "fout",
            "new_password": "Een-nieuw-paswoord-7",
            "new_password_again": "Een-nieuw-paswoord-7",
        },
    )
    assert response.status_code == 200
    assert "Het oude paswoord is niet juist." in response.content.decode()
    provider_with_password.refresh_from_db()
    assert provider_with_password.login == A


@pytest.mark.parametrize("login", ["le erwijs", 'leer"wijs', "lw", "leerwijs\r\nX-Header: 1"])
def test_a_login_with_spaces_quotes_or_too_short_is_refused(
    portal: Client, provider_with_password: Provider, login: str
) -> None:
    response = portal.post(
        "/dienstverlener/login-wijzigen/",
        {
            "new_login": login,
            "old_password": PASSWORD,
            "new_password": "Een-nieuw-paswoord-7",
            "new_password_again": "Een-nieuw-paswoord-7",
        },
    )
    assert response.status_code == 200
    assert "Een login heeft 3 tot 60 tekens" in response.content.decode()
    provider_with_password.refresh_from_db()
    assert provider_with_password.login == A


def test_sign_ups_from_one_address_are_limited(client: Client, world) -> None:
    from kmop.acm import throttle

    client.post("/dienstverlener/aanmelden/", _form())
    for _ in range(throttle.ACCOUNT_FAILURES):  # as many sign-ups as allowed, from this address
        throttle.failed(account="portal-sign-up:127.0.0.1", address="127.0.0.1")
    response = client.post("/dienstverlener/aanmelden/bevestigen/")
    assert response.status_code == 429
    assert "te veel organisaties aangemeld vanaf uw adres" in response.content.decode()
    assert not Provider.objects.exists()
    assert not mail.outbox
