"""Reads on the IDM: effective rights, "aanmelden als", administrators, expiring rights, toekenning opzoeken.

Every question is asked "at" a moment (default: now). A right is effective at that moment when it is within
its
begin/end and not ended, its work relation is within its begin/end, not ended and not paused, the right
definition is active and the organisation is active (for an enterprise also: active in the KBO, when the KBO
has it). Callers check this on every request, not only at login.
"""

from __future__ import annotations

import functools
import re
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Exists, Model, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from kmop.audit.models import AuditEvent
from kmop.idm.models import (
    AdministratorAppointment,
    Organisation,
    Person,
    RightDefinition,
    RightGrant,
    TargetGroup,
    WorkRelation,
    WorkRelationPause,
)
from kmop.registers.models import Enterprise, LegalFunction, LegalFunctionCode
from kmop.registers.selectors import current_legal_functions, enterprise_names

#: a Person of the IDM or a national/BIS number (11 digits)
type PersonRef = Person | str

#: the right and profile a legal representative of a legal-person enterprise has without a grant
IMPLICIT_RIGHT = "VLAIOInkomGebruikerNieuw"
IMPLICIT_PROFILE = "Gebruiker"
#: the staff right that may administer any organisation (audited)
APPLICATION_MANAGER_RIGHT = "VLAIOInkomToepassingsbeheerder"
#: the KBO status of an active enterprise
KBO_ACTIVE = "AC"
#: the appointments that make someone an administrator of the kmo-portefeuille rights
ADMIN_DOMAINS = (AdministratorAppointment.DOMAIN_ECONOMY, AdministratorAppointment.DOMAIN_ALL)


def person_number(person: PersonRef) -> str:
    return person if isinstance(person, str) else person.national_number


def _moment(at: datetime | None) -> tuple[datetime, date]:
    at = at or timezone.now()
    return at, timezone.localdate(at)


def organisation_active_q(prefix: str = "") -> Q:
    """Active organisations: our own flag, and for an enterprise not inactive in the KBO."""
    inactive_in_kbo = Enterprise.objects.filter(pk=OuterRef(f"{prefix}code")).exclude(status=KBO_ACTIVE)
    return Q(**{f"{prefix}active": True}) & (
        ~Q(**{f"{prefix}target_group": TargetGroup.ECONOMIC_ACTOR}) | Q(~Exists(inactive_in_kbo))
    )


def right_organisation_codes(right_code: str) -> frozenset[str]:
    """The organisations (codes) a right is limited to (``organisation_codes`` of its active definition;
    empty: the right is for no organisation in particular, or it does not exist)."""
    codes = (
        RightDefinition.objects.filter(code=right_code, active=True)
        .values_list("organisation_codes", flat=True)
        .first()
    )
    return frozenset(codes or ())


def is_organisation_active(organisation: Organisation) -> bool:
    return Organisation.objects.filter(organisation_active_q(), pk=organisation.pk).exists()


def open_work_relations_q(at: datetime, day: date, prefix: str = "") -> Q:
    """Work relations within their begin/end at the moment and not ended (paused or not)."""
    return Q(**{f"{prefix}begin_date__lte": day, f"{prefix}end_date__gte": day}) & (
        Q(**{f"{prefix}ended_at__isnull": True}) | Q(**{f"{prefix}ended_at__gt": at})
    )


def _paused(at: datetime, work_relation_ref: str) -> Exists:
    return Exists(
        WorkRelationPause.objects.filter(
            work_relation=OuterRef(work_relation_ref), started_at__lte=at
        ).filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at))
    )


def effective_grants(*, at: datetime | None = None) -> QuerySet[RightGrant]:
    """All right grants effective at the moment (filter further by person or organisation)."""
    at, day = _moment(at)
    return (
        RightGrant.objects.filter(begin_date__lte=day, end_date__gte=day, right__active=True)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at))
        .filter(open_work_relations_q(at, day, "work_relation__"))
        .filter(organisation_active_q("work_relation__organisation__"))
        .exclude(_paused(at, "work_relation"))
        .select_related("right", "work_relation__organisation", "work_relation__person", "department")
    )


def effective_grants_of(person: PersonRef, *, at: datetime | None = None) -> QuerySet[RightGrant]:
    """The rights of a person effective at the moment."""
    return effective_grants(at=at).filter(work_relation__person__national_number=person_number(person))


def is_application_manager(person: PersonRef, *, at: datetime | None = None) -> bool:
    """Staff with an effective ``VLAIOInkomToepassingsbeheerder`` right (only VLAIO may hold it)."""
    return effective_grants_of(person, at=at).filter(right__code=APPLICATION_MANAGER_RIGHT).exists()


def represented_enterprises(person: PersonRef, *, at: datetime | None = None) -> QuerySet[LegalFunction]:
    """The current functions in the KBO through which the person represents an enterprise."""
    _, day = _moment(at)
    return current_legal_functions(person_number=person_number(person), on=day).filter(
        function__represents=True
    )


def is_legal_representative(
    person: PersonRef, organisation: Organisation, *, at: datetime | None = None
) -> bool:
    if not organisation.is_enterprise:
        return False
    return represented_enterprises(person, at=at).filter(enterprise_id=organisation.code).exists()


def current_appointments(*, at: datetime | None = None) -> QuerySet[AdministratorAppointment]:
    at, day = _moment(at)
    return (
        AdministratorAppointment.objects.filter(begin_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=at))
        .select_related("person", "organisation")
    )


def administering_appointments(*, at: datetime | None = None) -> QuerySet[AdministratorAppointment]:
    """Current appointments that give the administration of the kmo-portefeuille rights: (co-)main access
    managers, local administrators, and access managers for the domain ``economie`` or all domains."""
    return current_appointments(at=at).filter(
        ~Q(level=AdministratorAppointment.Level.ACCESS_MANAGER) | Q(domain__in=ADMIN_DOMAINS)
    )


def administered_organisations(person: PersonRef, *, at: datetime | None = None) -> QuerySet[Organisation]:
    """The organisations the person may administer at the moment (all of them for an application manager)."""
    if is_application_manager(person, at=at):
        return Organisation.objects.all()
    return administered_without_staff_right(person, at=at)


def administered_without_staff_right(person: PersonRef, *, at: datetime | None) -> QuerySet[Organisation]:
    """The organisations administered as legal representative or by an appointment (a lazy queryset)."""
    number = person_number(person)
    enterprises = represented_enterprises(person, at=at).values("enterprise_id")
    appointed = (
        administering_appointments(at=at).filter(person__national_number=number).values("organisation_id")
    )
    return Organisation.objects.filter(
        Q(target_group=TargetGroup.ECONOMIC_ACTOR, code__in=enterprises) | Q(pk__in=appointed)
    )


# --- the administration of a person in one statement (the Gebruikersbeheer's check on every request) ----


@dataclass(frozen=True)
class Administration:
    """What a person administers at a moment: whether he is an application manager (an effective
    ``VLAIOInkomToepassingsbeheerder`` right) and the ids of the organisations he administers on his own (as
    legal representative or by an administering appointment: ``administered_without_staff_right``)."""

    application_manager: bool
    organisation_ids: tuple[int, ...]


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _col(alias: str, model: type[Model], name: str) -> str:
    column = model._meta.get_field(name).column  # type: ignore[union-attr]
    assert isinstance(column, str)
    return f"{alias}.{connection.ops.quote_name(column)}"


@functools.cache
def administration_sql() -> str:
    """The statement of ``administration`` (portable SQLite/PostgreSQL, names from ``_meta``, every value a
    named parameter), built once. Rows ``('M', 0)`` when the person has an effective application manager's
    right, ``('O', id)`` for each organisation administered without it. Its three parts are those of
    ``is_application_manager`` and ``administered_without_staff_right``."""
    g, r, w, p, o, wp, e = (
        RightGrant,
        RightDefinition,
        WorkRelation,
        Person,
        Organisation,
        WorkRelationPause,
        Enterprise,
    )
    manager = (
        f"SELECT 'M' AS kind, 0 AS organisation FROM {_table(g)} g"
        f" JOIN {_table(r)} r ON {_col('r', r, 'id')} = {_col('g', g, 'right')}"
        f" JOIN {_table(w)} w ON {_col('w', w, 'id')} = {_col('g', g, 'work_relation')}"
        f" JOIN {_table(p)} p ON {_col('p', p, 'id')} = {_col('w', w, 'person')}"
        f" JOIN {_table(o)} o ON {_col('o', o, 'id')} = {_col('w', w, 'organisation')}"
        f" WHERE {_col('p', p, 'national_number')} = %(person)s AND {_col('r', r, 'code')} = %(manager)s"
        f" AND {_col('r', r, 'active')}"
        f" AND {_col('g', g, 'begin_date')} <= %(day)s AND {_col('g', g, 'end_date')} >= %(day)s"
        f" AND ({_col('g', g, 'ended_at')} IS NULL OR {_col('g', g, 'ended_at')} > %(at)s)"
        f" AND {_col('w', w, 'begin_date')} <= %(day)s AND {_col('w', w, 'end_date')} >= %(day)s"
        f" AND ({_col('w', w, 'ended_at')} IS NULL OR {_col('w', w, 'ended_at')} > %(at)s)"
        f" AND {_col('o', o, 'active')}"
        f" AND ({_col('o', o, 'target_group')} <> %(economic_actor)s"
        f" OR NOT EXISTS (SELECT 1 FROM {_table(e)} e"
        f" WHERE {_col('e', e, 'enterprise_number')} = {_col('o', o, 'code')}"
        f" AND {_col('e', e, 'status')} <> %(kbo_active)s))"
        f" AND NOT EXISTS (SELECT 1 FROM {_table(wp)} wp"
        f" WHERE {_col('wp', wp, 'work_relation')} = {_col('w', w, 'id')}"
        f" AND {_col('wp', wp, 'started_at')} <= %(at)s"
        f" AND ({_col('wp', wp, 'ended_at')} IS NULL OR {_col('wp', wp, 'ended_at')} > %(at)s))"
    )
    lf, fc, a = LegalFunction, LegalFunctionCode, AdministratorAppointment
    # the organisation of each represented enterprise by its unique code, one lookup per function (a scalar
    # subquery: a join let the planner hash all 50,000 organisations for the one or two functions of a
    # person). On PostgreSQL the KBO's numbers are in the "C" collation and the organisation's code in the
    # database's: compared in the latter, so that the code's unique index serves.
    in_default = ' COLLATE "default"' if connection.vendor == "postgresql" else ""
    organisation_of = (
        f"SELECT {_col('o', o, 'id')} FROM {_table(o)} o"
        f" WHERE {_col('o', o, 'code')} = {_col('lf', lf, 'enterprise')}{in_default}"
        f" AND {_col('o', o, 'target_group')} = %(economic_actor)s"
    )
    represented = (
        f"SELECT 'O', ro.organisation FROM (SELECT ({organisation_of}) AS organisation"
        f" FROM {_table(lf)} lf"
        f" JOIN {_table(fc)} fc ON {_col('fc', fc, 'code')} = {_col('lf', lf, 'function')}"
        f" WHERE {_col('lf', lf, 'person_number')} = %(person)s"
        f" AND {_col('lf', lf, 'start_date')} <= %(day)s"
        f" AND ({_col('lf', lf, 'end_date')} IS NULL OR {_col('lf', lf, 'end_date')} >= %(day)s)"
        f" AND {_col('fc', fc, 'represents')}) ro WHERE ro.organisation IS NOT NULL"
    )
    appointed = (
        f"SELECT 'O', {_col('a', a, 'organisation')} FROM {_table(a)} a"
        f" JOIN {_table(p)} p ON {_col('p', p, 'id')} = {_col('a', a, 'person')}"
        f" WHERE {_col('p', p, 'national_number')} = %(person)s"
        f" AND {_col('a', a, 'begin_date')} <= %(day)s"
        f" AND ({_col('a', a, 'end_date')} IS NULL OR {_col('a', a, 'end_date')} >= %(day)s)"
        f" AND ({_col('a', a, 'ended_at')} IS NULL OR {_col('a', a, 'ended_at')} > %(at)s)"
        f" AND ({_col('a', a, 'level')} <> %(access_manager)s"
        f" OR {_col('a', a, 'domain')} IN (%(domain_economy)s, %(domain_all)s))"
    )
    return f"{manager} UNION {represented} UNION {appointed}"


_ADMINISTRATION_TYPES = {"person": "varchar", "day": "date", "at": "timestamptz"}


def administration(person: PersonRef, *, at: datetime | None = None) -> Administration:
    """``is_application_manager`` and the ids of ``administered_without_staff_right`` in one statement built
    once (``administration_sql``; a prepared statement on PostgreSQL with persistent connections): what the
    Gebruikersbeheer asks on every request, without building ORM queries for it each time."""
    at, day = _moment(at)
    ops = connection.ops
    params: dict[str, Any] = {
        "person": person_number(person),
        "day": ops.adapt_datefield_value(day),
        "at": ops.adapt_datetimefield_value(at),
        "manager": APPLICATION_MANAGER_RIGHT,
        "economic_actor": TargetGroup.ECONOMIC_ACTOR.value,
        "kbo_active": KBO_ACTIVE,
        "access_manager": AdministratorAppointment.Level.ACCESS_MANAGER.value,
        "domain_economy": ADMIN_DOMAINS[0],
        "domain_all": ADMIN_DOMAINS[1],
    }
    rows = run_statement("kmop_administration", administration_sql, _ADMINISTRATION_TYPES, params)
    return Administration(
        application_manager=any(kind == "M" for kind, _pk in rows),
        organisation_ids=tuple(sorted(pk for kind, pk in rows if kind == "O")),
    )


#: PostgreSQL: per database connection, the names of the statements prepared on it
_prepared_on: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def connections_persist() -> bool:
    """Whether a database connection outlives a request (the pool, or ``CONN_MAX_AGE``): only then does a
    prepared statement pay (PostgreSQL plans these statements in about ten times the time it runs them,
    every time; a prepared one, after its first five runs, with a generic plan kept by the connection)."""
    pool = getattr(connection, "pool", None)  # PostgreSQL's backend only
    return pool is not None or connection.settings_dict.get("CONN_MAX_AGE") != 0


@functools.cache
def _prepared(
    name: str, build: Callable[[], str], types: tuple[tuple[str, str], ...]
) -> tuple[str, str, tuple[str, ...]]:
    """A statement with named parameters as PostgreSQL's ``PREPARE``, its ``EXECUTE`` (values bound by the
    driver) and the order of its parameters."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    body = re.sub(r"%\((\w+)\)s", number, build())
    kinds = dict(types)
    declared = ", ".join(kinds.get(n, "varchar") for n in names)
    placeholders = ", ".join("%s" for _ in names)
    return f"PREPARE {name} ({declared}) AS {body}", f"EXECUTE {name} ({placeholders})", tuple(names)


def run_statement(
    name: str, build: Callable[[], str], types: Mapping[str, str], params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """Run a hand-written statement with named parameters (``build()``, cached by the caller) and return its
    rows; on PostgreSQL with persistent connections as a prepared statement ``name`` (prepared once per
    database connection; ``types``: the SQL types of its parameters, ``varchar`` by default)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connections_persist():
            prepare, execute, names = _prepared(name, build, tuple(sorted(types.items())))
            raw = connection.connection
            done = _prepared_on.setdefault(raw, set())
            if name not in done:
                cursor.execute(prepare)  # once per database connection
                done.add(name)
            cursor.execute(execute, [params[n] for n in names])
        else:
            cursor.execute(build(), params)
        return cursor.fetchall()


@dataclass(frozen=True)
class Administrator:
    """Someone who administers an organisation, and why."""

    national_number: str
    first_name: str
    last_name: str
    kind: str  # "legal_representative" or an AdministratorAppointment.Level
    domain: str = ""
    appointment: AdministratorAppointment | None = None


def administrators_of(organisation: Organisation, *, at: datetime | None = None) -> list[Administrator]:
    """Its legal representatives (KBO) and its current administrators (for "Mijn lokale beheerders")."""
    from kmop.registers.national_register import lookup_many

    result: list[Administrator] = []
    if organisation.is_enterprise:
        _, day = _moment(at)
        numbers = list(
            current_legal_functions(enterprise_number=organisation.code, on=day)
            .filter(function__represents=True)
            .values_list("person_number", flat=True)
            .distinct()
        )
        records = lookup_many(numbers)
        for number in sorted(set(numbers)):
            record = records.get(number)
            result.append(
                Administrator(
                    number,
                    record.first_name if record else "",
                    record.last_name if record else "",
                    "legal_representative",
                )
            )
    for appointment in (
        administering_appointments(at=at).filter(organisation=organisation).order_by("level", "id")
    ):
        p = appointment.person
        result.append(
            Administrator(
                p.national_number,
                p.first_name,
                p.last_name,
                appointment.level,
                appointment.domain,
                appointment,
            )
        )
    return result


@dataclass(frozen=True)
class ActingOption:
    """An organisation a person may act for ("aanmelden als"), with the roles of the role claim."""

    code: str
    name: str
    target_group: str
    roles: tuple[str, ...]  # "<Right>-<ContextValue>" or "<Right>"
    legal_representative: bool
    organisation: Organisation | None

    @property
    def role_claims(self) -> list[str]:
        """As in ``vlaio_inkom_rol_3d``: ``<Right>-<ContextValue>:<OrgCode>``."""
        return [f"{role}:{self.code}" for role in self.roles]


def acting_options(person: PersonRef, *, at: datetime | None = None) -> list[ActingOption]:
    """The organisations the person may act for: an effective right there, or legal representative of an
    active legal-person enterprise (implicit ``VLAIOInkomGebruikerNieuw-Gebruiker``). A natural-person
    enterprise's representative needs a grant. Sorted by name."""
    roles: dict[str, set[str]] = {}
    organisations: dict[str, Organisation] = {}
    for grant in effective_grants_of(person, at=at):
        organisation = grant.work_relation.organisation
        organisations[organisation.code] = organisation
        role = grant.right.code + (f"-{grant.context_value}" if grant.context_value else "")
        roles.setdefault(organisation.code, set()).add(role)
    represented = set(represented_enterprises(person, at=at).values_list("enterprise_id", flat=True))
    legal_person = set(
        Enterprise.objects.filter(pk__in=represented, status=KBO_ACTIVE)
        .exclude(type_of_enterprise="1")
        .values_list("pk", flat=True)
    )
    known = {o.code: o for o in Organisation.objects.filter(code__in=legal_person)}
    for code in legal_person:
        if code in known and not known[code].active:
            continue
        organisations.setdefault(code, known.get(code))  # type: ignore[arg-type]
        roles.setdefault(code, set()).add(f"{IMPLICIT_RIGHT}-{IMPLICIT_PROFILE}")
    kbo_names = enterprise_names([c for c in roles if organisations.get(c) is None])
    options = [
        ActingOption(
            code=code,
            name=organisations[code].name if organisations.get(code) else kbo_names.get(code, code),
            target_group=organisations[code].target_group
            if organisations.get(code)
            else TargetGroup.ECONOMIC_ACTOR,
            roles=tuple(sorted(roles[code])),
            legal_representative=code in legal_person,
            organisation=organisations.get(code),
        )
        for code in roles
    ]
    return sorted(options, key=lambda o: (o.name.lower(), o.code))


def grants_expiring(
    *, on: date | None = None, within_days: int = 10, reminder_due: bool = False
) -> QuerySet[RightGrant]:
    """Effective rights whose end date falls within ``within_days`` days from ``on`` (today), soonest first.

    ``reminder_due``: only those not reminded yet on that day (one mail per right per day).
    """
    day = on or timezone.localdate()
    grants = effective_grants().filter(end_date__gte=day, end_date__lte=day + timedelta(days=within_days))
    if reminder_due:
        grants = grants.exclude(last_reminder_on=day)
    return grants.order_by("end_date", "id")


#: what a row of "toekenning opzoeken" shows besides the grant
GRANT_SEARCH_RELATED = ("right", "department", "work_relation__person", "work_relation__organisation")
#: up to this many work relations of a person's search go into the query as a list of ids
PERSON_RELATIONS_LIST = 1000


def grant_search(
    *,
    administrator: PersonRef,
    at: datetime | None = None,
    organisation: Organisation | None = None,
    right_code: str | None = None,
    begin_from: date | None = None,
    begin_until: date | None = None,
    end_from: date | None = None,
    end_until: date | None = None,
    person: str = "",
    include_ended: bool = False,
    application_manager: bool | None = None,
    organisation_ids: Sequence[int] | None = None,
) -> QuerySet[RightGrant]:
    """Toekenning opzoeken": grants in the organisations the administrator administers (never others: IDOR by
    construction). ``person``: a national/BIS number (any format) or part of a name. ``application_manager``:
    whether the administrator is one, when the caller knows it already (saves a query); ``organisation_ids``:
    the ids of the organisations he administers, when the caller has them (else one small query).

    The filters are on the grant's own columns (``organisation_id IN (...)``, ``right_id``, dates), so that a
    page in the order of ``grant_search_page`` is a range scan of the index (organisation, end date, id) of
    those organisations; a person is looked up among the work relations of those organisations first."""
    grants = RightGrant.objects.select_related(*GRANT_SEARCH_RELATED)
    if application_manager is None:
        application_manager = is_application_manager(administrator, at=at)
    ids: list[int] | None = None  # None: every organisation (an application manager)
    if not application_manager:
        if organisation_ids is None:
            administered = administered_without_staff_right(administrator, at=at)
            ids = list(administered.values_list("pk", flat=True))
        else:
            ids = list(organisation_ids)
    if organisation is not None:
        ids = [organisation.pk] if ids is None or organisation.pk in ids else []
    if right_code:
        # the right's id as a scalar subquery: evaluated once, then a condition on the grant's own column
        right_id = RightDefinition.objects.filter(code=right_code).values("pk")[:1]
        grants = grants.filter(right_id=Subquery(right_id))
    if begin_from:
        grants = grants.filter(begin_date__gte=begin_from)
    if begin_until:
        grants = grants.filter(begin_date__lte=begin_until)
    if end_from:
        grants = grants.filter(end_date__gte=end_from)
    if end_until:
        grants = grants.filter(end_date__lte=end_until)
    if person.strip():
        relations = WorkRelation.objects.filter(person_search_q(person, "person__"))
        if ids is not None:
            relations = relations.filter(organisation_id__in=ids)
        # the matching work relations first (one query; a name through the trigram indexes of migration
        # 0006): as a list of ids, each page is then a lookup of their grants, not the same join again in the
        # page of each organisation; a subquery when they are too many for a list
        found = list(relations.order_by().values_list("pk", flat=True)[: PERSON_RELATIONS_LIST + 1])
        if len(found) > PERSON_RELATIONS_LIST:
            grants = grants.filter(work_relation_id__in=relations.values("pk"))
        else:
            grants = grants.filter(work_relation_id__in=found)
    if not include_ended:
        grants = grants.filter(ended_at__isnull=True)
    order = ("work_relation__person__last_name", "work_relation__person__first_name", "right__code", "id")
    unscoped = grants.order_by(*order)
    if ids is not None:
        grants = grants.filter(organisation_id__in=ids)
    grants = grants.order_by(*order)
    # for grant_search_page: the organisations, and the filters without them (its page of each organisation
    # filters on that one alone: with the IN list too the planner multiplied both selectivities and took the
    # largest organisation for one of 50 grants)
    setattr(grants, SEARCH_ORGANISATIONS, ids)
    setattr(grants, SEARCH_UNSCOPED, unscoped)
    return grants


def work_relations_of(person: Person) -> QuerySet[WorkRelation]:
    """Mijn profiel": my work relations with their grants and pauses."""
    return (
        WorkRelation.objects.filter(person=person)
        .select_related("organisation")
        .prefetch_related("grants__right", "pauses")
        .order_by("organisation__name", "-begin_date")
    )


def person_history(person: Person) -> QuerySet[AuditEvent]:
    """The "Historiek" of a person: events on the person, their work relations, grants, appointments."""
    relations = list(WorkRelation.objects.filter(person=person).values_list("pk", flat=True))
    grants = list(RightGrant.objects.filter(work_relation__person=person).values_list("pk", flat=True))
    appointments = list(AdministratorAppointment.objects.filter(person=person).values_list("pk", flat=True))
    query = Q(object_type="idm.Person", object_id=str(person.pk))
    for object_type, ids in (
        ("idm.WorkRelation", relations),
        ("idm.RightGrant", grants),
        ("idm.AdministratorAppointment", appointments),
    ):
        if ids:
            query |= Q(object_type=object_type, object_id__in=[str(i) for i in ids])
    return AuditEvent.objects.filter(query).order_by("-at", "-id")


def persons_of(organisations: Iterable[Organisation]) -> QuerySet[Person]:
    """The persons with a work relation in these organisations (for "Toon alle personen")."""
    return Person.objects.filter(work_relations__organisation__in=list(organisations)).distinct()


# --- the Gebruikersbeheer screens ----------------------------------------------------------------------


def person_search_q(query: str, prefix: str = "") -> Q:
    """A person by part of the name (every word) and/or the start of the national/BIS number (any format)."""
    result = Q()
    digits = "".join(c for c in query if c.isdigit())
    for word in query.split():
        if not any(c.isdigit() for c in word):
            result &= Q(**{f"{prefix}last_name__icontains": word}) | Q(
                **{f"{prefix}first_name__icontains": word}
            )
    if digits:
        result &= Q(**{f"{prefix}national_number__startswith": digits})
    return result


def persons_overview(
    *,
    administrator: PersonRef,
    query: str = "",
    limit: int = 50,
    at: datetime | None = None,
    organisations: QuerySet[Organisation] | None = None,
) -> tuple[list[Person], bool]:
    """The persons with a work relation in the organisations the administrator administers (search by name or
    number), each with ``shown_relations``: those relations (organisation and grants prefetched). Returns at
    most ``limit`` persons and whether there are more. Three queries whatever the number of persons."""
    from django.db.models import Prefetch

    if organisations is None:
        organisations = administered_organisations(administrator, at=at)
    relations = (
        WorkRelation.objects.filter(organisation__in=organisations)
        .select_related("organisation")
        .prefetch_related("pauses", "grants__right")
        .order_by("organisation__name", "-begin_date")
    )
    persons = (
        Person.objects.filter(
            Exists(WorkRelation.objects.filter(person=OuterRef("pk"), organisation__in=organisations))
        )
        .filter(person_search_q(query))
        .prefetch_related(Prefetch("work_relations", queryset=relations, to_attr="shown_relations"))
        .order_by("last_name", "first_name", "national_number")
    )
    found: list[Person] = list(persons[: limit + 1])
    return found[:limit], len(found) > limit


def person_visible_to(person: Person, administrator: PersonRef, *, at: datetime | None = None) -> bool:
    """Whether the person has a work relation (any, also ended) in an organisation the administrator
    administers."""
    return WorkRelation.objects.filter(
        person=person, organisation__in=administered_organisations(administrator, at=at)
    ).exists()


def person_history_in(person: Person, organisations: QuerySet[Organisation]) -> QuerySet[AuditEvent]:
    """The Historiek of a person as an administrator of ``organisations`` sees it: events on the person
    (added, refreshed from the register) and on their work relations, grants and appointments in those
    organisations (another organisation's history stays hidden)."""
    relations = [
        str(pk)
        for pk in WorkRelation.objects.filter(person=person, organisation__in=organisations).values_list(
            "pk", flat=True
        )
    ]
    grants = [
        str(pk)
        for pk in RightGrant.objects.filter(
            work_relation__person=person, work_relation__organisation__in=organisations
        ).values_list("pk", flat=True)
    ]
    appointments = [
        str(pk)
        for pk in AdministratorAppointment.objects.filter(
            person=person, organisation__in=organisations
        ).values_list("pk", flat=True)
    ]
    query = Q(object_type="idm.Person", object_id=str(person.pk))
    for object_type, ids in (
        ("idm.WorkRelation", relations),
        ("idm.RightGrant", grants),
        ("idm.AdministratorAppointment", appointments),
    ):
        if ids:
            query |= Q(object_type=object_type, object_id__in=ids)
    return AuditEvent.objects.filter(query).select_related("actor").order_by("-at", "-id")


#: the attribute of a ``grant_search`` result that holds the ids of the organisations searched (None: all)
SEARCH_ORGANISATIONS = "search_organisation_ids"
#: the attribute of a ``grant_search`` result that holds the same search without the organisations' filter
SEARCH_UNSCOPED = "search_unscoped"
#: up to this many organisations, a page of ``grant_search_page`` merges the pages of each (PostgreSQL)
PER_ORGANISATION_PAGES = 50

#: the keyset of "toekenning opzoeken": (end date, id)
type GrantCursor = tuple[date, int]


def _page(grants: QuerySet[RightGrant], after: GrantCursor | None, size: int) -> QuerySet[RightGrant] | None:
    """The grants of one page of a ``grant_search`` result (at most ``size + 1``: the one more tells there is
    a next page), soonest end first, by keyset on (end date, id); None when there are none."""
    ids: list[int] | None = getattr(grants, SEARCH_ORGANISATIONS, None)
    unscoped: QuerySet[RightGrant] | None = getattr(grants, SEARCH_UNSCOPED, None)

    def keyset(found: QuerySet[RightGrant]) -> QuerySet[RightGrant]:
        found = found.order_by("end_date", "id")
        if after is None:
            return found
        day, pk = after
        # the range on end_date lets the index seek; the OR only refines the first day
        return found.filter(end_date__gte=day).filter(Q(end_date__gt=day) | Q(id__gt=pk))

    grants = keyset(grants)
    if (
        ids is not None
        and unscoped is not None
        and 1 < len(ids) <= PER_ORGANISATION_PAGES
        and connection.vendor == "postgresql"
    ):
        # several organisations: PostgreSQL cannot merge the ordered ranges of an IN list and walked the whole
        # (end date, id) index instead; the page is the first of the pages of each organisation (each a range
        # of the index (organisation, end date, id)), merged
        # Two queries: the keys of the first page of each organisation (a union of index ranges, merged
        # here), then those rows with what they show. As one statement (``id IN (union)`` joined to the
        # rows' five tables) PostgreSQL took longer to plan it than to run it.
        base = keyset(unscoped)
        parts = [base.filter(organisation_id=pk).values_list("end_date", "id")[: size + 1] for pk in ids]
        keys = sorted(parts[0].union(*parts[1:], all=True).order_by())[: size + 1]
        if not keys:
            return None
        wanted = [pk for _day, pk in keys]
        grants = RightGrant.objects.select_related(*GRANT_SEARCH_RELATED).filter(pk__in=wanted)
        grants = grants.order_by("end_date", "id")
    return grants


def grant_search_page(
    grants: QuerySet[RightGrant], *, after: GrantCursor | None = None, size: int = 50
) -> tuple[list[RightGrant], GrantCursor | None]:
    """One page of a ``grant_search`` result, soonest end first, by keyset on (end date, id) — the index
    ``idm_grant_end_id_idx``, or per organisation ``idm_grant_org_end_id_idx`` — so every page costs the
    same whatever its number (no OFFSET, no COUNT): one query, or two for several organisations on
    PostgreSQL. Returns the grants and the cursor of the next page (None on the last page)."""
    page = _page(grants, after, size)
    rows = list(page[: size + 1]) if page is not None else []
    if len(rows) > size:
        last = rows[size - 1]
        return rows[:size], (last.end_date, last.pk)
    return rows, None


#: the columns of a row of "toekenning opzoeken" (``grant_search_rows``)
GRANT_ROW_FIELDS = (
    "id",
    "begin_date",
    "end_date",
    "ended_at",
    "context_value",
    "right__label_nl",
    "department__name",
    "work_relation__person_id",
    "work_relation__person__first_name",
    "work_relation__person__last_name",
    "work_relation__organisation__name",
    "work_relation__organisation__code",
    "work_relation__organisation__target_group",
)


def grant_search_rows(
    grants: QuerySet[RightGrant], *, after: GrantCursor | None = None, size: int = 50
) -> tuple[list[Any], GrantCursor | None]:
    """``grant_search_page`` as rows of ``GRANT_ROW_FIELDS`` (named tuples) instead of five model instances
    per grant: what the search page shows, and only that."""
    page = _page(grants, after, size)
    rows = list(page.values_list(*GRANT_ROW_FIELDS, named=True)[: size + 1]) if page is not None else []
    if len(rows) > size:
        last = rows[size - 1]
        return rows[:size], (last.end_date, last.id)
    return rows, None
