"""The provider's organisation data in the portal: the registered office, departments, establishments."""

from __future__ import annotations

import pytest
from django.test import Client

from kmop.audit.models import AuditEvent
from kmop.providers import services
from kmop.providers.models import Provider, ProviderDepartment, ProviderEstablishment
from tests.portal.conftest import IBAN_2, SYSTEM, World, sign_up_data

pytestmark = pytest.mark.django_db


def _department_form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "Leerwijs Academie",
        "code": "ACADEMIE",
        "contact_name": "Bart Peeters",
        "contact_email": "academie@leerwijs.example",
        "contact_phone": "",
        "iban": IBAN_2,
        "bic": "",
        "street": "",
        "house_number": "",
        "box": "",
        "postcode": "",
        "municipality": "",
    }
    data.update(overrides)
    return data


def test_overview_lists_the_registered_office_first(portal: Client, provider_with_password: Provider) -> None:
    page = portal.get("/dienstverlener/dienstverleners/").content.decode()
    assert "Dienstverleners: overzicht" in page
    assert "Klik hier voor een nieuwe dienstverlener" in page
    assert "1030 Schaarbeek" in page
    assert "Koning Albert II-Laan 30 12" in page
    assert ">MZ<" in page


def test_new_department_with_its_own_bank_account(portal: Client, provider_with_password: Provider) -> None:
    response = portal.post("/dienstverlener/dienstverleners/nieuw/", _department_form())
    assert response.status_code == 302, response.content.decode()[:3000]
    department = ProviderDepartment.objects.get(provider=provider_with_password)
    assert department.iban == IBAN_2
    page = portal.get("/dienstverlener/dienstverleners/").content.decode()
    assert "Leerwijs Academie" in page
    assert ">DEP<" in page
    event = AuditEvent.objects.get(action="providers.department.create")
    assert event.actor_label.startswith("dienstverlener-login:")


def test_department_with_a_bad_iban_changes_nothing(portal: Client, provider_with_password: Provider) -> None:
    response = portal.post("/dienstverlener/dienstverleners/nieuw/", _department_form(iban="BE00 1234"))
    assert response.status_code == 200
    assert 'id="id_iban_error"' in response.content.decode()
    assert not ProviderDepartment.objects.exists()


def test_office_edit_changes_the_bank_account_and_the_first_establishment(
    portal: Client, provider_with_password: Provider
) -> None:
    data = {k: v for k, v in sign_up_data().items() if k != "enterprise_number"}
    data.update(country="BE", legal_form="", iban=IBAN_2, street="Ellipsgebouw", postcode="1030")
    response = portal.post("/dienstverlener/dienstverleners/zetel/wijzigen/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    provider_with_password.refresh_from_db()
    assert provider_with_password.iban == IBAN_2
    office = ProviderEstablishment.objects.get(provider=provider_with_password, is_registered_office=True)
    assert office.street == "Ellipsgebouw"


def test_establishments_add_edit_delete(portal: Client, provider_with_password: Provider) -> None:
    page = portal.get("/dienstverlener/vestigingen/").content.decode()
    assert "De eerste vestiging is automatisch uw maatschappelijke zetel." in page
    address = {
        "name": "Campus Gent",
        "street": "Kortrijksesteenweg",
        "house_number": "1",
        "box": "",
        "postcode": "9000",
        "municipality": "Gent",
        "country": "BE",
    }
    assert portal.post("/dienstverlener/vestigingen/nieuw/", address).status_code == 302
    gent = ProviderEstablishment.objects.get(provider=provider_with_password, postcode="9000")
    response = portal.post(
        f"/dienstverlener/vestigingen/{gent.pk}/wijzigen/", {**address, "house_number": "5"}
    )
    assert response.status_code == 302
    gent.refresh_from_db()
    assert gent.house_number == "5"
    assert portal.post(f"/dienstverlener/vestigingen/{gent.pk}/verwijderen/").status_code == 302
    assert not ProviderEstablishment.objects.filter(pk=gent.pk).exists()


def test_the_registered_office_cannot_be_deleted(portal: Client, provider_with_password: Provider) -> None:
    office = ProviderEstablishment.objects.get(provider=provider_with_password, is_registered_office=True)
    portal.post(f"/dienstverlener/vestigingen/{office.pk}/verwijderen/")
    assert ProviderEstablishment.objects.filter(pk=office.pk).exists()


def test_an_establishment_without_postcode_is_refused(
    portal: Client, provider_with_password: Provider
) -> None:
    response = portal.post(
        "/dienstverlener/vestigingen/nieuw/",
        {"street": "Straat", "house_number": "1", "postcode": "", "municipality": "Gent", "country": "BE"},
    )
    assert response.status_code == 200
    assert 'id="id_postcode_error"' in response.content.decode()
    assert ProviderEstablishment.objects.filter(provider=provider_with_password).count() == 1


def test_another_providers_establishment_and_department_are_not_found(
    portal: Client, provider_with_password: Provider, world: World
) -> None:
    other = services.provider_sign_up(
        actor=SYSTEM, **sign_up_data(enterprise_number=world.b.code, legal_name="Ander BV")
    )
    other_department = services.department_create(
        actor=SYSTEM,
        provider=other,
        code="X",
        name="Ander departement",
        contact_name="X",
        contact_email="x@ander.example",
        iban=IBAN_2,
    )
    establishment = ProviderEstablishment.objects.get(provider=other)
    assert portal.get(f"/dienstverlener/vestigingen/{establishment.pk}/").status_code == 404
    assert portal.post(f"/dienstverlener/vestigingen/{establishment.pk}/verwijderen/").status_code == 404
    assert portal.get(f"/dienstverlener/dienstverleners/{other_department.pk}/").status_code == 404
    response = portal.post(
        f"/dienstverlener/dienstverleners/{other_department.pk}/wijzigen/",
        _department_form(name="Gekaapt"),
    )
    assert response.status_code == 404
    other_department.refresh_from_db()
    assert other_department.name == "Ander departement"
    assert ProviderEstablishment.objects.filter(pk=establishment.pk).exists()


@pytest.fixture
def department_user(client: Client, provider: Provider, world: World, app_manager):
    """Jonas with the departments right for "Leerwijs Academie" only (the right activated for A)."""
    from kmop.idm import services as idm_services
    from tests.eloket.conftest import login
    from tests.portal.conftest import JONAS

    idm_services.organisation_departments_right_set(actor=app_manager, organisation=world.a, activated=True)
    academie = services.department_create(
        actor=SYSTEM,
        provider=provider,
        code="ACADEMIE",
        name="Leerwijs Academie",
        contact_name="Bart",
        contact_email="academie@leerwijs.example",
        iban=IBAN_2,
    )
    services.department_create(
        actor=SYSTEM,
        provider=provider,
        code="LABO",
        name="Leerwijs Labo",
        contact_name="Sofie",
        contact_email="labo@leerwijs.example",
        iban=IBAN_2,
    )
    idm_services.right_grant_create(
        actor=SYSTEM,
        work_relation=world.relation(JONAS, world.a),
        right_code="DienstverlenerKmoPortefeuilleDepartementen",
        context_values=["ACADEMIE"],
    )
    login(client, JONAS)
    return academie


def test_departments_right_sees_and_changes_only_its_department(client: Client, department_user) -> None:
    menu = client.get("/dienstverlener/")
    assert menu.status_code == 200
    assert "Vestigingen beheren" not in menu.content.decode()
    page = client.get("/dienstverlener/dienstverleners/").content.decode()
    assert "Leerwijs Academie" in page
    assert "Leerwijs Labo" not in page
    assert "Klik hier voor een nieuwe dienstverlener" not in page
    labo = ProviderDepartment.objects.get(department__code="LABO")
    assert client.get(f"/dienstverlener/dienstverleners/{labo.pk}/").status_code == 404
    assert client.get("/dienstverlener/dienstverleners/zetel/wijzigen/").status_code == 403
    assert (
        client.post("/dienstverlener/dienstverleners/nieuw/", _department_form(code="NIEUW")).status_code
        == 403
    )
    assert client.get("/dienstverlener/vestigingen/").status_code == 403
    response = client.post(
        f"/dienstverlener/dienstverleners/{department_user.pk}/wijzigen/",
        _department_form(contact_name="Jonas Janssens"),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    department_user.refresh_from_db()
    assert department_user.contact_name == "Jonas Janssens"
