"""Beveiligingscode via mobiele app in a real browser: log in with the simulator (eID), set a username and
password, activate the app (the secret read from the page, the code computed with pyotp), log out, log in with
the password and a code from the app; every page axe-clean."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pyotp
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


def test_enrol_then_login_with_the_app(page: Page, page_errors, sofie_represents_two) -> None:  # noqa: F811
    page.goto("/aanmelden/simulator/eid/")
    page.get_by_role("button", name="Aanmelden als Sofie Verhaeghe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden als")

    page.goto("/aanmelden/gebruikersnaam-wachtwoord/")
    page.get_by_label("Gebruikersnaam").fill("sofie.v")
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Herhaal het wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text("Uw gebruikersnaam en wachtwoord zijn ingesteld.")).to_be_visible()

    page.goto("/aanmelden/beveiligingscode-app/activeren/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Beveiligingscode via mobiele app activeren")
    expect(page.locator("svg.totp-qr")).to_be_visible()
    check_page(page, "totp-enrol", page_errors)
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    app = pyotp.TOTP(secret)

    page.get_by_label("Beveiligingscode").fill("000000" if app.now() != "000000" else "111111")
    page.get_by_role("button", name="Activeren").click()
    expect(page.get_by_text("Deze beveiligingscode is niet correct.").first).to_be_visible()
    check_page(page, "totp-enrol-error", page_errors)

    page.get_by_label("Beveiligingscode").fill(app.now())
    page.get_by_role("button", name="Activeren").click()
    expect(page.get_by_text("De app voor beveiligingscodes is geactiveerd.")).to_be_visible()
    check_page(page, "totp-enrolled", page_errors)

    page.locator(".site-header").get_by_role("button", name="Afmelden").click()
    expect(page.get_by_text("U bent afgemeld.")).to_be_visible()
    page.get_by_role("link", name="Beveiligingscode via mobiele app", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Aanmelden met beveiligingscode via mobiele app"
    )
    check_page(page, "totp-login", page_errors)

    page.get_by_label("Gebruikersnaam of rijksregisternummer").fill(SOFIE)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_label("Beveiligingscode").fill("12345")
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    expect(
        page.get_by_text("De combinatie van gebruikersnaam, wachtwoord en beveiligingscode is niet correct.")
    ).to_be_visible()
    check_page(page, "totp-login-error", page_errors)

    # the code of the next time step: the one used at enrolment may still be the current one (never reused)
    page.get_by_label("Gebruikersnaam of rijksregisternummer").fill("sofie.v")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_label("Beveiligingscode").fill(app.at(datetime.now(UTC), counter_offset=1))
    page.get_by_role("button", name="Aanmelden", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden als")
    expect(page.get_by_label(re.compile("Houtatelier Verhaeghe"))).to_be_visible()
