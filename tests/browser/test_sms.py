"""Beveiligingscode via SMS in a real browser: log in with the eID simulator, set a username and password,
activate a mobile number (the code read from the demo's outbox page), log out, log in with password + the
code from a new sms; every page axe-clean at desktop and mobile width."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from .harness import check_page
from .test_login import SOFIE, sofie_represents_two  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

PASSWORD = "paard batterij nietje correct"


@pytest.fixture(autouse=True)
def _empty_cache(transactional_db: None) -> None:
    cache.clear()  # the throttle's counters live in the database cache, which a flush does not empty


def code_from_outbox(page: Page, name: str, page_errors: list[str]) -> str:
    """Open the demo's outbox in a new tab and read the newest sms's code."""
    outbox = page.context.new_page()
    outbox.goto("/demo/berichten/")
    expect(outbox.get_by_role("heading", level=1)).to_contain_text("Verzonden berichten")
    check_page(outbox, name, page_errors)
    text = outbox.locator('[data-outbox-body="sms"]').first.inner_text()
    outbox.close()
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


def test_enrol_then_login_with_sms(page: Page, page_errors, sofie_represents_two) -> None:  # noqa: F811
    page.goto("/demo/personen/")
    expect(page.get_by_role("link", name="verzonden berichten (e-mail en sms)")).to_be_visible()

    page.goto("/aanmelden/simulator/eid/")
    page.get_by_role("button", name="Aanmelden als Sofie Verhaeghe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden als")
    check_page(page, "act-as-security-methods", page_errors)

    page.get_by_role("link", name="Gebruikersnaam en wachtwoord instellen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gebruikersnaam en wachtwoord instellen")
    page.get_by_label("Gebruikersnaam").fill("sofie.v")
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Herhaal het wachtwoord").fill("iets anders")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("De twee wachtwoorden zijn niet gelijk").first).to_be_visible()
    check_page(page, "password-set-error", page_errors)
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Herhaal het wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Uw gebruikersnaam en wachtwoord zijn ingesteld.")).to_be_visible()
    check_page(page, "password-set", page_errors)

    page.get_by_role("link", name="Beveiligingscode via SMS activeren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Beveiligingscode via SMS activeren")
    page.get_by_label("Gsm-nummer").fill("02 123 45 67")
    page.get_by_role("button", name="Code sturen").click()
    expect(page.get_by_text("Vul een geldig gsm-nummer in").first).to_be_visible()
    check_page(page, "sms-enrol-error", page_errors)
    page.get_by_label("Gsm-nummer").fill("0470 12 34 56")
    page.get_by_role("button", name="Code sturen").click()
    expect(page.get_by_text("We hebben een sms met een code gestuurd")).to_be_visible()
    check_page(page, "sms-enrol-code", page_errors)
    code = code_from_outbox(page, "demo-outbox", page_errors)
    page.get_by_label("Beveiligingscode").fill(code)
    page.get_by_role("button", name="Activeren").click()
    expect(page.get_by_text("Beveiligingscode via SMS is geactiveerd.")).to_be_visible()
    check_page(page, "sms-enrolled", page_errors)

    page.locator(".site-header").get_by_role("button", name="Afmelden").click()
    expect(page.get_by_text("U bent afgemeld.")).to_be_visible()
    page.get_by_role("link", name="Beveiligingscode via SMS", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden met beveiligingscode via SMS")
    check_page(page, "sms-login", page_errors)
    page.get_by_label("Gebruikersnaam of rijksregisternummer").fill("sofie.v")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Volgende").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Beveiligingscode uit de sms")
    check_page(page, "sms-code", page_errors)

    code = code_from_outbox(page, "demo-outbox-login", page_errors)
    page.get_by_label("Beveiligingscode").fill(f"{(int(code) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    expect(
        page.get_by_text("De combinatie van gebruikersnaam, wachtwoord en beveiligingscode")
    ).to_be_visible()
    check_page(page, "sms-code-error", page_errors)

    page.get_by_label("Beveiligingscode").fill(code)
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden als")
    expect(page.get_by_label(re.compile("Houtatelier Verhaeghe"))).to_be_visible()
