"""``kmop seed`` step of the IDM: the right definitions, and at ``--scale demo`` the demo personas' rights and
appointments (through the services, as the system). Idempotent: what exists is left as it is."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from kmop.audit.services import Actor
from kmop.idm import selectors, services
from kmop.idm.models import AdministratorAppointment, Organisation, Person, WorkRelation
from kmop.registers.synthetic_seed import SeedContext, SeedStep

#: (persona key, organisation key, right, context value)
DEMO_GRANTS: tuple[tuple[str, str, str, str], ...] = (
    ("employee", "houtatelier", "VLAIOInkomGebruikerNieuw", "Gebruiker"),
    ("sole_trader", "fietsen-tom", "VLAIOInkomGebruikerNieuw", "Gebruiker"),
    ("provider", "leerwijs", "VLAIOInkomGebruikerNieuw", "DienstverlenerKmoPortefeuille"),
    ("foreign_provider", "lernwerk", "VLAIOInkomGebruikerNieuw", "DienstverlenerKmoPortefeuille"),
    ("vlaio_staff", "vlaio", "VLAIOInkomGebruiker", "Medewerker"),
    ("vlaio_admin", "vlaio", "VLAIOInkomGebruiker", "Medewerker"),
    ("vlaio_admin", "vlaio", "VLAIOInkomToepassingsbeheerder", ""),
)
#: (persona key, organisation key, level)
DEMO_APPOINTMENTS: tuple[tuple[str, str, str], ...] = (
    ("legal_representative", "houtatelier", AdministratorAppointment.Level.MAIN),
    ("sole_trader", "fietsen-tom", AdministratorAppointment.Level.MAIN),
    ("local_admin", "houtatelier", AdministratorAppointment.Level.LOCAL_ADMIN),
)


def _organisation(actor: Actor, key: str) -> Organisation:
    from kmop.demo.personas import ORGANISATIONS_BY_KEY

    demo = ORGANISATIONS_BY_KEY[key]
    existing = Organisation.objects.filter(code=demo.code).first()
    if existing is not None:
        return existing
    if demo.is_enterprise:
        return services.organisation_for_enterprise(
            actor=actor, enterprise_number=demo.code, reason="kmop seed"
        )
    return services.organisation_create_government(
        actor=actor, code=demo.code, name=demo.name, reason="kmop seed"
    )


def _person(actor: Actor, key: str, organisation: Organisation) -> Person:
    from kmop.demo.personas import PERSONS

    demo = next(p for p in PERSONS if p.key == key)
    existing = Person.objects.filter(national_number=demo.national_number).first()
    if existing is not None:
        return existing
    return services.person_add_by_number(
        actor=actor,
        organisation=organisation,
        number=demo.national_number,
        email=demo.email,
        reason="kmop seed",
    )


def _relation(actor: Actor, person: Person, organisation: Organisation, today: date) -> WorkRelation:
    existing = (
        WorkRelation.objects.filter(person=person, organisation=organisation, ended_at__isnull=True)
        .filter(end_date__gte=today)
        .first()
    )
    if existing is not None:
        return existing
    category = (
        WorkRelation.Category.CIVIL_SERVANT
        if not organisation.is_enterprise
        else WorkRelation.Category.PERMANENT
    )
    return services.work_relation_create(
        actor=actor,
        person=person,
        organisation=organisation,
        category=category,
        phone="+3225531700",
        email=person.email or "demo@example.org",
        reason="kmop seed",
    )


def seed_demo_rights(actor: Actor) -> dict[str, int]:
    """Give the demo personas their rights and appointments; returns how many were made now."""
    from django.utils import timezone

    today = timezone.localdate()
    made = {"grants": 0, "appointments": 0}
    with transaction.atomic():
        for person_key, organisation_key, right, value in DEMO_GRANTS:
            organisation = _organisation(actor, organisation_key)
            person = _person(actor, person_key, organisation)
            relation = _relation(actor, person, organisation, today)
            held = selectors.effective_grants().filter(
                work_relation=relation, right__code=right, context_value=value
            )
            if not held.exists():
                services.right_grant_create(
                    actor=actor,
                    work_relation=relation,
                    right_code=right,
                    context_values=[value] if value else [],
                    reason="kmop seed",
                )
                made["grants"] += 1
        for person_key, organisation_key, level in DEMO_APPOINTMENTS:
            organisation = _organisation(actor, organisation_key)
            person = _person(actor, person_key, organisation)
            if (
                selectors.current_appointments()
                .filter(organisation=organisation, person=person, level=level)
                .exists()
            ):
                continue
            if level == AdministratorAppointment.Level.MAIN:
                services.main_access_manager_appoint(
                    actor=actor, organisation=organisation, person=person, reason="kmop seed"
                )
            else:
                services.local_admin_appoint(
                    actor=actor, organisation=organisation, person=person, reason="kmop seed"
                )
            made["appointments"] += 1
    return made


def _step_idm(ctx: SeedContext) -> None:
    changed = services.right_definitions_load(actor=ctx.actor)
    ctx.stdout.write(f"  right definitions: {changed} changed\n")
    if not ctx.demo:
        return
    made = seed_demo_rights(ctx.actor)
    ctx.stdout.write(f"  demo rights: {made['grants']} grants, {made['appointments']} appointments made\n")


STEPS: list[SeedStep] = [SeedStep("idm", _step_idm)]
