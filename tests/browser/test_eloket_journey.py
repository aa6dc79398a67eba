"""The kmo-portefeuille's whole journey in a real browser (issue 4, "Done when"), every page axe-clean
(WCAG 2.1 AA) at desktop and mobile width:

(a) Sofie (legal representative of Houtatelier, a BV) logs in with the demo eID simulator → first use →
    application → An (VLAIO staff) uploads the bank's camt.053 statement with the exact deposit in the back
    office → the project is Lopend on its detail page → Sofie orders the payment of the whole balance →
    Afgewerkt → An makes the payout file (pain.001) with the provider's invoice;
(b) cancellation: Bevestigd → annuleren → ProjectGeannuleerd (the daily job's path, no deposit within 30
    days, is tested in tests/eloket/test_project_pages.py and tests/projects/test_daily_jobs.py);
(c) stop: Lopend → stopzetten with a proof document → StopzettingAangevraagd → An approves the stop in the
    back office → Gestopt, the unused own contribution refunded.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from kmop.audit.services import Actor
from kmop.idm import services as idm_services
from kmop.idm.models import Organisation
from kmop.projects import services as project_services
from kmop.projects.models import Project, ProjectStatus
from kmop.projects.profile_services import complete_profile
from kmop.schemes import services as scheme_services
from kmop.wallet import camt
from kmop.wallet import services as wallet_services
from kmop.wallet.models import Payout
from tests.idm.conftest import SYSTEM
from tests.wallet.conftest import Credit, statement

from .harness import DESKTOP, check_page
from .test_eloket import HOUTATELIER, make_eloket_world

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

AN = "83041899839"
VLAIO = "OVO003112"
DEBTOR_IBAN = "BE71096123456769"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def journey_world(transactional_db: None, settings, tmp_path: Path) -> Iterator[None]:
    """Sofie represents Houtatelier (a BV in Gent); Els's Leerwijs is a provider registered for opleiding; An
    is VLAIO staff (VLAIOInkomGebruiker, Medewerker)."""
    settings.DEMO_MODE = True
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.WALLET_DEBTOR_IBAN = DEBTOR_IBAN
    settings.WALLET_DEBTOR_BIC = "GKCCBEBB"
    settings.WALLET_DEBTOR_NAME = "Agentschap Innoveren en Ondernemen"
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
    yield
    scheme_services.clear_cache()


@pytest.fixture
def new_page(browser: Browser, live_server, page_errors: list[str]) -> Iterator[Callable[[], Page]]:
    """A second browser (its own cookies), e.g. for the staff member beside the enterprise."""
    contexts = []

    def make() -> Page:
        context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, locale="nl-BE")
        context.set_default_timeout(15_000)
        contexts.append(context)
        other = context.new_page()

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                page_errors.append(f"console: {message.text} ({message.location.get('url', '')})")

        other.on("console", on_console)
        other.on("pageerror", lambda error: page_errors.append(f"page error: {error}"))
        return other

    yield make
    for context in contexts:
        context.close()


def log_in(page: Page, name: str, organisation: str) -> None:
    page.goto("/aanmelden/simulator/eid/")
    page.get_by_role("button", name=f"Aanmelden als {name}").click()
    expect(page.locator(".site-header__login")).to_contain_text(organisation)


def houtatelier() -> Organisation:
    return idm_services.organisation_for_enterprise(actor=SYSTEM, enterprise_number=HOUTATELIER)


def houtatelier_profile() -> None:
    complete_profile(
        actor=SYSTEM,
        organisation=houtatelier(),
        data={
            "size_class": "KO",
            "iban": "BE71 0961 2345 6769",
            "nace_code": "16230",
            "contact_name": "Sofie Verhaeghe",
            "contact_email": "sofie@houtatelier.example",
            "contact_phone": "",
        },
    )


def submitted(key: str = "a") -> Project:
    houtatelier_profile()
    return project_services.application_submit(
        actor=Actor.system("tests"),
        organisation=houtatelier(),
        registration="DV.O000001",
        service="opleiding",
        theme="bedrijfsstrategie",
        training_type="klassikaal",
        title="Veilig werken met houtbewerkingsmachines",
        start_date=timezone.localdate(),
        hours=Decimal("16"),
        amount=Decimal("1000.00"),
        participants=2,
        size_class="KO",
        idempotency_key=key,
    )


def deposit_statement(project: Project, statement_id: str) -> bytes:
    return statement(
        Credit(str(project.own_contribution), project.structured_reference_display, debtor_iban=DEBTOR_IBAN),
        statement_id=statement_id,
    )


def euro(amount: Decimal) -> str:
    """``1234.5`` → ``1.234,50`` (the pages' Dutch format)."""
    text = f"{amount:,.2f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def test_whole_journey(page: Page, page_errors, journey_world, new_page, tmp_path: Path) -> None:
    # Sofie logs in, completes the first use and files an application
    log_in(page, "Sofie Verhaeghe", "Houtatelier Verhaeghe")
    page.goto("/e-loket/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Eerste gebruik: gegevens van uw onderneming")
    page.get_by_label("Ik bevestig de ondernemingsgrootte").check()
    page.get_by_label("Rekeningnummer (IBAN)").fill("BE71 0961 2345 6769")
    page.get_by_label("E-mailadres contactpersoon").fill("sofie@houtatelier.example")
    page.get_by_role("button", name="Opslaan en verder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ondernemingsfoto")

    page.get_by_role("link", name="Nieuwe projectaanvraag").click()
    page.get_by_role("link", name="Beginnen").click()
    page.get_by_label("Soort dienst").select_option("opleiding")
    page.get_by_label("Registratienummer").fill("DV.O000001")
    page.get_by_role("button", name="Volgende").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gegevens van het project")
    theme = page.get_by_label("Thema")
    if theme.count():
        theme.select_option(index=1)
    page.get_by_label("Soort opleiding").select_option("klassikaal")
    page.get_by_label("Titel van de opleiding of het advies").fill("Veilig werken met houtbewerkingsmachines")
    page.get_by_label("Startdatum").fill(timezone.localdate().strftime("%d/%m/%Y"))
    page.get_by_label("Aantal uren").fill("16")
    page.get_by_label("Projectbedrag exclusief btw (euro)").fill("1000,00")
    page.get_by_label("Aantal deelnemers").fill("2")
    page.get_by_role("button", name="Volgende").click()
    page.get_by_label("Ik verklaar op erewoord").check()
    page.get_by_role("button", name="Aanvraag indienen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanvraag ingediend")
    project = Project.objects.get()
    assert project.status == ProjectStatus.BEVESTIGD

    # the detail page: the deposit instructions
    page.get_by_role("link", name="Terug naar de ondernemingsfoto").click()
    page.get_by_role("link", name=project.number).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Project {project.number}")
    expect(page.locator("#deposit-amount")).to_have_text(f"€ {euro(project.own_contribution)}")
    expect(page.locator("#deposit-reference")).to_have_text(project.structured_reference_display)
    expect(page.locator("#deposit-iban")).to_have_text("BE71 0961 2345 6769")
    expect(page.locator("#deposit-deadline")).to_contain_text(project.deposit_deadline.strftime("%d/%m/%Y"))
    check_page(page, "eloket-project-confirmed", page_errors)

    # An reads the bank's statement with the exact deposit in the back office
    staff = new_page()
    log_in(staff, "An Wouters", "VLAIO")
    staff.goto("/backoffice/betalingen/camt/")
    camt_file = tmp_path / "camt053.xml"
    camt_file.write_bytes(deposit_statement(project, "STMT-JOURNEY"))
    staff.locator("input[type=file]").set_input_files(str(camt_file))
    staff.get_by_role("button", name="Inlezen en boeken").click()
    expect(staff.locator("#count-deposits")).to_have_text("1")
    check_page(staff, "backoffice-camt-journey", page_errors)

    # Lopend on the detail page, the wallet holds the own contribution and the subsidy
    page.reload()
    expect(page.locator("#status")).to_contain_text("Lopend")
    expect(page.locator("#wallet-balance")).to_have_text(f"€ {euro(project.amount)}")
    expect(page.locator("#wallet-deposited")).to_have_text(f"€ {euro(project.own_contribution)}")
    expect(page.locator("#wallet-subsidy")).to_have_text(f"€ {euro(project.subsidy)}")
    expect(page.locator("#deposit")).to_have_count(0)
    check_page(page, "eloket-project-running", page_errors)

    # a payment order of the whole balance, with its confirmation step
    page.get_by_role("link", name="Betaalopdracht geven").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Betaalopdracht geven")
    page.get_by_label("Te betalen bedrag exclusief btw (euro)").fill("1.000,001")
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Er is een probleem")).to_be_visible()
    check_page(page, "eloket-payment-order-error", page_errors)
    page.get_by_label("Factuurnummer van de dienstverlener").fill("LW-2026-0042")
    page.get_by_label("Te betalen bedrag exclusief btw (euro)").fill(euro(project.amount))
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Controleer en bevestig")
    expect(page.locator("#confirm-invoice")).to_have_text("LW-2026-0042")
    check_page(page, "eloket-payment-order-confirm", page_errors)
    assert not Payout.objects.exists()
    page.get_by_role("button", name="Betaalopdracht geven").click()

    expect(page.get_by_text("Betaalopdracht voor factuur LW-2026-0042")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Afgewerkt")
    expect(page.locator("#wallet-balance")).to_have_text("€ 0,00")
    expect(page.locator("#payouts")).to_contain_text("LW-2026-0042")
    expect(page.locator("#payouts")).to_contain_text("wacht op uitvoering")
    check_page(page, "eloket-project-finished", page_errors)
    project.refresh_from_db()
    assert project.status == ProjectStatus.AFGEWERKT

    # An makes the payout file for the bank (pain.001)
    staff.goto("/backoffice/uitbetalingen/")
    check_page(staff, "backoffice-payouts-journey", page_errors)
    with staff.expect_download() as download:
        staff.get_by_role("button", name="Betaalbestand aanmaken").click()
    content = Path(download.value.path()).read_bytes()
    root = ET.parse(io.BytesIO(content)).getroot()  # noqa: S314  (our own file)
    ns = {"p": wallet_services.PAIN_NS}
    transfers = root.findall(".//p:CdtTrfTxInf", ns)
    assert len(transfers) == 1
    assert transfers[0].findtext(".//p:InstdAmt", namespaces=ns) == str(project.amount)
    assert "LW-2026-0042" in (transfers[0].findtext(".//p:Ustrd", namespaces=ns) or "")
    payout = Payout.objects.get()
    assert payout.batch is not None

    page.reload()
    expect(page.locator("#payouts")).to_contain_text("aan de bank gegeven op")
    expect(page.locator("#history")).to_contain_text("Afgewerkt")


@pytest.mark.parametrize("browser_context_options", [{}, {"java_script_enabled": False}], ids=["js", "no-js"])
def test_cancel_before_the_deposit(page: Page, page_errors, journey_world, browser_context_options) -> None:
    project = submitted()
    log_in(page, "Sofie Verhaeghe", "Houtatelier Verhaeghe")
    page.goto("/e-loket/projecten/")
    # axe needs JavaScript: without it the same flow runs without the page checks (it must work without JS)
    js = browser_context_options.get("java_script_enabled", True)

    def check(name: str) -> None:
        if js:
            check_page(page, name, page_errors)

    check("eloket-projects")
    page.get_by_role("link", name=project.number).click()
    page.get_by_role("link", name="Annuleren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Project annuleren")
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Er is een probleem")).to_be_visible()
    check("eloket-cancel-error")
    page.get_by_label("Reden").fill("De opleiding werd door de dienstverlener afgelast.")
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Controleer en bevestig")
    check("eloket-cancel-confirm")
    page.get_by_role("button", name="Project annuleren").click()

    expect(page.locator("#status")).to_contain_text("Project geannuleerd")
    expect(page.locator("#history")).to_contain_text("De opleiding werd door de dienstverlener afgelast.")
    expect(page.locator("#deposit")).to_have_count(0)
    expect(page.locator("#actions")).to_have_count(0)
    check("eloket-project-cancelled")
    project.refresh_from_db()
    assert project.status == ProjectStatus.GEANNULEERD
    assert project.budget_held == 0

    page.goto("/e-loket/projecten/?status=ProjectGeannuleerd")
    expect(page.get_by_role("link", name=project.number)).to_be_visible()
    page.goto("/e-loket/projecten/?status=Bevestigd")
    expect(page.locator("#projects-none")).to_be_visible()


def test_stop_with_a_proof_then_the_decision(
    page: Page, page_errors, journey_world, new_page, tmp_path: Path, settings
) -> None:
    project = submitted()
    report = camt.import_statement(io.BytesIO(deposit_statement(project, "STMT-STOP")), actor=SYSTEM)
    assert report.deposits == 1
    wallet_services.payment_order_create(
        actor=Actor.system("tests"), project=project, invoice_number="LW-1", amount=Decimal("400.00")
    )
    log_in(page, "Sofie Verhaeghe", "Houtatelier Verhaeghe")
    page.goto(f"/e-loket/projecten/{project.number}/")
    expect(page.locator("#status")).to_contain_text("Lopend")
    page.get_by_role("link", name="Stopzetten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Project stopzetten")
    check_page(page, "eloket-stop", page_errors)
    page.get_by_label("Reden").fill("De opleiding wordt na de eerste sessie stopgezet.")
    proof = tmp_path / "afmelding.pdf"
    proof.write_bytes(PDF)
    page.get_by_label("Bewijsstuk").set_input_files(str(proof))
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Controleer en bevestig")
    expect(page.locator("#confirm-proof")).to_have_text("afmelding.pdf")
    check_page(page, "eloket-stop-confirm", page_errors)
    page.get_by_role("button", name="Stopzetting aanvragen").click()

    expect(page.locator("#status")).to_contain_text("Stopzetting aangevraagd")
    expect(page.locator("#history")).to_contain_text("afmelding.pdf")
    check_page(page, "eloket-project-stop-requested", page_errors)
    project.refresh_from_db()
    assert project.status == ProjectStatus.STOPZETTING_AANGEVRAAGD
    change = project.status_changes.get(action="request_stop")
    assert (Path(settings.MEDIA_ROOT) / change.proof_name).read_bytes() == PDF

    # An approves the stop in the back office: Gestopt, what is left in the wallet goes back
    staff = new_page()
    log_in(staff, "An Wouters", "VLAIO")
    staff.goto(f"/backoffice/stopzettingen/{project.number}/")
    staff.get_by_label("Goedkeuren").check()
    staff.get_by_label("Motivering").fill("Bewijs van afmelding ontvangen.")
    staff.get_by_role("button", name="Beslissing bevestigen").click()
    project.refresh_from_db()
    assert project.status == ProjectStatus.GESTOPT

    page.reload()
    expect(page.locator("#status")).to_contain_text("Gestopt")
    expect(page.locator("#wallet-balance")).to_have_text("€ 0,00")
    expect(page.locator("#refunds")).to_be_visible()
    check_page(page, "eloket-project-stopped", page_errors)
