"""The back office's provider pages: search, detail, and the departments right (application manager)."""

from __future__ import annotations

import pytest
from django.test import Client

from kmop.audit.models import AuditEvent
from kmop.idm import services as idm_services
from kmop.idm.models import Organisation, WorkRelation
from tests.backoffice.conftest import Setting, login
from tests.projects.conftest import AN, SYSTEM

pytestmark = pytest.mark.django_db


def _make_app_manager(setting: Setting) -> None:
    idm_services.right_grant_create(
        actor=SYSTEM,
        work_relation=WorkRelation.objects.get(person__national_number=AN, organisation=setting.world.vlaio),
        right_code="VLAIOInkomToepassingsbeheerder",
    )


def test_search_and_detail(staff: Client, setting: Setting) -> None:
    provider = setting.provider
    page = staff.get("/backoffice/dienstverleners/", {"q": provider.legal_name[:5]}).content.decode()
    assert provider.legal_name in page
    page = staff.get("/backoffice/dienstverleners/", {"q": provider.enterprise_number}).content.decode()
    assert f"/backoffice/dienstverleners/{provider.pk}/" in page
    detail = staff.get(f"/backoffice/dienstverleners/{provider.pk}/").content.decode()
    assert "DV.O000001" in detail
    assert "Niet geactiveerd" in detail
    assert "Departementenrecht activeren" not in detail  # a Medewerker is no application manager
    assert staff.get("/backoffice/dienstverleners/999999/").status_code == 404


def test_a_medewerker_cannot_activate_the_departments_right(staff: Client, setting: Setting) -> None:
    response = staff.post(
        f"/backoffice/dienstverleners/{setting.provider.pk}/", {"activeren": "1", "reason": "x"}
    )
    assert response.status_code == 403
    assert not Organisation.objects.get(pk=setting.provider.organisation_id).departments_right_activated


def test_application_manager_activates_the_departments_right_with_a_reason(
    client: Client, setting: Setting
) -> None:
    _make_app_manager(setting)
    login(client, AN)
    url = f"/backoffice/dienstverleners/{setting.provider.pk}/"
    response = client.post(url, {"activeren": "1", "reason": ""})
    assert response.status_code == 200
    assert "Geef de reden van deze beslissing." in response.content.decode()
    assert not Organisation.objects.get(pk=setting.provider.organisation_id).departments_right_activated
    response = client.post(url, {"activeren": "1", "reason": "Kennisinstelling met faculteiten"})
    assert response.status_code == 302
    assert Organisation.objects.get(pk=setting.provider.organisation_id).departments_right_activated
    event = AuditEvent.objects.filter(reason="Kennisinstelling met faculteiten").get()
    assert event.actor.national_number == AN
    assert "Geactiveerd op" in client.get(url).content.decode()


def test_an_enterprise_user_cannot_see_the_provider_pages(els: Client, setting: Setting) -> None:
    assert els.get("/backoffice/dienstverleners/").status_code == 403


def test_the_departments_right_form_needs_an_explicit_choice(client: Client, setting: Setting) -> None:
    _make_app_manager(setting)
    login(client, AN)
    url = f"/backoffice/dienstverleners/{setting.provider.pk}/"
    assert client.post(url, {"activeren": "ja", "reason": "x"}).status_code == 400
    assert not Organisation.objects.get(pk=setting.provider.organisation_id).departments_right_activated


# --- issue 6 §3: the provider's projects, payments and history (the enterprise page's sections) ------------


def test_the_provider_page_shows_projects_payments_and_history(staff: Client, setting: Setting) -> None:
    from kmop.wallet import services as wallet_services
    from tests.backoffice.conftest import deposited

    project = deposited(setting)
    other = setting.submit(title="Nog niet gestort")
    payout = wallet_services.payment_order_create(
        actor=setting.els, project=project, invoice_number="F2025-017", amount="400.00"
    )
    html = staff.get(f"/backoffice/dienstverleners/{setting.provider.pk}/").content.decode()
    assert project.number in html
    assert other.number in html
    assert f"/backoffice/ondernemingen/{setting.enterprise.code}/" in html  # each project's enterprise
    assert "F2025-017" in html
    assert "€ 400,00" in html
    assert payout.iban in html
    assert "nog niet uitbetaald" in html
    assert "providers.provider.sign_up" in html  # the history
    assert "annuleren/" not in html  # cancelling is on the enterprise's page


def test_the_provider_page_has_a_bounded_number_of_queries(
    staff: Client, setting: Setting, django_assert_max_num_queries
) -> None:
    from kmop.wallet import services as wallet_services
    from tests.backoffice.conftest import deposited

    url = f"/backoffice/dienstverleners/{setting.provider.pk}/"
    project = deposited(setting)
    wallet_services.payment_order_create(
        actor=setting.els, project=project, invoice_number="F1", amount="10.00"
    )
    staff.get(url)
    with django_assert_max_num_queries(40) as few:
        assert staff.get(url).status_code == 200
    for i in range(6):
        project = deposited(setting)
        wallet_services.payment_order_create(
            actor=setting.els, project=project, invoice_number=f"F{i + 2}", amount="10.00"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert staff.get(url).status_code == 200


def test_the_provider_projects_are_paged(staff: Client, setting: Setting) -> None:
    from decimal import Decimal

    for _ in range(26):
        setting.submit(amount=Decimal("200.00"))  # 26 subsidies within the year's cap
    url = f"/backoffice/dienstverleners/{setting.provider.pk}/"
    html = staff.get(url).content.decode()
    assert "26 projecten." in html
    assert "projecten=2#projecten" in html
    second = staff.get(url, {"projecten": "2"}).content.decode()
    assert "2025KMO000001" in second  # the oldest, alone on the second page
    assert "2025KMO000026" not in second
