"""Who may administer an organisation and act for it (IAM.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from kmop.audit.services import Actor
from kmop.idm import permissions, services
from kmop.idm.models import Organisation
from tests.idm.conftest import AN, BART, ELS, JONAS, KLAUS, NOW, PIETER, SOFIE, SYSTEM, TOM, World

pytestmark = pytest.mark.django_db


def test_a_legal_representative_administers_his_enterprise_only(world: World) -> None:
    assert permissions.can_administer_organisation(SOFIE, world.a)
    assert permissions.administration_basis(SOFIE, world.a) == "legal_representative"
    assert not permissions.can_administer_organisation(SOFIE, world.b)
    assert permissions.can_administer_organisation(TOM, world.n)  # natural person: administers, needs a grant


@pytest.mark.parametrize(
    ("level", "domain", "allowed"),
    [
        ("main", "", True),
        ("co_main", "", True),
        ("access_manager", "economie", True),
        ("access_manager", "*", True),
        ("access_manager", "financien", False),
        ("local_admin", "", True),
    ],
)
def test_each_kind_of_administrator(world: World, level: str, domain: str, allowed: bool) -> None:
    pieter = world.person(PIETER)
    if level == "main":
        services.main_access_manager_appoint(actor=SYSTEM, organisation=world.a, person=pieter)
    elif level == "co_main":
        services.co_main_access_manager_appoint(actor=SYSTEM, organisation=world.a, person=pieter)
    elif level == "access_manager":
        services.access_manager_appoint(actor=SYSTEM, organisation=world.a, person=pieter, domain=domain)
    else:
        services.local_admin_appoint(actor=SYSTEM, organisation=world.a, person=pieter)
    assert permissions.can_administer_organisation(PIETER, world.a) is allowed
    assert permissions.can_administer_organisation(pieter, world.a) is allowed
    assert not permissions.can_administer_organisation(PIETER, world.b)


def test_an_ended_appointment_no_longer_administers(world: World, clock: time_machine.Traveller) -> None:
    pieter = world.person(PIETER)
    appointment = services.local_admin_appoint(actor=SYSTEM, organisation=world.a, person=pieter)
    clock.shift(timedelta(hours=2))
    services.appointment_end(actor=SYSTEM, appointment=appointment)
    assert not permissions.can_administer_organisation(PIETER, world.a)
    assert permissions.can_administer_organisation(PIETER, world.a, NOW)  # before it ended


def test_outsiders_and_plain_users_do_not_administer(world: World) -> None:
    relation = world.relation(JONAS, world.a)
    services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    assert not permissions.can_administer_organisation(JONAS, world.a)  # a user, not an administrator
    assert not permissions.can_administer_organisation(KLAUS, world.a)  # a stranger
    assert not permissions.can_administer_organisation(ELS, world.a)  # another enterprise's representative


def test_vlaio_staff_medewerker_does_not_administer(world: World) -> None:
    relation = world.relation(AN, world.vlaio)
    services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code="VLAIOInkomGebruiker", context_values=["Medewerker"]
    )
    assert not permissions.can_administer_organisation(AN, world.a)
    assert permissions.can_act_for(AN, world.vlaio)


def test_an_application_manager_administers_any_organisation(world: World, app_manager: Actor) -> None:
    for organisation in (world.a, world.b, world.n, world.vlaio):
        assert permissions.administration_basis(BART, organisation) == "application_manager"
    assert permissions.can_manage_right_activation(BART)


def test_a_paused_application_manager_is_not_one(world: World, app_manager: Actor) -> None:
    relation = Organisation.objects.get(pk=world.vlaio.pk).work_relations.get()
    services.work_relation_pause(actor=SYSTEM, work_relation=relation)
    assert not permissions.can_administer_organisation(BART, world.a)


def test_can_act_for(world: World) -> None:
    assert permissions.can_act_for(SOFIE, world.a)  # legal person: implicit
    assert not permissions.can_act_for(TOM, world.n)  # natural person: needs a grant
    assert not permissions.can_act_for(JONAS, world.a)
    relation = world.relation(TOM, world.n)
    services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    assert permissions.can_act_for(TOM, world.n)
    assert not permissions.can_act_for(TOM, world.n, NOW - timedelta(days=1))  # not yet granted then
    Organisation.objects.filter(pk=world.a.pk).update(active=False)
    world.a.refresh_from_db()
    assert not permissions.can_act_for(SOFIE, world.a)


def test_appointing_access_managers(world: World) -> None:
    pieter = world.person(PIETER)
    assert permissions.can_appoint_access_managers(SOFIE, world.a)  # may act as main access manager
    assert not permissions.can_appoint_access_managers(PIETER, world.a)
    services.main_access_manager_appoint(actor=SYSTEM, organisation=world.a, person=pieter)
    assert permissions.can_appoint_access_managers(PIETER, world.a)
    assert not permissions.can_appoint_main_access_manager(PIETER, world.a)
