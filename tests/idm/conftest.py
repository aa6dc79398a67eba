"""Fixtures of the IDM tests: a small world of enterprises in the KBO, persons in the national register,
legal functions, and VLAIO; the clock stands still on 10 March 2025 unless a test moves it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from kmop.acm.models import User
from kmop.audit.services import Actor
from kmop.idm import services
from kmop.idm.models import Organisation, Person, TargetGroup, WorkRelation
from kmop.registers.models import Enterprise, LegalFunction, LegalFunctionCode, NationalRegisterPerson

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2025, 3, 10, 10, 0, tzinfo=BRUSSELS)
TODAY = date(2025, 3, 10)
SYSTEM = Actor.system("tests")

# valid numbers (python-stdnum), the demo personas' ones
SOFIE = "79051499882"  # legal representative of A (a BV: legal person)
JONAS = "92110299779"  # employee of A
PIETER = "85022099708"  # local administrator of A
ELS = "75093099831"  # legal representative of B
TOM = "88070999748"  # sole trader: natural-person enterprise N
AN = "83041899839"  # VLAIO staff
BART = "78120199716"  # VLAIO application manager
KLAUS = "70431299726"  # BIS number
NOBODY = "90010100123"  # valid, but not in the national register
A, B, N = "0912345673", "0934567878", "0923456727"
VLAIO = "OVO003112"


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@dataclass
class World:
    a: Organisation
    b: Organisation
    n: Organisation
    vlaio: Organisation

    def person(self, number: str) -> Person:
        return services.person_add_by_number(actor=SYSTEM, organisation=self.a, number=number)

    def relation(self, number: str, organisation: Organisation, **kwargs: object) -> WorkRelation:
        person = self.person(number)
        defaults: dict[str, object] = {"category": "vast", "phone": "+3292223344", "email": "x@example.org"}
        if organisation.target_group == TargetGroup.GOVERNMENT:
            defaults["category"] = "ambtenaar"
        defaults.update(kwargs)
        return services.work_relation_create(
            actor=SYSTEM,
            person=person,
            organisation=organisation,
            **defaults,  # type: ignore[arg-type]
        )


def actor(number: str, organisation_code: str = "") -> Actor:
    user, _ = User.objects.get_or_create(username=f"u{number}", defaults={"national_number": number})
    return Actor.from_user(user, organisation_code)


def make_enterprise(number: str, *, natural: bool = False, status: str = "AC") -> None:
    Enterprise.objects.update_or_create(
        pk=number,
        defaults={
            "status": status,
            "juridical_situation": "000",
            "type_of_enterprise": "1" if natural else "2",
            "juridical_form": None if natural else "610",
            "start_date": date(2014, 3, 3),
        },
    )


@pytest.fixture
def world(db: None, clock: time_machine.Traveller) -> World:
    services.right_definitions_load(actor=SYSTEM)  # a transactional test flushes what the migration loaded
    for number, first, last in (
        (SOFIE, "Sofie", "Verhaeghe"),
        (JONAS, "Jonas", "De Smet"),
        (PIETER, "Pieter", "Claes"),
        (ELS, "Els", "Maes"),
        (TOM, "Tom", "Peeters"),
        (AN, "An", "Wouters"),
        (BART, "Bart", "Jacobs"),
        (KLAUS, "Klaus", "Becker"),
    ):
        NationalRegisterPerson.objects.update_or_create(
            pk=number, defaults={"first_name": first, "last_name": last, "birth_date": None, "sex": "X"}
        )
    LegalFunctionCode.objects.update_or_create(
        code="10002", defaults={"label_nl": "Bestuurder", "label_en": "Director", "represents": True}
    )
    LegalFunctionCode.objects.update_or_create(
        code="00099", defaults={"label_nl": "Commissaris", "label_en": "Auditor", "represents": False}
    )
    make_enterprise(A)
    make_enterprise(B)
    make_enterprise(N, natural=True)
    for enterprise, person, code in (
        (A, SOFIE, "10002"),
        (B, ELS, "10002"),
        (N, TOM, "10002"),
        (B, JONAS, "00099"),
    ):
        LegalFunction.objects.create(
            enterprise_id=enterprise, person_number=person, function_id=code, start_date=date(2014, 3, 3)
        )
    return World(
        a=services.organisation_for_enterprise(actor=SYSTEM, enterprise_number=A),
        b=services.organisation_for_enterprise(actor=SYSTEM, enterprise_number=B),
        n=services.organisation_for_enterprise(actor=SYSTEM, enterprise_number=N),
        vlaio=services.organisation_create_government(actor=SYSTEM, code=VLAIO, name="VLAIO"),
    )


#: the ``acr`` of a login at level high (eID) and at level substantial (a security code): the
#: Toepassingsbeheerder's powers over other organisations need the first (IAM.md)
HIGH_ACR = "urn:be:vlaanderen:authmech:eid"
SUBSTANTIAL_ACR = "urn:be:vlaanderen:authmech:csamtotp"


@pytest.fixture
def app_manager(world: World) -> Actor:
    """Bart: Toepassingsbeheerder on VLAIO, logged in with eID (level high)."""
    relation = world.relation(BART, world.vlaio)
    services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code="VLAIOInkomToepassingsbeheerder"
    )
    return dataclasses.replace(actor(BART, VLAIO), acr=HIGH_ACR)
