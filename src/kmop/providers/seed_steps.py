"""``kmop seed`` step of the providers (after the IDM's step, which made the organisations).

- ``--scale demo``: the demo provider organisations of ``kmop.demo`` (``PROVIDER_ORGANISATIONS``:
  Leerwijs, and Lernwerk, a foreign provider with a Belgian enterprise number) signed up through the
  services, as the system, with registrations for both services (approved, requested, an expired L, a
  suspended S), a department with its own contact person and bank account, and another establishment.
  Idempotent: a demo provider that exists is left as it is.
- ``--scale N``: about N/100 providers (20,000 at 2 M) with their registered office and other
  establishments, departments for a few (with IDM departments), and registrations in every status, written
  in batches (``COPY`` on PostgreSQL), deterministic from ``(scale, seed, today)``. It replaces the providers
  of an earlier seed (and what other apps keep about them: their projects are seeded after this step).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from kmop.audit.services import Actor, audit_record
from kmop.idm import services as idm_services
from kmop.idm.models import Department, Organisation, RightGrant, TargetGroup
from kmop.providers import services
from kmop.providers.models import (
    NUMBER_PREFIX,
    REGISTRATION_SEQUENCE,
    STARTER_VALIDITY_YEARS,
    VALIDITY_YEARS,
    NumberSequence,
    Provider,
    ProviderDepartment,
    ProviderEstablishment,
    Registration,
    RegistrationEvent,
    Service,
)
from kmop.providers.services import Decision
from kmop.registers.synthetic_seed import SeedContext, SeedStep, TableWriter, delete_referencing

#: one provider per this many enterprises of the scale
ENTERPRISES_PER_PROVIDER = 100
BATCH = 5000
PROVIDER_PROFILE = "DienstverlenerKmoPortefeuille"
#: share of the providers with departments (universities, colleges: register per department)
WITH_DEPARTMENTS = 0.03
#: the status of a registration: cumulative weights
_STATUSES = (
    ("G", 0.70),
    ("G/V", 0.75),
    ("A", 0.80),
    ("L", 0.88),
    ("L/H", 0.90),
    ("N", 0.94),
    ("S", 0.97),
    ("U", 0.98),
    ("T", 1.0),
)
_FIELDS = (
    "Digitalisering",
    "Boekhouding en fiscaliteit",
    "Marketing en verkoop",
    "Human resources",
    "Veiligheid en welzijn",
    "Duurzaamheid en energie",
    "Talen",
    "Leiderschap",
    "Productie en logistiek",
    "Strategie en groei",
    "Internationaal ondernemen",
    "ICT-beveiliging",
)
_DEPARTMENT_NAMES = (
    "Faculteit Economie en Bedrijfskunde",
    "Faculteit Ingenieurswetenschappen",
    "Departement Gezondheidszorg",
    "Centrum voor Levenslang Leren",
    "Departement Handelswetenschappen",
)


# --- demo ------------------------------------------------------------------------------------------------

#: the demo providers' extra data (the organisation's data is in ``kmop.demo.personas``)
DEMO: dict[str, dict[str, Any]] = {
    "leerwijs": {
        "contact_name": "Els Maes",
        "bic": "",
        "fields": "Digitalisering, boekhouding en fiscaliteit, leiderschap",
        "presentation": "Leerwijs geeft praktijkgerichte opleidingen en advies aan kmo's in Vlaanderen.",
        "website": "https://leerwijs.example",
        "departments": [
            {
                "code": "ACADEMIE",
                "name": "Leerwijs Academie",
                "contact_name": "Jonas De Smet",
                "contact_email": "academie@leerwijs.example",
                "iban": "BE68793230773034",
                "street": "Naamsestraat",
                "house_number": "22",
                "postcode": "3000",
                "municipality": "Leuven",
            }
        ],
        "establishments": [
            {
                "street": "Kortrijksesteenweg",
                "house_number": "300",
                "postcode": "9000",
                "municipality": "Gent",
            }
        ],
        # (department code or "", service, basis, outcome, first valid day)
        "registrations": [
            ("", "opleiding", "prive", "G", date(2023, 3, 21)),
            ("", "advies", "prive", "L", date(2019, 5, 2)),
            ("ACADEMIE", "opleiding", "kennisinstelling", "G", date(2024, 9, 1)),
            ("ACADEMIE", "advies", "kennisinstelling", "A", None),
        ],
    },
    "lernwerk": {
        "contact_name": "Klaus Becker",
        "bic": "COBADEFFXXX",
        "fields": "Internationaal ondernemen, talen",
        "presentation": "Lernwerk Consulting begeleidt kmo's bij hun export naar Duitsland.",
        "website": "",
        "departments": [],
        "establishments": [],
        "registrations": [
            ("", "opleiding", "prive", "G", date(2024, 1, 15)),
            ("", "advies", "prive", "S", date(2022, 6, 1)),
        ],
    },
}


#: the demo providers' password for "Login dienstverleners" (their login is their enterprise number); shown
#: on the demo page, never used outside the demo
DEMO_PROVIDER_PASSWORD = "demo-dienstverlener-kmop"  # noqa: S105


def _demo_provider(actor: Actor, key: str) -> Provider | None:
    from kmop.demo.personas import ORGANISATIONS_BY_KEY

    demo = ORGANISATIONS_BY_KEY[key]
    extra = DEMO[key]
    existing = Provider.objects.filter(enterprise_number=demo.code).first()
    if existing is not None:
        if not existing.password:  # a demo seeded before the portal had its login
            services.provider_password_set(actor=actor, provider=existing, password=DEMO_PROVIDER_PASSWORD)
        return None
    foreign = demo.kind == "foreign"
    provider = services.provider_sign_up(
        actor=actor,
        enterprise_number=demo.code,
        legal_name=demo.name,
        legal_form=demo.juridical_form,
        street=demo.street,
        house_number=demo.house_number,
        postcode=demo.zipcode,
        municipality=demo.municipality,
        country="DE" if foreign else "BE",
        contact_name=extra["contact_name"],
        contact_email=demo.email,
        contact_phone=demo.phone,
        website=extra["website"],
        iban=demo.iban,
        bic=extra["bic"],
        fields_of_expertise=extra["fields"],
        presentation=extra["presentation"],
        is_foreign=foreign,
        reason="kmop seed (demo)",
    )
    services.provider_password_set(
        actor=actor, provider=provider, password=DEMO_PROVIDER_PASSWORD, reason="kmop seed (demo)"
    )
    departments: dict[str, ProviderDepartment] = {}
    if extra["departments"]:
        idm_services.organisation_departments_right_set(
            actor=actor, organisation=provider.organisation, activated=True, reason="kmop seed (demo)"
        )
    for data in extra["departments"]:
        departments[data["code"]] = services.department_create(
            actor=actor, provider=provider, reason="kmop seed (demo)", **data
        )
    for data in extra["establishments"]:
        services.establishment_add(actor=actor, provider=provider, reason="kmop seed (demo)", **data)
    for department_code, service, basis, outcome, start in extra["registrations"]:
        registration = services.registration_request(
            actor=actor,
            provider=provider,
            service=service,
            basis=basis,
            department=departments.get(department_code),
            reason="kmop seed (demo)",
        )
        if outcome == "A":
            continue
        registration = services.registration_decide(
            actor=actor,
            registration=registration,
            decision=Decision.APPROVE,
            reason="Audit kmop-norm geslaagd (demo)",
            valid_from=start,
        )
        if outcome == "S":
            services.registration_decide(
                actor=actor,
                registration=registration,
                decision=Decision.SUSPEND,
                reason="Klachten van klanten in onderzoek (demo)",
            )
    return provider


def seed_demo_providers(actor: Actor, today: date | None = None) -> int:
    """The demo providers (idempotent); returns the number made. Expires what is due on ``today``."""
    from kmop.demo.personas import PROVIDER_ORGANISATIONS

    made = sum(1 for key in PROVIDER_ORGANISATIONS if _demo_provider(actor, key) is not None)
    services.registration_expire_due(actor=actor, day=today or timezone.localdate())
    return made


# --- scale -----------------------------------------------------------------------------------------------


_OWN_TABLES: tuple[type[models.Model], ...] = (
    RegistrationEvent,
    Registration,
    ProviderEstablishment,
    ProviderDepartment,
    Provider,
)


def _clear() -> None:
    """Remove the providers of an earlier seed (and the IDM departments they had)."""
    departments = list(ProviderDepartment.objects.values_list("department_id", flat=True))
    if connection.vendor == "postgresql":
        names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in _OWN_TABLES)
        with connection.cursor() as cursor:
            # CASCADE: what other apps keep about them (projects, ...) goes with them; their steps come after
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    else:
        for model in _OWN_TABLES:
            delete_referencing(model, keep_app="providers")
            model._default_manager.all()._raw_delete(connection.alias)
    # the IDM departments they had (the IDM's own seed replaced them already when it ran before this step)
    Department.objects.filter(pk__in=departments, grants__isnull=True).delete()
    NumberSequence.objects.update_or_create(name=REGISTRATION_SEQUENCE, defaults={"last_value": 0})


def _moment(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _chosen_organisations(wanted: int) -> list[tuple[int, str, str]]:
    """``wanted`` enterprise organisations of the IDM, evenly spread, those whose people have the provider
    profile first (they can log in to the portal): ``(id, code, name)``. Only ids are held for all of them."""
    with_profile = set(
        RightGrant.objects.filter(context_value=PROVIDER_PROFILE)
        .values_list("work_relation__organisation_id", flat=True)
        .distinct()
    )
    ids = list(
        Organisation.objects.filter(target_group=TargetGroup.ECONOMIC_ACTOR, active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    first = [i for i in ids if i in with_profile]
    rest = [i for i in ids if i not in with_profile]

    def spread(items: list[int], n: int) -> list[int]:
        if n >= len(items):
            return items
        step = len(items) / n
        return [items[int(i * step)] for i in range(n)]

    chosen = spread(first, wanted)
    if len(chosen) < wanted:
        chosen += spread(rest, wanted - len(chosen))
    chosen.sort()
    rows: list[tuple[int, str, str]] = []
    for start in range(0, len(chosen), BATCH):
        rows.extend(
            Organisation.objects.filter(pk__in=chosen[start : start + BATCH])
            .order_by("id")
            .values_list("id", "code", "name")
        )
    return rows


def _addresses(codes: list[str]) -> dict[str, tuple[str, str, str, str, str]]:
    """The registered office's address of each enterprise in the KBO: (street, number, box, postcode,
    municipality)."""
    from kmop.registers.models import Address

    result: dict[str, tuple[str, str, str, str, str]] = {}
    for start in range(0, len(codes), BATCH):
        for entity, street, number, box, zipcode, municipality in Address.objects.filter(
            entity_number__in=codes[start : start + BATCH], type_of_address="REGO"
        ).values_list("entity_number", "street_nl", "house_number", "box", "zipcode", "municipality_nl"):
            result[entity] = (
                (street or "Onbekend")[:200],
                (number or "1")[:20],
                (box or "")[:20],
                (zipcode or "1000")[:10],
                (municipality or "Brussel")[:200],
            )
    return result


def _status_of(rng: random.Random) -> str:
    x = rng.random()
    return next(status for status, weight in _STATUSES if x < weight)


def _dates(status: str, rng: random.Random, today: date, starter: bool) -> tuple[date | None, date | None]:
    """The validity of a registration in the status, consistent with it on ``today``."""
    from kmop.idm.dates import add_years

    years = STARTER_VALIDITY_YEARS if starter else VALIDITY_YEARS
    if status in ("A", "N"):
        return None, None
    if status in ("L", "L/H"):  # expired in the last 3 years
        until = today - timedelta(days=rng.randint(1, 1000))
        return add_years(until, -years), until
    # valid now (G, G/V, S, and U/T that were valid when they were stopped)
    start = today - timedelta(days=rng.randint(0, 365 * years - 1))
    until = add_years(start, years)
    if until <= today:
        until = today + timedelta(days=1)
    return start, until


#: the columns the scale seed (and the search benchmark) writes with COPY
PROVIDER_COLUMNS = (
    "id",
    "organisation_id",
    "legal_name",
    "enterprise_number",
    "legal_form",
    "street",
    "house_number",
    "box",
    "postcode",
    "municipality",
    "country",
    "contact_name",
    "contact_email",
    "contact_phone",
    "website",
    "iban",
    "bic",
    "fields_of_expertise",
    "presentation",
    "is_foreign",
    "login",
    "password",
    "created_at",
    "updated_at",
)
ESTABLISHMENT_COLUMNS = (
    "provider_id",
    "is_registered_office",
    "name",
    "street",
    "house_number",
    "box",
    "postcode",
    "municipality",
    "country",
    "latitude",
    "longitude",
    "created_at",
    "updated_at",
)
REGISTRATION_COLUMNS = (
    "id",
    "number",
    "provider_id",
    "department_id",
    "service",
    "basis",
    "status",
    "is_starter",
    "valid_from",
    "valid_until",
    "requested_at",
    "decided_at",
    "decided_by",
    "decision_reason",
    "status_changed_at",
    "version",
)


def seed_providers_at_scale(
    *, scale: int, seed: int, actor: Actor, today: date | None = None
) -> dict[str, int]:
    """Replace the providers by about ``scale / 100`` synthetic ones (see the module's docstring)."""
    from kmop.registers.geo import postcode_point
    from kmop.registers.synthetic import Population, read_municipalities

    today = today or timezone.localdate()
    created = _moment(today - timedelta(days=1), 8)
    population = Population(seed=seed, size=max(scale, 1))
    places = [m for m in read_municipalities() if m.region == "2000"] or read_municipalities()

    def point(postcode: str) -> tuple[float | None, float | None]:
        """The establishment's point (``ProviderEstablishment.locate``, which the COPY does not call)."""
        found = postcode_point(postcode)
        return (found.latitude, found.longitude) if found else (None, None)

    with transaction.atomic():
        _clear()
        wanted = max(1, scale // ENTERPRISES_PER_PROVIDER)
        chosen = _chosen_organisations(wanted)
        from kmop.registers.models import Enterprise

        codes = [code for _, code, _ in chosen]
        forms: dict[str, str | None] = {}
        for start in range(0, len(codes), BATCH):
            forms.update(
                Enterprise.objects.filter(pk__in=codes[start : start + BATCH]).values_list(
                    "pk", "juridical_form"
                )
            )
        addresses = _addresses(codes)
        tables = {
            "providers": TableWriter(Provider, PROVIDER_COLUMNS),
            "idm_departments": TableWriter(Department, ("id", "organisation_id", "code", "name")),
            "departments": TableWriter(
                ProviderDepartment,
                (
                    "id",
                    "provider_id",
                    "department_id",
                    "contact_name",
                    "contact_email",
                    "contact_phone",
                    "iban",
                    "bic",
                    "street",
                    "house_number",
                    "box",
                    "postcode",
                    "municipality",
                    "created_at",
                    "updated_at",
                ),
            ),
            "establishments": TableWriter(ProviderEstablishment, ESTABLISHMENT_COLUMNS),
            "registrations": TableWriter(Registration, REGISTRATION_COLUMNS),
            "events": TableWriter(
                RegistrationEvent,
                (
                    "registration_id",
                    "from_status",
                    "to_status",
                    "action",
                    "at",
                    "actor_label",
                    "reason",
                    "valid_from",
                    "valid_until",
                ),
            ),
        }
        next_department_id = (Department.objects.aggregate(m=models.Max("id"))["m"] or 0) + 1
        department_id = 0
        registrations: list[tuple[Any, ...]] = []
        for provider_id, (organisation_id, code, name) in enumerate(chosen, start=1):
            rng = random.Random(f"{seed}:provider:{code}")
            street, number, box, postcode, municipality = addresses.get(
                code, ("Koning Albert II-laan", "35", "", "1030", "Schaarbeek")
            )
            slug = "".join(c for c in name.lower() if c.isalnum())[:20] or code
            fields = ", ".join(rng.sample(_FIELDS, rng.randint(1, 3)))
            tables["providers"].add(
                (
                    provider_id,
                    organisation_id,
                    name[:320],
                    code,
                    forms.get(code) or "",
                    street,
                    number,
                    box,
                    postcode,
                    municipality,
                    "BE",
                    f"Contactpersoon {name[:60]}",
                    f"info@{slug}.example",
                    f"+32{rng.randrange(2_000_0000, 9_999_9999)}",
                    "",
                    population.random_iban(rng),
                    "",
                    fields,
                    f"{name[:200]}: {fields.lower()}.",
                    False,
                    code,
                    "",
                    created,
                    created,
                )
            )
            tables["establishments"].add(
                (
                    provider_id,
                    True,
                    name[:200],
                    street,
                    number,
                    box,
                    postcode,
                    municipality,
                    "BE",
                    *point(postcode),
                    created,
                    created,
                )
            )
            for extra in range(rng.choice((0, 0, 0, 1, 1, 2, 3))):
                place = rng.choice(places)
                tables["establishments"].add(
                    (
                        provider_id,
                        False,
                        "",
                        f"Vestigingsstraat {extra + 1}",
                        str(rng.randint(1, 250)),
                        "",
                        place.zipcode,
                        place.name_nl,
                        "BE",
                        *point(place.zipcode),
                        created,
                        created,
                    )
                )
            levels: list[int | None] = [None]
            if rng.random() < WITH_DEPARTMENTS:
                for index in range(rng.randint(1, 4)):
                    department_id += 1
                    idm_id = next_department_id
                    next_department_id += 1
                    tables["idm_departments"].add(
                        (
                            idm_id,
                            organisation_id,
                            f"DEP{index + 1}",
                            _DEPARTMENT_NAMES[index % len(_DEPARTMENT_NAMES)],
                        )
                    )
                    tables["departments"].add(
                        (
                            department_id,
                            provider_id,
                            idm_id,
                            f"Contactpersoon departement {index + 1}",
                            f"dep{index + 1}@{slug}.example",
                            "",
                            population.random_iban(rng),
                            "",
                            street,
                            number,
                            "",
                            postcode,
                            municipality,
                            created,
                            created,
                        )
                    )
                    levels.append(department_id)
            for level in levels:
                for service, share in ((Service.OPLEIDING, 0.85), (Service.ADVIES, 0.55)):
                    if rng.random() >= share:
                        continue
                    status = _status_of(rng)
                    starter = rng.random() < 0.05
                    basis = "prive"
                    if level is not None:
                        basis = "kennisinstelling"
                    elif service == Service.OPLEIDING and rng.random() < 0.03:
                        basis = "sectorfonds"
                    valid_from, valid_until = _dates(status, rng, today, starter)
                    requested = (valid_from or today - timedelta(days=rng.randint(1, 60))) - timedelta(
                        days=rng.randint(14, 60)
                    )
                    decided = status != "A"
                    registrations.append(
                        (
                            provider_id,
                            level,
                            service,
                            basis,
                            status,
                            starter,
                            valid_from,
                            valid_until,
                            requested,
                            decided,
                        )
                    )
        # the numbers: one block of the global sequence, in the order of the rows
        numbers = (
            services.next_numbers(REGISTRATION_SEQUENCE, len(registrations)) if registrations else range(0)
        )
        for registration_id, (value, row) in enumerate(zip(numbers, registrations, strict=True), start=1):
            (
                provider_id,
                level,
                service,
                basis,
                status,
                starter,
                valid_from,
                valid_until,
                requested,
                decided,
            ) = row
            requested_at = _moment(requested, 10)
            decided_at = _moment(valid_from or requested + timedelta(days=28), 14) if decided else None
            tables["registrations"].add(
                (
                    registration_id,
                    f"{NUMBER_PREFIX[service]}{value:06d}",
                    provider_id,
                    level,
                    service,
                    basis,
                    status,
                    starter,
                    valid_from,
                    valid_until,
                    requested_at,
                    decided_at,
                    "kmop seed" if decided else "",
                    "",
                    decided_at or requested_at,
                    1,
                )
            )
            tables["events"].add(
                (
                    registration_id,
                    "",
                    status,
                    "seed",
                    decided_at or requested_at,
                    "kmop seed",
                    "",
                    valid_from,
                    valid_until,
                )
            )
        # departments first: the IDM's table before the providers' link to it
        for key in (
            "idm_departments",
            "providers",
            "departments",
            "establishments",
            "registrations",
            "events",
        ):
            tables[key].flush()
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(
                no_style(),
                [
                    Provider,
                    ProviderDepartment,
                    ProviderEstablishment,
                    Registration,
                    RegistrationEvent,
                    Department,
                ],
            ):
                cursor.execute(statement)
        counts = {name: table.count for name, table in tables.items()}
        audit_record(
            actor=actor,
            action="providers.population.seed",
            object_type="providers.Provider",
            object_id="*",
            after={"scale": scale, "seed": seed, "today": today.isoformat(), **counts},
            reason="kmop seed",
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            analysed: tuple[type[models.Model], ...] = (*_OWN_TABLES, Department)
            for model in analysed:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    return counts


def _step_providers(ctx: SeedContext) -> None:
    if ctx.demo:
        made = seed_demo_providers(ctx.actor)
        ctx.stdout.write(f"  demo providers: {made} made\n")
        return
    counts = seed_providers_at_scale(scale=ctx.scale, seed=ctx.seed, actor=ctx.actor)
    ctx.counts.update({f"providers_{name}": count for name, count in counts.items()})
    ctx.stdout.write("  " + ", ".join(f"{name} {count}" for name, count in counts.items()) + "\n")


STEPS: list[SeedStep] = [SeedStep("providers", _step_providers)]
