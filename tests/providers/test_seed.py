"""The providers' seed step: the demo providers (through the services, idempotent) and the population of
``--scale N`` (about N/100 providers, consistent with the registers and the IDM, deterministic)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import Client, override_settings

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.idm.models import Department, Organisation
from kmop.providers import selectors
from kmop.providers.models import (
    BASES_BY_SERVICE,
    Provider,
    ProviderDepartment,
    ProviderEstablishment,
    Registration,
    RegistrationEvent,
)
from kmop.providers.seed_steps import seed_providers_at_scale
from kmop.registers.numbers import validate_enterprise_number, validate_iban

pytestmark = pytest.mark.django_db(transaction=True)

LEERWIJS, LERNWERK = "0934567878", "0945678932"


def test_seed_demo_makes_the_demo_providers_and_is_idempotent(tmp_path: Path) -> None:
    with override_settings(VAR_DIR=tmp_path):
        call_command("seed", "--scale", "demo", "--jobs", "1", stdout=io.StringIO())
        counts = (
            Provider.objects.count(),
            Registration.objects.count(),
            ProviderEstablishment.objects.count(),
        )
        out = io.StringIO()
        call_command("seed", "--scale", "demo", "--jobs", "1", stdout=out)
    assert "demo providers: 0 made" in out.getvalue()
    assert (
        Provider.objects.count(),
        Registration.objects.count(),
        ProviderEstablishment.objects.count(),
    ) == counts

    leerwijs = Provider.objects.get(enterprise_number=LEERWIJS)
    lernwerk = Provider.objects.get(enterprise_number=LERNWERK)
    assert lernwerk.is_foreign
    assert lernwerk.iban.startswith("DE")
    assert not leerwijs.is_foreign
    assert leerwijs.organisation.departments_right_activated
    statuses = {
        (
            r.provider.enterprise_number,
            r.department.department.code if r.department else "",
            r.service,
        ): r.status
        for r in Registration.objects.select_related("provider", "department__department")
    }
    assert statuses == {
        (LEERWIJS, "", "opleiding"): "G",
        (LEERWIJS, "", "advies"): "L",
        (LEERWIJS, "ACADEMIE", "opleiding"): "G",
        (LEERWIJS, "ACADEMIE", "advies"): "A",
        (LERNWERK, "", "opleiding"): "G",
        (LERNWERK, "", "advies"): "S",
    }
    (academie,) = ProviderDepartment.objects.filter(provider=leerwijs)
    department_registration = Registration.objects.get(department=academie, service="opleiding")
    assert selectors.payout_iban(department_registration) == academie.iban != leerwijs.iban
    assert selectors.registration_for_application(department_registration.number, "opleiding", date.today())
    assert AuditEvent.objects.filter(action="providers.provider.sign_up").count() == 2
    assert [e.is_registered_office for e in selectors.provider_establishments(leerwijs)] == [True, False]
    # "Login dienstverleners" works for the demo providers, and the demo page says how
    from kmop.providers.seed_steps import DEMO_PROVIDER_PASSWORD
    from kmop.providers.services import provider_check_password

    assert provider_check_password(leerwijs, DEMO_PROVIDER_PASSWORD)
    with override_settings(DEMO_MODE=True):
        page = Client().get("/demo/personen/").content.decode()
    assert f"<code>{leerwijs.login}</code>" in page
    assert DEMO_PROVIDER_PASSWORD in page
    client = Client()
    response = client.post(
        "/dienstverlener/login/", {"login": leerwijs.login, "password": DEMO_PROVIDER_PASSWORD}
    )
    assert response.status_code == 302
    assert "Dienstverlener: menu" in client.get("/dienstverlener/").content.decode()


def test_seed_at_scale_has_the_scale_is_consistent_and_deterministic(tmp_path: Path) -> None:
    with override_settings(VAR_DIR=tmp_path):
        out = io.StringIO()
        call_command("seed", "--scale", "2000", "--jobs", "1", stdout=out)
    assert "providers" in out.getvalue()
    day = date(2026, 3, 2)
    counts = seed_providers_at_scale(scale=2000, seed=1, actor=Actor.system("test"), today=day)
    # what other apps kept about the earlier seed's providers (the e-loket's projects, ...) went with them
    for rel in Registration._meta.related_objects:
        if rel.related_model._meta.app_label != "providers":
            assert not rel.related_model._default_manager.exists(), rel.related_model
    assert counts["providers"] == Provider.objects.count() == 20
    assert counts["registrations"] == Registration.objects.count() == RegistrationEvent.objects.count()
    assert ProviderEstablishment.objects.filter(is_registered_office=True).count() == 20
    # every provider is an organisation of the IDM, with its enterprise number and a valid IBAN
    for provider in Provider.objects.select_related("organisation"):
        assert (
            provider.organisation.code
            == provider.enterprise_number
            == validate_enterprise_number(provider.enterprise_number)
        )
        assert validate_iban(provider.iban) == provider.iban
    for department in ProviderDepartment.objects.select_related("department"):
        assert department.department.organisation_id == department.provider.organisation_id
        assert validate_iban(department.iban)
    # registrations: numbers of one sequence, statuses consistent with their dates on the day
    numbers = sorted(int(n[4:]) for n in Registration.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    for registration in Registration.objects.all():
        assert registration.basis in BASES_BY_SERVICE[registration.service]
        if registration.status in ("G", "G/V"):
            assert registration.is_valid_on(day)
        if registration.status in ("L", "L/H"):
            assert registration.valid_until is not None
            assert registration.valid_until <= day
    assert (
        Registration.objects.values("provider", "department", "service")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
        == 0
    )
    rows = list(
        Registration.objects.order_by("id").values_list("number", "provider__enterprise_number", "status")
    )
    again = seed_providers_at_scale(scale=2000, seed=1, actor=Actor.system("test"), today=day)
    assert again == counts
    assert (
        list(
            Registration.objects.order_by("id").values_list("number", "provider__enterprise_number", "status")
        )
        == rows
    )
    assert Department.objects.count() == ProviderDepartment.objects.count()
    assert Organisation.objects.filter(provider__isnull=False).count() == 20
