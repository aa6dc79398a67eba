from __future__ import annotations

from django.test import Client
from django.urls import reverse

from kmop.projects.models import EnterpriseProfile
from tests.eloket.conftest import Setting

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
