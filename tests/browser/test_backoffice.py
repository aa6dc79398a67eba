"""The back office in a real browser: An (VLAIO staff, Medewerker) logs in with the demo eID simulator,
uploads a bad file (an error, nothing booked) and a camt.053 statement (deposits → Lopend, a wrong amount →
refund), downloads the payment file (pain.001, parsed back) and approves a stop request; every page
axe-clean (WCAG 2.1 AA) at desktop and mobile width."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kmop.idm import services as idm_services
from kmop.projects import services as project_services
from kmop.projects.models import EnterpriseProfile, Project, ProjectStatus
from kmop.providers import services as provider_services
from kmop.registers.models import Activity, Address, LegalFunction, LegalFunctionCode, NationalRegisterPerson
from kmop.schemes import services as scheme_services
from kmop.wallet import services as wallet_services
from kmop.wallet.models import LedgerTransaction, PayoutBatch
from tests.idm.conftest import AN, ELS, SYSTEM, VLAIO, A, B, make_enterprise
from tests.projects.conftest import make_registration
from tests.providers.conftest import sign_up_data
from tests.wallet.conftest import Credit, statement

from .harness import assert_no_page_errors, check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PAIN = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


def submit(enterprise, title: str) -> Project:
    return project_services.application_submit(
        actor=SYSTEM,
        organisation=enterprise,
        registration="DV.O000001",
        service="opleiding",
        theme="bedrijfsstrategie",
        subtheme="",
        training_type="klassikaal",
        title=title,
        start_date=timezone.localdate(),
        hours=Decimal("16"),
        amount=Decimal("1000.00"),
        participants=2,
        size_class="KO",
    )


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Backoffice").get_by_role("link", name=name, exact=True).click()


@pytest.fixture
def backoffice_world(transactional_db: None, settings) -> dict[str, Project]:
    """VLAIO with An (Medewerker); provider A registered for opleiding; enterprise B (eligible, profile
    completed) with two projects in Bevestigd."""
    settings.DEMO_MODE = True
    settings.WALLET_DEBTOR_IBAN = "BE71096123456769"
    idm_services.right_definitions_load(actor=SYSTEM)  # a transactional test flushes what migrations loaded
    scheme_services.scheme_data_load(actor=SYSTEM)
    scheme_services.clear_cache()
    for number, first, last in ((AN, "An", "Wouters"), (ELS, "Els", "Maes")):
        NationalRegisterPerson.objects.create(
            national_number=number, first_name=first, last_name=last, birth_date=date(1983, 4, 18), sex="F"
        )
    LegalFunctionCode.objects.update_or_create(
        code="10002", defaults={"label_nl": "Bestuurder", "label_en": "Director", "represents": True}
    )
    make_enterprise(A)
    make_enterprise(B)
    LegalFunction.objects.create(
        enterprise_id=B, person_number=ELS, function_id="10002", start_date=date(2014, 3, 3)
    )
    Address.objects.create(entity_number=B, type_of_address="REGO", zipcode="9000", municipality_nl="Gent")
    Activity.objects.create(
        entity_number=B, activity_group="001", nace_version="2008", nace_code="62010", classification="MAIN"
    )
    provider = provider_services.provider_sign_up(actor=SYSTEM, **sign_up_data())
    make_registration(provider, "DV.O000001", "opleiding")
    enterprise = idm_services.organisation_for_enterprise(actor=SYSTEM, enterprise_number=B)
    EnterpriseProfile.objects.create(
        organisation=enterprise,
        iban="BE71096123456769",
        nace_code="62010",
        contact_name="Els Maes",
        contact_email="els@b.example",
        completed_at=timezone.now(),
    )
    vlaio = idm_services.organisation_create_government(actor=SYSTEM, code=VLAIO, name="VLAIO")
    person = idm_services.person_add_by_number(actor=SYSTEM, organisation=vlaio, number=AN)
    relation = idm_services.work_relation_create(
        actor=SYSTEM,
        person=person,
        organisation=vlaio,
        category="ambtenaar",
        email="an@vlaio.example",
        phone="+3292223344",
    )
    idm_services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code="VLAIOInkomGebruiker", context_values=["Medewerker"]
    )
    yield {"paid": submit(enterprise, "Boekhouden voor kmo's"), "stopped": submit(enterprise, "Excel")}
    scheme_services.clear_cache()


def test_upload_payouts_and_a_stop(page: Page, page_errors, backoffice_world, tmp_path: Path) -> None:
    paid, stopped = backoffice_world["paid"], backoffice_world["stopped"]
    page.goto("/aanmelden/simulator/eid/")
    page.get_by_role("button", name="Aanmelden als An Wouters").click()
    expect(page.locator(".site-header__login")).to_contain_text("VLAIO")

    page.goto("/backoffice/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Backoffice")
    check_page(page, "backoffice-home", page_errors)

    # a bad file: an error at the field, nothing booked
    nav(page, "Rekeninguittreksels")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rekeninguittreksel inlezen")
    check_page(page, "backoffice-camt", page_errors)
    page.get_by_label("Rekeninguittreksel (camt.053, XML)").set_input_files(
        files=[{"name": "uittreksel.csv", "mimeType": "text/csv", "buffer": b"Datum;Bedrag\n"}]
    )
    page.get_by_role("button", name="Inlezen en boeken").click()
    expect(page.get_by_text("Er is een probleem")).to_be_visible()
    expect(page.locator(".error-message")).to_contain_text("Er is niets geboekt.")
    assert not LedgerTransaction.objects.exists()
    check_page(page, "backoffice-camt-error", page_errors)

    # the statement: two correct deposits and a wrong amount (refunded to the sender)
    data = statement(
        Credit(str(paid.own_contribution), paid.structured_reference_display),
        Credit(str(stopped.own_contribution), stopped.structured_reference_display),
        Credit("12.34", "+++090/9337/55493+++"),
    )
    page.get_by_label("Rekeninguittreksel (camt.053, XML)").set_input_files(
        files=[{"name": "uittreksel.xml", "mimeType": "application/xml", "buffer": data}]
    )
    page.get_by_role("button", name="Inlezen en boeken").click()
    expect(page.get_by_text("Het rekeninguittreksel is ingelezen.")).to_be_visible()
    expect(page.locator("#deposits")).to_contain_text(paid.number)
    expect(page.locator("#refunds")).to_contain_text("onbekende gestructureerde mededeling")
    paid.refresh_from_db()
    assert paid.status == ProjectStatus.LOPEND
    check_page(page, "backoffice-camt-report", page_errors)

    # a payment order of the enterprise, then the payment file
    wallet_services.payment_order_create(actor=SYSTEM, project=paid, invoice_number="F-1", amount="400.00")
    nav(page, "Uitbetalingen")
    expect(page.locator("#total-exportable")).to_have_text("2 · € 412,34")
    check_page(page, "backoffice-payouts", page_errors)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Betaalbestand aanmaken").click()
    download = download_info.value
    assert download.suggested_filename.startswith("KMOP-")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    root = ET.fromstring(target.read_bytes())  # noqa: S314  (our own output)
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:NbOfTxs", PAIN).text == "2"
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", PAIN).text == "412.34"
    batch = PayoutBatch.objects.get()
    assert bytes(batch.content) == target.read_bytes()
    page.reload()
    expect(page.get_by_text(f"Betaalbestand {batch.message_id} aangemaakt")).to_be_visible()
    expect(page.locator("#batches")).to_contain_text(batch.message_id)
    check_page(page, "backoffice-payouts-exported", page_errors)

    # a stop asked by the enterprise, approved
    project_services.project_request_stop(
        actor=SYSTEM, project=stopped, reason="De opleiding gaat niet door."
    )
    nav(page, "Stopzettingen")
    expect(page.locator("#stop-requests")).to_contain_text("De opleiding gaat niet door.")
    check_page(page, "backoffice-stops", page_errors)
    page.get_by_role("link", name=f"Beslissen over project {stopped.number}").click()
    check_page(page, "backoffice-stop-decide", page_errors)
    page.get_by_role("button", name="Beslissing bevestigen").click()
    expect(page.get_by_text("Er is een probleem")).to_be_visible()
    check_page(page, "backoffice-stop-decide-error", page_errors)
    page.get_by_label("Goedkeuren: het project wordt gestopt en afgerekend").check()
    page.get_by_label("Motivering").fill("De opleiding werd geannuleerd door de dienstverlener.")
    page.get_by_role("button", name="Beslissing bevestigen").click()
    expect(page.get_by_text("is goedgekeurd: het project is gestopt")).to_be_visible()
    stopped.refresh_from_db()
    assert stopped.status == ProjectStatus.GESTOPT
    check_page(page, "backoffice-stops-done", page_errors)

    # what was sent to whom (the tests' mailer keeps mails out of the outbox: one is put there), and the
    # provider pages
    from kmop.notifications.models import OutboxMessage

    OutboxMessage.objects.create(
        channel="email",
        recipient="els@b.example",
        subject=f"Kmo-portefeuille: project {stopped.number} is stopgezet",
    )
    page.get_by_role("link", name="Berichten").click()
    expect(page.locator("#outbox")).to_contain_text(stopped.number)
    check_page(page, "backoffice-outbox", page_errors)
    page.get_by_role("link", name="Dienstverleners").click()
    page.get_by_role("button", name="Zoeken").click()
    expect(page.locator("#providers")).to_be_visible()
    check_page(page, "backoffice-providers", page_errors)
    page.locator("#providers a").first.click()
    expect(page.locator("#departments-right")).to_be_visible()
    check_page(page, "backoffice-provider", page_errors)


@pytest.mark.parametrize("browser_context_options", [{"java_script_enabled": False}])
def test_upload_and_download_without_javascript(
    page: Page, page_errors, backoffice_world, tmp_path: Path
) -> None:
    paid = backoffice_world["paid"]
    page.goto("/aanmelden/simulator/eid/")
    page.get_by_role("button", name="Aanmelden als An Wouters").click()
    page.goto("/backoffice/betalingen/camt/")
    data = statement(
        Credit(str(paid.own_contribution), paid.structured_reference_display),
        Credit("5.00", "+++090/9337/55493+++"),
    )
    page.get_by_label("Rekeninguittreksel (camt.053, XML)").set_input_files(
        files=[{"name": "uittreksel.xml", "mimeType": "application/xml", "buffer": data}]
    )
    page.get_by_role("button", name="Inlezen en boeken").click()
    expect(page.locator("#deposits")).to_contain_text(paid.number)
    nav(page, "Uitbetalingen")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Betaalbestand aanmaken").click()
    target = tmp_path / "betaalbestand.xml"
    download_info.value.save_as(target)
    root = ET.fromstring(target.read_bytes())  # noqa: S314  (our own output)
    assert root.find("p:CstmrCdtTrfInitn/p:GrpHdr/p:CtrlSum", PAIN).text == "5.00"
    assert_no_page_errors(page_errors)


def test_reconcile_an_unmatched_deposit(page: Page, page_errors, backoffice_world) -> None:
    """A credit with a mistyped structured reference is refunded by default; An takes it from the queue,
    first names a project whose own contribution differs (an error, nothing booked), then the project the
    sender meant: the deposit and the subsidy are booked, the project is Lopend and the refund is gone."""
    import re

    from kmop.wallet import camt
    from kmop.wallet.models import Payout
    from tests.wallet.conftest import stream

    meant = backoffice_world["paid"]
    camt.import_statement(
        stream(
            statement(Credit(str(meant.own_contribution), "+++090/9337/55493+++", servicer_ref="BANK-77"))
        ),
        actor=SYSTEM,
    )
    assert Payout.objects.filter(batch__isnull=True).count() == 1
    page.goto("/aanmelden/simulator/eid/")
    page.get_by_role("button", name="Aanmelden als An Wouters").click()
    page.goto("/backoffice/")
    nav(page, "Stortingen")
    table = page.locator("#unmatched-deposits")
    expect(table).to_contain_text("onbekende gestructureerde mededeling")
    check_page(page, "backoffice-deposits", page_errors)
    table.get_by_role("button", name=re.compile("^Nemen")).click()
    expect(page.get_by_text("Het item is aan u toegewezen.")).to_be_visible()
    expect(table).to_contain_text("An Wouters")
    page.get_by_role("link", name="Aan mij toegewezen").click()
    expect(table).to_be_visible()
    table.get_by_role("link", name=re.compile("^Behandelen")).click()
    check_page(page, "backoffice-deposit", page_errors)

    form = page.locator("#assign-form")
    form.get_by_label("Projectnummer").fill("2020KMO000001")
    form.get_by_label("Reden").fill("Mededeling verkeerd overgetypt; telefonisch bevestigd.")
    form.get_by_role("button", name="Toewijzen").click()
    expect(page.get_by_text("Er is een probleem")).to_be_visible()
    expect(page.locator("#assign-form .error-message")).to_contain_text(
        "Er is geen project met nummer 2020KMO000001."
    )
    check_page(page, "backoffice-deposit-error", page_errors)
    meant.refresh_from_db()
    assert meant.status == ProjectStatus.BEVESTIGD

    form.get_by_label("Projectnummer").fill(meant.number)
    form.get_by_role("button", name="Toewijzen").click()
    expect(page.get_by_text(f"geboekt als eigen bijdrage van project {meant.number}")).to_be_visible()
    expect(page.locator("#no-deposits")).to_be_visible()
    check_page(page, "backoffice-deposits-done", page_errors)
    meant.refresh_from_db()
    assert meant.status == ProjectStatus.LOPEND
    assert wallet_services.project_balance(meant) == meant.own_contribution + meant.subsidy
    assert not Payout.objects.exists()
    assert_no_page_errors(page_errors)
