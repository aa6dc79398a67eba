"""Reads of the back office's enterprise and provider pages (issue 6 §3), shared by both: the KBO's register
data, the organisation's users and their rights, projects with their wallet balance, ledger transactions,
payouts and the audit history. Each is a bounded number of queries whatever the number of rows (the lists are
paged by the views; ``tests/backoffice/test_enterprises.py`` counts the queries).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from kmop.audit.models import AuditEvent
from kmop.idm.models import (
    AdministratorAppointment,
    Department,
    Organisation,
    RightGrant,
    TargetGroup,
    WorkRelation,
)
from kmop.projects.models import Project, ProjectReport
from kmop.providers.models import Provider, ProviderDepartment, ProviderEstablishment, Registration
from kmop.registers.models import (
    Activity,
    Address,
    Denomination,
    Enterprise,
    Establishment,
    KboCode,
    NationalRegisterPerson,
)
from kmop.registers.numbers import format_enterprise_number, format_establishment_number
from kmop.registers.selectors import legal_representatives
from kmop.wallet.models import AccountKind, Entry, LedgerTransaction, Payout

ZERO = Decimal("0.00")
#: the establishments shown of one enterprise (the count is always complete)
ESTABLISHMENTS_MAX = 100
#: the KBO's name (type 001) and its languages in order of preference (NL, unknown, FR, DE, EN)
NAME = "001"
LANGUAGES = ("2", "0", "1", "3", "4")

# the audit's object types (as the services write them)
ORGANISATION = "idm.Organisation"
WORK_RELATION = "idm.WorkRelation"
RIGHT_GRANT = "idm.RightGrant"
APPOINTMENT = "idm.AdministratorAppointment"
DEPARTMENT = "idm.Department"
PROFILE = "projects.EnterpriseProfile"
PROJECT = "projects.Project"
REPORT = "projects.ProjectReport"
PROVIDER = "providers.Provider"
PROVIDER_DEPARTMENT = "providers.ProviderDepartment"
PROVIDER_ESTABLISHMENT = "providers.ProviderEstablishment"
REGISTRATION = "providers.Registration"


# --- the organisation -------------------------------------------------------------------------------------


def enterprise_search(query: str) -> QuerySet[Organisation]:
    """The platform's enterprises (organisations of target group EA) by enterprise number (9 or 10 digits, any
    format) or by part of the name."""
    rows = Organisation.objects.filter(target_group=TargetGroup.ECONOMIC_ACTOR).order_by("name", "code")
    query = query.strip()
    if not query:
        return rows
    digits = "".join(c for c in query if c.isdigit())
    condition = Q(name__icontains=query)
    if len(digits) in (9, 10):
        condition |= Q(code=digits.zfill(10))
    return rows.filter(condition)


def enterprise(code: str) -> Organisation | None:
    return (
        Organisation.objects.filter(target_group=TargetGroup.ECONOMIC_ACTOR, code=code)
        .select_related("enterprise_profile")
        .first()
    )


# --- the KBO ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegisterEstablishment:
    number: str
    start_date: date
    name: str
    address: str
    activities: list[str]


@dataclass(frozen=True)
class RegisterData:
    """What the KBO says of an enterprise (``in_register=False``, empty fields: the KBO does not know it)."""

    enterprise_number: str
    display_number: str
    in_register: bool
    name: str = ""
    legal_form: str = ""
    status: str = ""
    juridical_situation: str = ""
    start_date: date | None = None
    natural_person: bool = False
    registered_office: str = ""
    activities: list[str] = field(default_factory=list)
    establishments: list[RegisterEstablishment] = field(default_factory=list)
    establishment_count: int = 0


def _address(row: Address) -> str:
    street = " ".join(p for p in (row.street_nl or row.street_fr, row.house_number) if p)
    if row.box:
        street = f"{street} bus {row.box}"
    town = " ".join(p for p in (row.zipcode, row.municipality_nl or row.municipality_fr) if p)
    return ", ".join(p for p in (street, town) if p)


def _preferred(names: dict[str, str]) -> str:
    for language in LANGUAGES:
        if language in names:
            return names[language]
    return next(iter(names.values()), "")


def register_data(enterprise_number: str) -> RegisterData:
    """Name, legal form, status, juridical situation, start, registered office, activities (NACE with their
    Dutch description) and the establishments (their address and activities) of an enterprise in the KBO:
    six queries whatever the number of establishments (the first ``ESTABLISHMENTS_MAX`` shown)."""
    number = enterprise_number
    display = format_enterprise_number(number) if len(number) == 10 and number.isdigit() else number
    found = Enterprise.objects.filter(pk=number).first()
    if found is None:
        return RegisterData(number, display, in_register=False)
    establishments = list(
        Establishment.objects.filter(enterprise_id=number).order_by("establishment_number")[
            : ESTABLISHMENTS_MAX + 1
        ]
    )
    count = len(establishments)
    if count > ESTABLISHMENTS_MAX:
        count = Establishment.objects.filter(enterprise_id=number).count()
        establishments = establishments[:ESTABLISHMENTS_MAX]
    entities = [number, *(e.establishment_number for e in establishments)]
    names: dict[str, dict[str, str]] = {}
    for entity, language, text in Denomination.objects.filter(
        entity_number__in=entities, type_of_denomination=NAME
    ).values_list("entity_number", "language", "denomination"):
        names.setdefault(entity, {}).setdefault(language, text)
    addresses: dict[str, str] = {}
    for row in Address.objects.filter(entity_number__in=entities).order_by("type_of_address", "pk"):
        if row.entity_number == number and row.type_of_address != "REGO":
            continue
        addresses.setdefault(row.entity_number, _address(row))
    activities: dict[str, list[tuple[str, str]]] = {}
    for entity, version, code in (
        Activity.objects.filter(entity_number__in=entities)
        .order_by("entity_number", "-nace_version", "classification", "nace_code")
        .values_list("entity_number", "nace_version", "nace_code")
    ):
        activities.setdefault(entity, []).append((version, code))
    form = found.juridical_form_cac or found.juridical_form or ""
    wanted = Q(category="Status", code=found.status) | Q(
        category="JuridicalSituation", code=found.juridical_situation
    )
    if form:
        wanted |= Q(category="JuridicalForm", code=form)
    naces = {(f"Nace{version}", code) for rows in activities.values() for version, code in rows}
    for category in {c for c, _code in naces}:
        wanted |= Q(category=category, code__in=[code for c, code in naces if c == category])
    labels: dict[tuple[str, str], dict[str, str]] = {}
    for category, code, language, text in KboCode.objects.filter(wanted).values_list(
        "category", "code", "language", "description"
    ):
        labels.setdefault((category, code), {})[language.upper()] = text

    def label(category: str, code: str) -> str:
        texts = labels.get((category, code), {})
        return texts.get("NL") or next(iter(texts.values()), "")

    def nace(entity: str) -> list[str]:
        result = []
        for version, code in activities.get(entity, []):
            text = label(f"Nace{version}", code)
            result.append(f"{code} {text} (NACE {version})" if text else f"{code} (NACE {version})")
        return list(dict.fromkeys(result))

    legal_form = label("JuridicalForm", form) or form
    if not legal_form and found.is_natural_person:
        legal_form = "natuurlijk persoon"
    return RegisterData(
        enterprise_number=number,
        display_number=display,
        in_register=True,
        name=_preferred(names.get(number, {})),
        legal_form=legal_form,
        status=label("Status", found.status) or found.status,
        juridical_situation=label("JuridicalSituation", found.juridical_situation)
        or found.juridical_situation,
        start_date=found.start_date,
        natural_person=found.is_natural_person,
        registered_office=addresses.get(number, ""),
        activities=nace(number),
        establishments=[
            RegisterEstablishment(
                number=format_establishment_number(e.establishment_number),
                start_date=e.start_date,
                name=_preferred(names.get(e.establishment_number, {})),
                address=addresses.get(e.establishment_number, ""),
                activities=nace(e.establishment_number),
            )
            for e in establishments
        ],
        establishment_count=count,
    )


@dataclass(frozen=True)
class Representative:
    national_number: str
    name: str
    function: str
    since: date


def representatives(enterprise_number: str) -> list[Representative]:
    """Who represents the enterprise today according to the KBO (two queries)."""
    functions = list(legal_representatives(enterprise_number))
    persons = {
        p.national_number: f"{p.first_name} {p.last_name}"
        for p in NationalRegisterPerson.objects.filter(
            national_number__in={f.person_number for f in functions}
        ).only("national_number", "first_name", "last_name")
    }
    return [
        Representative(
            national_number=f.person_number,
            name=persons.get(f.person_number, ""),
            function=f.function.label_nl,
            since=f.start_date,
        )
        for f in functions
    ]


# --- rights -----------------------------------------------------------------------------------------------


def organisation_rights(organisation: Organisation) -> QuerySet[WorkRelation]:
    """The organisation's work relations (also ended), each person with their grants (right, context value,
    department, period) and pauses: three queries for a page of relations."""
    grants = RightGrant.objects.select_related("right", "department").order_by(
        "right__code", "begin_date", "pk"
    )
    return (
        WorkRelation.objects.filter(organisation=organisation)
        .select_related("person")
        .prefetch_related(Prefetch("grants", queryset=grants), "pauses")
        .order_by("person__last_name", "person__first_name", "-begin_date", "pk")
    )


# --- projects and the wallet ------------------------------------------------------------------------------


def _balance() -> Coalesce:
    """The project's wallet balance: the sum of its project account's entries (a subquery per row shown)."""
    total = (
        Entry.objects.filter(account__project=OuterRef("pk"), account__kind=AccountKind.PROJECT)
        .order_by()
        .values("account__project")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return Coalesce(
        Subquery(total),
        Value(ZERO),
        output_field=DecimalField(max_digits=12, decimal_places=2),
    )


def enterprise_projects(organisation: Organisation) -> QuerySet[Project]:
    """The enterprise's projects, newest application first, with their provider and wallet ``balance``."""
    return (
        Project.objects.filter(organisation=organisation)
        .select_related("organisation", "registration__provider")
        .annotate(balance=_balance())
        .order_by("-application_date", "-number")
    )


def provider_projects(provider: Provider) -> QuerySet[Project]:
    """The projects of the provider's registrations, newest application first, with the enterprise and the
    wallet ``balance``."""
    return (
        Project.objects.filter(registration__provider=provider)
        .select_related("organisation", "registration__provider")
        .annotate(balance=_balance())
        .order_by("-application_date", "-number")
    )


@dataclass(frozen=True)
class WalletTotals:
    """The sum of the wallets of an enterprise's projects."""

    balance: Decimal
    projects_with_money: int


def enterprise_wallet_totals(organisation: Organisation) -> WalletTotals:
    row = Entry.objects.filter(
        account__kind=AccountKind.PROJECT, account__project__organisation=organisation
    ).aggregate(total=Sum("amount"))
    per_project = (
        Entry.objects.filter(account__kind=AccountKind.PROJECT, account__project__organisation=organisation)
        .values("account")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by()
    )
    return WalletTotals(balance=row["total"] or ZERO, projects_with_money=per_project.count())


def _moved() -> Subquery:
    return Subquery(
        Entry.objects.filter(transaction=OuterRef("pk"), amount__gt=0)
        .order_by()
        .values("transaction")
        .annotate(total=Sum("amount"))
        .values("total")
    )


def enterprise_transactions(organisation: Organisation) -> QuerySet[LedgerTransaction]:
    """The ledger transactions of the enterprise's projects, newest first, with the amount moved."""
    return (
        LedgerTransaction.objects.filter(project__organisation=organisation)
        .select_related("project")
        .annotate(moved=_moved())
        .order_by("-created_at", "-id")
    )


def enterprise_refunds(organisation: Organisation) -> QuerySet[Payout]:
    """Refunds to the enterprise (from its projects' wallets), newest first, with their payment file."""
    return (
        Payout.objects.filter(kind=Payout.Kind.REFUND, project__organisation=organisation)
        .select_related("project", "batch")
        .defer("batch__content")
        .order_by("-created_at", "-id")
    )


def provider_payouts(provider: Provider) -> QuerySet[Payout]:
    """Payments to the provider (its invoices, ordered by the enterprises), newest first, with their
    project and payment file."""
    return (
        Payout.objects.filter(kind=Payout.Kind.PROVIDER, project__registration__provider=provider)
        .select_related("project__organisation", "batch")
        .defer("batch__content")
        .order_by("-created_at", "-id")
    )


@dataclass(frozen=True)
class PayoutTotals:
    count: int
    total: Decimal
    open_count: int
    open_total: Decimal


def payout_totals(payouts: QuerySet[Payout]) -> PayoutTotals:
    """Count and total of payouts, and of those not yet in a payment file (one query)."""
    from django.db.models import Count

    row = payouts.order_by().aggregate(
        n=Count("id"),
        total=Sum("amount"),
        open_n=Count("id", filter=Q(batch__isnull=True)),
        open_total=Sum("amount", filter=Q(batch__isnull=True)),
    )
    return PayoutTotals(
        count=row["n"] or 0,
        total=row["total"] or ZERO,
        open_count=row["open_n"] or 0,
        open_total=row["open_total"] or ZERO,
    )


# --- audit history ----------------------------------------------------------------------------------------


def _ids(rows: QuerySet) -> list[str]:
    return [str(pk) for pk in rows.values_list("pk", flat=True)]


def _history(objects: dict[str, list[str]]) -> QuerySet[AuditEvent]:
    """The events on these objects (type → ids), newest first: each a range of the audit's index (object
    type, object id, at). Lists, not subqueries: ``object_id IN (SELECT ...)`` ORed with the others left
    PostgreSQL no index to use."""
    query = Q()
    for object_type, ids in objects.items():
        if ids:
            query |= Q(object_type=object_type, object_id__in=ids)
    if not query:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(query).select_related("actor").order_by("-at", "-id")


def _organisation_objects(organisation: Organisation) -> dict[str, list[str]]:
    return {
        ORGANISATION: [str(organisation.pk)],
        WORK_RELATION: _ids(WorkRelation.objects.filter(organisation=organisation)),
        RIGHT_GRANT: _ids(RightGrant.objects.filter(work_relation__organisation=organisation)),
        APPOINTMENT: _ids(AdministratorAppointment.objects.filter(organisation=organisation)),
        DEPARTMENT: _ids(Department.objects.filter(organisation=organisation)),
    }


def enterprise_history(organisation: Organisation) -> QuerySet[AuditEvent]:
    """The audit events on the enterprise: the organisation, its profile, its projects, its users' work
    relations, grants and appointments (and the back office's actions on them), newest first."""
    objects = _organisation_objects(organisation)
    objects[PROFILE] = [organisation.code]
    objects[PROJECT] = _ids(Project.objects.filter(organisation=organisation))
    return _history(objects)


def provider_history(provider: Provider) -> QuerySet[AuditEvent]:
    """The audit events on the provider: its organisation and users as for an enterprise, its provider data,
    departments, establishments, registrations and reports, newest first. Events on its projects are on the
    enterprise's page and in the project's history."""
    objects = _organisation_objects(provider.organisation)
    objects[PROVIDER] = [str(provider.pk)]
    objects[PROVIDER_DEPARTMENT] = _ids(ProviderDepartment.objects.filter(provider=provider))
    objects[PROVIDER_ESTABLISHMENT] = _ids(ProviderEstablishment.objects.filter(provider=provider))
    objects[REGISTRATION] = list(
        Registration.objects.filter(provider=provider).values_list("number", flat=True)
    )
    objects[REPORT] = _ids(ProjectReport.objects.filter(provider_organisation=provider.organisation))
    return _history(objects)
