"""The portal's mails follow the provider's language (``Provider.language``): set at the sign-up from the
language the sign-up page is used in, changed in "Maatschappelijke zetel wijzigen" (audited like the other
data of the registered office); the sign-up, new-password and certificate mails are written in it."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from kmop.audit.models import AuditEvent
from kmop.portal import certificates
from kmop.portal import mail as portal_mail
from kmop.providers import services
from kmop.providers.errors import ProviderError
from kmop.providers.models import Provider, Registration
from tests.notifications.mail_parts import assert_html_part
from tests.portal.conftest import IBAN_2, SYSTEM, A, password_login, sign_up_data

pytestmark = pytest.mark.django_db

OFFICE_EDIT = "/dienstverlener/dienstverleners/zetel/wijzigen/"


def _sign_up_form() -> dict[str, str]:
    data = {k: v for k, v in sign_up_data().items() if isinstance(v, str)}
    data.update(country="BE", legal_form="")
    return data


def _office_form(**overrides: str) -> dict[str, str]:
    data = {k: v for k, v in sign_up_data().items() if k != "enterprise_number"}
    data.update(country="BE", legal_form="")
    data.update(overrides)
    return data


def make(provider: Provider, service: str = "opleiding") -> Registration:
    """An approved registration (G), straight in the database, valid from 1 January 2024 to 1 January 2029."""
    (number,) = services.registration_numbers([service])
    now = timezone.now()
    return Registration.objects.create(
        number=number,
        provider=provider,
        service=service,
        basis="prive",
        status="G",
        valid_from=date(2024, 1, 1),
        valid_until=date(2029, 1, 1),
        requested_at=now,
        status_changed_at=now,
    )


def _sign_up(client: Client, capture: Any, **headers: str) -> Provider:
    response = client.post("/dienstverlener/aanmelden/", _sign_up_form(), **headers)
    assert response.status_code == 302, response.content.decode()[:3000]
    with capture(execute=True):
        response = client.post("/dienstverlener/aanmelden/bevestigen/", **headers)
    assert response.status_code == 302
    return Provider.objects.get(enterprise_number=A)


@pytest.mark.parametrize(
    ("cookie", "headers"),
    [("en", {}), ("", {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"})],
    ids=["language-cookie", "accept-language"],
)
def test_a_provider_signed_up_in_english_gets_its_mail_in_english(
    client: Client, world, django_capture_on_commit_callbacks, cookie: str, headers: dict[str, str]
) -> None:
    if cookie:
        client.cookies["kmop_language"] = cookie
    provider = _sign_up(client, django_capture_on_commit_callbacks, **headers)
    assert provider.language == "en"
    (message,) = mail.outbox
    assert message.subject == "Your login and password as a kmo-portefeuille service provider"
    assert "Your organisation has signed up as a service provider with the kmo-portefeuille." in message.body
    assert "Uw organisatie" not in message.body
    assert message.kmop_language == "en"
    password = re.search(r"Password: (\S+)", message.body).group(1)
    password_login(client, provider.login, password)
    event = AuditEvent.objects.get(action="providers.provider.sign_up")
    assert event.after["language"] == "en"


def test_a_provider_signed_up_in_dutch_gets_its_mail_in_dutch(
    client: Client, world, django_capture_on_commit_callbacks
) -> None:
    client.cookies["kmop_language"] = "nl"
    provider = _sign_up(client, django_capture_on_commit_callbacks, HTTP_ACCEPT_LANGUAGE="en")
    assert provider.language == "nl"
    (message,) = mail.outbox
    assert message.subject == "Uw login en paswoord als dienstverlener kmo-portefeuille"
    assert "Uw organisatie is aangemeld als dienstverlener bij de kmo-portefeuille." in message.body
    assert "Paswoord: " in message.body
    assert message.kmop_language == "nl"


def test_the_new_password_mail_follows_the_providers_language(
    client: Client, provider_with_password: Provider
) -> None:
    services.provider_update(actor=SYSTEM, provider=provider_with_password, language="en")
    client.post(
        "/dienstverlener/paswoord-vergeten/",
        {"enterprise_number": provider_with_password.enterprise_number, "email": "info@leerwijs.example"},
    )
    (message,) = mail.outbox
    assert message.subject == "A new password for your service provider login"
    assert "You requested a new password" in message.body
    assert message.kmop_language == "en"


@pytest.mark.parametrize(
    ("language", "subject", "phrases", "pdf_title"),
    [
        (
            "en",
            "kmo-portefeuille: your registration {number} for Training has been granted",
            [
                "Dear Sir or Madam,",
                "for the training service has been granted. Your registration number is {number}.",
                "The registration is valid from 01/01/2024 until the expiry date 01/01/2029.",
                "Please find attached the certificate of your registration.",
                "Kind regards,",
            ],
            b"Certificate of registration",
        ),
        (
            "nl",
            "kmo-portefeuille: uw registratie {number} voor Opleiding is toegekend",
            [
                "Geachte,",
                "voor de dienst opleiding is toegekend. Uw registratienummer is {number}.",
                "De registratie is geldig vanaf 01/01/2024 tot de vervaldag 01/01/2029.",
                "In de bijlage vindt u het certificaat van uw registratie.",
                "Met vriendelijke groeten,",
            ],
            b"Certificaat van registratie",
        ),
    ],
)
def test_the_certificate_mail_follows_the_providers_language(
    provider: Provider, language: str, subject: str, phrases: list[str], pdf_title: bytes
) -> None:
    provider = services.provider_update(actor=SYSTEM, provider=provider, language=language)
    registration = make(provider)
    assert certificates.send_certificate(registration.pk)
    (message,) = mail.outbox
    assert message.subject == subject.format(number=registration.number)
    for phrase in phrases:
        assert phrase.format(number=registration.number) in message.body
    assert message.kmop_language == language
    assert_html_part(message, language, *(phrase.format(number=registration.number) for phrase in phrases))
    ((filename, content, _mimetype),) = message.attachments
    assert filename == f"certificaat-{registration.number}.pdf"
    assert pdf_title in content


def test_an_unknown_language_is_mailed_in_dutch(provider: Provider) -> None:
    Provider.objects.filter(pk=provider.pk).update(language="fr")  # not through the services: they refuse it
    registration = make(Provider.objects.get(pk=provider.pk))
    message = certificates.certificate_message(Registration.objects.get(pk=registration.pk))
    assert message is not None
    assert message.kmop_language == "nl"
    assert "is toegekend" in message.subject
    assert portal_mail.mail_language("fr") == "nl"
    assert portal_mail.mail_language(None) == "nl"


def test_the_provider_changes_the_language_of_its_mails(
    portal: Client, provider_with_password: Provider
) -> None:
    page = portal.get(OFFICE_EDIT).content.decode()
    assert "Taal van de e-mails" in page
    assert '<option value="nl" selected lang="nl">Nederlands</option>' in page
    assert '<option value="en" lang="en">English</option>' in page
    response = portal.post(OFFICE_EDIT, _office_form(language="en"))
    assert response.status_code == 302, response.content.decode()[:3000]
    provider_with_password.refresh_from_db()
    assert provider_with_password.language == "en"
    event = AuditEvent.objects.get(action="providers.provider.update")
    assert (event.before["language"], event.after["language"]) == ("nl", "en")
    assert event.object_id == str(provider_with_password.pk)
    assert event.actor_label.startswith("dienstverlener-login:")
    assert event.reason == "Gewijzigd in het menu van de dienstverlener"
    office = portal.get("/dienstverlener/dienstverleners/zetel/").content.decode()
    assert '<dd class="summary-list__value" lang="en">English</dd>' in office
    # a post without the language (an older form) keeps the one chosen
    response = portal.post(OFFICE_EDIT, _office_form(iban=IBAN_2))
    assert response.status_code == 302
    provider_with_password.refresh_from_db()
    assert (provider_with_password.language, provider_with_password.iban) == ("en", IBAN_2)


def test_an_unknown_language_posted_is_refused_and_changes_nothing(
    portal: Client, provider_with_password: Provider
) -> None:
    response = portal.post(OFFICE_EDIT, _office_form(language="de", iban=IBAN_2))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_language_error"' in page
    assert "Selecteer een geldige keuze. de is geen beschikbare keuze." in page
    provider_with_password.refresh_from_db()
    assert provider_with_password.language == "nl"
    assert provider_with_password.iban != IBAN_2
    assert not AuditEvent.objects.filter(action="providers.provider.update").exists()


def test_the_services_refuse_an_unknown_language(world, provider: Provider) -> None:
    with pytest.raises(ProviderError) as refused:
        services.provider_update(actor=SYSTEM, provider=provider, language="de")
    assert refused.value.field == "language"
    provider.refresh_from_db()
    assert provider.language == "nl"
    assert not AuditEvent.objects.filter(action="providers.provider.update").exists()
