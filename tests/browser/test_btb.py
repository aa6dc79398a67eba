"""The BTB chain of seed 001 (foreign provider, BIS numbers) in a real browser, every page axe-clean at
desktop and mobile width: the legal representative logs in and appoints the main access manager, who logs in
and appoints an access manager for the domain economie, who then reaches the Gebruikersbeheer of the
enterprise."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import NoReverseMatch, reverse
from playwright.sync_api import Page, expect

from kmop.idm import permissions
from kmop.idm.models import AdministratorAppointment, Organisation
from kmop.registers.models import (
    Denomination,
    Enterprise,
    LegalFunction,
    LegalFunctionCode,
    NationalRegisterPerson,
)

from .harness import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

LERNWERK = "0945678932"  # a foreign enterprise with a Belgian enterprise number
KLAUS = "70431299726"  # its legal representative (BIS number)
ANNA = "85441210180"  # BIS number: the main access manager
LUKAS = "90482320372"  # BIS number: the access manager for economie


@pytest.fixture
def foreign_provider(transactional_db: None, settings) -> None:
    settings.DEMO_MODE = True
    for number, first, last, born in (
        (KLAUS, "Klaus", "Becker", date(1970, 3, 12)),
        (ANNA, "Anna", "Schmidt", date(1985, 4, 12)),
        (LUKAS, "Lukas", "Weber", date(1990, 8, 23)),
    ):
        NationalRegisterPerson.objects.create(
            national_number=number, first_name=first, last_name=last, birth_date=born, sex="X"
        )
    LegalFunctionCode.objects.update_or_create(
        code="10002", defaults={"label_nl": "Bestuurder", "label_en": "Director", "represents": True}
    )
    Enterprise.objects.create(
        enterprise_number=LERNWERK,
        status="AC",
        juridical_situation="000",
        type_of_enterprise="2",
        juridical_form="030",
        start_date=date(2021, 6, 1),
    )
    Denomination.objects.create(
        entity_number=LERNWERK,
        language="2",
        type_of_denomination="001",
        denomination="Lernwerk Consulting GmbH",
    )
    LegalFunction.objects.create(
        enterprise_id=LERNWERK, person_number=KLAUS, function_id="10002", start_date=date(2021, 6, 1)
    )


def log_in(page: Page, number: str) -> None:
    """A fresh login with the demo eID simulator (typed BIS number)."""
    page.context.clear_cookies()
    page.goto("/aanmelden/simulator/eid/")
    page.get_by_label("Rijksregisternummer of BIS-nummer").fill(number)
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    page.wait_for_load_state()


def test_btb_chain_of_a_foreign_provider(page: Page, page_errors, foreign_provider) -> None:
    # 1. the legal representative (BIS number) appoints the main access manager
    log_in(page, KLAUS)
    page.goto("/btb/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Beheer der Toegangsbeheerders")
    section = page.locator(f"#onderneming-{LERNWERK}")
    expect(section).to_contain_text("Lernwerk Consulting GmbH")
    expect(section).to_contain_text("Wettelijk vertegenwoordiger")
    expect(section).to_contain_text("nog geen hoofdtoegangsbeheerder")
    check_page(page, "btb-overview-legal-representative", page_errors)

    section.get_by_role("link", name=re.compile("Een hoofdtoegangsbeheerder aanstellen of wijzigen")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Een hoofdtoegangsbeheerder aanstellen of wijzigen"
    )
    page.get_by_label("Rijksregisternummer of BIS-nummer").fill("1234")
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Er is een probleem")).to_be_visible()
    check_page(page, "btb-appoint-error", page_errors)

    page.get_by_label("Rijksregisternummer of BIS-nummer").fill("85.44.12-101.80")
    page.get_by_label("E-mailadres (niet verplicht)").fill("anna.schmidt@lernwerk.example")
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Controleer en bevestig de aanstelling")
    expect(page.locator(".summary-list")).to_contain_text("Anna Schmidt")
    expect(page.locator(".summary-list")).to_contain_text("BIS-nummer")
    check_page(page, "btb-appoint-confirm", page_errors)
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_text("Anna Schmidt is aangesteld als hoofdtoegangsbeheerder")).to_be_visible()
    expect(page.locator(f"#onderneming-{LERNWERK} table")).to_contain_text("Hoofdtoegangsbeheerder")
    check_page(page, "btb-overview-after-appointment", page_errors)

    # 2. the main access manager (no user right yet) logs in and appoints an access manager for economie
    log_in(page, ANNA)
    page.goto("/btb/")
    section = page.locator(f"#onderneming-{LERNWERK}")
    expect(section).to_contain_text("Uw rol: Hoofdtoegangsbeheerder")
    expect(
        section.get_by_role("link", name=re.compile("hoofdtoegangsbeheerder aanstellen of wijzigen"))
    ).to_have_count(0)
    section.get_by_role("link", name=re.compile("Een toegangsbeheerder aanstellen")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Een toegangsbeheerder aanstellen")
    check_page(page, "btb-appoint-access-manager", page_errors)
    page.get_by_label("Rijksregisternummer of BIS-nummer").fill(LUKAS)
    page.get_by_label("Economie (o.a. kmo-portefeuille)").check()
    page.get_by_role("button", name="Verder").click()
    expect(page.locator(".summary-list")).to_contain_text("Lukas Weber")
    expect(page.locator(".summary-list")).to_contain_text("Economie")
    page.get_by_role("button", name="Bevestigen").click()
    expect(page.get_by_text("Lukas Weber is aangesteld als toegangsbeheerder")).to_be_visible()

    organisation = Organisation.objects.get(code=LERNWERK)
    manager = AdministratorAppointment.objects.get(organisation=organisation, level="access_manager")
    assert (manager.person.national_number, manager.domain) == (LUKAS, "economie")

    # 3. the access manager reaches the Gebruikersbeheer of the enterprise
    log_in(page, LUKAS)
    page.goto("/btb/")
    section = page.locator(f"#onderneming-{LERNWERK}")
    expect(section).to_contain_text("Toegangsbeheerder (Economie")
    link = section.get_by_role("link", name=re.compile("Toegangen beheren in het Gebruikersbeheer"))
    expect(link).to_be_visible()
    check_page(page, "btb-overview-access-manager", page_errors)
    assert permissions.can_administer_organisation(LUKAS, organisation)
    try:
        home = reverse("idm:home")
    except NoReverseMatch:
        home = None  # the Gebruikersbeheer screens are not there yet: the permission above is what they use
    if home is not None:
        with page.expect_navigation() as navigation:
            link.click()
        assert navigation.value is not None
        assert navigation.value.status == 200  # not the 403 "no administrator" page
        expect(page).to_have_url(re.compile(re.escape(home) + "$"))
        expect(page.get_by_text("Lernwerk Consulting GmbH").first).to_be_visible()


def test_btb_refuses_someone_without_a_role(page: Page, page_errors, foreign_provider) -> None:
    log_in(page, LUKAS)
    page.goto("/btb/")
    expect(page.get_by_role("heading", name="U kunt geen onderneming beheren")).to_be_visible()
    check_page(page, "btb-overview-no-role", page_errors)
    response = page.goto(f"/btb/{LERNWERK}/aanstellen/hoofdtoegangsbeheerder/")
    assert response is not None
    assert response.status == 403
