"""Fixtures of the projects tests: the IDM's small world (tests/idm/conftest.py: enterprises A, B, N, persons,
VLAIO; the clock on 10 March 2025) with A signed up as a provider with a valid registration for opleiding
(``DV.O000001``) and advies (``DV.A000002``), and B an eligible enterprise (a BV in Gent, main activity 62010)
with a completed profile; Els (legal representative of B) applies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kmop.audit.services import Actor
from kmop.idm import services as idm_services
from kmop.idm.models import Organisation
from kmop.projects import services
from kmop.projects.models import EnterpriseProfile, Project
from kmop.providers import services as provider_services
from kmop.providers.models import Provider, Registration
from kmop.registers.models import Activity, Address
from kmop.schemes import services as scheme_services
from tests.idm.conftest import (  # noqa: F401  (fixtures)
    AN,
    BART,
    ELS,
    JONAS,
    SOFIE,
    SYSTEM,
    TODAY,
    VLAIO,
    A,
    B,
    World,
    actor,
    app_manager,
    clock,
    world,
)
from tests.providers.conftest import sign_up_data


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    scheme_services.clear_cache()
    yield
    scheme_services.clear_cache()


def make_registration(provider: Provider, number: str, service: str, **overrides: Any) -> Registration:
    now = timezone.now()
    data: dict[str, Any] = {
        "number": number,
        "provider": provider,
        "service": service,
        "basis": "prive",
        "status": "G",
        "valid_from": date(2016, 1, 1),
        "valid_until": date(2030, 1, 1),
        "requested_at": now,
        "decided_at": now,
        "status_changed_at": now,
    }
    data.update(overrides)
    return Registration.objects.create(**data)


def make_eligible(number: str, zipcode: str = "9000", nace: str = "62010") -> None:
    Address.objects.create(entity_number=number, type_of_address="REGO", zipcode=zipcode, municipality_nl="X")
    Activity.objects.create(
        entity_number=number, activity_group="001", nace_version="2008", nace_code=nace, classification="MAIN"
    )


@dataclass
class Setting:
    world: World
    provider: Provider
    training: Registration
    advice: Registration
    enterprise: Organisation
    els: Actor
    staff: Actor
    sofie: Actor

    def application(self, **overrides: Any) -> dict[str, Any]:
        data: dict[str, Any] = {
            "organisation": self.enterprise,
            "registration": self.training.number,
            "service": "opleiding",
            "theme": "bedrijfsstrategie",
            "subtheme": "",
            "training_type": "klassikaal",
            "title": "Strategische planning voor kmo's",
            "start_date": date(2025, 3, 3),
            "hours": Decimal("16"),
            "amount": Decimal("1000.00"),
            "participants": 2,
            "size_class": "KO",
        }
        data.update(overrides)
        return data

    def preview_args(self, **overrides: Any) -> dict[str, Any]:
        data = self.application(**overrides)
        for name in ("training_type", "hours", "participants"):
            data.pop(name)
        return data

    def submit(self, **overrides: Any) -> Project:
        return services.application_submit(
            actor=overrides.pop("actor", self.els), **self.application(**overrides)
        )


@pytest.fixture
def setting(world: World) -> Setting:  # noqa: F811
    provider = provider_services.provider_sign_up(actor=SYSTEM, **sign_up_data())
    training = make_registration(provider, "DV.O000001", "opleiding")
    advice = make_registration(provider, "DV.A000002", "advies")
    make_eligible(B)
    EnterpriseProfile.objects.create(
        organisation=world.b,
        iban="BE68539007547034",
        nace_code="62010",
        contact_name="Els Maes",
        contact_email="els@b.example",
        contact_phone="+3292223344",
        completed_at=timezone.now(),
    )
    relation = world.relation(AN, world.vlaio)
    idm_services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code="VLAIOInkomGebruiker", context_values=["Medewerker"]
    )
    return Setting(
        world=world,
        provider=provider,
        training=training,
        advice=advice,
        enterprise=world.b,
        els=actor(ELS, B),
        staff=actor(AN, VLAIO),
        sofie=actor(SOFIE, A),
    )
