"""The portal's registration pages (seed 004, 2.1): the overview with its filters, sorting and legend; the
request in steps (nothing written before "Bevestig"; a second request for a service refused at the field);
the declaration of honour as a PDF; the detail, verlengen and hernieuwen (refused in another status);
another provider's registration (404); a department's person (only that department); the certificate."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.idm import services as idm_services
from kmop.portal import certificates
from kmop.providers import services
from kmop.providers.models import Provider, ProviderDepartment, Registration
from tests.idm.conftest import PIETER, B
from tests.portal.conftest import IBAN_2, SYSTEM, TODAY, World, sign_up_data
from tests.providers.conftest import passed_audit

pytestmark = pytest.mark.django_db

BASE = "/dienstverlener/registraties/"
LEVEL = f"{BASE}aanvraag/dienstverlener/"
SERVICE = f"{BASE}aanvraag/dienst/"
BASIS = f"{BASE}aanvraag/registratiebasis/"


def make(
    provider: Provider,
    service: str = "opleiding",
    status: str = "G",
    *,
    department: ProviderDepartment | None = None,
    valid_until: date | None = date(2029, 1, 1),
    **extra: Any,
) -> Registration:
    """A registration in the status, straight in the database (with a number of the sequence)."""
    now = timezone.now()
    (number,) = services.registration_numbers([service])
    dated = status in ("G", "G/V", "L", "L/H", "S")
    return Registration.objects.create(
        number=number,
        provider=provider,
        department=department,
        service=service,
        basis=extra.pop("basis", "prive"),
        status=status,
        valid_from=date(2024, 1, 1) if dated else None,
        valid_until=valid_until if dated else None,
        requested_at=now,
        status_changed_at=now,
        **extra,
    )


def page(client: Client, url: str, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- the overview ------------------------------------------------------------------------------------------


def test_overview_has_the_seeds_columns_actions_and_legend(
    portal: Client, provider_with_password: Provider
) -> None:
    requested = make(provider_with_password, "advies", "A")
    approved = make(provider_with_password, "opleiding", "G", valid_until=date(2028, 3, 21))
    html = page(portal, BASE)
    assert "Registraties: overzicht" in html
    for header in ("Dienst", "Registratienr.", "Vervaldag", "Dienstverlener", "Type", "Status*", "Acties"):
        assert f">{header}</a>" in html or f">{header}</th>" in html, header
    table = html[html.index('id="registrations"') : html.index("</table>")]
    row_g = table[table.index(f'id="registration-{approved.number}"') :].split("</tr>")[0]
    row_a = table[table.index(f'id="registration-{requested.number}"') :].split("</tr>")[0]
    assert "21/03/2028" in row_g
    assert "Leerwijs BV" in row_g
    assert ">MZ<" in row_g
    assert ">G</abbr>" in row_g
    assert f"{BASE}{approved.number}/verlengen/" in row_g
    assert f'{BASE}{approved.number}/"' in row_g  # detail
    assert ">A</abbr>" in row_a
    assert "verlengen" not in row_a
    assert "hernieuwen" not in row_a
    legend = html[html.index('id="status-legend"') :]
    assert "* Status:" in legend
    for code, label in (
        ("A", "Aangevraagd"),
        ("G", "Goedgekeurd"),
        ("G/V", "Goedgekeurd (Verlenging aangevraagd)"),
        ("N", "Geweigerd"),
        ("L", "Verlopen"),
        ("L/H", "Verlopen (Hernieuwing aangevraagd)"),
        ("S", "Geschorst"),
        ("U", "Uitgesloten"),
        ("T", "Gestopt"),
    ):
        assert f"<li><strong>{code}</strong>: {label}</li>" in legend
    assert 'href="/dienstverlener/"' in legend  # Terug
    assert f'href="{BASE}aanvraag/"' in html  # Klik hier voor een nieuwe registratie


def test_active_filter_shows_only_the_active_statuses(
    portal: Client, provider_with_password: Provider
) -> None:
    active = make(provider_with_password, "opleiding", "G")
    refused = make(provider_with_password, "advies", "N")
    expired = make(provider_with_password, "advies", "L", valid_until=date(2025, 1, 1))
    everything = page(portal, BASE)
    assert all(r.number in everything for r in (active, refused, expired))
    html = page(portal, BASE, toon="actief")
    assert active.number in html
    assert refused.number not in html
    assert expired.number not in html
    row = html[html.index(f'id="registration-{active.number}"') :]
    assert "toon voor alle diensten</a>" in html
    assert row  # shown
    expired_row = everything[everything.index(f'id="registration-{expired.number}"') :].split("</tr>")[0]
    assert f"{BASE}{expired.number}/hernieuwen/" in expired_row


def test_columns_sort_by_a_whitelisted_key(portal: Client, provider_with_password: Provider) -> None:
    first = make(provider_with_password, "opleiding", "G", valid_until=date(2029, 6, 1))
    second = make(provider_with_password, "advies", "G", valid_until=date(2027, 6, 1))
    by_number = page(portal, BASE, sorteer="nummer")  # DV.A000002 before DV.O000001
    assert by_number.index(second.number) < by_number.index(first.number)
    by_expiry = page(portal, BASE, sorteer="vervaldag")
    assert by_expiry.index(second.number) < by_expiry.index(first.number)
    assert 'aria-sort="ascending"' in by_expiry
    descending = page(portal, BASE, sorteer="-vervaldag")
    assert descending.index(first.number) < descending.index(second.number)
    assert 'aria-sort="descending"' in descending
    by_service = page(portal, BASE, sorteer="-dienst")
    assert by_service.index(first.number) < by_service.index(second.number)
    # not in the whitelist: the default order (by service: advies before opleiding), no error
    unknown = page(portal, BASE, sorteer="-provider__password")
    assert unknown.index(second.number) < unknown.index(first.number)


def test_overview_needs_the_portal_login(client: Client, provider_with_password: Provider) -> None:
    response = client.get(BASE)
    assert response.status_code == 302
    assert response["Location"].startswith("/dienstverlener/login/")


# --- the request in steps ------------------------------------------------------------------------------


def test_full_request_through_the_steps(portal: Client, provider_with_password: Provider) -> None:
    start = portal.get(f"{BASE}aanvraag/")
    assert start["Location"] == LEVEL
    html = page(portal, LEVEL)
    assert "1. Dienstverlener" in html
    assert "4. Verklaring op eer" in html
    assert 'value="MZ"' in html
    assert 'value="DEP"' not in html  # no departments
    assert portal.post(LEVEL, {"level": "MZ"})["Location"] == SERVICE
    html = page(portal, SERVICE)
    assert 'aria-current="step">2. Dienst' in html
    assert portal.post(SERVICE, {"service": "opleiding"})["Location"] == BASIS
    html = page(portal, BASIS)
    for basis in ("prive", "kennisinstelling", "sectorfonds"):
        assert f'value="{basis}"' in html
    assert "Bevestig" in html
    assert not Registration.objects.exists()  # nothing written before "Bevestig"
    response = portal.post(BASIS, {"basis": "kennisinstelling"})
    registration = Registration.objects.get()
    assert response["Location"] == f"{BASE}{registration.number}/verklaring-op-eer/"
    assert (registration.service, registration.basis, registration.status) == (
        "opleiding",
        "kennisinstelling",
        "A",
    )
    assert registration.department is None
    assert registration.number.startswith("DV.O")
    event = AuditEvent.objects.get(action="providers.registration.request")
    assert event.actor_label == f"dienstverlener-login:{provider_with_password.login}"
    html = page(portal, response["Location"])
    assert "Uw aanvraag tot registratie voor de dienst Opleiding werd goed ontvangen." in html
    assert "Ellipsgebouw, Koning Albert II-laan 35, bus 12" in html
    assert "Ondergetekende geeft toestemming aan het Agentschap Innoveren en Ondernemen" in html
    for label in ("Datum", "Handtekening", "Naam + Functie", "Print", "OK"):
        assert label in html
    # stap 5: the overview lists it
    overview = page(portal, BASE)
    row = overview[overview.index(f'id="registration-{registration.number}"') :].split("</tr>")[0]
    assert ">A</abbr>" in row
    # the wizard is over: its steps start again
    assert portal.get(BASIS)["Location"] == LEVEL


def test_advice_offers_no_sector_fund_and_refuses_it(portal: Client) -> None:
    portal.post(LEVEL, {"level": "MZ"})
    portal.post(SERVICE, {"service": "advies"})
    html = page(portal, BASIS)
    assert 'value="prive"' in html
    assert 'value="kennisinstelling"' in html
    assert 'value="sectorfonds"' not in html
    response = portal.post(BASIS, {"basis": "sectorfonds"})
    assert response.status_code == 200
    assert "Kies een van de mogelijkheden voor deze dienst." in response.content.decode()
    assert not Registration.objects.exists()


def test_steps_cannot_be_skipped(portal: Client) -> None:
    assert portal.get(SERVICE)["Location"] == LEVEL
    assert portal.post(BASIS, {"basis": "prive"})["Location"] == LEVEL
    portal.post(LEVEL, {"level": "MZ"})
    assert portal.post(BASIS, {"basis": "prive"})["Location"] == SERVICE
    response = portal.post(LEVEL, {"level": "DEP"})  # no department to choose
    assert response.status_code == 200
    assert "Kies de maatschappelijke zetel of een departement." in response.content.decode()
    assert not Registration.objects.exists()


def test_second_request_for_a_service_is_refused_at_the_field(
    portal: Client, provider_with_password: Provider
) -> None:
    existing = make(provider_with_password, "opleiding", "G")
    audits = AuditEvent.objects.count()
    portal.post(LEVEL, {"level": "MZ"})
    portal.post(SERVICE, {"service": "opleiding"})
    response = portal.post(BASIS, {"basis": "prive"})
    assert response.status_code == 200
    html = response.content.decode()
    error = html[html.index('id="id_service_error"') :].split("</p>")[0]
    assert existing.number in error
    assert "klik op &#x27;verlengen&#x27;" in error
    assert "Er is een probleem" in html
    assert list(Registration.objects.all()) == [existing]
    assert AuditEvent.objects.count() == audits


def test_expired_registration_sends_to_renew(portal: Client, provider_with_password: Provider) -> None:
    make(provider_with_password, "advies", "L", valid_until=date(2025, 1, 1))
    portal.post(LEVEL, {"level": "MZ"})
    portal.post(SERVICE, {"service": "advies"})
    html = portal.post(BASIS, {"basis": "prive"}).content.decode()
    assert "klik op &#x27;hernieuwen&#x27;" in html
    assert Registration.objects.count() == 1


# --- the declaration of honour -------------------------------------------------------------------------


def test_declaration_pdf(portal: Client, provider_with_password: Provider) -> None:
    registration = make(provider_with_password, "opleiding", "A", basis="sectorfonds")
    response = portal.get(
        f"{BASE}{registration.number}/verklaring-op-eer/print/",
        {"datum": "12/03/2025", "naam_functie": "Sofie Verhaeghe, zaakvoerder"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="verklaring-op-eer-{registration.number}.pdf"'
    )
    content = response.content
    assert content.startswith(b"%PDF")
    # the page streams are not compressed: the text is in the file as written
    for text in (
        b"Leerwijs BV",
        registration.number.encode(),
        provider_with_password.display_enterprise_number.encode(),
        b"Opleiding",
        b"sectorfonds",
        b"12/03/2025",
        b"Sofie Verhaeghe, zaakvoerder",
        b"Uw aanvraag tot registratie voor de dienst Opleiding werd goed ontvangen.",
    ):
        assert text in content, text


def test_declaration_with_a_bad_date_shows_the_error_at_the_field(
    portal: Client, provider_with_password: Provider
) -> None:
    registration = make(provider_with_password, "opleiding", "A")
    response = portal.get(f"{BASE}{registration.number}/verklaring-op-eer/print/", {"datum": "31/02/2025"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert 'id="id_datum_error"' in html
    assert "Geef de datum als dd/mm/jjjj" in html


# --- detail, verlengen, hernieuwen -----------------------------------------------------------------------


def test_extend_after_confirmation(portal: Client, provider_with_password: Provider) -> None:
    registration = make(provider_with_password, "opleiding", "G")
    url = f"{BASE}{registration.number}/verlengen/"
    html = page(portal, url)
    assert 'id="confirm-action"' in html
    registration.refresh_from_db()
    assert registration.status == "G"  # a GET changes nothing
    response = portal.post(url)
    assert response["Location"] == f"{BASE}{registration.number}/"
    registration.refresh_from_db()
    assert registration.status == "G/V"
    detail = page(portal, response["Location"])
    assert "Verlenging aangevraagd" in detail
    assert "G → G/V" in detail
    assert "De verlenging van registratie" in detail
    assert AuditEvent.objects.filter(action="providers.registration.extend").count() == 1


def test_renew_after_confirmation(portal: Client, provider_with_password: Provider) -> None:
    registration = make(provider_with_password, "advies", "L", valid_until=date(2025, 1, 1))
    detail = page(portal, f"{BASE}{registration.number}/")
    assert f"{BASE}{registration.number}/hernieuwen/" in detail
    assert f"{BASE}{registration.number}/verlengen/" not in detail
    portal.post(f"{BASE}{registration.number}/hernieuwen/")
    registration.refresh_from_db()
    assert registration.status == "L/H"


def test_action_not_allowed_in_the_status_is_hidden_and_refused(
    portal: Client, provider_with_password: Provider
) -> None:
    registration = make(provider_with_password, "opleiding", "A")
    detail = page(portal, f"{BASE}{registration.number}/")
    assert "/verlengen/" not in detail
    assert "/hernieuwen/" not in detail
    html = page(portal, f"{BASE}{registration.number}/verlengen/")
    assert 'id="confirm-action"' not in html
    assert "kan niet voor registratie" in html
    audits = AuditEvent.objects.count()
    for action in ("verlengen", "hernieuwen"):
        response = portal.post(f"{BASE}{registration.number}/{action}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert f"kan niet voor registratie {registration.number} met status A (Aangevraagd)." in html
        assert 'id="confirm-action"' not in html
    registration.refresh_from_db()
    assert (registration.status, registration.version) == ("A", 1)
    assert not registration.events.exists()
    assert AuditEvent.objects.count() == audits


def test_extend_after_the_expiry_date_is_refused(portal: Client, provider_with_password: Provider) -> None:
    registration = make(provider_with_password, "opleiding", "G", valid_until=TODAY)  # expires today
    response = portal.post(f"{BASE}{registration.number}/verlengen/")
    assert response.status_code == 200
    assert "vraag een hernieuwing aan" in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == "G"


def test_another_providers_registration_is_404(
    portal: Client, provider_with_password: Provider, world: World
) -> None:
    other = services.provider_sign_up(
        actor=SYSTEM, **sign_up_data(enterprise_number=B, legal_name="Ander BV", contact_email="b@b.example")
    )
    theirs = make(other, "opleiding", "G")
    for suffix in ("", "verlengen/", "certificaat/", "verklaring-op-eer/", "verklaring-op-eer/print/"):
        assert portal.get(f"{BASE}{theirs.number}/{suffix}").status_code == 404, suffix
    assert portal.post(f"{BASE}{theirs.number}/verlengen/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "G"
    assert theirs.number not in page(portal, BASE)


# --- a department's person -------------------------------------------------------------------------------


@pytest.fixture
def department_person(client: Client, world: World, provider: Provider, app_manager: Actor) -> dict[str, Any]:
    """Pieter works for A with the departments right for the department "Academie" only."""
    academy = services.department_create(
        actor=SYSTEM,
        provider=provider,
        code="ACAD",
        name="Academie",
        contact_name="Pieter Claes",
        contact_email="academie@leerwijs.example",
        iban=IBAN_2,
    )
    other = services.department_create(
        actor=SYSTEM,
        provider=provider,
        code="ICT",
        name="Departement ICT",
        contact_name="Jonas De Smet",
        contact_email="ict@leerwijs.example",
        iban=IBAN_2,
    )
    idm_services.organisation_departments_right_set(actor=app_manager, organisation=world.a, activated=True)
    relation = world.relation(PIETER, world.a)
    idm_services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="DienstverlenerKmoPortefeuilleDepartementen",
        context_values=["ACAD"],
    )
    from tests.eloket.conftest import login

    login(client, PIETER)
    return {"client": client, "academy": academy, "other": other}


def test_a_departments_person_sees_and_requests_only_for_their_departments(
    department_person: dict[str, Any], provider: Provider
) -> None:
    client: Client = department_person["client"]
    office = make(provider, "opleiding", "G")
    own = make(provider, "opleiding", "A", department=department_person["academy"])
    foreign = make(provider, "advies", "A", department=department_person["other"])
    html = page(client, BASE)
    assert own.number in html
    assert office.number not in html
    assert foreign.number not in html
    assert client.get(f"{BASE}{office.number}/").status_code == 404
    assert client.get(f"{BASE}{foreign.number}/").status_code == 404
    assert client.get(f"{BASE}{own.number}/").status_code == 200
    # stap 1: only their own department
    html = page(client, LEVEL)
    assert 'value="MZ"' not in html
    assert "Academie" in html
    assert "Departement ICT" not in html
    assert client.post(LEVEL, {"level": "MZ"}).status_code == 200
    response = client.post(LEVEL, {"level": "DEP", "department": str(department_person["other"].pk)})
    assert response.status_code == 200
    assert "Kies een departement uit de lijst." in response.content.decode()
    response = client.post(LEVEL, {"level": "DEP", "department": str(department_person["academy"].pk)})
    assert response["Location"] == SERVICE
    assert "Academie" in page(client, SERVICE)
    assert Registration.objects.count() == 3
    # "Bevestig": the department's own registration, requested by the department's person
    assert client.post(SERVICE, {"service": "advies"})["Location"] == BASIS
    response = client.post(BASIS, {"basis": "prive"})
    made = Registration.objects.get(department=department_person["academy"], service="advies")
    assert response["Location"] == f"{BASE}{made.number}/verklaring-op-eer/"
    assert made.status == "A"
    # and may ask to renew it once expired, not the office's or another department's registrations
    Registration.objects.filter(pk=own.pk).update(status="L", valid_from=date(2019, 1, 1), valid_until=TODAY)
    assert client.post(f"{BASE}{own.number}/hernieuwen/").status_code in (200, 302)
    own.refresh_from_db()
    assert own.status == "L/H"


# --- the certificate -------------------------------------------------------------------------------------


def test_certificate_download_only_while_approved(portal: Client, provider_with_password: Provider) -> None:
    approved = make(provider_with_password, "opleiding", "G", valid_until=date(2030, 3, 10))
    requested = make(provider_with_password, "advies", "A")
    assert f"{BASE}{approved.number}/certificaat/" in page(portal, f"{BASE}{approved.number}/")
    response = portal.get(f"{BASE}{approved.number}/certificaat/")
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert b"Certificaat van registratie" in response.content
    assert b"10/03/2030" in response.content
    assert "/certificaat/" not in page(portal, f"{BASE}{requested.number}/")
    assert portal.get(f"{BASE}{requested.number}/certificaat/").status_code == 404


def test_approval_mails_the_certificate_after_commit(
    provider: Provider, staff: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    registration = services.registration_request(
        actor=SYSTEM, provider=provider, service="advies", basis="prive"
    )
    passed_audit(registration)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.registration_decide(
            actor=staff, registration=registration, decision="approve", valid_from=date(2025, 4, 1)
        )
        assert mail.outbox == []  # not before the commit
    assert len(callbacks) == 1
    (message,) = mail.outbox
    assert message.to == ["info@leerwijs.example"]
    assert registration.number in message.subject
    assert "01/04/2025" in message.body
    assert "01/04/2030" in message.body
    ((filename, content, mimetype),) = message.attachments
    assert (filename, mimetype) == (f"certificaat-{registration.number}.pdf", "application/pdf")
    assert content.startswith(b"%PDF")
    assert b"Leerwijs BV" in content
    assert b"01/04/2030" in content


def test_refusal_mails_no_certificate(
    provider: Provider, staff: Actor, django_capture_on_commit_callbacks: Any
) -> None:
    registration = services.registration_request(
        actor=SYSTEM, provider=provider, service="advies", basis="prive"
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_decide(
            actor=staff, registration=registration, decision="refuse", reason="Audit."
        )
    assert mail.outbox == []


def test_a_failing_certificate_mail_leaves_the_decision(
    provider: Provider,
    staff: Actor,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    registration = services.registration_request(
        actor=SYSTEM, provider=provider, service="opleiding", basis="prive"
    )
    passed_audit(registration)

    def broken(_registration: Registration) -> bytes:
        raise RuntimeError("no PDF today")

    monkeypatch.setattr(certificates.pdf, "certificate_pdf", broken)
    mail.outbox.clear()
    with (
        caplog.at_level(logging.ERROR, logger="kmop.portal.certificates"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.registration_decide(actor=staff, registration=registration, decision="approve")
    registration.refresh_from_db()
    assert registration.status == "G"
    assert registration.valid_until == TODAY.replace(year=TODAY.year + 5)
    assert mail.outbox == []
    assert f"registration {registration.pk}: the certificate could not be mailed" in caplog.text


def test_department_registration_certificate_goes_to_both_addresses(provider: Provider) -> None:
    department = services.department_create(
        actor=SYSTEM,
        provider=provider,
        code="ICT",
        name="Departement ICT",
        contact_name="Jonas De Smet",
        contact_email="ict@leerwijs.example",
        iban=IBAN_2,
    )
    registration = make(
        provider, "opleiding", "G", department=department, valid_until=TODAY + timedelta(days=9)
    )
    assert certificates.send_certificate(registration.pk)
    (message,) = mail.outbox
    assert message.to == ["info@leerwijs.example", "ict@leerwijs.example"]
    assert b"Departement ICT" in message.attachments[0][1]
