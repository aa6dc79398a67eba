from __future__ import annotations

from datetime import date, timedelta

from django.test import Client
from django.urls import reverse

from kmop.eloket.views import IDENTITY_CACHE_SECONDS, PROJECTS_SHOWN
from kmop.projects.models import EnterpriseProfile, Project, ProjectStatus
from kmop.registers.models import Address
from tests.eloket.conftest import Setting
from tests.projects.conftest import B

URL = "/e-loket/"


def test_url_name() -> None:
    assert reverse("eloket:enterprise-profile") == URL


def test_anonymous_goes_to_the_login(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "/e-loket/" in response["Location"]


def test_without_data_the_photo_renders(els: Client, setting: Setting) -> None:
    html = els.get(URL).content.decode()
    assert "Ondernemingsfoto" in html
    assert "0934.567.878" in html
    assert 'id="projects-none"' in html
    assert 'id="budget-none"' in html
    assert "Er zijn geen eigen bijdragen te storten." in html
    assert 'href="/e-loket/api-sleutels/"' in html  # the enterprise's own software: its API keys


def test_enterprise_without_profile_goes_to_first_use(els: Client, setting: Setting) -> None:
    EnterpriseProfile.objects.filter(organisation=setting.enterprise).delete()
    response = els.get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/e-loket/eerste-gebruik/"


def test_photo_with_projects_budget_and_deposits(
    els: Client, setting: Setting, django_assert_max_num_queries
) -> None:
    first = setting.submit(idempotency_key="a")
    second = setting.submit(idempotency_key="b", title="Tweede opleiding", amount="2000.00")
    with django_assert_max_num_queries(25):
        html = els.get(URL).content.decode()
    for project in (first, second):
        assert project.number in html
        ref = project.structured_reference
        assert f"+++{ref[:3]}/{ref[3:7]}/{ref[7:]}+++" in html
        assert project.deposit_deadline.strftime("%d/%m/%Y") in html
    assert "Tweede opleiding" in html
    assert "Bevestigd" in html
    assert 'id="budget-used"' in html
    assert 'id="budget-left"' in html
    used = first.subsidy + second.subsidy
    assert f"{used:.2f}".replace(".", ",") in html.replace(".", "").replace("\u202f", "")


def test_no_n_plus_one(els: Client, setting: Setting, django_assert_max_num_queries) -> None:
    setting.submit(idempotency_key="a")
    with django_assert_max_num_queries(25) as few:
        els.get(URL)
    for key in "bcde":
        setting.submit(idempotency_key=key, amount="100.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        els.get(URL)


def test_earlier_years_are_listed(els: Client, setting: Setting) -> None:
    from decimal import Decimal

    from kmop.projects.models import SizeClassYear, YearBudget

    YearBudget.objects.create(
        organisation=setting.enterprise, year=2023, cap=Decimal("7500.00"), used=Decimal("1234.50")
    )
    SizeClassYear.objects.create(organisation=setting.enterprise, year=2023, size_class="MO")
    html = els.get(URL).content.decode()
    assert "Vorige jaren" in html
    assert '<th scope="row">2023</th>' in html
    plain = html.replace(".", "").replace("\u202f", "")
    assert "1234,50" in plain
    assert "6265,50" in plain


def _many_projects(template: Project, count: int, start: date) -> list[Project]:
    """``count`` running projects of the template's enterprise, one a day from ``start`` on (newer than the
    template), made in one statement."""
    made = []
    for i in range(count):
        copy = Project.objects.get(pk=template.pk)
        copy.pk = None
        copy.number = f"{start.year}KMO{900000 + i:06d}"
        copy.structured_reference = f"{900000000000 + i:012d}"
        copy.idempotency_key = ""
        copy.title = f"Bulkproject {i}"
        copy.status = ProjectStatus.LOPEND
        copy.application_date = start + timedelta(days=i)
        made.append(copy)
    return Project.objects.bulk_create(made)


def test_every_deposit_owed_is_shown_also_behind_many_newer_projects(els: Client, setting: Setting) -> None:
    """An old project still waiting for its deposit, behind 210 newer ones: the foto lists only the newest
    projects, but every deposit owed (the view once took them from the first 200 projects only)."""
    old = setting.submit(idempotency_key="old", title="Oude opleiding")
    _many_projects(old, 210, old.application_date + timedelta(days=1))
    html = els.get(URL).content.decode()
    deposits = html[html.index("Te storten eigen bijdragen") : html.index('id="projects-caption"')]
    assert old.number in deposits
    ref = old.structured_reference
    assert f"+++{ref[:3]}/{ref[3:7]}/{ref[7:]}+++" in deposits
    assert old.deposit_deadline.strftime("%d/%m/%Y") in deposits
    assert deposits.count("<tr>") == 2  # the head and the one deposit owed: running projects owe none
    projects = html[html.index('id="projects-caption"') :]
    assert f"Uw {PROJECTS_SHOWN} nieuwste projecten" in projects
    assert "Bulkproject 209" in projects  # the newest
    assert old.number not in projects  # too old to be among the newest
    assert projects.count('<strong class="tag">Lopend</strong>') == PROJECTS_SHOWN
    assert 'href="/e-loket/projecten/"' in projects  # all of them, with filters


def test_project_rows_link_to_each_project(els: Client, setting: Setting) -> None:
    project = setting.submit(idempotency_key="a")
    html = els.get(URL).content.decode()
    assert html.count(f'href="/e-loket/projecten/{project.number}/"') == 2  # deposits owed and projects
    assert '<strong class="tag">Bevestigd</strong>' in html
    assert "nieuwste projecten" not in html  # all of them are shown


def test_kbo_identity_is_cached_a_few_minutes(
    els: Client, setting: Setting, clock, django_assert_max_num_queries
) -> None:
    """The foto keeps the KBO identity IDENTITY_CACHE_SECONDS (5 minutes): a change in the KBO shows after
    at most that long, and the first use still reads the KBO afresh."""
    assert IDENTITY_CACHE_SECONDS <= 300
    html = els.get(URL).content.decode()
    assert "9000 X" in html
    Address.objects.filter(entity_number=B, type_of_address="REGO").update(
        zipcode="9050", municipality_nl="Gentbrugge"
    )
    with django_assert_max_num_queries(25) as cached:
        html = els.get(URL).content.decode()
    assert "9000 X" in html  # from the cache: the documented delay
    clock.shift(IDENTITY_CACHE_SECONDS + 1)
    with django_assert_max_num_queries(40) as fresh:
        html = els.get(URL).content.decode()
    assert "9050 Gentbrugge" in html
    assert "9000 X" not in html
    assert len(fresh.captured_queries) >= len(cached.captured_queries) + 4  # the KBO read again


def _size_row(html: str) -> str:
    start = html.index("Ondernemingsgrootte")
    return html[start : html.index("</div>", start)]


def test_size_class_of_the_year(els: Client, setting: Setting, django_assert_max_num_queries) -> None:
    """Not confirmed yet, confirmed (from the size class alone) and locked by the first application (read
    along with the year's budget, one statement fewer)."""
    from kmop.projects.models import SizeClassYear

    assert "nog niet bevestigd" in _size_row(els.get(URL).content.decode())
    SizeClassYear.objects.create(organisation=setting.enterprise, year=2025, size_class="KO")
    with django_assert_max_num_queries(25) as without_budget:
        row = _size_row(els.get(URL).content.decode())
    assert "kleine onderneming" in row
    assert "vastgelegd" not in row
    SizeClassYear.objects.filter(organisation=setting.enterprise).delete()
    project = setting.submit(idempotency_key="a")
    with django_assert_max_num_queries(len(without_budget.captured_queries) - 1):  # no size class query
        row = _size_row(els.get(URL).content.decode())
    assert str(project.get_size_class_display()) in row
    assert "(vastgelegd)" in row
