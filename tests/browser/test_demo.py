"""The demo persons page in a real browser: seeded demo data, axe-clean, and a person's login link."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from .harness import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@pytest.fixture
def demo(transactional_db: None, settings) -> None:
    settings.DEMO_MODE = True
    call_command("seed", "--scale", "demo", verbosity=0)


def test_demo_persons_page_leads_to_the_simulator_for_that_person(page: Page, page_errors, demo) -> None:
    page.goto("/demo/personen/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demopersonen")
    expect(page.get_by_role("cell", name="Sofie Verhaeghe")).to_be_visible()
    check_page(page, "demo-persons", page_errors)

    row = page.get_by_role("row").filter(has_text="Sofie Verhaeghe")
    row.get_by_role("link", name="met eID (simulator) als Sofie").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("eID")
    expect(page.get_by_label("Rijksregisternummer of BIS-nummer")).to_have_value("79.05.14-998.82")
