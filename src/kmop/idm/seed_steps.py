"""``kmop seed`` step of the IDM: the right definitions; at ``--scale demo`` the demo personas' rights and
appointments (through the services, as the system; idempotent: what exists is left as it is); at a number of
enterprises a synthetic IDM population of that scale (``kmop.idm.seed_population``, which replaces the IDM's
organisations, persons, work relations, grants and appointments of an earlier seed; see
``seed_population``)."""

from __future__ import annotations

import random
import unicodedata
from datetime import date, datetime, time, timedelta

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from kmop.audit.services import Actor, audit_record
from kmop.idm import selectors, services
from kmop.idm.dates import add_months
from kmop.idm.models import (
    WORK_RELATION_MAX_MONTHS,
    AdministratorAppointment,
    Department,
    Organisation,
    Person,
    RightDefinition,
    RightGrant,
    TargetGroup,
    WorkRelation,
    WorkRelationPause,
)
from kmop.registers.models import NationalRegisterPerson
from kmop.registers.synthetic_seed import SeedContext, SeedStep, TableWriter, delete_referencing

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


# --- a synthetic population at a number of enterprises --------------------------------------------------

#: persons of the IDM per enterprise of the seed's scale (taken from the national register the registers' seed
#: loaded, as far as it has them): ``--scale 200000`` gives 300,000 persons and about 500,000 right grants,
#: the real volume (ENGINEERING.md)
PERSONS_PER_ENTERPRISE = 1.5
#: one organisation in the IDM per this many active enterprises of the register (those that use the portal)
ENTERPRISES_PER_ORGANISATION = 4
#: the share of work relations in the largest organisation, and in the next 1 % of the organisations
LARGE_SHARE, MEDIUM_SHARE = 0.01, 0.09
#: every tenth organisation is a provider (its people get the provider profile)
PROVIDER_EVERY = 10
#: every fifth organisation has a main access manager (BTB); the medium and large ones two local admins
MAIN_EVERY, LOCAL_ADMINS = 5, 2
#: shares per person and per work relation (tuned so that grants ≈ persons × 5/3)
SECOND_RELATION, THIRD_RELATION = 0.10, 0.02
EXPIRED_RELATION, ENDED_RELATION, PAUSED_RELATION = 0.06, 0.02, 0.005
EARLIER_GRANT, ENDED_GRANT, PROVIDER_BOTH_PROFILES = 0.52, 0.02, 0.5
#: reminders: a right whose end date falls within this many days is due (``grants_expiring``)
REMINDER_DAYS = 10
BATCH = 5000
SEED_RIGHT = "VLAIOInkomGebruikerNieuw"
USER_PROFILE, PROVIDER_PROFILE = "Gebruiker", "DienstverlenerKmoPortefeuille"

_CATEGORIES = (
    (WorkRelation.Category.PERMANENT, 0.80),
    (WorkRelation.Category.EXTERNAL, 0.92),
    (WorkRelation.Category.OCCASIONAL, 1.0),
)


def _clear_population() -> None:
    tables = [RightGrant, WorkRelationPause, AdministratorAppointment, WorkRelation, Department, Person]
    tables.append(Organisation)
    if connection.vendor == "postgresql":
        names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in tables)
        with connection.cursor() as cursor:
            # CASCADE: what other apps keep about these (requests of the BTB, ...) goes with them
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    else:
        for model in tables:
            delete_referencing(model, keep_app="idm")  # nothing cascades here: the projects of them, ...
            model._default_manager.all()._raw_delete(connection.alias)


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if c.isascii() and c.isalnum())


def _moment(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _days(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(days=rng.randint(low, high))


def _organisation_rows(table: TableWriter, wanted: int, created: datetime) -> int:
    """Every ``ENTERPRISES_PER_ORGANISATION``-th active enterprise of the register, in number order."""
    from kmop.idm.selectors import KBO_ACTIVE
    from kmop.registers.models import Enterprise
    from kmop.registers.selectors import enterprise_names

    made, index, last = 0, 0, ""
    while made < wanted:
        page = list(
            Enterprise.objects.filter(status=KBO_ACTIVE, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "type_of_enterprise")[:BATCH]
        )
        if not page:
            break
        last = page[-1][0]
        chosen = [
            (n, t) for i, (n, t) in enumerate(page, start=index) if i % ENTERPRISES_PER_ORGANISATION == 0
        ]
        index += len(page)
        names = enterprise_names(n for n, _ in chosen)
        for number, kind in chosen[: wanted - made]:
            made += 1
            table.add(
                (
                    made,
                    number,
                    names.get(number, number)[:320],
                    TargetGroup.ECONOMIC_ACTOR,
                    kind == "1",
                    True,
                    None,
                    created,
                )
            )
    table.flush()
    return made


def seed_population(*, scale: int, seed: int, actor: Actor, today: date | None = None) -> dict[str, int]:
    """Replace the IDM's organisations, persons, work relations, grants and appointments by a synthetic
    population of ``scale`` enterprises: deterministic from ``(scale, seed, today)`` and the register.

    - organisations: every fourth active enterprise of the KBO (name from the register);
    - persons: ``1.5 × scale`` persons of the national register (valid national and BIS numbers, their names,
      birth dates and sexes), each with one work relation (10 % two, 2 % three): 1 % of the relations in the
      largest organisation, 9 % in the next 1 % of the organisations, the rest spread over all;
    - work relations: up to 10 years, 6 % expired, 2 % ended early, 0.5 % paused;
    - grants of ``VLAIOInkomGebruikerNieuw`` (profile ``Gebruiker``, in every tenth organisation the provider
      profile, half of them both): the current one of each relation, ending within its maximum of 48 months
      (spread over the next four years, so that some fall within the ``REMINDER_DAYS`` of the reminders),
      2 % ended early, and for about half an earlier, expired one;
    - administrators: a main access manager (BTB) in every fifth organisation, two local administrators in the
      largest and the medium ones: each a person of the organisation with an effective right there.

    Rows are written in batches (``COPY`` on PostgreSQL) in one transaction, with one audit event for all.
    """
    today = today or timezone.localdate()
    created = _moment(today, 8)
    right = RightDefinition.objects.get(code=SEED_RIGHT)
    register = NationalRegisterPerson.objects.count()
    wanted_persons = min(register, round(scale * PERSONS_PER_ENTERPRISE))
    from kmop.idm.selectors import KBO_ACTIVE
    from kmop.registers.models import Enterprise

    active = Enterprise.objects.filter(status=KBO_ACTIVE).count()
    wanted_organisations = max(1, active // ENTERPRISES_PER_ORGANISATION) if active else 0
    tables = {
        "organisations": TableWriter(
            Organisation,
            (
                "id",
                "code",
                "name",
                "target_group",
                "is_natural_person",
                "active",
                "departments_right_activated_at",
                "created_at",
            ),
        ),
        "persons": TableWriter(
            Person,
            (
                "id",
                "national_number",
                "first_name",
                "last_name",
                "birth_date",
                "sex",
                "email",
                "phone",
                "language",
                "register_checked_at",
                "created_at",
            ),
        ),
        "work_relations": TableWriter(
            WorkRelation,
            (
                "id",
                "person_id",
                "organisation_id",
                "category",
                "begin_date",
                "end_date",
                "term_start",
                "phone",
                "email",
                "created_at",
                "ended_at",
            ),
        ),
        "pauses": TableWriter(WorkRelationPause, ("work_relation_id", "started_at", "ended_at", "reason")),
        "grants": TableWriter(
            RightGrant,
            (
                "work_relation_id",
                "organisation_id",
                "right_id",
                "context_value",
                "department_id",
                "begin_date",
                "end_date",
                "term_start",
                "granted_at",
                "granted_by_id",
                "granted_by_label",
                "ended_at",
                "last_reminder_on",
            ),
        ),
        "appointments": TableWriter(
            AdministratorAppointment,
            (
                "person_id",
                "organisation_id",
                "level",
                "domain",
                "source",
                "begin_date",
                "end_date",
                "appointed_at",
                "appointed_by_label",
                "ended_at",
            ),
        ),
    }
    with transaction.atomic():
        _clear_population()
        organisations = _organisation_rows(tables["organisations"], wanted_organisations, created)
        if organisations:
            _person_rows(tables, wanted_persons, organisations, right, seed, today, created)
        for table in tables.values():
            table.flush()
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(
                no_style(), [Organisation, Person, WorkRelation]
            ):
                cursor.execute(statement)
        counts = {name: table.count for name, table in tables.items()}
        audit_record(
            actor=actor,
            action="idm.population.seed",
            object_type="idm.RightGrant",
            object_id="*",
            after={"scale": scale, "seed": seed, "today": today.isoformat(), **counts},
            reason="kmop seed",
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables.values():
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table.model._meta.db_table)}")
    return counts


def _person_rows(
    tables: dict[str, TableWriter],
    wanted: int,
    organisations: int,
    right: RightDefinition,
    seed: int,
    today: date,
    created: datetime,
) -> None:
    medium = min(max(1, organisations // 100), organisations - 1)
    main_done = bytearray(organisations)
    local_count = bytearray(medium + 1)
    relation_id = 0
    person_id = 0
    last = ""
    while person_id < wanted:
        page = list(
            NationalRegisterPerson.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("national_number", "first_name", "last_name", "birth_date", "sex")[:BATCH]
        )
        if not page:
            break
        last = page[-1][0]
        for number, first, last_name, birth, sex in page[: wanted - person_id]:
            person_id += 1
            rng = random.Random(f"{seed}:{number}")
            email = f"{_ascii(first)}.{_ascii(last_name)}{person_id % 97}@example.org"
            phone = f"+324{rng.randrange(70_000_000, 99_999_999)}"
            tables["persons"].add(
                (
                    person_id,
                    number,
                    first,
                    last_name,
                    birth,
                    sex,
                    email,
                    phone,
                    "en" if rng.random() < 0.05 else "nl",
                    created,
                    created,
                )
            )
            x = rng.random()
            relations = 3 if x < THIRD_RELATION else 2 if x < THIRD_RELATION + SECOND_RELATION else 1
            seen: set[int] = set()
            for _ in range(relations):
                y = rng.random()
                if organisations == 1 or y < LARGE_SHARE:
                    organisation = 0
                elif y < LARGE_SHARE + MEDIUM_SHARE:
                    organisation = rng.randint(1, medium)
                else:
                    organisation = rng.randrange(organisations)
                if organisation in seen:
                    continue
                seen.add(organisation)
                relation_id += 1
                effective = _relation_rows(
                    tables, rng, relation_id, person_id, organisation, email, phone, right, today, created
                )
                if not effective:
                    continue
                level = ""
                if organisation % MAIN_EVERY == 0 and not main_done[organisation]:
                    main_done[organisation] = 1
                    level = AdministratorAppointment.Level.MAIN
                elif organisation <= medium and local_count[organisation] < LOCAL_ADMINS:
                    local_count[organisation] += 1
                    level = AdministratorAppointment.Level.LOCAL_ADMIN
                if level:
                    source = AdministratorAppointment.Source.BTB
                    if level == AdministratorAppointment.Level.LOCAL_ADMIN:
                        source = AdministratorAppointment.Source.IDM
                    tables["appointments"].add(
                        (
                            person_id,
                            organisation + 1,
                            level,
                            "",
                            source,
                            effective,
                            None,
                            _moment(effective),
                            "kmop seed",
                            None,
                        )
                    )


def _relation_rows(
    tables: dict[str, TableWriter],
    rng: random.Random,
    relation_id: int,
    person_id: int,
    organisation: int,
    email: str,
    phone: str,
    right: RightDefinition,
    today: date,
    created: datetime,
) -> date | None:
    """One work relation with its grants (and pause); returns the begin date of its current grant when that
    grant is effective today (the person can then be an administrator), else None."""
    z = rng.random()
    category = next(c for c, upto in _CATEGORIES if z < upto)
    expired = rng.random() < EXPIRED_RELATION
    if expired:
        end = today - _days(rng, 1, 900)
        begin = end - _days(rng, 30, 3000)
    else:
        begin = today - _days(rng, 0, 3300)
        end = min(add_months(begin, WORK_RELATION_MAX_MONTHS), today + _days(rng, 30, 3650))
    ended_at = None
    if not expired and rng.random() < ENDED_RELATION:
        day = today - _days(rng, 1, 300)
        if day >= begin:
            ended_at, end = _moment(day, 16), day
    tables["work_relations"].add(
        (
            relation_id,
            person_id,
            organisation + 1,
            category,
            begin,
            end,
            begin,
            phone,
            email,
            created,
            ended_at,
        )
    )
    paused = ended_at is None and not expired and rng.random() < PAUSED_RELATION
    if paused:
        started = max(begin, today - _days(rng, 1, 60))
        tables["pauses"].add((relation_id, _moment(started, 11), None, "kmop seed"))
    # the current grant (the last one of the relation)
    if expired or ended_at is not None:
        grant_begin = max(begin, end - _days(rng, 0, 1400))
    else:
        grant_begin = max(begin, today - _days(rng, 0, 1400))
    grant_end = min(end, add_months(grant_begin, right.max_months), grant_begin + _days(rng, 1, 2900))
    if not expired and ended_at is None:
        grant_end = min(end, add_months(grant_begin, right.max_months), today + _days(rng, 0, 1460))
    grant_end = max(grant_end, grant_begin)
    # ending a work relation ends its grants that still ran that day
    grant_ended_at = ended_at if ended_at is not None and grant_end == end else None
    if ended_at is None and rng.random() < ENDED_GRANT:
        day = today - _days(rng, 0, 200)
        if grant_begin <= day <= grant_end:
            grant_ended_at, grant_end = _moment(day, 15), day
    reminded = None
    if today <= grant_end <= today + timedelta(days=REMINDER_DAYS) and rng.random() < 0.5:
        reminded = today - timedelta(days=1)
    provider = organisation % PROVIDER_EVERY == PROVIDER_EVERY - 1
    profiles = [PROVIDER_PROFILE if provider else USER_PROFILE]
    if provider and rng.random() < PROVIDER_BOTH_PROFILES:
        profiles.append(USER_PROFILE)
    for profile in profiles:
        tables["grants"].add(
            (
                relation_id,
                organisation + 1,
                right.pk,
                profile,
                None,
                grant_begin,
                grant_end,
                grant_begin,
                _moment(grant_begin),
                None,
                "kmop seed",
                grant_ended_at,
                reminded,
            )
        )
    # an earlier grant of the same relation, expired the day before the current one began
    earlier_end = grant_begin - timedelta(days=1)
    if rng.random() < EARLIER_GRANT and earlier_end >= begin:
        earlier_begin = max(begin, earlier_end - _days(rng, 30, 1400))
        tables["grants"].add(
            (
                relation_id,
                organisation + 1,
                right.pk,
                profiles[0],
                None,
                earlier_begin,
                earlier_end,
                earlier_begin,
                _moment(earlier_begin),
                None,
                "kmop seed",
                None,
                None,
            )
        )
    if expired or paused or grant_ended_at is not None or grant_end < today or grant_begin > today:
        return None
    return grant_begin


def _step_idm(ctx: SeedContext) -> None:
    changed = services.right_definitions_load(actor=ctx.actor)
    ctx.stdout.write(f"  right definitions: {changed} changed\n")
    if ctx.demo:
        made = seed_demo_rights(ctx.actor)
        ctx.stdout.write(
            f"  demo rights: {made['grants']} grants, {made['appointments']} appointments made\n"
        )
        return
    counts = seed_population(scale=ctx.scale, seed=ctx.seed, actor=ctx.actor)
    ctx.counts.update({f"idm_{name}": count for name, count in counts.items()})
    ctx.stdout.write("  " + ", ".join(f"{name} {count}" for name, count in counts.items()) + "\n")


STEPS: list[SeedStep] = [SeedStep("idm", _step_idm)]
