"""Public pages in a real browser: language switch, keyboard focus, axe-core (WCAG 2.1 AA), screenshots."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .harness import axe_check, check_page, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

DUTCH_H1 = "Subsidie voor opleiding en advies voor kmo's en zelfstandigen"
ENGLISH_H1 = "Subsidy for training and advice for SMEs and the self-employed"


def test_home_in_dutch_then_english_with_the_language_button(page: Page, page_errors):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text(DUTCH_H1)
    expect(page).to_have_title("Subsidie voor opleiding en advies – kmo-portefeuille")
    check_page(page, "home-nl", page_errors)

    page.get_by_role("button", name=re.compile("English")).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(ENGLISH_H1)
    expect(page).to_have_url(re.compile(r"/$"))
    check_page(page, "home-en", page_errors)

    # The choice is kept (cookie) on the next page, and the switch goes back to Dutch.
    page.get_by_role("link", name="Accessibility statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")
    page.get_by_role("button", name=re.compile("Nederlands")).click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Toegankelijkheidsverklaring")


def test_htmx_runs_under_the_csp(page: Page, page_errors):
    page.goto("/")
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("htmx.version").startswith("2.0.")
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    assert page.evaluate("htmx.config.allowEval") is False
    assert not page.locator("style").count(), "no inline <style> may be injected"
    assert not page_errors, page_errors


@pytest.mark.parametrize("browser_context_options", [{"java_script_enabled": False}])
def test_language_switch_works_without_javascript(page: Page, page_errors):
    page.goto("/toegankelijkheid/")
    page.get_by_role("button", name=re.compile("English")).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/toegankelijkheid/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")


@pytest.mark.parametrize("browser_context_options", [{"locale": "en-GB"}])
def test_english_browser_gets_english(page: Page, page_errors):
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(ENGLISH_H1)


FOCUS_STYLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
                  && style.outlineColor !== 'rgba(0, 0, 0, 0)' && style.outlineColor !== 'transparent';
  const rect = el.getBoundingClientRect();
  return {tag: el.tagName, text: (el.innerText || el.value || '').trim().slice(0, 40), id: el.id,
          outline, shadow: style.boxShadow !== 'none', background: style.backgroundColor,
          visible: rect.width > 0 && rect.height > 0 && rect.bottom > 0 && rect.right > 0};
}"""


def test_skip_link_and_visible_keyboard_focus(page: Page, page_errors):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUS_STYLE)
    assert focused["tag"] == "A"
    assert focused["text"] == "Naar de inhoud"
    assert focused["visible"], "the skip link must be visible when it has focus"
    assert focused["background"] == "rgb(255, 230, 21)"
    screenshot(page, "focus-skip-link")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # Every element reached with Tab shows a focus indicator (outline or GOV.UK-style box shadow).
    page.goto("/")
    seen = []
    for _ in range(16):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_STYLE)
        if focused["tag"] == "BODY":
            break
        seen.append(focused["text"])
        assert focused["visible"], focused
        assert focused["outline"] or focused["shadow"], f"no visible focus on {focused}"
    assert any("kmo-portefeuille" in text for text in seen)
    assert any("English" in text for text in seen)
    page.keyboard.press("Shift+Tab")
    screenshot(page, "focus-in-content")


def test_accessibility_statement(page: Page, page_errors):
    page.goto("/toegankelijkheid/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Toegankelijkheidsverklaring")
    expect(page.get_by_role("heading", name="Handhavingsprocedure")).to_be_visible()
    check_page(page, "accessibility-nl", page_errors)
    page.get_by_role("button", name=re.compile("English")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Accessibility statement")
    check_page(page, "accessibility-en", page_errors)


def test_404_page(page: Page, page_errors):
    response = page.goto("/deze-pagina-bestaat-niet/")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagina niet gevonden")
    not_found = ("status of 404",)
    check_page(page, "404-nl", page_errors, allow_errors=not_found)
    page.get_by_role("button", name=re.compile("English")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    check_page(page, "404-en", page_errors, allow_errors=not_found)
    page.get_by_role("link", name="kmo-portefeuille home page").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ENGLISH_H1)


def test_component_gallery(page: Page, page_errors, settings):
    settings.DEMO_MODE = True  # the gallery is a demo-mode page
    page.goto("/demo/componenten/")
    # The error summary takes the focus (autofocus) and links to the field.
    expect(page.locator(".error-summary")).to_be_focused()
    check_page(page, "components-error", page_errors)
    page.get_by_role("link", name="Vul het ondernemingsnummer in").click()
    expect(page.get_by_label("Ondernemingsnummer")).to_be_focused()
    page.get_by_label("Ondernemingsnummer").fill("0123.456.749")
    page.get_by_role("button", name="Verder").first.click()
    expect(page.get_by_text("Het ondernemingsnummer is geldig.")).to_be_visible()
    check_page(page, "components-valid", page_errors)
    axe_check(page)
