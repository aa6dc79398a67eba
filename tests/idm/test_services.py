"""The IDM services: every happy path, every refusal, and the audit event of every change."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.idm import services
from kmop.idm.errors import (
    Conflict,
    IdmError,
    InvalidNumber,
    InvalidPeriod,
    NotAllowed,
    PersonNotFound,
    RightNotAvailable,
)
from kmop.idm.models import (
    AdministratorAppointment,
    Person,
    RightDefinition,
    RightGrant,
    WorkRelation,
    WorkRelationPause,
)
from kmop.idm.rights_data import read_rights_file
from tests.idm.conftest import (
    AN,
    ELS,
    HIGH_ACR,
    JONAS,
    KLAUS,
    NOBODY,
    PIETER,
    SOFIE,
    SUBSTANTIAL_ACR,
    SYSTEM,
    TODAY,
    VLAIO,
    World,
    actor,
)

pytestmark = pytest.mark.django_db


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


# --- right definitions -----------------------------------------------------------------------------------


def test_the_four_rights_are_loaded_from_the_data_file(world: World) -> None:
    rights = {r.code: r for r in RightDefinition.objects.prefetch_related("values")}
    assert set(rights) == {r["code"] for r in read_rights_file()["rights"]}
    nieuw = rights["VLAIOInkomGebruikerNieuw"]
    assert (nieuw.max_months, nieuw.dimension) == (48, "3D")
    assert sorted(v.code for v in nieuw.values.all()) == ["DienstverlenerKmoPortefeuille", "Gebruiker"]
    departments = rights["DienstverlenerKmoPortefeuilleDepartementen"]
    assert (departments.max_months, departments.needs_activation, departments.context) == (
        60,
        True,
        "departments",
    )
    assert [v.code for v in rights["VLAIOInkomGebruiker"].values.all()] == ["Medewerker"]
    assert rights["VLAIOInkomToepassingsbeheerder"].dimension == "2D"
    assert services.right_definitions_load(actor=SYSTEM) == 0  # idempotent


def test_a_right_removed_from_the_file_becomes_inactive(world: World) -> None:
    from kmop.idm.models import RightContextValue
    from kmop.idm.rights_data import sync_right_definitions

    data = read_rights_file()
    data["rights"] = [r for r in data["rights"] if r["code"] != "VLAIOInkomToepassingsbeheerder"]
    with transaction.atomic():
        changes = sync_right_definitions(RightDefinition, RightContextValue, data)
    assert [c[0] for c in changes] == ["VLAIOInkomToepassingsbeheerder"]
    assert not RightDefinition.objects.get(code="VLAIOInkomToepassingsbeheerder").active


# --- persons -----------------------------------------------------------------------------------------------


def test_person_add_by_number_takes_the_register_data(world: World) -> None:
    person = services.person_add_by_number(
        actor=actor(SOFIE),
        organisation=world.a,
        number="92.11.02-997.79",
        email="jonas@example.org",
        phone="09 222 33 44",
    )
    assert (person.national_number, person.first_name, person.last_name) == (JONAS, "Jonas", "De Smet")
    assert person.phone == "+3292223344"
    event = events("idm.person.add")[-1]
    assert event.after is not None
    assert event.after["national_number"] == JONAS
    assert event.organisation_code == world.a.code  # the acting organisation
    assert event.actor_label == f"u{SOFIE}"


def test_person_add_by_bis_number(world: World) -> None:
    person = services.person_add_by_number(actor=SYSTEM, organisation=world.a, number=KLAUS)
    assert person.is_bis


def test_person_add_twice_returns_the_same_person(world: World) -> None:
    first = services.person_add_by_number(actor=SYSTEM, organisation=world.a, number=JONAS)
    second = services.person_add_by_number(actor=SYSTEM, organisation=world.a, number=JONAS)
    assert first.pk == second.pk
    assert Person.objects.filter(national_number=JONAS).count() == 1


def test_an_administrator_cannot_change_the_contact_data_of_another_organisations_person(
    world: World,
) -> None:
    """Sofie administers A. Adding Els (of B) to A by her number refreshes the register data but leaves the
    e-mail, phone and names that B's mails to Els use; once Els works in A, Sofie may correct them."""
    els = services.person_add_by_number(
        actor=actor(ELS),
        organisation=world.b,
        number=ELS,
        email="els@b.example",
        phone="09 111 22 33",
        call_name="Els",
    )
    again = services.person_add_by_number(
        actor=actor(SOFIE),
        organisation=world.a,
        number=ELS,
        email="attacker@evil.example",
        phone="0470 12 34 56",
        call_name="Mallory",
        initials="M",
    )
    assert again.pk == els.pk
    again.refresh_from_db()
    assert (again.email, again.phone, again.call_name, again.initials) == (
        "els@b.example",
        "+3291112233",
        "Els",
        "",
    )
    assert not events("idm.person.refresh")  # nothing of hers changed
    world.relation(ELS, world.a)
    services.person_add_by_number(actor=actor(SOFIE), organisation=world.a, number=ELS, email="els@a.example")
    again.refresh_from_db()
    assert again.email == "els@a.example"
    assert events("idm.person.refresh")[-1].after["email"] == "els@a.example"


def test_person_add_refuses_an_invalid_number(world: World) -> None:
    with pytest.raises(InvalidNumber, match="geen geldig rijksregisternummer"):
        services.person_add_by_number(actor=SYSTEM, organisation=world.a, number="12345678901")


def test_person_add_refuses_a_person_unknown_to_the_register(world: World) -> None:
    with pytest.raises(PersonNotFound, match="rijksregister"):
        services.person_add_by_number(actor=SYSTEM, organisation=world.a, number=NOBODY)


def test_person_add_refuses_an_outsider(world: World) -> None:
    with pytest.raises(NotAllowed, match="geen beheerder"):
        services.person_add_by_number(actor=actor(ELS), organisation=world.a, number=JONAS)


def test_person_add_refuses_a_bad_email(world: World) -> None:
    with pytest.raises(IdmError, match="geen geldig e-mailadres") as error:
        services.person_add_by_number(actor=SYSTEM, organisation=world.a, number=JONAS, email="nope")
    assert error.value.field == "email"


def test_anonymous_and_unlinked_users_are_refused(world: World) -> None:
    from kmop.acm.models import User

    with pytest.raises(NotAllowed):
        services.person_add_by_number(actor=Actor(label="anonymous"), organisation=world.a, number=JONAS)
    user = User.objects.create(username="staff")
    with pytest.raises(NotAllowed, match="rijksregisternummer"):
        services.person_add_by_number(actor=Actor.from_user(user), organisation=world.a, number=JONAS)


# --- organisations and departments ---------------------------------------------------------------------


def test_organisation_for_enterprise_comes_from_the_kbo(world: World) -> None:
    assert world.n.is_natural_person
    assert not world.a.is_natural_person
    assert world.a.target_group == "EA"
    assert world.vlaio.target_group == "GID"
    assert events("idm.organisation.create")


def test_organisation_for_enterprise_refusals(world: World) -> None:
    with pytest.raises(InvalidNumber):
        services.organisation_for_enterprise(actor=SYSTEM, enterprise_number="0123")
    with pytest.raises(PersonNotFound, match="KBO"):
        services.organisation_for_enterprise(actor=SYSTEM, enterprise_number="0403170701")
    from tests.idm.conftest import make_enterprise

    make_enterprise("0403170701")
    with pytest.raises(NotAllowed):
        services.organisation_for_enterprise(actor=actor(JONAS), enterprise_number="0403170701")


def test_government_organisation_refusals(world: World) -> None:
    with pytest.raises(InvalidNumber):
        services.organisation_create_government(actor=SYSTEM, code="VLAIO", name="x")
    with pytest.raises(Conflict, match="Organisatie OVO003112 bestaat al"):
        services.organisation_create_government(actor=SYSTEM, code=VLAIO, name="x")
    with pytest.raises(NotAllowed):
        services.organisation_create_government(actor=actor(SOFIE), code="OVO000001", name="x")


def test_departments_right_activation_by_the_application_manager(world: World, app_manager: Actor) -> None:
    with pytest.raises(NotAllowed):
        services.organisation_departments_right_set(actor=actor(ELS), organisation=world.b, activated=True)
    organisation = services.organisation_departments_right_set(
        actor=app_manager, organisation=world.b, activated=True
    )
    assert organisation.departments_right_activated
    assert events("idm.organisation.departments_right_activate")
    with pytest.raises(RightNotAvailable):
        services.organisation_departments_right_set(
            actor=app_manager, organisation=world.vlaio, activated=True
        )


def test_department_create_and_refusals(world: World) -> None:
    department = services.department_create(
        actor=actor(ELS), organisation=world.b, code="D1", name="Opleiding"
    )
    assert department.organisation == world.b
    with pytest.raises(Conflict, match="Departement D1 bestaat al"):
        services.department_create(actor=actor(ELS), organisation=world.b, code="D1", name="Opleiding")
    with pytest.raises(IdmError):
        services.department_create(actor=actor(ELS), organisation=world.b, code="", name="")
    with pytest.raises(NotAllowed):
        services.department_create(actor=actor(SOFIE), organisation=world.b, code="D2", name="x")


# --- work relations ------------------------------------------------------------------------------------


def test_work_relation_create_prefills_ten_years(world: World) -> None:
    person = world.person(JONAS)
    relation = services.work_relation_create(
        actor=actor(SOFIE),
        person=person,
        organisation=world.a,
        category="vast",
        phone="+3292223344",
        email="jonas@example.org",
    )
    assert (relation.begin_date, relation.end_date) == (TODAY, date(2035, 3, 10))
    assert relation.status() == WorkRelation.Status.ACTIVE
    event = events("idm.work_relation.create")[-1]
    assert event.after is not None
    assert event.after["end_date"] == "2035-03-10"


def test_work_relation_create_accepts_an_own_shorter_end(world: World) -> None:
    relation = world.relation(JONAS, world.a, begin_date=date(2018, 6, 26), end_date=date(2028, 6, 26))
    assert relation.end_date == date(2028, 6, 26)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"end_date": date(2035, 3, 11)}, InvalidPeriod, "ten laatste 10/03/2035"),
        (
            {"begin_date": date(2025, 4, 1), "end_date": date(2025, 3, 31)},
            InvalidPeriod,
            "voor de begindatum",
        ),
        ({"begin_date": date(2020, 1, 1), "end_date": date(2025, 1, 1)}, InvalidPeriod, "verleden"),
        ({"category": "ambtenaar"}, IdmError, "Ambtenaar"),
        ({"category": "baas"}, IdmError, "categorie"),
        ({"phone": "abc"}, IdmError, "telefoonnummer"),
        ({"phone": ""}, IdmError, "telefoonnummer"),
        ({"email": ""}, IdmError, "e-mailadres"),
    ],
)
def test_work_relation_create_refusals(
    world: World, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        world.relation(JONAS, world.a, **kwargs)
    assert not WorkRelation.objects.exists()


def test_work_relation_create_refuses_an_overlapping_relation(world: World) -> None:
    world.relation(JONAS, world.a)
    with pytest.raises(Conflict, match="al een werkrelatie"):
        world.relation(JONAS, world.a)


def test_work_relation_create_refuses_an_inactive_organisation(world: World) -> None:
    from tests.idm.conftest import make_enterprise

    make_enterprise(world.a.code, status="ST")
    with pytest.raises(Conflict, match="niet actief"):
        world.relation(JONAS, world.a)


def test_work_relation_create_refuses_an_outsider(world: World) -> None:
    person = world.person(JONAS)
    with pytest.raises(NotAllowed):
        services.work_relation_create(
            actor=actor(ELS),
            person=person,
            organisation=world.a,
            category="vast",
            phone="+3292223344",
            email="j@example.org",
        )


def test_the_database_refuses_a_relation_longer_than_ten_years(world: World) -> None:
    person = world.person(JONAS)
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkRelation.objects.create(
            person=person,
            organisation=world.a,
            category="vast",
            begin_date=TODAY,
            term_start=TODAY,
            end_date=TODAY + timedelta(days=3660),
            phone="+3292223344",
            email="j@example.org",
        )


def test_work_relation_update(world: World) -> None:
    relation = world.relation(JONAS, world.a)
    services.work_relation_update(
        actor=actor(SOFIE),
        work_relation=relation,
        category="extern",
        phone="+3211111111",
        email="n@example.org",
    )
    relation.refresh_from_db()
    assert (relation.category, relation.phone) == ("extern", "+3211111111")
    event = events("idm.work_relation.update")[-1]
    assert event.before is not None
    assert event.before["category"] == "vast"


def test_work_relation_extend_automatic_extends_its_rights(
    world: World, clock: time_machine.Traveller
) -> None:
    relation = world.relation(JONAS, world.a, end_date=date(2027, 3, 10))
    (grant,) = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    assert grant.end_date == date(2027, 3, 10)  # capped by the relation
    clock.move_to(date(2026, 1, 5))
    services.work_relation_extend(actor=actor(SOFIE), work_relation=relation)
    relation.refresh_from_db()
    grant.refresh_from_db()
    assert relation.end_date == date(2036, 1, 5)
    assert relation.term_start == date(2026, 1, 5)
    assert grant.end_date == date(2030, 1, 5)  # 4 years from today
    assert events("idm.work_relation.extend")
    assert events("idm.right_grant.extend")


def test_work_relation_extend_to_an_own_date(world: World) -> None:
    relation = world.relation(JONAS, world.a, end_date=date(2026, 1, 1))
    services.work_relation_extend(actor=SYSTEM, work_relation=relation, end_date=date(2030, 1, 1))
    relation.refresh_from_db()
    assert relation.end_date == date(2030, 1, 1)


def test_work_relation_extend_refuses_more_than_ten_years_from_today(world: World) -> None:
    relation = world.relation(JONAS, world.a)
    with pytest.raises(InvalidPeriod, match="10 jaar"):
        services.work_relation_extend(actor=SYSTEM, work_relation=relation, end_date=date(2035, 3, 11))


def test_work_relation_shortening_caps_its_rights(world: World) -> None:
    relation = world.relation(JONAS, world.a)
    (grant,) = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    services.work_relation_extend(actor=SYSTEM, work_relation=relation, end_date=date(2026, 1, 1))
    grant.refresh_from_db()
    assert grant.end_date == date(2026, 1, 1)


def test_work_relation_extend_refuses_an_ended_relation_and_an_outsider(world: World) -> None:
    relation = world.relation(JONAS, world.a)
    with pytest.raises(NotAllowed):
        services.work_relation_extend(actor=actor(ELS), work_relation=relation)
    services.work_relation_end(actor=SYSTEM, work_relation=relation)
    with pytest.raises(Conflict, match="beëindigd"):
        services.work_relation_extend(actor=SYSTEM, work_relation=relation)


def test_work_relation_pause_and_resume(world: World, clock: time_machine.Traveller) -> None:
    relation = world.relation(JONAS, world.a)
    services.work_relation_pause(actor=actor(SOFIE), work_relation=relation, reason="ouderschapsverlof")
    assert relation.status() == WorkRelation.Status.PAUSED
    with pytest.raises(Conflict, match="al gepauzeerd"):
        services.work_relation_pause(actor=SYSTEM, work_relation=relation)
    clock.shift(timedelta(days=30))
    services.work_relation_resume(actor=actor(SOFIE), work_relation=relation)
    assert relation.status() == WorkRelation.Status.ACTIVE
    with pytest.raises(Conflict, match="niet gepauzeerd"):
        services.work_relation_resume(actor=SYSTEM, work_relation=relation)
    assert events("idm.work_relation.pause")[-1].reason == "ouderschapsverlof"
    assert events("idm.work_relation.resume")


def test_work_relation_pause_refuses_an_ended_relation(world: World) -> None:
    relation = world.relation(JONAS, world.a)
    services.work_relation_end(actor=SYSTEM, work_relation=relation)
    with pytest.raises(Conflict):
        services.work_relation_pause(actor=SYSTEM, work_relation=relation)


def test_work_relation_end_ends_its_rights(world: World) -> None:
    relation = world.relation(JONAS, world.a)
    (grant,) = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    services.work_relation_end(actor=actor(SOFIE), work_relation=relation, reason="uit dienst")
    relation.refresh_from_db()
    grant.refresh_from_db()
    assert relation.status() == WorkRelation.Status.ENDED
    assert grant.ended_at is not None
    assert grant.end_date == TODAY
    assert events("idm.work_relation.end")
    assert events("idm.right_grant.end")
    with pytest.raises(Conflict):
        services.work_relation_end(actor=SYSTEM, work_relation=relation)


def test_work_relation_delete_only_without_rights(world: World) -> None:
    relation = world.relation(JONAS, world.a)
    services.work_relation_delete(actor=actor(SOFIE), work_relation=relation)
    assert not WorkRelation.objects.exists()
    assert events("idm.work_relation.delete")[-1].after is None
    relation = world.relation(JONAS, world.a)
    services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    with pytest.raises(Conflict, match="niet verwijderd"):
        services.work_relation_delete(actor=SYSTEM, work_relation=relation)


# --- right grants --------------------------------------------------------------------------------------


def test_right_grant_create_prefills_the_maximum(world: World) -> None:
    relation = world.relation(JONAS, world.a)
    grants = services.right_grant_create(
        actor=actor(SOFIE, world.a.code),
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker", "DienstverlenerKmoPortefeuille"],
    )
    assert [(g.context_value, g.begin_date, g.end_date) for g in grants] == [
        ("Gebruiker", TODAY, date(2029, 3, 10)),
        ("DienstverlenerKmoPortefeuille", TODAY, date(2029, 3, 10)),
    ]
    assert grants[0].role == f"VLAIOInkomGebruikerNieuw-Gebruiker:{world.a.code}"
    assert grants[0].granted_by_label == f"u{SOFIE}"
    assert len(events("idm.right_grant.create")) == 2


def test_right_grant_create_2d_right(world: World, app_manager: Actor) -> None:
    relation = world.relation(AN, world.vlaio)
    (grant,) = services.right_grant_create(
        actor=app_manager, work_relation=relation, right_code="VLAIOInkomToepassingsbeheerder"
    )
    assert grant.role == f"VLAIOInkomToepassingsbeheerder:{VLAIO}"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"end_date": date(2029, 3, 11)}, InvalidPeriod, "4 jaar"),
        ({"right_code": "Bestaatniet"}, RightNotAvailable, "Onbekend"),
        (
            {"right_code": "VLAIOInkomGebruiker", "context_values": ["Medewerker"]},
            RightNotAvailable,
            "kan niet",
        ),
        (
            {"right_code": "VLAIOInkomToepassingsbeheerder", "context_values": []},
            RightNotAvailable,
            "kan niet",
        ),
        ({"context_values": []}, IdmError, "minstens één profiel"),
        ({"context_values": ["Baas"]}, IdmError, "geen profiel"),
        ({"begin_date": date(2018, 1, 1)}, InvalidPeriod, "voor de werkrelatie"),
        ({"begin_date": date(2025, 6, 1), "end_date": date(2025, 5, 1)}, InvalidPeriod, "voor de begindatum"),
    ],
)
def test_right_grant_create_refusals(
    world: World, kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    relation = world.relation(JONAS, world.a, begin_date=date(2020, 1, 1), end_date=date(2030, 1, 1))
    arguments: dict[str, object] = {"right_code": "VLAIOInkomGebruikerNieuw", "context_values": ["Gebruiker"]}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        services.right_grant_create(actor=SYSTEM, work_relation=relation, **arguments)  # type: ignore[arg-type]
    assert not RightGrant.objects.exists()


def test_right_grant_never_beyond_its_work_relation(world: World) -> None:
    relation = world.relation(JONAS, world.a, end_date=date(2026, 1, 1))
    with pytest.raises(InvalidPeriod, match="einde van de werkrelatie"):
        services.right_grant_create(
            actor=SYSTEM,
            work_relation=relation,
            right_code="VLAIOInkomGebruikerNieuw",
            context_values=["Gebruiker"],
            end_date=date(2027, 1, 1),
        )


def test_right_grant_refuses_a_duplicate(world: World) -> None:
    relation = world.relation(JONAS, world.a)
    services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    with pytest.raises(Conflict, match="al toegekend"):
        services.right_grant_create(
            actor=SYSTEM,
            work_relation=relation,
            right_code="VLAIOInkomGebruikerNieuw",
            context_values=["Gebruiker"],
        )


def test_right_grant_refuses_an_outsider_and_an_ended_relation(world: World) -> None:
    relation = world.relation(JONAS, world.a)
    with pytest.raises(NotAllowed):
        services.right_grant_create(
            actor=actor(ELS),
            work_relation=relation,
            right_code="VLAIOInkomGebruikerNieuw",
            context_values=["Gebruiker"],
        )
    services.work_relation_end(actor=SYSTEM, work_relation=relation)
    with pytest.raises(Conflict):
        services.right_grant_create(
            actor=SYSTEM,
            work_relation=relation,
            right_code="VLAIOInkomGebruikerNieuw",
            context_values=["Gebruiker"],
        )


def test_departments_right_needs_activation_and_a_department_of_the_provider(
    world: World, app_manager: Actor
) -> None:
    relation = world.relation(JONAS, world.b)
    services.department_create(actor=SYSTEM, organisation=world.b, code="D1", name="Opleiding")
    services.department_create(actor=SYSTEM, organisation=world.a, code="DA", name="Elders")
    arguments = {"work_relation": relation, "right_code": "DienstverlenerKmoPortefeuilleDepartementen"}
    with pytest.raises(RightNotAvailable, match="nog niet geactiveerd"):
        services.right_grant_create(actor=SYSTEM, context_values=["D1"], **arguments)  # type: ignore[arg-type]
    services.organisation_departments_right_set(actor=app_manager, organisation=world.b, activated=True)
    with pytest.raises(IdmError, match="geen departement"):
        services.right_grant_create(actor=SYSTEM, context_values=["DA"], **arguments)  # type: ignore[arg-type]
    (grant,) = services.right_grant_create(actor=SYSTEM, context_values=["D1"], **arguments)  # type: ignore[arg-type]
    assert grant.department is not None
    assert grant.department.code == "D1"
    assert grant.end_date == date(2030, 3, 10)  # 5 years


def test_right_grant_extend_automatic_and_own_date(world: World, clock: time_machine.Traveller) -> None:
    relation = world.relation(JONAS, world.a)
    (grant,) = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    clock.move_to(date(2029, 3, 1))
    services.right_grant_extend(actor=actor(SOFIE), grant=grant)
    grant.refresh_from_db()
    assert (grant.end_date, grant.term_start) == (date(2033, 3, 1), date(2029, 3, 1))
    services.right_grant_extend(actor=SYSTEM, grant=grant, end_date=date(2030, 1, 1))  # shortening
    grant.refresh_from_db()
    assert grant.end_date == date(2030, 1, 1)
    assert len(events("idm.right_grant.extend")) == 2


def test_right_grant_extend_refusals(world: World) -> None:
    relation = world.relation(JONAS, world.a, end_date=date(2027, 1, 1))
    (grant,) = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    with pytest.raises(InvalidPeriod, match="einde van de werkrelatie"):
        services.right_grant_extend(actor=SYSTEM, grant=grant, end_date=date(2028, 1, 1))
    with pytest.raises(InvalidPeriod, match="4 jaar"):
        services.right_grant_extend(actor=SYSTEM, grant=grant, end_date=date(2029, 3, 11))
    with pytest.raises(NotAllowed):
        services.right_grant_extend(actor=actor(ELS), grant=grant)
    services.right_grant_end(actor=SYSTEM, grant=grant)
    with pytest.raises(Conflict, match="beëindigd"):
        services.right_grant_extend(actor=SYSTEM, grant=grant)


def test_right_grant_end(world: World) -> None:
    relation = world.relation(JONAS, world.a)
    (grant,) = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    with pytest.raises(NotAllowed):
        services.right_grant_end(actor=actor(ELS), grant=grant)
    services.right_grant_end(actor=actor(SOFIE), grant=grant, reason="vertrokken")
    grant.refresh_from_db()
    assert grant.ended_at is not None
    assert grant.end_date == TODAY
    event = events("idm.right_grant.end")[-1]
    assert event.before is not None
    assert event.before["ended_at"] is None
    assert event.after is not None
    assert event.after["ended_at"] is not None
    with pytest.raises(Conflict, match="al beëindigd"):
        services.right_grant_end(actor=SYSTEM, grant=grant)


def test_a_reminder_is_claimed_once_per_day(world: World, clock: time_machine.Traveller) -> None:
    relation = world.relation(JONAS, world.a)
    (grant,) = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["Gebruiker"],
    )
    assert services.right_grant_mark_reminded(actor=SYSTEM, grant=grant)
    assert not services.right_grant_mark_reminded(actor=SYSTEM, grant=grant)
    clock.shift(timedelta(days=1))
    assert services.right_grant_mark_reminded(actor=SYSTEM, grant=grant)
    assert len(events("idm.right_grant.remind")) == 2


# --- appointments --------------------------------------------------------------------------------------


def test_main_access_manager_appointed_by_a_legal_representative(world: World) -> None:
    pieter = world.person(PIETER)
    appointment = services.main_access_manager_appoint(
        actor=actor(SOFIE), organisation=world.a, person=pieter
    )
    assert (appointment.level, appointment.source) == ("main", "btb")
    sofie = world.person(SOFIE)
    services.main_access_manager_appoint(actor=actor(SOFIE), organisation=world.a, person=sofie)
    appointment.refresh_from_db()
    assert appointment.ended_at is not None  # replaced: one main access manager at a time
    assert len(events("idm.appointment.main")) == 2
    assert events("idm.appointment.end")
    with pytest.raises(Conflict):
        services.main_access_manager_appoint(actor=actor(SOFIE), organisation=world.a, person=sofie)


def test_main_access_manager_refusals(world: World) -> None:
    pieter = world.person(PIETER)
    with pytest.raises(NotAllowed, match="wettelijk vertegenwoordiger"):
        services.main_access_manager_appoint(actor=actor(PIETER), organisation=world.a, person=pieter)
    with pytest.raises(NotAllowed, match="wettelijk vertegenwoordiger"):  # Jonas is Commissaris of B: no
        services.main_access_manager_appoint(actor=actor(JONAS), organisation=world.b, person=pieter)
    with pytest.raises(NotAllowed):
        services.main_access_manager_appoint(actor=SYSTEM, organisation=world.vlaio, person=pieter)


def test_co_main_and_access_managers_appointed_by_the_main_access_manager(world: World) -> None:
    pieter, jonas, an = world.person(PIETER), world.person(JONAS), world.person(AN)
    services.main_access_manager_appoint(actor=SYSTEM, organisation=world.a, person=pieter)
    co = services.co_main_access_manager_appoint(actor=actor(PIETER), organisation=world.a, person=jonas)
    manager = services.access_manager_appoint(actor=actor(PIETER), organisation=world.a, person=an)
    assert (co.level, manager.level, manager.domain) == ("co_main", "access_manager", "economie")
    with pytest.raises(NotAllowed, match="hoofdtoegangsbeheerder"):
        services.access_manager_appoint(
            actor=actor(JONAS), organisation=world.a, person=an, domain="financien"
        )
    with pytest.raises(IdmError, match="domein"):
        services.access_manager_appoint(actor=actor(PIETER), organisation=world.a, person=an, domain="")
    with pytest.raises(Conflict):
        services.access_manager_appoint(actor=actor(PIETER), organisation=world.a, person=an)


def test_local_admin_appointed_by_an_administrator(world: World) -> None:
    pieter = world.person(PIETER)
    appointment = services.local_admin_appoint(actor=actor(SOFIE), organisation=world.a, person=pieter)
    assert (appointment.level, appointment.source) == ("local_admin", "idm")
    jonas = world.person(JONAS)
    services.local_admin_appoint(
        actor=actor(PIETER), organisation=world.a, person=jonas
    )  # he may appoint too
    with pytest.raises(NotAllowed):
        services.local_admin_appoint(actor=actor(ELS), organisation=world.a, person=jonas)


def test_appointment_end(world: World) -> None:
    pieter = world.person(PIETER)
    appointment = services.local_admin_appoint(actor=SYSTEM, organisation=world.a, person=pieter)
    with pytest.raises(NotAllowed):
        services.appointment_end(actor=actor(ELS), appointment=appointment)
    services.appointment_end(actor=actor(SOFIE), appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.ended_at is not None
    with pytest.raises(Conflict):
        services.appointment_end(actor=SYSTEM, appointment=appointment)
    assert AdministratorAppointment.objects.count() == 1


def test_an_application_manager_from_outside_is_audited(world: World, app_manager: Actor) -> None:
    person = services.person_add_by_number(actor=app_manager, organisation=world.a, number=JONAS)
    assert person.national_number == JONAS
    (event,) = events("idm.staff_access")
    assert event.after == {"organisation": world.a.code, "basis": "application_manager"}
    assert event.organisation_code == VLAIO
    assert events("idm.person.add")[-1].organisation_code == VLAIO  # acting for VLAIO


def test_a_refused_change_writes_no_event(world: World) -> None:
    person = world.person(JONAS)
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidPeriod):
        services.work_relation_create(
            actor=SYSTEM,
            person=person,
            organisation=world.a,
            category="vast",
            phone="+3292223344",
            email="j@example.org",
            end_date=date(2040, 1, 1),
        )
    assert AuditEvent.objects.count() == before


# --- the application manager's powers over other organisations: at login level high only -------------------


def test_an_application_manager_at_substantial_level_administers_no_other_organisation(
    world: World, app_manager: Actor
) -> None:
    relation = world.relation(JONAS, world.a)
    before = AuditEvent.objects.count()
    for acr in (SUBSTANTIAL_ACR, "", "api-token"):
        bart = dataclasses.replace(app_manager, acr=acr)
        with pytest.raises(NotAllowed):
            services.work_relation_pause(actor=bart, work_relation=relation)
        with pytest.raises(NotAllowed):
            services.right_grant_create(
                actor=bart,
                work_relation=relation,
                right_code="VLAIOInkomGebruikerNieuw",
                context_values=["Gebruiker"],
            )
        with pytest.raises(NotAllowed):
            services.person_add_by_number(actor=bart, organisation=world.b, number=ELS)
    assert not WorkRelationPause.objects.filter(work_relation=relation).exists()
    assert not RightGrant.objects.filter(work_relation=relation).exists()
    assert AuditEvent.objects.count() == before  # not even an idm.staff_access


@pytest.mark.parametrize("acr", [HIGH_ACR, "urn:be:vlaanderen:authmech:itsme"])
def test_an_application_manager_at_high_level_administers_another_organisation(
    world: World, app_manager: Actor, acr: str
) -> None:
    relation = world.relation(JONAS, world.a)
    services.work_relation_pause(actor=dataclasses.replace(app_manager, acr=acr), work_relation=relation)
    assert WorkRelationPause.objects.filter(work_relation=relation, ended_at__isnull=True).exists()
    (event,) = events("idm.staff_access")
    assert event.after == {"organisation": world.a.code, "basis": "application_manager"}
    assert event.acr == acr


def test_a_legal_representative_administers_at_substantial_level(world: World) -> None:
    """The level high is for the application manager's powers only: Sofie administers A as its legal
    representative with a security code."""
    relation = world.relation(JONAS, world.a)
    sofie = dataclasses.replace(actor(SOFIE), acr=SUBSTANTIAL_ACR)
    services.work_relation_pause(actor=sofie, work_relation=relation)
    assert WorkRelationPause.objects.filter(work_relation=relation).exists()
    assert not events("idm.staff_access")
