"""Effective rights, "aanmelden als", administrators, expiring rights and toekenning opzoeken."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine

from kmop.audit.services import Actor
from kmop.idm import selectors, services
from kmop.idm.models import Organisation
from kmop.registers.models import LegalFunction
from tests.idm.conftest import (
    AN,
    BRUSSELS,
    ELS,
    JONAS,
    KLAUS,
    NOW,
    PIETER,
    SOFIE,
    SYSTEM,
    TODAY,
    TOM,
    VLAIO,
    World,
    make_enterprise,
)

pytestmark = pytest.mark.django_db


def grant(
    world: World, number: str, organisation: Organisation, profile: str = "Gebruiker", **kwargs: object
):  # type: ignore[no-untyped-def]
    relation = world.relation(number, organisation)
    (created,) = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=[profile],
        **kwargs,
    )
    return created


def roles(number: str, at: datetime | None = None) -> list[str]:
    return sorted(g.role for g in selectors.effective_grants_of(number, at=at))


def test_a_granted_right_is_effective(world: World) -> None:
    grant(world, JONAS, world.a)
    assert roles(JONAS) == [f"VLAIOInkomGebruikerNieuw-Gebruiker:{world.a.code}"]


def test_a_paused_relation_suspends_its_rights_at_once(world: World, clock: time_machine.Traveller) -> None:
    created = grant(world, JONAS, world.a)
    services.work_relation_pause(actor=SYSTEM, work_relation=created.work_relation)
    assert roles(JONAS) == []
    clock.shift(timedelta(days=3))
    services.work_relation_resume(actor=SYSTEM, work_relation=created.work_relation)
    assert roles(JONAS) != []
    # and the past stays as it was: paused one day after the pause began
    assert roles(JONAS, at=NOW + timedelta(days=1)) == []
    assert roles(JONAS, at=NOW - timedelta(minutes=1)) != []


def test_an_ended_right_stops_at_once(world: World, clock: time_machine.Traveller) -> None:
    created = grant(world, JONAS, world.a)
    clock.shift(timedelta(hours=1))
    services.right_grant_end(actor=SYSTEM, grant=created)
    assert roles(JONAS) == []  # on the same day
    assert roles(JONAS, at=NOW) != []  # an hour ago it still worked


def test_an_expired_right_is_not_effective(world: World, clock: time_machine.Traveller) -> None:
    grant(world, JONAS, world.a)
    clock.move_to(datetime(2029, 3, 10, 23, 0, tzinfo=BRUSSELS))
    assert roles(JONAS) != []  # the end date is inclusive
    clock.move_to(datetime(2029, 3, 11, 0, 30, tzinfo=BRUSSELS))
    assert roles(JONAS) == []


def test_a_future_right_is_not_effective_yet(world: World, clock: time_machine.Traveller) -> None:
    grant(world, JONAS, world.a, begin_date=date(2025, 4, 1))
    assert roles(JONAS) == []
    clock.move_to(date(2025, 4, 1))
    assert roles(JONAS) != []


def test_an_ended_relation_ends_the_rights(world: World) -> None:
    created = grant(world, JONAS, world.a)
    services.work_relation_end(actor=SYSTEM, work_relation=created.work_relation)
    assert roles(JONAS) == []


def test_an_inactive_organisation_gives_no_rights(world: World) -> None:
    grant(world, JONAS, world.a)
    make_enterprise(world.a.code, status="ST")  # stopped in the KBO
    assert roles(JONAS) == []
    make_enterprise(world.a.code)
    Organisation.objects.filter(pk=world.a.pk).update(active=False)  # or switched off by us
    assert roles(JONAS) == []


def test_an_organisation_not_in_the_kbo_counts_as_active(world: World) -> None:
    from kmop.registers.models import Enterprise

    grant(world, JONAS, world.a)
    Enterprise.objects.filter(pk=world.a.code).delete()
    assert roles(JONAS) != []


# --- aanmelden als --------------------------------------------------------------------------------------


def test_a_legal_person_representative_acts_without_a_grant(world: World) -> None:
    (option,) = selectors.acting_options(SOFIE)
    assert option.code == world.a.code
    assert option.legal_representative
    assert option.role_claims == [f"VLAIOInkomGebruikerNieuw-Gebruiker:{world.a.code}"]


def test_a_natural_person_representative_needs_a_grant(world: World) -> None:
    assert selectors.acting_options(TOM) == []
    grant(world, TOM, world.n)
    (option,) = selectors.acting_options(TOM)
    assert option.code == world.n.code
    assert not option.legal_representative


def test_a_non_representing_function_gives_no_access(world: World) -> None:
    assert selectors.acting_options(JONAS) == []  # Commissaris of B


def test_an_ended_legal_function_gives_no_access(world: World) -> None:
    LegalFunction.objects.filter(person_number=SOFIE).update(end_date=TODAY - timedelta(days=1))
    assert selectors.acting_options(SOFIE) == []


def test_acting_options_of_an_employee_of_two_organisations(world: World) -> None:
    grant(world, JONAS, world.a)
    grant(world, JONAS, world.b, profile="DienstverlenerKmoPortefeuille")
    options = selectors.acting_options(JONAS)
    assert {o.code: o.roles for o in options} == {
        world.a.code: ("VLAIOInkomGebruikerNieuw-Gebruiker",),
        world.b.code: ("VLAIOInkomGebruikerNieuw-DienstverlenerKmoPortefeuille",),
    }


def test_a_representative_with_a_grant_gets_both_roles(world: World) -> None:
    grant(world, ELS, world.b, profile="DienstverlenerKmoPortefeuille")
    (option,) = selectors.acting_options(ELS)
    assert option.roles == (
        "VLAIOInkomGebruikerNieuw-DienstverlenerKmoPortefeuille",
        "VLAIOInkomGebruikerNieuw-Gebruiker",
    )


# --- administrators, expiring rights --------------------------------------------------------------------


def test_administrators_of_an_organisation(world: World) -> None:
    pieter = world.person(PIETER)
    services.local_admin_appoint(actor=SYSTEM, organisation=world.a, person=pieter)
    admins = selectors.administrators_of(world.a)
    assert [(a.national_number, a.kind) for a in admins] == [
        (SOFIE, "legal_representative"),
        (PIETER, "local_admin"),
    ]
    assert admins[0].first_name == "Sofie"


def test_an_access_manager_for_another_domain_is_no_administrator(world: World) -> None:
    an = world.person(AN)
    services.access_manager_appoint(actor=SYSTEM, organisation=world.a, person=an, domain="financien")
    assert [a.national_number for a in selectors.administrators_of(world.a)] == [SOFIE]


def test_grants_expiring_within_ten_days(world: World, clock: time_machine.Traveller) -> None:
    soon = grant(world, JONAS, world.a, end_date=date(2025, 3, 15))
    grant(world, KLAUS, world.a, end_date=date(2025, 6, 1))
    assert list(selectors.grants_expiring()) == [soon]
    services.right_grant_mark_reminded(actor=SYSTEM, grant=soon)
    assert list(selectors.grants_expiring(reminder_due=True)) == []
    clock.shift(timedelta(days=1))
    assert list(selectors.grants_expiring(reminder_due=True)) == [soon]


# --- toekenning opzoeken --------------------------------------------------------------------------------


def test_grant_search_is_scoped_to_the_administered_organisations(world: World) -> None:
    in_a = grant(world, JONAS, world.a)
    in_b = grant(world, KLAUS, world.b, profile="DienstverlenerKmoPortefeuille")
    assert list(selectors.grant_search(administrator=SOFIE)) == [in_a]
    assert list(selectors.grant_search(administrator=ELS)) == [in_b]
    # naming the other organisation does not help
    assert list(selectors.grant_search(administrator=SOFIE, organisation=world.b)) == []
    assert list(selectors.grant_search(administrator=JONAS)) == []  # an employee administers nothing


def test_grant_search_filters(world: World) -> None:
    jonas = grant(world, JONAS, world.a)
    klaus = grant(world, KLAUS, world.a, end_date=date(2026, 1, 1))
    search = selectors.grant_search
    assert list(search(administrator=SOFIE, person="smet")) == [jonas]
    assert list(search(administrator=SOFIE, person="70.43.12")) == [klaus]
    assert list(search(administrator=SOFIE, end_until=date(2026, 6, 1))) == [klaus]
    assert list(search(administrator=SOFIE, end_from=date(2027, 1, 1))) == [jonas]
    assert list(search(administrator=SOFIE, right_code="VLAIOInkomGebruiker")) == []
    assert list(search(administrator=SOFIE, begin_from=TODAY, begin_until=TODAY)) == [klaus, jonas] or list(
        search(administrator=SOFIE, begin_from=TODAY, begin_until=TODAY)
    ) == [jonas, klaus]
    services.right_grant_end(actor=SYSTEM, grant=klaus)
    assert list(search(administrator=SOFIE)) == [jonas]
    assert set(search(administrator=SOFIE, include_ended=True)) == {jonas, klaus}


def test_an_application_manager_searches_every_organisation(world: World, app_manager: Actor) -> None:
    in_a = grant(world, JONAS, world.a)
    assert in_a in selectors.grant_search(administrator=app_manager.user.national_number)  # type: ignore[union-attr]
    assert VLAIO


def test_person_history_lists_every_change(world: World) -> None:
    created = grant(world, JONAS, world.a)
    services.right_grant_end(actor=SYSTEM, grant=created)
    person = created.work_relation.person
    actions = [e.action for e in selectors.person_history(person)]
    assert actions == [
        "idm.right_grant.end",
        "idm.right_grant.create",
        "idm.work_relation.create",
        "idm.person.add",
    ]
