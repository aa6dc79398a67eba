"""Login in a real browser: the demo simulator, "aanmelden als", the header, switching, logging out;
every page axe-clean (WCAG 2.1 AA) at desktop and mobile width."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from kmop.registers.models import (
    Denomination,
    Enterprise,
    LegalFunction,
    LegalFunctionCode,
    NationalRegisterPerson,
)

from .harness import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SOFIE = "79051499882"
HOUTATELIER, LEERWIJS = "0912345673", "0934567878"


@pytest.fixture
def sofie_represents_two(transactional_db: None, settings) -> None:
    """Sofie Verhaeghe, the demo legal representative, represents two legal-person enterprises."""
    settings.DEMO_MODE = True
    NationalRegisterPerson.objects.create(
        national_number=SOFIE,
        first_name="Sofie",
        last_name="Verhaeghe",
        birth_date=date(1979, 5, 14),
        sex="F",
    )
    LegalFunctionCode.objects.update_or_create(
        code="10002", defaults={"label_nl": "Bestuurder", "label_en": "Director", "represents": True}
    )
    for number, name in ((HOUTATELIER, "Houtatelier Verhaeghe"), (LEERWIJS, "Leerwijs Opleidingen")):
        Enterprise.objects.create(
            enterprise_number=number,
            status="AC",
            juridical_situation="000",
            type_of_enterprise="2",
            juridical_form="610",
            start_date=date(2014, 3, 3),
        )
        Denomination.objects.create(
            entity_number=number, language="2", type_of_denomination="001", denomination=name
        )
        LegalFunction.objects.create(
            enterprise_id=number, person_number=SOFIE, function_id="10002", start_date=date(2014, 3, 3)
        )


def test_login_choose_switch_logout(page: Page, page_errors, sofie_represents_two) -> None:
    page.goto("/")
    page.get_by_role("link", name="Aanmelden", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden")
    check_page(page, "login-methods", page_errors)

    page.get_by_role("link", name="eID en aangesloten kaartlezer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden met eID en aangesloten kaartlezer")
    # an invalid number first: the error summary
    page.get_by_label("Rijksregisternummer of BIS-nummer").fill("12345678901")
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    expect(page.get_by_text("Er is een probleem")).to_be_visible()
    check_page(page, "login-simulator-error", page_errors)

    page.get_by_role("button", name="Aanmelden als Sofie Verhaeghe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden als")
    check_page(page, "login-act-as", page_errors)
    page.get_by_label(re.compile("Houtatelier Verhaeghe")).check()
    page.get_by_role("button", name="Verder").click()

    header = page.locator(".site-header__login")
    expect(header).to_contain_text("Sofie Verhaeghe")
    expect(header).to_contain_text("Houtatelier Verhaeghe")
    check_page(page, "login-home-logged-in", page_errors)

    header.get_by_role("link", name="Wissel van organisatie").click()
    page.get_by_label(re.compile("Leerwijs Opleidingen")).check()
    page.get_by_role("button", name="Verder").click()
    expect(header).to_contain_text("Leerwijs Opleidingen")

    header.get_by_role("button", name="Afmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden")
    expect(page.get_by_text("U bent afgemeld.")).to_be_visible()
    expect(page.locator(".site-header__login")).not_to_contain_text("Sofie")
    check_page(page, "login-logged-out", page_errors)
