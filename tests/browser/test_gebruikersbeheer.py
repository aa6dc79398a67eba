"""The demo of seeds 000/003 in a real browser: a local administrator adds a person, a work relation and a
right; that person logs in (demo eID simulator) and acts for the organisation; the administrator then extends
the work relation and its rights. Every page axe-clean (WCAG 2.1 AA) at desktop and mobile width."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kmop.audit.services import Actor
from kmop.idm import services
from kmop.idm.dates import add_months
from kmop.idm.models import RightGrant, WorkRelation
from kmop.registers.models import (
    Denomination,
    Enterprise,
    LegalFunction,
    LegalFunctionCode,
    NationalRegisterPerson,
)

from .harness import check_page

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

SOFIE = "79051499882"  # legal representative of Houtatelier
PIETER = "85022099708"  # its local administrator
JONAS = "92110299779"  # the new employee
HOUTATELIER = "0912345673"
SYSTEM = Actor.system("tests")


@pytest.fixture
def houtatelier(transactional_db: None, settings) -> None:
    """Houtatelier Verhaeghe (a BV) in the KBO, Sofie its director, Pieter its local administrator."""
    settings.DEMO_MODE = True
    services.right_definitions_load(actor=SYSTEM)  # a transactional test flushes what the migration loaded
    for number, first, last, born, sex in (
        (SOFIE, "Sofie", "Verhaeghe", date(1979, 5, 14), "F"),
        (PIETER, "Pieter", "Claes", date(1985, 2, 20), "M"),
        (JONAS, "Jonas", "De Smet", date(1992, 11, 2), "M"),
    ):
        NationalRegisterPerson.objects.create(
            national_number=number, first_name=first, last_name=last, birth_date=born, sex=sex
        )
    LegalFunctionCode.objects.update_or_create(
        code="10002", defaults={"label_nl": "Bestuurder", "label_en": "Director", "represents": True}
    )
    Enterprise.objects.create(
        enterprise_number=HOUTATELIER,
        status="AC",
        juridical_situation="000",
        type_of_enterprise="2",
        juridical_form="610",
        start_date=date(2014, 3, 3),
    )
    Denomination.objects.create(
        entity_number=HOUTATELIER,
        language="2",
        type_of_denomination="001",
        denomination="Houtatelier Verhaeghe",
    )
    LegalFunction.objects.create(
        enterprise_id=HOUTATELIER, person_number=SOFIE, function_id="10002", start_date=date(2014, 3, 3)
    )
    organisation = services.organisation_for_enterprise(actor=SYSTEM, enterprise_number=HOUTATELIER)
    pieter = services.person_add_by_number(actor=SYSTEM, organisation=organisation, number=PIETER)
    services.local_admin_appoint(actor=SYSTEM, organisation=organisation, person=pieter)


def simulator_login(page: Page, number: str) -> None:
    page.goto("/aanmelden/")
    page.get_by_role("link", name="eID en aangesloten kaartlezer").click()
    page.get_by_label("Rijksregisternummer of BIS-nummer").fill(number)
    page.get_by_role("button", name="Aanmelden", exact=True).click()


def logout(page: Page) -> None:
    page.locator(".site-header__login").get_by_role("button", name="Afmelden").click()
    expect(page.get_by_text("U bent afgemeld.")).to_be_visible()


def test_local_administrator_grants_and_extends(page: Page, page_errors, houtatelier) -> None:
    today = timezone.localdate()
    # Demo stap 1: the local administrator logs in; the Gebruikersbeheer is in the header
    simulator_login(page, PIETER)
    page.locator("header").get_by_role("link", name="Gebruikersbeheer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gebruikersbeheer")
    expect(page.get_by_text("Houtatelier Verhaeghe (0912.345.673)")).to_be_visible()
    check_page(page, "idm-home", page_errors)

    # 3.1 persoon
    page.get_by_role("link", name="Nieuwe persoon toevoegen").first.click()
    expect(page.get_by_text("Stap 1 van 3: Geef Identificatienummer op")).to_be_visible()
    expect(page.locator(".progress-steps [aria-current=step]")).to_have_text("3.1. persoon")
    page.get_by_label("Rijksregisternummer / BIS-registernummer").fill("12345678901")
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Er is een probleem")).to_be_visible()
    check_page(page, "idm-person-add-error", page_errors)
    page.get_by_label("Rijksregisternummer / BIS-registernummer").fill("92.11.02-997.79")
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Stap 2 van 3: Geef details")).to_be_visible()
    expect(page.locator(".summary-list")).to_contain_text("De Smet")
    page.get_by_label("Roepnaam").fill("Jonas")
    check_page(page, "idm-person-add-details", page_errors)
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Stap 3 van 3: Bevestig")).to_be_visible()
    page.get_by_role("button", name="Bevestig").click()
    expect(page.get_by_text("De persoon is toegevoegd. Bepaal nu de werkrelatie.")).to_be_visible()
    expect(page.get_by_text("In afwachting")).to_be_visible()
    check_page(page, "idm-person-added", page_errors)

    # 3.2 werkrelatie
    page.get_by_role("link", name="Koppel gebruiker aan organisatie").click()
    expect(page.locator(".progress-steps [aria-current=step]")).to_have_text("3.2. werkrelatie")
    page.get_by_label("Organisatie", exact=True).select_option(HOUTATELIER)
    check_page(page, "idm-work-relation-organisation", page_errors)
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Stap 2 van 3: Werkrelatie details")).to_be_visible()
    ten_years = add_months(today, 120)
    expect(page.get_by_label("Einddatum (dd/mm/jjjj)")).to_have_value(f"{ten_years:%d/%m/%Y}")
    page.get_by_label("Telefoonnummer (bv. +3212345678)").fill("+3292223344")
    page.get_by_label("E-mailadres").fill("jonas@example.org")
    check_page(page, "idm-work-relation-details", page_errors)
    page.get_by_role("button", name="Verder").click()
    page.get_by_role("button", name="Bevestig").click()
    expect(page.get_by_text("Ken nu het gebruikersrecht toe")).to_be_visible()
    expect(page.get_by_text("Geen gebruikersrechten toegekend")).to_be_visible()
    check_page(page, "idm-work-relation-added", page_errors)

    # 3.3 gebruikersrecht
    page.get_by_role("link", name="Ken gebruikersrecht toe").click()
    page.get_by_label("Gebruikersrecht", exact=True).select_option("VLAIOInkomGebruikerNieuw")
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Maximumperiode = 4 jaar; je kan dit aanpassen.")).to_be_visible()
    page.get_by_label("Gebruiker", exact=True).check()
    check_page(page, "idm-grant-details", page_errors)
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Stap 3 van 3: Bevestig")).to_be_visible()
    check_page(page, "idm-grant-confirm", page_errors)
    page.get_by_role("button", name="Bevestig").click()
    expect(page.get_by_text("De persoon heeft nu toegang tot de kmo-portefeuille")).to_be_visible()
    four_years = min(add_months(today, 48), ten_years)
    expect(page.locator("table")).to_contain_text(f"{four_years:%d/%m/%Y}")
    check_page(page, "idm-grant-added", page_errors)
    for tab in ("Werkrelatie details", "Accounts", "Historiek"):
        page.get_by_role("link", name=tab, exact=True).click()
        expect(page.get_by_role("link", name=tab, exact=True)).to_have_attribute("aria-current", "page")
        check_page(page, f"idm-person-tab-{tab}", page_errors)
    logout(page)

    # the person logs in and acts for the organisation (one option: chosen without asking)
    simulator_login(page, JONAS)
    header = page.locator(".site-header__login")
    expect(header).to_contain_text("Jonas De Smet")
    expect(header).to_contain_text("Houtatelier Verhaeghe")
    page.goto("/gebruikersbeheer/mijn-profiel/")
    expect(page.get_by_role("heading", name="Mijn gebruikersrechten")).to_be_visible()
    expect(page.get_by_text("Pieter Claes – Lokale beheerder")).to_be_visible()
    check_page(page, "idm-my-profile", page_errors)
    logout(page)

    # time passes: the right ends in 5 days, the work relation in 20
    relation = WorkRelation.objects.get(person__national_number=JONAS)
    RightGrant.objects.filter(work_relation=relation).update(end_date=today + timedelta(days=5))
    WorkRelation.objects.filter(pk=relation.pk).update(end_date=today + timedelta(days=20))

    # the administrator sees it among his tasks and extends the work relation and its rights
    simulator_login(page, PIETER)
    page.goto("/gebruikersbeheer/")
    expect(
        page.get_by_role("link", name=re.compile("Verleng VLAIO Inkom Gebruiker Nieuw van Jonas"))
    ).to_be_visible()
    page.get_by_role("link", name="Toekenning opzoeken").first.click()
    page.get_by_label("Persoon").fill("De Smet")
    page.get_by_role("button", name="Zoek").click()
    expect(page.locator("table")).to_contain_text("De Smet Jonas")
    check_page(page, "idm-grant-search", page_errors)
    page.get_by_role("link", name="De Smet Jonas").click()
    page.get_by_role("link", name="Verleng werkrelatie en gebruikersrechten").click()
    page.get_by_label(re.compile("Je kan zelf de einddatum kiezen")).check()
    page.get_by_label("Einddatum (dd/mm/jjjj)").fill(f"{add_months(today, 121):%d/%m/%Y}")
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Er is een probleem")).to_be_visible()  # beyond the 10-year maximum
    expect(page.get_by_text("maximumperiode = 10 jaar").first).to_be_visible()
    check_page(page, "idm-extend-error", page_errors)
    page.get_by_label(re.compile("De maximumtermijn van 10 jaar wordt toegekend")).check()
    page.get_by_role("button", name="Verder").click()
    expect(page.get_by_text("Stap 2 van 2: Bevestig")).to_be_visible()
    expect(page.locator("table")).to_contain_text(f"{four_years:%d/%m/%Y}")
    check_page(page, "idm-extend-confirm", page_errors)
    page.get_by_role("button", name="Bevestig").click()
    expect(page.get_by_text(f"verlengd tot {ten_years:%d/%m/%Y}")).to_be_visible()
    relation.refresh_from_db()
    assert relation.end_date == ten_years
    assert RightGrant.objects.get(work_relation=relation).end_date == four_years


def test_actions_and_refusals_are_accessible(page: Page, page_errors, houtatelier) -> None:
    """The other screens: bewerk, pauzeer (confirmation with a reason), hervat, verleng a right, beëindig; the
    page of someone who administers nothing."""
    organisation = services.organisation_for_enterprise(actor=SYSTEM, enterprise_number=HOUTATELIER)
    jonas = services.person_add_by_number(actor=SYSTEM, organisation=organisation, number=JONAS)
    relation = services.work_relation_create(
        actor=SYSTEM,
        person=jonas,
        organisation=organisation,
        category="vast",
        phone="+3292223344",
        email="jonas@example.org",
    )
    services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    simulator_login(page, PIETER)
    page.goto(f"/gebruikersbeheer/personen/{jonas.pk}/")

    page.get_by_role("link", name="Bewerk werkrelatie").click()
    page.get_by_label("Telefoonnummer (bv. +3212345678)").fill("geen nummer")
    page.get_by_role("button", name="Bewaar").click()
    expect(page.get_by_text("Er is een probleem")).to_be_visible()
    check_page(page, "idm-edit-error", page_errors)
    page.get_by_label("Telefoonnummer (bv. +3212345678)").fill("+3290000000")
    page.get_by_role("button", name="Bewaar").click()
    expect(page.get_by_text("De werkrelatie is gewijzigd.")).to_be_visible()

    page.get_by_role("link", name="Pauzeer werkrelatie").click()
    page.get_by_label("Reden").fill("ouderschapsverlof")
    check_page(page, "idm-pause-confirm", page_errors)
    page.get_by_role("button", name="Bevestig").click()
    expect(page.get_by_text("De werkrelatie is gepauzeerd.")).to_be_visible()
    page.get_by_role("link", name="Hervat werkrelatie").click()
    page.get_by_role("button", name="Bevestig").click()
    expect(page.get_by_text("De werkrelatie is hervat.")).to_be_visible()

    page.get_by_role("link", name=re.compile("^Verleng VLAIO Inkom Gebruiker Nieuw")).click()
    check_page(page, "idm-grant-extend", page_errors)
    page.get_by_role("button", name="Verder").click()
    page.get_by_role("button", name="Bevestig").click()
    expect(page.get_by_text("is verlengd tot")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Beëindig VLAIO Inkom Gebruiker Nieuw")).click()
    check_page(page, "idm-grant-end-confirm", page_errors)
    page.get_by_role("button", name="Bevestig").click()
    expect(page.get_by_text("is beëindigd")).to_be_visible()
    assert RightGrant.objects.get(work_relation=relation).ended_at is not None
    logout(page)

    # someone who administers nothing: a clear 403 page with the way to Mijn profiel
    simulator_login(page, JONAS)
    response = page.goto("/gebruikersbeheer/")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_text("U bent geen lokale beheerder van een organisatie.")).to_be_visible()
    check_page(page, "idm-no-admin", page_errors, allow_errors=("403",))
