"""Fixtures of the providers tests: the IDM's small world (tests/idm/conftest.py: enterprises A, B, N in the
KBO, persons, VLAIO; the clock on 10 March 2025) with enterprise A signed up as a provider."""

from __future__ import annotations

from typing import Any

import pytest

from kmop.audit.services import Actor
from kmop.idm import services as idm_services
from kmop.providers import services
from kmop.providers.models import Provider, Registration
from tests.idm.conftest import (  # noqa: F401  (fixtures)
    AN,
    BART,
    JONAS,
    SOFIE,
    SYSTEM,
    TODAY,
    VLAIO,
    A,
    World,
    actor,
    app_manager,
    clock,
    world,
)

IBAN = "BE71096123456769"
IBAN_2 = "BE68793230773034"


def sign_up_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "enterprise_number": A,
        "legal_name": "Leerwijs BV",
        "street": "Koning Albert II-Laan",
        "house_number": "30",
        "box": "12",
        "postcode": "1030",
        "municipality": "Schaarbeek",
        "contact_name": "Sofie Verhaeghe",
        "contact_email": "info@leerwijs.example",
        "contact_phone": "02 553 37 41",
        "iban": "BE71 0961 2345 6769",
        "bic": "gkccbebb",
        "fields_of_expertise": "Digitalisering, boekhouding",
        "presentation": "Opleidingen voor kmo's.",
    }
    data.update(overrides)
    return data


@pytest.fixture
def provider(world: World) -> Provider:  # noqa: F811
    return services.provider_sign_up(actor=SYSTEM, **sign_up_data())


@pytest.fixture
def staff(world: World) -> Actor:  # noqa: F811
    """An: VLAIO staff (VLAIOInkomGebruiker, Medewerker) decides on registrations."""
    relation = world.relation(AN, world.vlaio)
    idm_services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code="VLAIOInkomGebruiker", context_values=["Medewerker"]
    )
    return actor(AN, VLAIO)


@pytest.fixture
def provider_user(world: World, provider: Provider) -> Actor:  # noqa: F811
    """Jonas: works for A with the profile Dienstverlener kmo-portefeuille."""
    relation = world.relation(JONAS, world.a)
    idm_services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["DienstverlenerKmoPortefeuille"],
    )
    return actor(JONAS, A)


def passed_audit(registration: Registration) -> None:
    """A passing audit report of the registration's current request (every indicator T/V; a first
    request's starter track kept), as staff enter it before a person may approve a private provider."""
    from django.utils import timezone

    from kmop.providers.audits import audit_report_record
    from kmop.providers.models import Indicator, RegistrationStatus

    starter = registration.status == RegistrationStatus.REQUESTED and registration.is_starter
    audit_report_record(
        actor=SYSTEM,
        registration=registration,
        audit_body="bqa",
        audit_date=timezone.localdate(),
        scores=dict.fromkeys(Indicator.values, ("T", "V")),
        starter=starter,
    )
