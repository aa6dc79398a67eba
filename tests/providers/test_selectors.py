"""The selectors the e-loket uses: a registration for an application on a day, the providers to choose from,
the payout account; and the overviews of the portal."""

from __future__ import annotations

from datetime import date

import pytest

from kmop.providers import selectors, services
from kmop.providers.models import Provider, Registration, status_legend
from kmop.providers.services import Decision
from tests.idm.conftest import SYSTEM, B, World
from tests.providers.conftest import IBAN_2, sign_up_data

pytestmark = pytest.mark.django_db


def _approved(provider: Provider, service: str = "opleiding") -> Registration:
    registration = services.registration_request(
        actor=SYSTEM, provider=provider, service=service, basis="prive"
    )
    return services.registration_decide(
        actor=SYSTEM,
        registration=registration,
        decision=Decision.APPROVE,
        reason="ok",
        valid_from=date(2025, 1, 1),
    )


def test_registration_for_application_only_g_or_g_v_on_the_day(provider: Provider) -> None:
    registration = _approved(provider)  # valid 1/1/2025 up to 1/1/2030
    number = registration.number
    assert selectors.registration_for_application(number, "opleiding", date(2025, 1, 1)) == registration
    assert (
        selectors.registration_for_application(number.lower(), "opleiding", date(2029, 12, 31))
        == registration
    )
    assert (
        selectors.registration_for_application(number.replace(".", " "), "opleiding", date(2026, 1, 1))
        == registration
    )
    assert selectors.registration_for_application(number, "opleiding", date(2024, 12, 31)) is None
    assert selectors.registration_for_application(number, "opleiding", date(2030, 1, 1)) is None
    assert selectors.registration_for_application(number, "advies", date(2026, 1, 1)) is None
    assert selectors.registration_for_application("DV.O999999", "opleiding", date(2026, 1, 1)) is None
    for status in ("A", "N", "L", "L/H", "S", "U", "T"):
        Registration.objects.filter(pk=registration.pk).update(status=status)
        assert selectors.registration_for_application(number, "opleiding", date(2026, 1, 1)) is None, status
    Registration.objects.filter(pk=registration.pk).update(status="G/V")
    assert selectors.registration_for_application(number, "opleiding", date(2026, 1, 1)) == registration


def test_providers_for_application_searches_name_number_and_registration(
    provider: Provider, world: World
) -> None:
    other = services.provider_sign_up(
        actor=SYSTEM, **sign_up_data(enterprise_number=B, legal_name="Adviesbureau Maes", iban=IBAN_2)
    )
    mine = _approved(provider)
    theirs = _approved(other)
    _approved(other, "advies")
    services.registration_request(
        actor=SYSTEM, provider=provider, service="advies", basis="prive"
    )  # A: not listed
    day = date(2026, 1, 1)
    assert list(selectors.providers_for_application("opleiding", day)) == [theirs, mine]
    assert list(selectors.providers_for_application("opleiding", day, "leerwijs")) == [mine]
    assert list(selectors.providers_for_application("opleiding", day, "0934.567")) == [theirs]
    assert list(selectors.providers_for_application("opleiding", day, mine.number.lower())) == [mine]
    assert [r.provider for r in selectors.providers_for_application("advies", day)] == [other]
    assert list(selectors.providers_for_application("opleiding", date(2030, 1, 1))) == []


def test_overview_all_or_active_and_the_legend(provider: Provider) -> None:
    opleiding = _approved(provider)
    advies = services.registration_request(actor=SYSTEM, provider=provider, service="advies", basis="prive")
    services.registration_decide(
        actor=SYSTEM, registration=advies, decision=Decision.REFUSE, reason="geen audit"
    )
    assert list(selectors.provider_registrations(provider)) == [advies, opleiding]
    assert list(selectors.provider_registrations(provider, active_only=True)) == [opleiding]
    assert status_legend() == [
        ("A", "Aangevraagd"),
        ("G", "Goedgekeurd"),
        ("G/V", "Goedgekeurd (Verlenging aangevraagd)"),
        ("N", "Geweigerd"),
        ("L", "Verlopen"),
        ("L/H", "Verlopen (Hernieuwing aangevraagd)"),
        ("S", "Geschorst"),
        ("U", "Uitgesloten"),
        ("T", "Gestopt"),
    ]
    assert selectors.registered_services(provider) == {"opleiding"}
    assert list(selectors.pending_registrations()) == []


def test_search_providers_by_name_service_field_and_place(provider: Provider) -> None:
    assert list(selectors.search_providers(on=date(2026, 1, 1))) == []  # no valid registration yet
    _approved(provider)
    services.establishment_add(
        actor=SYSTEM,
        provider=provider,
        street="Kerkstraat",
        house_number="1",
        postcode="9000",
        municipality="Gent",
    )
    day = date(2026, 1, 1)
    assert list(selectors.search_providers(on=day, name="leerw")) == [provider]
    assert list(selectors.search_providers(on=day, service="advies")) == []
    assert list(selectors.search_providers(on=day, field="boekhouding")) == [provider]
    assert list(selectors.search_providers(on=day, postcode="9000")) == [provider]
    assert list(selectors.search_providers(on=day, municipality="schaarbeek")) == [provider]
    assert list(selectors.search_providers(on=day, postcode="3000")) == []
