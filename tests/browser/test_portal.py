"""The providers' portal in a real browser (issue 5, "Done when"), every page axe-clean (WCAG 2.1 AA) at
desktop and mobile width:

(a) sign-up of a new provider organisation → the mail with login and password → login → the menu →
    a registration request in the seed's steps → An (VLAIO staff) approves it in the back office → the
    certificate is mailed → the overview shows G with its vervaldag;
(b) the three reactions on projects of seed 004 §2.3: cancel (Bevestigd), stop request with a proof document
    (Lopend) and report (Afgewerkt), from the project overview's detail pages.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from kmop.idm import services as idm_services
from kmop.projects import services as project_services
from kmop.projects.models import Project, ProjectReport
from kmop.providers import services as provider_services
from kmop.providers.models import REGISTRATION_SEQUENCE, NumberSequence, Provider, Registration
from kmop.registers.models import Address, Denomination
from kmop.schemes import services as scheme_services
from kmop.wallet import camt
from kmop.wallet import services as wallet_services
from tests.idm.conftest import SYSTEM, make_enterprise
from tests.wallet.conftest import Credit, statement

from .harness import check_page
from .test_eloket import LEERWIJS, make_eloket_world
from .test_eloket_journey import (  # noqa: F401  (new_page: a fixture)
    DEBTOR_IBAN,
    houtatelier,
    houtatelier_profile,
    new_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

AN = "83041899839"
VLAIO = "OVO003112"
OPLEIDINGSHUIS = "0456789034"


@pytest.fixture
def portal_world(transactional_db: None, settings, tmp_path: Path) -> Iterator[None]:
    """The e-loket's world (Houtatelier, Leerwijs with DV.O000001), An as VLAIO staff, and Opleidingshuis: an
    enterprise in the KBO that is no provider yet."""
    settings.DEMO_MODE = True
    settings.MEDIA_ROOT = tmp_path / "media"
    make_eloket_world((AN, "An", "Wouters"))
    vlaio = idm_services.organisation_create_government(actor=SYSTEM, code=VLAIO, name="VLAIO")
    person = idm_services.person_add_by_number(actor=SYSTEM, organisation=vlaio, number=AN)
    relation = idm_services.work_relation_create(
        actor=SYSTEM,
        person=person,
        organisation=vlaio,
        category="ambtenaar",
        phone="+3292223344",
        email="an@vlaio.example",
    )
    idm_services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code="VLAIOInkomGebruiker", context_values=["Medewerker"]
    )
    # the world's DV.O000001 was made with its number; the sequence (flushed with the test database) follows
    NumberSequence.objects.update_or_create(name=REGISTRATION_SEQUENCE, defaults={"last_value": 1})
    make_enterprise(OPLEIDINGSHUIS)
    Denomination.objects.create(
        entity_number=OPLEIDINGSHUIS, language="2", type_of_denomination="001", denomination="Opleidingshuis"
    )
    Address.objects.create(
        entity_number=OPLEIDINGSHUIS,
        type_of_address="REGO",
        zipcode="2000",
        municipality_nl="Antwerpen",
        street_nl="Meir",
        house_number="10",
    )
    yield
    scheme_services.clear_cache()


def sign_up(page: Page, page_errors: list[str]) -> tuple[str, str]:
    """Opleidingshuis signs up; returns its login and the mailed password."""
    page.goto("/dienstverlener/login/")
    check_page(page, "portal-login", page_errors)
    page.get_by_role("link", name="Klik hier voor de aanmelding.").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden als dienstverlener")
    page.get_by_label("Ondernemingsnummer").fill("0456.789.034")
    # bad input first: a wrong IBAN is refused at its field and nothing is written
    page.get_by_label("Maatschappelijke naam").fill("Opleidingshuis BV")
    page.get_by_label("Straat").fill("Meir")
    page.get_by_label("Huisnummer").fill("10")
    page.get_by_label("Postcode").fill("2000")
    page.get_by_label("Gemeente").fill("Antwerpen")
    page.get_by_label("Contactpersoon").fill("Ilse Peeters")
    page.get_by_label("E-mailadres").fill("info@opleidingshuis.example")
    page.get_by_label("Rekeningnummer (IBAN) voor de betaling").fill("BE71 0961 2345 6760")
    page.get_by_label("Vakgebieden waarin u actief bent").fill("Veiligheid, logistiek")
    page.get_by_label("Voorstelling van u als dienstverlener").fill("Praktijkopleidingen in Antwerpen.")
    page.get_by_role("button", name="Verder").click()
    expect(page.locator("#id_iban_error")).to_be_visible()
    check_page(page, "portal-sign-up-error", page_errors)
    assert not Provider.objects.filter(enterprise_number=OPLEIDINGSHUIS).exists()
    page.get_by_label("Rekeningnummer (IBAN) voor de betaling").fill("BE71 0961 2345 6769")
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelding bevestigen")
    check_page(page, "portal-sign-up-confirm", page_errors)
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Uw organisatie is aangemeld als dienstverlener"
    )
    check_page(page, "portal-sign-up-done", page_errors)
    (message,) = [m for m in mail.outbox if m.to == ["info@opleidingshuis.example"]]
    login = re.search(r"Login: (\S+)", message.body).group(1)
    password = re.search(r"Paswoord: (\S+)", message.body).group(1)
    return login, password


def log_in(page: Page, login: str, password: str) -> None:
    page.goto("/dienstverlener/login/")
    page.get_by_label("Login", exact=True).fill(login)
    page.get_by_label("Paswoord").fill(password)
    page.get_by_role("button", name="Login").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dienstverlener: menu")


def test_sign_up_login_and_organisation_pages(page: Page, page_errors, portal_world) -> None:
    login, password = sign_up(page, page_errors)
    log_in(page, login, password)
    check_page(page, "portal-menu", page_errors)
    page.get_by_role("link", name="Dienstverleners aanmelden en beheren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dienstverleners: overzicht")
    expect(page.locator("#departments")).to_contain_text("2000 Antwerpen")
    check_page(page, "portal-departments", page_errors)
    page.get_by_role("link", name="Klik hier voor een nieuwe dienstverlener").click()
    page.get_by_label("Naam", exact=True).fill("Opleidingshuis Academie")
    page.get_by_label("Code", exact=True).fill("ACADEMIE")
    page.get_by_label("Contactpersoon").fill("Jan Peeters")
    page.get_by_label("E-mailadres").fill("academie@opleidingshuis.example")
    page.get_by_label("Rekeningnummer (IBAN)").fill("BE68 7932 3077 3034")
    check_page(page, "portal-department-new", page_errors)
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.locator("#departments")).to_contain_text("Opleidingshuis Academie")
    page.get_by_role("link", name="Terug").click()
    page.get_by_role("link", name="Vestigingen beheren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vestigingen: overzicht")
    page.get_by_role("link", name="Klik hier voor een nieuwe vestiging").click()
    page.get_by_label("Straat").fill("Kortrijksesteenweg")
    page.get_by_label("Huisnummer").fill("1")
    page.get_by_label("Postcode").fill("9000")
    page.get_by_label("Gemeente").fill("Gent")
    page.get_by_role("button", name="Bewaren").click()
    expect(page.locator("#establishments")).to_contain_text("9000 Gent")
    check_page(page, "portal-establishments", page_errors)
    page.get_by_role("link", name="Terug").click()
    page.get_by_role("link", name="Login en paswoord wijzigen").click()
    expect(page.locator("#current-login")).to_contain_text(login)
    check_page(page, "portal-credentials", page_errors)


def staff_log_in(page: Page) -> None:
    page.goto("/aanmelden/simulator/eid/")
    page.get_by_role("button", name="Aanmelden als An Wouters").click()
    expect(page.locator(".site-header__login")).to_contain_text("VLAIO")


def test_sign_up_registration_approval_certificate(
    page: Page,
    page_errors,
    portal_world,
    new_page,  # noqa: F811  (the fixture)
) -> None:
    login, password = sign_up(page, page_errors)
    log_in(page, login, password)
    page.get_by_role("link", name="Registraties beheren").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Registraties: overzicht")
    check_page(page, "portal-registrations-empty", page_errors)
    page.get_by_role("link", name="Klik hier voor een nieuwe registratie").click()
    page.get_by_label("Maatschappelijke zetel").check()
    check_page(page, "portal-registration-step-1", page_errors)
    page.get_by_role("button", name="Verder").click()
    page.get_by_label("Opleiding").check()
    check_page(page, "portal-registration-step-2", page_errors)
    page.get_by_role("button", name="Verder").click()
    page.get_by_label("private dienstverlener").check()
    check_page(page, "portal-registration-step-3", page_errors)
    page.get_by_role("button", name="Bevestig").click()
    expect(
        page.get_by_text("Uw aanvraag tot registratie voor de dienst Opleiding werd goed ontvangen.")
    ).to_be_visible()
    check_page(page, "portal-registration-declaration", page_errors)
    registration = Registration.objects.get(provider__enterprise_number=OPLEIDINGSHUIS)
    assert registration.status == "A"
    page.get_by_role("link", name="OK").click()
    row = page.locator(f"#registration-{registration.number.replace('.', '\\.')}")
    expect(row).to_contain_text("A")
    check_page(page, "portal-registrations", page_errors)

    # An (VLAIO staff, eID) approves the request in the back office
    staff = new_page()
    staff_log_in(staff)
    staff.goto("/backoffice/registraties/")
    expect(staff.locator("#pending-registrations")).to_contain_text(registration.number)
    check_page(staff, "backoffice-registrations", page_errors)
    staff.get_by_role("link", name=f"Beslissen over registratie {registration.number}").click()
    check_page(staff, "backoffice-registration-decide", page_errors)
    # a private provider: first the audit body's report (every indicator scored), then the approval
    audit = staff.locator("#audit-form")
    audit.get_by_label("Auditbureau").select_option("Vinçotte")
    audit.get_by_label("Datum van de audit").fill(timezone.localdate().strftime("%d/%m/%Y"))
    scores = "select[name^='auditrapport-method_'], select[name^='auditrapport-practice_']"
    for select in audit.locator(scores).all():
        select.select_option("T")
    audit.get_by_role("button", name="Auditrapport bewaren").click()
    expect(staff.locator("#audit-result")).to_contain_text("geslaagd")
    check_page(staff, "backoffice-registration-audit", page_errors)
    mail.outbox.clear()
    staff.get_by_role("button", name="Goedkeuren").click()
    expect(staff.locator("#no-pending-registrations")).to_be_visible()
    registration.refresh_from_db()
    assert registration.status == "G"
    (certificate,) = [m for m in mail.outbox if m.to == ["info@opleidingshuis.example"]]
    (attachment,) = certificate.attachments
    assert attachment[2] == "application/pdf"
    assert attachment[1].startswith(b"%PDF")

    # the provider sees G with its vervaldag, and downloads the certificate again
    page.reload()
    expect(row).to_contain_text("G")
    expect(row).to_contain_text(registration.valid_until.strftime("%d/%m/%Y"))
    row.get_by_role("link", name="detail").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="certificaat", exact=False).first.click()
    assert download.value.suggested_filename.endswith(".pdf")


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def leerwijs_projects() -> dict[str, Project]:
    """Three projects of Houtatelier with Leerwijs (DV.O000001): Bevestigd, Lopend (deposit booked) and
    Afgewerkt (the whole balance paid to Leerwijs)."""
    houtatelier_profile()
    made = {}
    for key in ("bevestigd", "lopend", "afgewerkt"):
        made[key] = project_services.application_submit(
            actor=SYSTEM,
            organisation=houtatelier(),
            registration="DV.O000001",
            service="opleiding",
            theme="bedrijfsstrategie",
            training_type="klassikaal",
            title=f"Veilig werken ({key})",
            start_date=timezone.localdate(),
            hours=Decimal("16"),
            amount=Decimal("1000.00"),
            participants=2,
            size_class="KO",
            idempotency_key=key,
        )
    deposits = statement(
        *(
            Credit(
                str(made[k].own_contribution), made[k].structured_reference_display, debtor_iban=DEBTOR_IBAN
            )
            for k in ("lopend", "afgewerkt")
        ),
        statement_id="STMT-PORTAL",
    )
    assert camt.import_statement(io.BytesIO(deposits), actor=SYSTEM).deposits == 2
    afgewerkt = Project.objects.get(pk=made["afgewerkt"].pk)
    wallet_services.payment_order_create(
        actor=SYSTEM, project=afgewerkt, invoice_number="LW-9", amount=afgewerkt.amount
    )
    for key, status in (("bevestigd", "Bevestigd"), ("lopend", "Lopend"), ("afgewerkt", "Afgewerkt")):
        made[key].refresh_from_db()
        assert made[key].status == status, (key, made[key].status)
    return made


def test_the_three_reactions_on_projects(
    page: Page,
    page_errors,
    portal_world,
    new_page,  # noqa: F811  (the fixture)
    settings,
    tmp_path: Path,
) -> None:
    settings.WALLET_DEBTOR_IBAN = DEBTOR_IBAN
    settings.WALLET_DEBTOR_BIC = "GKCCBEBB"
    settings.WALLET_DEBTOR_NAME = "Agentschap Innoveren en Ondernemen"
    made = leerwijs_projects()
    leerwijs = Provider.objects.get(enterprise_number=LEERWIJS)
    provider_services.provider_password_set(actor=SYSTEM, provider=leerwijs, password="Leerwijs-portaal-2025")
    log_in(page, leerwijs.login, "Leerwijs-portaal-2025")
    page.get_by_role("link", name="Overzicht projecten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Overzicht projecten")
    expect(page.locator("#projects-count")).to_contain_text(
        "Er werden 3 (waarvan 3 getoond) projecten gevonden."
    )
    check_page(page, "portal-projects", page_errors)
    page.locator("#filter-status").select_option("Lopend")
    page.locator("#project-filters").get_by_role("button").first.click()
    expect(page.locator("#projects tbody tr")).to_have_count(1)
    expect(page.locator("#projects")).to_contain_text(made["lopend"].number)

    # Bevestigd → annuleren (reason required) → ProjectGeannuleerd, the client mailed with the reason
    page.goto(f"/dienstverlener/projecten/{made['bevestigd'].number}/")
    expect(page.get_by_role("link", name="stopzetten")).to_have_count(0)
    check_page(page, "portal-project-confirmed", page_errors)
    page.get_by_role("link", name="annuleren").click()
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Er is een probleem")).to_be_visible()
    check_page(page, "portal-cancel-error", page_errors)
    page.get_by_label("Reden van annulatie").fill("Projectbedrag onjuist: de offerte was voor één deelnemer.")
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Controleer en bevestig")
    check_page(page, "portal-cancel-confirm", page_errors)
    mail.outbox.clear()
    page.get_by_role("button", name="Steunaanvraag annuleren").click()
    expect(page.locator("#status")).to_contain_text("ProjectGeannuleerd")
    assert any("Projectbedrag onjuist" in m.body for m in mail.outbox if "sofie@houtatelier.example" in m.to)

    # Lopend → stopzetten with a proof document → StopzettingAangevraagd
    page.goto(f"/dienstverlener/projecten/{made['lopend'].number}/")
    page.get_by_role("link", name="stopzetten").click()
    page.get_by_label("Reden van stopzetting").fill("De opleiding gaat niet door: te weinig deelnemers.")
    proof = tmp_path / "annulering.pdf"
    proof.write_bytes(PDF)
    page.get_by_label("Bewijsstuk").set_input_files(str(proof))
    check_page(page, "portal-stop", page_errors)
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Controleer en bevestig")
    page.get_by_role("button", name="Stopzetting aanvragen").click()
    expect(page.locator("#status")).to_contain_text("StopzettingAangevraagd")
    check_page(page, "portal-project-stop-requested", page_errors)

    # Afgewerkt → melden: a message to the service, kept as a case
    page.goto(f"/dienstverlener/projecten/{made['afgewerkt'].number}/")
    page.get_by_role("link", name="melden").click()
    page.get_by_label("Uw bericht aan de dienst kmo-portefeuille").fill(
        "Deze opleiding was niet subsidiabel: het ging om een wettelijk verplichte opleiding."
    )
    page.get_by_role("button", name="Verder").click()
    page.get_by_role("button", name="Melding versturen").click()
    expect(page.locator("#status")).to_contain_text("Afgewerkt")
    report = ProjectReport.objects.get(project=made["afgewerkt"])
    assert "wettelijk verplichte opleiding" in report.message
    check_page(page, "portal-project-reported", page_errors)

    # An (VLAIO staff) reads the report in the back office and closes the case
    staff = new_page()
    staff_log_in(staff)
    staff.goto("/backoffice/meldingen/")
    expect(staff.locator("#open-reports")).to_contain_text(made["afgewerkt"].number)
    check_page(staff, "backoffice-reports", page_errors)
    staff.get_by_role("link", name=f"Bekijken de melding over project {made['afgewerkt'].number}").click()
    staff.get_by_label("Opmerking bij het afsluiten").fill(
        "Dienstverlener gebeld; de steun wordt teruggevorderd."
    )
    check_page(staff, "backoffice-report", page_errors)
    staff.get_by_role("button", name="Melding afsluiten").click()
    expect(staff.locator("#no-reports")).to_be_visible()
    report.refresh_from_db()
    assert report.status == "closed"
