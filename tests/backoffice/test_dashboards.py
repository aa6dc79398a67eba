"""The back office's dashboards (issue 6 §4): the figures of a small known dataset per month, service, theme,
size class and province (summary of closed days + today's applications live), budget use, registrations by
status; the SVG charts with title and description, the tables, the CSV per chart; the year filter; staff
only; the daily job that writes the summary."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from kmop.audit.services import Actor
from kmop.backoffice import dashboards
from kmop.backoffice.daily_jobs import JOBS
from kmop.backoffice.models import DailyProjectStat, ProjectStatCoverage
from kmop.idm.models import Organisation
from kmop.jobs.registry import JobContext
from kmop.projects.models import Project, SizeClassYear, YearBudget
from kmop.registers.models import Address
from tests.backoffice.conftest import Setting

pytestmark = pytest.mark.django_db

TODAY = date(2025, 3, 10)
_numbers: dict[int, int] = {}


@pytest.fixture(autouse=True)
def _fresh_provinces() -> Iterator[None]:
    dashboards.clear_live_provinces()
    yield
    dashboards.clear_live_provinces()


def _organisation(code: str, name: str, zipcode: str | None) -> Organisation:
    organisation = Organisation.objects.create(code=code, name=name, target_group="EA")
    if zipcode:
        Address.objects.create(
            entity_number=code, type_of_address="REGO", zipcode=zipcode, municipality_nl="X"
        )
    return organisation


def _project(
    setting: Setting,
    organisation: Organisation,
    day: date,
    *,
    service: str = "opleiding",
    theme: str = "bedrijfsstrategie",
    size: str = "KO",
    amount: str,
    subsidy: str,
    status: str = "Lopend",
) -> Project:
    n = _numbers[day.year] = _numbers.get(day.year, 0) + 1
    registration = setting.training if service == "opleiding" else setting.advice
    amount_d, subsidy_d = Decimal(amount), Decimal(subsidy)
    return Project.objects.create(
        number=f"{day.year}KMO{n:06d}",
        organisation=organisation,
        registration=registration,
        service=service,
        theme=theme,
        title="Project",
        start_date=day,
        hours=Decimal("8"),
        amount=amount_d,
        application_date=day,
        regime_from=date(2024, 1, 1),
        size_class=size,
        rate=Decimal("0.3"),
        subsidy=subsidy_d,
        own_contribution=amount_d - subsidy_d,
        budget_held=subsidy_d,
        structured_reference=f"{day.year}{n:08d}",
        deposit_deadline=day + timedelta(days=14),
        status=status,
        status_changed_at=timezone.make_aware(datetime(day.year, day.month, day.day, 12)),
    )


@pytest.fixture
def data(setting: Setting) -> dict[str, Organisation]:
    """B (Gent, Oost-Vlaanderen), C (Antwerpen), D (no registered office known); 5 projects in 2025 (one
    today, 10 March), one on 31 December 2024."""
    _numbers.clear()
    b = setting.enterprise
    c = _organisation("0200000001", "C bv", "2000")
    d = _organisation("0200000002", "D bv", None)
    _project(setting, b, date(2025, 1, 15), amount="1000.00", subsidy="300.00")
    _project(
        setting,
        b,
        date(2025, 1, 20),
        service="advies",
        theme="digitalisering",
        amount="2000.00",
        subsidy="600.50",
    )
    _project(
        setting, c, date(2025, 2, 3), theme="digitalisering", size="MO", amount="1500.00", subsidy="300.25"
    )
    _project(
        setting, d, date(2025, 3, 1), theme="", amount="500.00", subsidy="150.00", status="ProjectGeannuleerd"
    )
    _project(
        setting, c, TODAY, service="advies", theme="innovatie", size="MO", amount="1000.10", subsidy="200.02"
    )
    _project(setting, b, date(2024, 12, 31), amount="999.00", subsidy="299.70")
    return {"b": b, "c": c, "d": d}


def _check_2025(figures: dashboards.YearFigures) -> None:
    assert figures.total.projects == 5
    assert figures.total.amount == Decimal("6000.10")
    assert figures.total.subsidy == Decimal("1550.77")
    assert (figures.months[1].projects, figures.months[1].subsidy) == (2, Decimal("900.50"))
    assert (figures.months[2].projects, figures.months[2].subsidy) == (1, Decimal("300.25"))
    assert (figures.months[3].projects, figures.months[3].subsidy) == (2, Decimal("350.02"))
    assert 4 not in figures.months
    assert (figures.services["opleiding"].projects, figures.services["opleiding"].subsidy) == (
        3,
        Decimal("750.25"),
    )
    assert (figures.services["advies"].projects, figures.services["advies"].subsidy) == (2, Decimal("800.52"))
    assert figures.themes["digitalisering"].subsidy == Decimal("900.75")
    assert figures.themes["bedrijfsstrategie"].subsidy == Decimal("300.00")
    assert figures.themes["innovatie"].subsidy == Decimal("200.02")
    assert figures.themes[""].subsidy == Decimal("150.00")
    assert (figures.sizes["KO"].projects, figures.sizes["KO"].subsidy) == (3, Decimal("1050.50"))
    assert (figures.sizes["MO"].projects, figures.sizes["MO"].amount) == (2, Decimal("2500.10"))
    assert (figures.provinces["OVL"].projects, figures.provinces["OVL"].subsidy) == (2, Decimal("900.50"))
    assert (figures.provinces["ANT"].projects, figures.provinces["ANT"].subsidy) == (2, Decimal("500.27"))
    assert (figures.provinces[""].projects, figures.provinces[""].subsidy) == (1, Decimal("150.00"))


def test_figures_from_the_summary_and_today_live_are_exact(data: dict[str, Organisation]) -> None:
    result = dashboards.refresh_project_stats(through=TODAY - timedelta(days=1))
    assert result.first == date(2024, 12, 31)
    assert result.projects == 5  # today's application is not in the summary
    assert ProjectStatCoverage.objects.get().until == date(2025, 3, 9)
    assert not DailyProjectStat.objects.filter(day=TODAY).exists()
    figures = dashboards.year_figures(2025, today=TODAY)
    assert figures.live_from == TODAY
    _check_2025(figures)
    # the same figures with nothing summarised (every day counted live)
    DailyProjectStat.objects.all().delete()
    ProjectStatCoverage.objects.all().delete()
    live = dashboards.year_figures(2025, today=TODAY)
    assert live.live_from == date(2025, 1, 1)
    _check_2025(live)
    last_year = dashboards.year_figures(2024, today=TODAY)
    assert (last_year.total.projects, last_year.total.subsidy) == (1, Decimal("299.70"))
    assert last_year.months[12].projects == 1


def test_todays_applications_of_a_new_enterprise_count_at_once(
    setting: Setting, data: dict[str, Organisation]
) -> None:
    dashboards.refresh_project_stats(through=TODAY - timedelta(days=1))
    assert dashboards.year_figures(2025, today=TODAY).provinces["ANT"].projects == 2
    # an enterprise in Limburg applies today after a page view: looked up on the next view
    e = _organisation("0200000003", "E bv", "3500")
    _project(setting, e, TODAY, amount="100.00", subsidy="30.00")
    figures = dashboards.year_figures(2025, today=TODAY)
    assert (figures.provinces["LIM"].projects, figures.provinces["LIM"].subsidy) == (1, Decimal("30.00"))
    assert figures.total.projects == 6


def test_the_daily_job_summarises_closed_days_once(data: dict[str, Organisation]) -> None:
    job = next(j for j in JOBS if j.name == "backoffice.project_stats")
    context = JobContext(day=TODAY, actor=Actor.system("tests"), stdout=io.StringIO())
    summary = job.run(context)
    assert "5 aanvragen" in summary
    fields = ("day", "dimension", "key", "projects", "subsidy")
    rows = sorted(DailyProjectStat.objects.values_list(*fields))
    assert len(rows) == 5 * 4  # five days, a row per dimension
    assert [row for row in rows if row[0] == date(2025, 1, 20)] == [
        (date(2025, 1, 20), "province", "OVL", 1, Decimal("600.50")),
        (date(2025, 1, 20), "service", "advies", 1, Decimal("600.50")),
        (date(2025, 1, 20), "size", "KO", 1, Decimal("600.50")),
        (date(2025, 1, 20), "theme", "digitalisering", 1, Decimal("600.50")),
    ]
    assert [row[2] for row in rows if row[0] == date(2025, 3, 1)] == ["", "opleiding", "KO", ""]
    for dimension in ("service", "theme", "size", "province"):
        assert sum(row[3] for row in rows if row[1] == dimension) == 5
        assert sum(row[4] for row in rows if row[1] == dimension) == Decimal("1650.45")
    # again for the same day: nothing to do, nothing changes
    assert "niets" in job.run(context)
    assert sorted(DailyProjectStat.objects.values_list(*fields)) == rows
    # the next day adds today's application
    job.run(JobContext(day=TODAY + timedelta(days=1), actor=Actor.system("tests"), stdout=io.StringIO()))
    assert DailyProjectStat.objects.get(day=TODAY, dimension="province", key="ANT").subsidy == Decimal(
        "200.02"
    )
    assert ProjectStatCoverage.objects.get().until == TODAY


def test_budget_use_per_size_class(data: dict[str, Organisation]) -> None:
    b, c = data["b"], data["c"]
    YearBudget.objects.create(organisation=b, year=2025, cap=Decimal("7500.00"), used=Decimal("900.50"))
    YearBudget.objects.create(organisation=c, year=2025, cap=Decimal("15000.00"), used=Decimal("15000.00"))
    YearBudget.objects.create(organisation=c, year=2024, cap=Decimal("15000.00"), used=Decimal("10.00"))
    SizeClassYear.objects.create(organisation=b, year=2025, size_class="KO")
    SizeClassYear.objects.create(organisation=c, year=2025, size_class="MO")
    live = dashboards.budget_use(2025)
    assert live.taken_at is None  # no snapshot yet: counted now
    rows = {row.size_class: row for row in live.rows}
    assert (rows["KO"].enterprises, rows["KO"].cap, rows["KO"].used, rows["KO"].at_cap) == (
        1,
        Decimal("7500.00"),
        Decimal("900.50"),
        0,
    )
    assert rows["KO"].percent == Decimal("12.0")
    assert (rows["MO"].used, rows["MO"].at_cap, rows["MO"].percent) == (
        Decimal("15000.00"),
        1,
        Decimal("100.0"),
    )
    dataset = dashboards.budget_dataset(2025, live)
    assert dataset.footer == ("Totaal", 2, Decimal("22500.00"), Decimal("15900.50"), Decimal("70.7"), 1)
    assert dataset.description.endswith("Nu geteld.")
    # the daily job's snapshot: every year at the first run, then this year and yesterday's
    job = next(j for j in JOBS if j.name == "backoffice.budget_stats")
    assert job.run(JobContext(day=TODAY, actor=Actor.system("tests"), stdout=io.StringIO())) == (
        "jaarbudgetten van 2024, 2025"
    )
    YearBudget.objects.filter(organisation=b, year=2025).update(used=Decimal("1000.00"))
    snapshot = dashboards.budget_use(2025)
    assert snapshot.taken_at == timezone.now()
    assert [(r.size_class, r.enterprises, r.used) for r in snapshot.rows] == [
        ("KO", 1, Decimal("900.50")),
        ("MO", 1, Decimal("15000.00")),
    ]
    assert (
        "Stand op 10/03/2025 10:00 (de dagelijkse taak)."
        in dashboards.budget_dataset(2025, snapshot).description
    )
    assert job.run(JobContext(day=TODAY, actor=Actor.system("tests"), stdout=io.StringIO())) == (
        "jaarbudgetten van 2025"
    )
    assert dashboards.budget_use(2025).rows[0].used == Decimal("1000.00")
    # 2024: C's budget without a size class of that year is its own row
    assert [(r.size_class, r.used) for r in dashboards.budget_use(2024).rows] == [
        ("KO", Decimal("0.00")),
        ("MO", Decimal("0.00")),
        ("", Decimal("10.00")),
    ]


def test_the_page_shows_each_chart_with_title_description_and_table(
    staff: Client, data: dict[str, Organisation]
) -> None:
    dashboards.refresh_project_stats(through=TODAY - timedelta(days=1))
    response = staff.get("/backoffice/dashboards/")
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 8  # months twice
    for key in dashboards.DATASET_KEYS:
        assert f'id="table-{key}"' in page
        assert f'href="/backoffice/dashboards/{key}/csv/?jaar=2025"' in page
    assert '<title id="chart-maanden-0-title">Aanvragen per maand</title>' in page
    assert 'aria-labelledby="chart-provincies-0-title chart-provincies-0-desc"' in page
    assert "Aanvragen per maand in 2025: 5 aanvragen, € 6.000,10 projectbedrag, € 1.550,77 steun." in page
    assert '<desc id="chart-maanden-0-desc">' in page
    # the tables: Oost-Vlaanderen 2 applications, € 900,50; February € 300,25; registrations G: 1 + 1
    assert _row("Oost-Vlaanderen", "2", "3.000,00", "900,50") in page
    assert _row("februari", "1", "1.500,00", "300,25") in page
    assert _row("Goedgekeurd (G)", "1", "1", "2") in page
    assert "Digitalisering" in page
    assert "<script" not in page.split("<main", 1)[-1].split("</main>", 1)[0]
    # another year
    page_2024 = staff.get("/backoffice/dashboards/?jaar=2024").content.decode()
    assert "Aanvragen per maand in 2024: 1 aanvragen, € 999,00 projectbedrag, € 299,70 steun." in page_2024


def _row(label: str, *cells: str) -> str:
    return f'<th scope="row">{label}</th>' + "".join(f'<td class="numeric">{c}</td>' for c in cells)


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_each_chart_is_a_csv(staff: Client, data: dict[str, Organisation]) -> None:
    response = staff.get("/backoffice/dashboards/provincies/csv/?jaar=2025")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="dashboard-provincies-2025.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0] == ["Provincie", "Aanvragen", "Projectbedrag (€)", "Steun (€)"]
    assert ["Antwerpen", "2", "2500,10", "500,27"] in rows
    assert ["Oost-Vlaanderen", "2", "3000,00", "900,50"] in rows
    assert ["Limburg", "0", "0,00", "0,00"] in rows
    assert ["buitenland of onbekend", "1", "500,00", "150,00"] in rows
    assert rows[-1] == ["Totaal", "5", "6000,10", "1550,77"]
    months = _csv(staff.get("/backoffice/dashboards/maanden/csv/?jaar=2025"))
    assert months[1] == ["januari", "2", "3000,00", "900,50"]
    assert len(months) == 1 + 12 + 1
    registrations = _csv(staff.get("/backoffice/dashboards/registraties/csv/"))
    assert ["Goedgekeurd (G)", "1", "1", "2"] in registrations


def test_a_csv_cell_that_a_spreadsheet_would_run_is_text(setting: Setting) -> None:
    _numbers.clear()
    _project(
        setting, setting.enterprise, date(2025, 2, 1), theme="=HYPERLINK(1)", amount="10.00", subsidy="3.00"
    )
    client = Client()
    from tests.backoffice.conftest import AN, login

    rows = _csv(login(client, AN).get("/backoffice/dashboards/themas/csv/?jaar=2025"))
    assert ["'=HYPERLINK(1)", "1", "10,00", "3,00"] in rows


def test_a_year_not_in_the_list_is_refused_with_a_message(
    staff: Client, data: dict[str, Organisation]
) -> None:
    for bad in ("1999", "2030", "twee", ""):
        response = staff.get(f"/backoffice/dashboards/?jaar={bad}")
        assert response.status_code == 400
        page = response.content.decode()
        assert "Kies een jaar uit de lijst." in page
        assert 'role="img"' not in page
        csv_response = staff.get(f"/backoffice/dashboards/maanden/csv/?jaar={bad}")
        assert csv_response.status_code == 400
        assert csv_response.content.decode() == "Kies een jaar uit de lijst."
    assert staff.get("/backoffice/dashboards/onbekend/csv/").status_code == 404
    assert not DailyProjectStat.objects.exists()


def test_only_staff_see_the_dashboards(els: Client, data: dict[str, Organisation]) -> None:
    assert els.get("/backoffice/dashboards/").status_code == 403
    assert els.get("/backoffice/dashboards/maanden/csv/?jaar=2025").status_code == 403
    anonymous = Client()
    response = anonymous.get("/backoffice/dashboards/")
    assert response.status_code == 302


def test_the_province_of_a_postcode() -> None:
    assert dashboards.province_of_postcode("9000") == "OVL"
    assert dashboards.province_of_postcode("2000") == "ANT"
    assert dashboards.province_of_postcode("1000") == "BRU"
    assert dashboards.province_of_postcode("1300") == "WBR"
    assert dashboards.province_of_postcode("3500") == "LIM"
    assert dashboards.province_of_postcode("6700") == "LUX"
    # Zwijndrecht (2070) is in Beveren-Kruibeke-Zwijndrecht, Oost-Vlaanderen, since 2025: the NIS code wins
    assert dashboards.province_of_postcode("2070") == "OVL"
    for bad in (None, "", "abcd", "0612", "12345", "999"):
        assert dashboards.province_of_postcode(bad) == ""


def test_the_postcode_ranges_agree_with_the_municipalities() -> None:
    """bpost's ranges (used for a postcode the table does not know) give every known postcode's province but
    2070's."""
    path = Path(dashboards.__file__).parent.parent / "registers" / "data" / "postcodes.csv"
    differ = []
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code = int(row["Zipcode"])
            by_range = next(p for start, p in reversed(dashboards._RANGES) if code >= start)
            if by_range != dashboards.province_of_refnis(row["Refnis"]):
                differ.append(row["Zipcode"])
    assert differ == ["2070"]
