"""The back office's pages of issue 6 in a real browser: An, VLAIO staff and application manager
(VLAIOInkomToepassingsbeheerder), logged in with the demo eID simulator (level high),

- configures the kmo-portefeuille ("Steunmaatregelen"): a new period from tomorrow, refused first from today
  and then overlapping the running period (the error summary, nothing changed), then added with a reason and
  shown as toekomstig; an excluded service from tomorrow, refused first without keywords;
- finds enterprise B by its number ("Ondernemingen"), sees its KBO data, profile, rights, projects, wallet and
  history, and corrects its contact e-mail, refused first without a reason; the history shows the correction;
- opens the dashboards, switches to last year and downloads a CSV.

Every page axe-clean (WCAG 2.1 AA) at desktop and mobile width (``check_page``)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from kmop.audit.models import AuditEvent
from kmop.backoffice import services_organisations
from kmop.backoffice.models import DailyProjectStat, ProjectStatCoverage
from kmop.idm import services as idm_services
from kmop.idm.models import WorkRelation
from kmop.projects.models import EnterpriseProfile, Project
from kmop.registers.models import Denomination, KboCode
from kmop.schemes import services as scheme_services
from kmop.schemes.models import ExcludedService, RegimePeriod
from tests.idm.conftest import AN, SYSTEM, VLAIO, B

from .harness import assert_no_page_errors, check_page
from .test_backoffice import backoffice_world, nav  # noqa: F401  (the fixture, reused)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

KMOP = "kmo-portefeuille"


@pytest.fixture
def manager_world(backoffice_world: dict[str, Project]) -> dict[str, Project]:  # noqa: F811
    """``backoffice_world`` with An also application manager, B's name and legal form in the KBO."""
    idm_services.right_grant_create(
        actor=SYSTEM,
        work_relation=WorkRelation.objects.get(person__national_number=AN, organisation__code=VLAIO),
        right_code="VLAIOInkomToepassingsbeheerder",
    )
    Denomination.objects.create(
        entity_number=B, language="2", type_of_denomination="001", denomination="Bee BV"
    )
    KboCode.objects.update_or_create(
        category="JuridicalForm",
        code="610",
        language="NL",
        defaults={"description": "Besloten vennootschap"},
    )
    return backoffice_world


def login_as_an(page: Page) -> None:
    page.goto("/aanmelden/simulator/eid/")
    page.get_by_role("button", name="Aanmelden als An Wouters").click()
    expect(page.locator(".site-header__login")).to_contain_text("VLAIO")
    page.goto("/backoffice/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Backoffice")


def dmy(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def scheme_state() -> dict[str, Any]:
    """What the scheme screens could change: the periods' and excluded services' dates, the audit's length."""
    return {
        "periods": list(RegimePeriod.objects.order_by("pk").values_list("pk", "valid_from", "valid_to")),
        "excluded": list(ExcludedService.objects.order_by("pk").values_list("pk", "code", "valid_from")),
        "audit": AuditEvent.objects.count(),
    }


def error_summary(page: Page) -> Locator:
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Er is een probleem")
    return summary


# --- Steunmaatregelen -------------------------------------------------------------------------------------


def test_the_application_manager_adds_a_period_and_an_excluded_service(
    page: Page, page_errors: list[str], manager_world: dict[str, Project]
) -> None:
    today = timezone.localdate()
    tomorrow = today + timedelta(days=1)
    running = RegimePeriod.objects.get(scheme_id=KMOP, valid_from__lte=today, valid_to__isnull=True)
    login_as_an(page)

    nav(page, "Steunmaatregelen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Steunmaatregelen")
    expect(page.locator("#schemes")).to_contain_text(running.label_nl)
    check_page(page, "backoffice-schemes", page_errors)

    page.locator("#schemes").get_by_role("link", name="Kmo-portefeuille", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kmo-portefeuille")
    expect(page.locator(f"#period-{running.pk}")).to_contain_text("geldig")
    expect(page.locator("#configure-warning")).to_have_count(0)
    check_page(page, "backoffice-scheme", page_errors)

    # a new period: first from today (a period starts tomorrow at the earliest)
    page.get_by_role("link", name="Nieuwe periode toevoegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuwe periode voor Kmo-portefeuille")
    expect(page.locator("#base")).to_contain_text(running.label_nl)
    check_page(page, "backoffice-scheme-period-add", page_errors)
    form = page.locator("#period-form")
    expect(form.get_by_label("Steunpercentage kleine onderneming (%)")).to_have_value("30")
    before = scheme_state()
    form.get_by_label("Geldig vanaf").fill(dmy(today))
    form.get_by_label("Steunpercentage kleine onderneming (%)").fill("40")
    form.get_by_label("Omschrijving (NL)").fill("Kmo-portefeuille met 40 % voor kleine ondernemingen")
    form.get_by_label("Reden van de wijziging").fill("Hoger steunpercentage voor kleine ondernemingen")
    form.get_by_role("button", name="Periode toevoegen").click()
    summary = error_summary(page)
    expect(summary).to_contain_text("Een nieuwe periode begint ten vroegste morgen")
    expect(page.locator("#id_valid_from_error")).to_contain_text("ten vroegste morgen")
    assert page.title().startswith("Fout: ")
    assert scheme_state() == before
    check_page(page, "backoffice-scheme-period-add-error", page_errors)

    # from tomorrow, but without ending the running period: it would overlap
    expect(form.get_by_label("Steunpercentage kleine onderneming (%)")).to_have_value("40")  # kept
    form.get_by_label("Geldig vanaf").fill(dmy(tomorrow))
    form.get_by_label("De periode die op de begindatum loopt, eindigt de dag voordien").uncheck()
    form.get_by_role("button", name="Periode toevoegen").click()
    expect(error_summary(page)).to_contain_text("Deze periode overlapt met de periode van")
    expect(page.locator("#id_valid_from_error")).to_contain_text("overlapt")
    assert scheme_state() == before
    check_page(page, "backoffice-scheme-period-add-overlap", page_errors)

    # ending the running period the day before: added
    form.get_by_label("De periode die op de begindatum loopt, eindigt de dag voordien").check()
    form.get_by_role("button", name="Periode toevoegen").click()
    expect(
        page.get_by_text(re.compile(r"De nieuwe periode van Kmo-portefeuille vanaf .+ is toegevoegd\."))
    ).to_be_visible()
    new = RegimePeriod.objects.get(scheme_id=KMOP, valid_from=tomorrow)
    assert new.valid_to is None
    assert new.parameters["size_classes"]["KO"]["rate"] == "0.40"
    assert new.parameters["size_classes"]["MO"] == running.parameters["size_classes"]["MO"]
    running.refresh_from_db()
    assert running.valid_to == today
    events = AuditEvent.objects.filter(reason="Hoger steunpercentage voor kleine ondernemingen")
    assert sorted(e.action for e in events) == ["schemes.regimeperiod.create", "schemes.regimeperiod.update"]
    assert all(e.actor is not None and e.actor.national_number == AN for e in events)
    section = page.locator(f"#period-{new.pk}")
    expect(section.get_by_role("heading", level=3)).to_contain_text(f"{dmy(tomorrow)} – …")
    expect(section).to_contain_text("toekomstig")
    expect(section).to_contain_text("40 % steun, jaarplafond € 7.500,00")
    expect(page.locator(f"#period-{running.pk}").get_by_role("heading", level=3)).to_contain_text(
        f"– {dmy(today)}"
    )
    check_page(page, "backoffice-scheme-period-added", page_errors)

    # an excluded service from tomorrow: first without keywords
    page.get_by_role("link", name="Uitgesloten dienst toevoegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uitgesloten dienst toevoegen")
    check_page(page, "backoffice-scheme-excluded-add", page_errors)
    form = page.locator("#row-form")
    form.get_by_label("Code").fill("kaartlezen")
    form.get_by_label("Omschrijving (NL)").fill("Kaartlezen en horoscopen")
    form.get_by_label("Geldig vanaf").fill(dmy(tomorrow))
    form.get_by_label("Reden van de wijziging").fill("Geen bedrijfsadvies")
    before = scheme_state()
    form.get_by_role("button", name="Toevoegen").click()
    expect(error_summary(page)).to_contain_text("Geef minstens één trefwoord.")
    expect(page.locator("#id_keywords_text_error")).to_contain_text("Geef minstens één trefwoord.")
    assert scheme_state() == before
    check_page(page, "backoffice-scheme-excluded-add-error", page_errors)

    form.get_by_label("Trefwoorden").fill("kaartlezen\nhoroscoop")
    form.get_by_role("button", name="Toevoegen").click()
    expect(page.get_by_text(re.compile(r"Uitgesloten dienst .+ is toegevoegd vanaf .+\."))).to_be_visible()
    row = ExcludedService.objects.get(scheme_id=KMOP, code="kaartlezen")
    assert row.keywords == ["kaartlezen", "horoscoop"]
    assert row.valid_from == tomorrow
    assert AuditEvent.objects.get(action="schemes.excludedservice.create").reason == "Geen bedrijfsadvies"
    table_row = page.locator(f"#excluded-{row.pk}")
    expect(table_row).to_contain_text("Kaartlezen en horoscopen")
    expect(table_row).to_contain_text("kaartlezen, horoscoop")
    expect(table_row).to_contain_text("toekomstig")
    check_page(page, "backoffice-scheme-excluded-added", page_errors)
    assert_no_page_errors(page_errors)


def test_ending_removing_and_a_json_period_refuse_bad_input(
    page: Page, page_errors: list[str], manager_world: dict[str, Project]
) -> None:
    """The other scheme screens: removing a period that has not started (a reason is required), an end date
    before today, and another scheme's period as a JSON document (invalid JSON): each refused with its
    message, nothing changed, every page axe-checked."""
    today = timezone.localdate()
    running = RegimePeriod.objects.get(scheme_id=KMOP, valid_from__lte=today, valid_to__isnull=True)
    future = scheme_services.period_add(
        actor=SYSTEM,
        scheme=KMOP,
        valid_from=today + timedelta(days=1),
        valid_to=None,
        end_current=True,
        parameters=running.parameters,
        label_nl="Kmo-portefeuille vanaf morgen (per vergissing)",
        label_en="",
        source="",
        reason="Test",
    )
    login_as_an(page)
    nav(page, "Steunmaatregelen")
    page.locator("#schemes").get_by_role("link", name="Kmo-portefeuille", exact=True).click()

    # removing the future period: a reason is required
    page.locator(f"#period-{future.pk}").get_by_role("link", name="Verwijderen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verwijderen")
    expect(page.locator("#row")).to_contain_text("Kmo-portefeuille vanaf morgen (per vergissing)")
    check_page(page, "backoffice-scheme-row-remove", page_errors)
    before = scheme_state()
    page.locator("#remove-form").get_by_role("button", name="Verwijderen").click()
    expect(error_summary(page)).to_contain_text("Geef de reden van de wijziging.")
    assert scheme_state() == before
    check_page(page, "backoffice-scheme-row-remove-error", page_errors)
    page.get_by_role("link", name="Annuleren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kmo-portefeuille")

    # an end date before today
    page.locator(f"#period-{running.pk}").get_by_role("link", name="Einddatum geven").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Einddatum geven")
    check_page(page, "backoffice-scheme-row-end", page_errors)
    form = page.locator("#end-form")
    form.get_by_label("Geldig tot en met").fill(dmy(today - timedelta(days=1)))
    form.get_by_label("Reden van de wijziging").fill("Vervroegd einde")
    form.get_by_role("button", name="Einddatum bewaren").click()
    expect(error_summary(page)).to_contain_text(f"Een einddatum ligt ten vroegste vandaag ({dmy(today)}).")
    assert scheme_state() == before
    check_page(page, "backoffice-scheme-row-end-error", page_errors)

    # another scheme: its parameters as JSON
    nav(page, "Steunmaatregelen")
    page.locator("#schemes").get_by_role("link", name="Ecologiepremie Plus", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ecologiepremie Plus")
    check_page(page, "backoffice-scheme-eco", page_errors)
    page.get_by_role("link", name="Nieuwe periode toevoegen").click()
    form = page.locator("#period-form")
    expect(form.get_by_label("Parameters (JSON)")).to_have_value(re.compile("hernieuwbare-energie"))
    check_page(page, "backoffice-scheme-eco-period-add", page_errors)
    form.get_by_label("Geldig vanaf").fill(dmy(today + timedelta(days=7)))
    form.get_by_label("Parameters (JSON)").fill('{"rates": {')
    form.get_by_label("Omschrijving (NL)").fill("Ecologiepremie Plus, nieuwe percentages")
    form.get_by_label("Reden van de wijziging").fill("Nieuwe percentages")
    form.get_by_role("button", name="Periode toevoegen").click()
    expect(error_summary(page)).to_contain_text("Dit is geen geldige JSON")
    expect(page.locator("#id_parameters_json_error")).to_contain_text("Dit is geen geldige JSON")
    assert scheme_state() == before
    check_page(page, "backoffice-scheme-eco-period-add-error", page_errors)
    assert_no_page_errors(page_errors)


# --- Ondernemingen ----------------------------------------------------------------------------------------


def test_the_application_manager_finds_an_enterprise_and_corrects_its_e_mail(
    page: Page, page_errors: list[str], manager_world: dict[str, Project]
) -> None:
    projects = list(manager_world.values())
    profile = EnterpriseProfile.objects.get(organisation__code=B)
    login_as_an(page)

    nav(page, "Ondernemingen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ondernemingen")
    check_page(page, "backoffice-enterprises", page_errors)
    page.get_by_label("Ondernemingsnummer of naam").fill("0934.567.878")
    page.get_by_role("button", name="Zoeken").click()

    # one match: its page
    expect(page).to_have_url(re.compile(rf"/backoffice/ondernemingen/{B}/$"))
    expect(page.locator("#enterprise-number")).to_contain_text("0934.567.878")
    register = page.locator("#register-data")
    expect(register).to_contain_text("Bee BV")
    expect(register).to_contain_text("Besloten vennootschap")
    expect(register).to_contain_text("9000 Gent")
    expect(page.locator("#register-activities")).to_contain_text("62010")
    expect(page.locator("#representatives")).to_contain_text("Els Maes")
    expect(page.locator("#profile-email")).to_have_text("els@b.example")
    for project in projects:
        expect(page.locator("#projects")).to_contain_text(project.number)
    expect(page.locator("#portefeuille")).to_be_visible()
    expect(page.locator("#wallet-total")).to_be_visible()
    expect(page.locator("#history")).to_contain_text("projects.application.submit")
    check_page(page, "backoffice-enterprise", page_errors)

    # the contact e-mail, first without a reason
    page.get_by_role("link", name="Profiel corrigeren").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Profiel corrigeren")
    check_page(page, "backoffice-enterprise-profile", page_errors)
    form = page.locator("#profile-form")
    expect(form.get_by_label("E-mailadres contactpersoon")).to_have_value("els@b.example")
    form.get_by_label("E-mailadres contactpersoon").fill("boekhouding@b.example")
    form.get_by_role("button", name="Corrigeren").click()
    expect(error_summary(page)).to_contain_text("Geef de reden van deze wijziging.")
    expect(page.locator("#id_reason_error")).to_contain_text("Geef de reden van deze wijziging.")
    profile.refresh_from_db()
    assert profile.contact_email == "els@b.example"
    assert not AuditEvent.objects.filter(action=services_organisations.PROFILE_CORRECT).exists()
    check_page(page, "backoffice-enterprise-profile-error", page_errors)

    expect(form.get_by_label("E-mailadres contactpersoon")).to_have_value("boekhouding@b.example")  # kept
    form.get_by_label("Reden").fill("De zaakvoerder vroeg per brief een ander contactadres.")
    form.get_by_role("button", name="Corrigeren").click()
    expect(page.get_by_text(re.compile(r"Het profiel van .+ is gecorrigeerd\."))).to_be_visible()
    expect(page).to_have_url(re.compile(rf"/backoffice/ondernemingen/{B}/$"))
    expect(page.locator("#profile-email")).to_have_text("boekhouding@b.example")
    profile.refresh_from_db()
    assert profile.contact_email == "boekhouding@b.example"
    assert profile.iban == "BE71096123456769"  # unchanged
    event = AuditEvent.objects.get(action=services_organisations.PROFILE_CORRECT)
    assert event.actor is not None
    assert event.actor.national_number == AN
    assert event.before is not None
    assert event.after is not None
    assert event.before["contact_email"] == "els@b.example"
    assert event.after["contact_email"] == "boekhouding@b.example"
    newest = page.locator("#history tbody tr").first
    expect(newest).to_contain_text(services_organisations.PROFILE_CORRECT)
    expect(newest).to_contain_text("De zaakvoerder vroeg per brief een ander contactadres.")
    expect(newest).to_contain_text("An Wouters")
    check_page(page, "backoffice-enterprise-corrected", page_errors)
    assert_no_page_errors(page_errors)


# --- Dashboards -------------------------------------------------------------------------------------------


def test_dashboards_switch_the_year_and_download_a_csv(
    page: Page, page_errors: list[str], manager_world: dict[str, Project], tmp_path: Path
) -> None:
    """This year's two applications (counted live) and last year's summary: three training applications in
    May, in Oost-Vlaanderen."""
    today = timezone.localdate()
    last_year = today.year - 1
    DailyProjectStat.objects.bulk_create(
        DailyProjectStat(
            day=date(last_year, 5, 14),
            dimension=dimension,
            key=key,
            projects=3,
            amount=Decimal("3000.00"),
            subsidy=Decimal("900.00"),
        )
        for dimension, key in (
            (DailyProjectStat.Dimension.SERVICE, "opleiding"),
            (DailyProjectStat.Dimension.THEME, "bedrijfsstrategie"),
            (DailyProjectStat.Dimension.SIZE, "KO"),
            (DailyProjectStat.Dimension.PROVINCE, "OVL"),
        )
    )
    ProjectStatCoverage.objects.update_or_create(pk=1, defaults={"until": today - timedelta(days=1)})
    login_as_an(page)

    nav(page, "Dashboards")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboards")
    expect(page.get_by_label("Jaar", exact=True)).to_have_value(str(today.year))
    expect(page.locator("#dashboard-as-of")).to_be_visible()
    expect(page.locator("#table-diensten tfoot td").first).to_have_text("2")  # this year's two, live
    check_page(page, "backoffice-dashboards", page_errors)

    page.get_by_label("Jaar", exact=True).select_option(str(last_year))
    page.get_by_role("button", name="Tonen").click()
    expect(page).to_have_url(re.compile(rf"jaar={last_year}"))
    expect(page.get_by_label("Jaar", exact=True)).to_have_value(str(last_year))
    months = page.locator("#table-maanden")
    expect(months.locator("tbody tr").filter(has_text="mei").locator("td").first).to_have_text("3")
    expect(months.locator("tfoot td").first).to_have_text("3")  # nothing else in that year
    provinces = page.locator("#table-provincies")
    ovl = provinces.locator("tbody tr").filter(has_text="Oost-Vlaanderen").locator("td").first
    expect(ovl).to_have_text("3")
    check_page(page, "backoffice-dashboards-last-year", page_errors)

    with page.expect_download() as download_info:
        page.locator("#csv-diensten").click()
    download = download_info.value
    assert download.suggested_filename == f"dashboard-diensten-{last_year}.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    text = target.read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads it as UTF-8
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == ["Dienst", "Aanvragen", "Projectbedrag (€)", "Steun (€)"]
    training = next(row for row in rows[1:] if row[0].lower().startswith("opleiding"))
    assert training[1:] == ["3", "3000,00", "900,00"]
    assert rows[-1][1:] == ["3", "3000,00", "900,00"]  # the total
    assert_no_page_errors(page_errors)
