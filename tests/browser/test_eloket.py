"""The e-loket in a real browser: Sofie (legal representative of a BV) logs in with the demo eID simulator,
sees the ondernemingsfoto, completes the first use, files an application and sees the confirmation; every page
axe-clean (WCAG 2.1 AA) at desktop and mobile width."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kmop.idm import services as idm_services
from kmop.projects.models import Project
from kmop.providers import services as provider_services
from kmop.registers.models import (
    Activity,
    Address,
    Denomination,
    LegalFunction,
    LegalFunctionCode,
    NationalRegisterPerson,
)
from kmop.schemes import services as scheme_services
from tests.idm.conftest import SYSTEM, make_enterprise
from tests.projects.conftest import make_registration
from tests.providers.conftest import sign_up_data

from .harness import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SOFIE, ELS = "79051499882", "75093099831"
HOUTATELIER, LEERWIJS = "0912345673", "0934567878"


def make_eloket_world(*persons: tuple[str, str, str]) -> None:
    """Sofie represents Houtatelier (a BV in Gent); Els's Leerwijs is a provider registered for opleiding;
    ``persons`` (number, first, last) are added to the national register too."""
    # a transactional test flushes what the migrations loaded
    idm_services.right_definitions_load(actor=SYSTEM)
    scheme_services.scheme_data_load(actor=SYSTEM)
    scheme_services.clear_cache()
    for number, first, last in ((SOFIE, "Sofie", "Verhaeghe"), (ELS, "Els", "Maes"), *persons):
        NationalRegisterPerson.objects.create(
            national_number=number, first_name=first, last_name=last, birth_date=date(1979, 5, 14), sex="F"
        )
    LegalFunctionCode.objects.update_or_create(
        code="10002", defaults={"label_nl": "Bestuurder", "label_en": "Director", "represents": True}
    )
    for number, name, person in ((HOUTATELIER, "Houtatelier Verhaeghe", SOFIE), (LEERWIJS, "Leerwijs", ELS)):
        make_enterprise(number)
        Denomination.objects.create(
            entity_number=number, language="2", type_of_denomination="001", denomination=name
        )
        LegalFunction.objects.create(
            enterprise_id=number, person_number=person, function_id="10002", start_date=date(2014, 3, 3)
        )
    Address.objects.create(
        entity_number=HOUTATELIER,
        type_of_address="REGO",
        zipcode="9000",
        municipality_nl="Gent",
        street_nl="Veldstraat",
        house_number="1",
    )
    Activity.objects.create(
        entity_number=HOUTATELIER,
        activity_group="001",
        nace_version="2008",
        nace_code="16230",
        classification="MAIN",
    )
    provider = provider_services.provider_sign_up(
        actor=SYSTEM, **sign_up_data(enterprise_number=LEERWIJS, legal_name="Leerwijs BV")
    )
    make_registration(provider, "DV.O000001", "opleiding")


@pytest.fixture
def eloket_world(transactional_db: None, settings) -> None:
    """Sofie represents Houtatelier (a BV in Gent); Els's Leerwijs is a provider registered for opleiding."""
    settings.DEMO_MODE = True
    make_eloket_world()
    yield
    scheme_services.clear_cache()


def test_photo_first_use_application_confirmation(page: Page, page_errors, eloket_world) -> None:
    page.goto("/aanmelden/simulator/eid/")
    page.get_by_role("button", name="Aanmelden als Sofie Verhaeghe").click()
    expect(page.locator(".site-header__login")).to_contain_text("Houtatelier Verhaeghe")

    page.goto("/e-loket/")  # no profile yet: the first use first
    expect(page.get_by_role("heading", level=1)).to_have_text("Eerste gebruik: gegevens van uw onderneming")
    check_page(page, "eloket-first-use", page_errors)
    page.get_by_role("button", name="Opslaan en verder").click()
    expect(page.get_by_text("Er is een probleem")).to_be_visible()
    check_page(page, "eloket-first-use-error", page_errors)
    page.get_by_label("Ik bevestig de ondernemingsgrootte").check()
    page.get_by_label("Rekeningnummer (IBAN)").fill("BE71 0961 2345 6769")
    page.get_by_label("E-mailadres contactpersoon").fill("sofie@houtatelier.example")
    page.get_by_role("button", name="Opslaan en verder").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ondernemingsfoto")
    expect(page.get_by_text("0912.345.673")).to_be_visible()
    check_page(page, "eloket-photo-empty", page_errors)

    page.get_by_role("link", name="Nieuwe projectaanvraag").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Projectaanvraag indienen")
    check_page(page, "eloket-application-start", page_errors)
    page.get_by_role("link", name="Beginnen").click()
    page.get_by_label("Soort dienst").select_option("opleiding")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_text("Leerwijs BV")).to_be_visible()
    check_page(page, "eloket-application-provider", page_errors)
    page.get_by_role("button", name="Kies Leerwijs BV DV.O000001").click()

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
    page.get_by_label("Aantal deelnemers").blur()
    expect(page.locator("#preview-subsidy")).to_be_visible()  # the live preview (htmx)
    check_page(page, "eloket-application-project", page_errors)
    page.get_by_role("button", name="Volgende").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Controleer uw antwoorden")
    check_page(page, "eloket-application-check", page_errors)
    page.get_by_label("Ik verklaar op erewoord").check()
    page.get_by_role("button", name="Aanvraag indienen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Aanvraag ingediend")
    project = Project.objects.get()
    expect(page.locator("#reference")).to_have_text(
        f"+++{project.structured_reference[:3]}/{project.structured_reference[3:7]}/"
        f"{project.structured_reference[7:]}+++"
    )
    expect(page.get_by_text("Bevestigd")).to_be_visible()
    check_page(page, "eloket-application-done", page_errors)

    page.get_by_role("link", name="Terug naar de ondernemingsfoto").click()
    expect(page.get_by_role("rowheader", name=project.number).first).to_be_visible()
    check_page(page, "eloket-photo", page_errors)
