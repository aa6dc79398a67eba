"""Reads on projects for a provider (the portal's "Overzicht projecten", seed 004 §2.3, and the providers'
API).

Scope: a provider sees the projects filed with its registrations (the registered office's and its
departments'); a person with the departments right only those of its departments' registrations
(``ProviderScope``). The scope is resolved to the (few) registration ids once, so every query is
``registration_id = ANY(...)`` on the index ``projects_provider_list_idx`` (registration, application date)
that carries the list's columns (number, amount, service, status, enterprise): the count and the page of a
provider with 50,000 projects are index-only scans.

* ``ProjectFilters``: the filters of the overview's columns (number, enterprise, date, amount, service,
  status), which combine, the period (the last 2 calendar years or all) and the sort (``SORTS``, a whitelist);
  ``ProjectFilters.parse(data)`` reads them from a query string, with a clear Dutch message per bad value (the
  value is then ignored).
* ``provider_projects(scope, filters) -> QuerySet``: filtered and sorted.
* ``overview_page(scope, filters, page) -> OverviewPage``: one page (offset pagination over the filtered count
  — the count is an index-only scan), with the count of all and of the filtered projects.
* ``export_rows(scope, filters) -> Iterator[tuple]``: the filtered list's rows for the CSV and Excel exports,
  from a server-side cursor (``.iterator()``): flat memory.
* ``project_of_provider(scope, number) -> Project | None``: one project of the provider; None for a project
  of another provider (the view answers 404: nothing revealed, nothing changed).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kmop.idm.models import Organisation
from kmop.projects.models import Project, ProjectStatus
from kmop.providers.models import Registration, Service

__all__ = [
    "EXPORT_COLUMNS",
    "PER_PAGE",
    "SORTS",
    "OverviewPage",
    "ProjectFilters",
    "ProviderScope",
    "export_rows",
    "overview_page",
    "project_of_provider",
    "provider_projects",
    "window_start",
]

PER_PAGE = 25
#: the sort keys of the columns (the URL's ``sorteer``, ``-`` in front for descending) → the model's fields;
#: the project number (unique) breaks ties, so every order is total and a page is stable
SORTS: dict[str, tuple[str, ...]] = {
    "nummer": ("number",),
    "onderneming": ("organisation__name", "number"),
    "datum": ("application_date", "number"),
    "bedrag": ("amount", "number"),
    "dienst": ("service", "number"),
    "status": ("status", "number"),
}
DEFAULT_SORT = "-datum"
#: the columns of the exports, in their order
EXPORT_COLUMNS = (
    gettext_noop("Projectnr"),
    gettext_noop("Onderneming"),
    gettext_noop("Ondernemingsnummer"),
    gettext_noop("Aanvraag Datum"),
    gettext_noop("Project bedrag"),
    gettext_noop("Dienst"),
    gettext_noop("Status"),
)
#: the longest text accepted in a filter field
FILTER_MAX = 100
#: the enterprise filter's matches given to the query as a list up to this many (else a semi-join)
ENTERPRISE_IDS_MAX = 500


@dataclass(frozen=True)
class ProviderScope:
    """Whose projects: the provider and, for a person with the departments right, its departments only."""

    provider_id: int
    #: None: the whole provider; else only these ``ProviderDepartment`` ids
    department_ids: frozenset[int] | None = None

    @classmethod
    def of(cls, access: Any) -> ProviderScope:
        """From the portal's ``request.portal`` (``PortalAccess``) or anything with ``provider`` and
        ``department_ids``."""
        return cls(provider_id=access.provider.pk, department_ids=access.department_ids)

    def registration_ids(self) -> list[int]:
        registrations = Registration.objects.filter(provider_id=self.provider_id)
        if self.department_ids is not None:
            registrations = registrations.filter(department_id__in=self.department_ids)
        return sorted(registrations.values_list("pk", flat=True))


def window_start(today: date | None = None) -> date:
    """The first day of the last 2 calendar years (1 January of last year)."""
    today = today or timezone.localdate()
    return date(today.year - 1, 1, 1)


# --- filters ------------------------------------------------------------------------------------------------


_DATE_DAY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_DATE_MONTH = re.compile(r"^(\d{1,2})[/.-](\d{4})$")
_DATE_YEAR = re.compile(r"^(\d{4})$")


def parse_date_filter(text: str) -> tuple[date, date] | None:
    """``dd/mm/jjjj`` (that day), ``mm/jjjj`` (that month) or ``jjjj`` (that year) → [from, until); None when
    not a date."""
    text = text.strip()
    try:
        if m := _DATE_DAY.match(text):
            day = date(int(m[3]), int(m[2]), int(m[1]))
            return day, date.fromordinal(day.toordinal() + 1)
        if m := _DATE_MONTH.match(text):
            first = date(int(m[2]), int(m[1]), 1)
            after = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
            return first, after
        if m := _DATE_YEAR.match(text):
            year = int(m[1])
            if 1900 <= year <= 9998:
                return date(year, 1, 1), date(year + 1, 1, 1)
    except ValueError:
        return None
    return None


def parse_amount_filter(text: str) -> tuple[Decimal, Decimal] | None:
    """``1.198,35`` / ``1198,35`` / ``1198.35`` (that amount) or ``1198`` (from 1198,00 to 1198,99) → [from,
    until); None when not an amount."""
    value = text.strip().replace("€", "").replace(" ", "").replace("\u00a0", "")
    if not value:
        return None
    if "," in value:  # Belgian: a dot groups thousands, the comma separates the cents
        value = value.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", value):  # 1.198 (thousands)
        value = value.replace(".", "")
    if not re.fullmatch(r"\d{1,10}(\.\d{1,2})?", value):
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    if "." in value:
        return amount, amount + Decimal("0.001")
    return amount, amount + 1


@dataclass(frozen=True)
class ProjectFilters:
    number: str = ""
    enterprise: str = ""
    date: str = ""
    amount: str = ""
    service: str = ""
    status: str = ""
    all_years: bool = False
    sort: str = DEFAULT_SORT
    #: field → message, for the values that were not understood (and are ignored)
    errors: Mapping[str, str] = field(default_factory=dict)

    #: the query string's names (Dutch, as the page's fields)
    PARAMS = {
        "number": "nummer",
        "enterprise": "onderneming",
        "date": "datum",
        "amount": "bedrag",
        "service": "dienst",
        "status": "status",
    }

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ProjectFilters:
        errors: dict[str, str] = {}

        def text(name: str) -> str:
            value = str(data.get(cls.PARAMS[name], "") or "").strip()
            if len(value) > FILTER_MAX:
                errors[name] = _("Te lang (ten hoogste %(max)s tekens).") % {"max": FILTER_MAX}
                return ""
            return value

        number, enterprise, day, amount = text("number"), text("enterprise"), text("date"), text("amount")
        if day and parse_date_filter(day) is None:
            errors["date"] = _("Geef een datum als dd/mm/jjjj, een maand als mm/jjjj of een jaar als jjjj.")
        if amount and parse_amount_filter(amount) is None:
            errors["amount"] = _("Geef een bedrag als 1.198,35 of 1198.")
        service = text("service")
        if service and service not in Service.values:
            errors["service"] = _("Kies een dienst uit de lijst.")
            service = ""
        status = text("status")
        if status and status not in ProjectStatus.values:
            errors["status"] = _("Kies een status uit de lijst.")
            status = ""
        sort = str(data.get("sorteer", "") or DEFAULT_SORT)
        if sort.lstrip("-") not in SORTS:
            sort = DEFAULT_SORT
        return cls(
            number=number,
            enterprise=enterprise,
            date=day if "date" not in errors else "",
            amount=amount if "amount" not in errors else "",
            service=service,
            status=status,
            all_years=str(data.get("periode", "")) == "alle",
            sort=sort,
            errors=errors,
        )

    @property
    def is_filtered(self) -> bool:
        return any((self.number, self.enterprise, self.date, self.amount, self.service, self.status))

    def with_(self, **changes: Any) -> ProjectFilters:
        return replace(self, **changes)

    def query(self, **changes: Any) -> dict[str, str]:
        """The query string of these filters (with changes), for links."""
        values = replace(self, **changes) if changes else self
        out = {param: getattr(values, name) for name, param in self.PARAMS.items() if getattr(values, name)}
        if values.all_years:
            out["periode"] = "alle"
        if values.sort != DEFAULT_SORT:
            out["sorteer"] = values.sort
        return out

    def condition(self, today: datetime.date | None = None) -> Q:
        q = Q()
        if not self.all_years:
            q &= Q(application_date__gte=window_start(today))
        if self.number:
            text = re.sub(r"\s", "", self.number).upper()
            if re.fullmatch(r"\d{4}KMO\d{0,6}", text):  # the start of a number: a range of the index
                q &= Q(number__gte=text, number__lt=text[:-1] + chr(ord(text[-1]) + 1))
            else:
                q &= Q(number__contains=text)  # numbers are in capitals (a CHECK): no UPPER() per row
        if self.enterprise:
            digits = re.sub(r"[\s.]", "", self.enterprise)
            match = Q(name__icontains=self.enterprise)
            if digits.isdigit():
                match |= Q(code__startswith=digits.zfill(10) if len(digits) >= 9 else digits)
            enterprises = Organisation.objects.filter(match).values("pk")
            ids = self._enterprise_ids(enterprises)
            # the matching enterprises read first (the name's trigram index) and given as a list: PostgreSQL
            # checks each of the provider's rows in that hashed list and a page stops early; too many → a
            # semi-join
            q &= Q(organisation_id__in=enterprises if ids is None else ids)
        if self.date and (period := parse_date_filter(self.date)):
            q &= Q(application_date__gte=period[0], application_date__lt=period[1])
        if self.amount and (span := parse_amount_filter(self.amount)):
            q &= Q(amount__gte=span[0], amount__lt=span[1])
        if self.service:
            q &= Q(service=self.service)
        if self.status:
            q &= Q(status=self.status)
        return q

    def _enterprise_ids(self, enterprises: QuerySet[Any, Any]) -> list[int] | None:
        """The ids of the enterprises the filter matches, read once per filters object (up to
        ``ENTERPRISE_IDS_MAX``; None beyond)."""
        cache = self.__dict__.setdefault("_enterprise_cache", {})
        if "ids" not in cache:
            ids = [row["pk"] for row in enterprises[: ENTERPRISE_IDS_MAX + 1]]
            cache["ids"] = ids if len(ids) <= ENTERPRISE_IDS_MAX else None
        return cast("list[int] | None", cache["ids"])

    def ordering(self) -> list[Any]:
        key = self.sort.lstrip("-")
        descending = self.sort.startswith("-")
        fields = SORTS.get(key, SORTS["datum"])
        return [F(name).desc() if descending else F(name).asc() for name in fields]

    def branch_ordering(self) -> list[Any]:
        """``ordering`` for one registration's rows: the service is the registration's, so sorting on it is
        sorting on the number (which an index of the registration's rows gives in order)."""
        return [e for e in self.ordering() if e.expression.name != "service"]


# --- reads --------------------------------------------------------------------------------------------------


def provider_projects(scope: ProviderScope, filters: ProjectFilters | None = None) -> QuerySet[Project]:
    """The scope's projects, filtered and sorted (no related rows loaded)."""
    filters = filters or ProjectFilters()
    ids = scope.registration_ids()
    if not ids:
        return Project.objects.none()
    return Project.objects.filter(Q(registration_id__in=ids) & filters.condition()).order_by(
        *filters.ordering()
    )


@dataclass(frozen=True)
class OverviewRow:
    number: str
    enterprise: str
    enterprise_number: str
    application_date: date
    amount: Decimal
    service: str
    status: str

    @property
    def service_label(self) -> str:
        return str(Service(self.service).label) if self.service in Service.values else self.service


@dataclass(frozen=True)
class OverviewPage:
    rows: list[OverviewRow]
    #: the projects that meet the filters (in the period), counted up to ``COUNT_CAP`` (then ``capped``)
    count: int
    number: int
    per_page: int
    capped: bool = False
    has_next: bool = False

    @property
    def shown(self) -> int:
        return len(self.rows)

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def first_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.rows) - 1 if self.rows else 0


ROW_FIELDS = (
    "number",
    "organisation__name",
    "organisation__code",
    "application_date",
    "amount",
    "service",
    "status",
)
#: the page's own columns (all in ``projects_provider_list_idx``); the enterprises' names are read after
PAGE_FIELDS = ("number", "organisation_id", "application_date", "amount", "service", "status")
#: the count stops here ("meer dan 10.000"): counting costs a walk over every matching row
COUNT_CAP = 10_000
#: the deepest page (offset pagination): beyond it, narrow the filter or export
MAX_PAGE = COUNT_CAP // PER_PAGE


def _page_query(ids: list[int], filters: ProjectFilters, stop: int) -> QuerySet[Any, tuple[Any, ...]]:
    """The first ``stop`` rows of the list in its order. Per registration one ordered, limited branch, the
    branches merged (``UNION ALL``): each branch stops after ``stop`` rows of its registration's index range
    instead of the whole provider being sorted."""
    ordering = filters.ordering()
    branch_ordering = filters.branch_ordering()
    condition = filters.condition()
    sort_on_name = filters.sort.lstrip("-") == "onderneming"
    fields = (*PAGE_FIELDS, "organisation__name") if sort_on_name else PAGE_FIELDS

    def branch(registration_id: int) -> QuerySet[Any, tuple[Any, ...]]:
        return (
            Project.objects.filter(Q(registration_id=registration_id) & condition)
            .order_by(*branch_ordering)
            .values_list(*fields)[:stop]
        )

    if len(ids) == 1:
        return branch(ids[0])
    if not connection.features.supports_slicing_ordering_in_compound:  # SQLite: one plain query
        return (
            Project.objects.filter(Q(registration_id__in=ids) & condition)
            .order_by(*ordering)
            .values_list(*fields)[:stop]
        )
    first, *rest = (branch(i) for i in ids)
    merged_order = [
        f"-{e.expression.name}" if e.descending else e.expression.name
        for e in ordering
        if e.expression.name in fields
    ]
    return first.union(*rest, all=True).order_by(*merged_order)[:stop]


def overview_page(
    scope: ProviderScope, filters: ProjectFilters, page: int = 1, per_page: int = PER_PAGE
) -> OverviewPage:
    """One page of the overview in three short statements: the capped count, the page's rows and the names of
    their enterprises."""
    ids = scope.registration_ids()
    if not ids:
        return OverviewPage(rows=[], count=0, number=1, per_page=per_page)
    matching = Project.objects.filter(Q(registration_id__in=ids) & filters.condition())
    count = matching.order_by()[: COUNT_CAP + 1].count()
    capped = count > COUNT_CAP
    count = min(count, COUNT_CAP)
    num_pages = max(1, -(-count // per_page))
    number = min(max(1, page), num_pages)
    start = (number - 1) * per_page
    found: list[tuple[Any, ...]] = list(_page_query(ids, filters, start + per_page + 1))[start:]
    has_next = len(found) > per_page and number < num_pages
    found = found[:per_page]
    enterprises = {
        pk: (name, code)
        for pk, name, code in Organisation.objects.filter(pk__in={row[1] for row in found}).values_list(
            "pk", "name", "code"
        )
    }
    rows = [
        OverviewRow(number, *enterprises.get(org, ("", "")), day, amount, service, status)
        for number, org, day, amount, service, status, *_rest in found
    ]
    return OverviewPage(
        rows=rows, count=count, number=number, per_page=per_page, capped=capped, has_next=has_next
    )


def export_rows(
    scope: ProviderScope, filters: ProjectFilters, chunk_size: int = 2000
) -> Iterator[tuple[Any, ...]]:
    """The filtered list's rows (``ROW_FIELDS``), in the list's order, from a server-side cursor."""
    return provider_projects(scope, filters).values_list(*ROW_FIELDS).iterator(chunk_size=chunk_size)


def project_of_provider(scope: ProviderScope, number: str) -> Project | None:
    """The scope's project with that number; None for an unknown number or another provider's project."""
    ids = scope.registration_ids()
    if not ids:
        return None
    return (
        Project.objects.filter(registration_id__in=ids, number=(number or "").strip().upper())
        .select_related("organisation", "registration__provider__organisation", "registration__department")
        .first()
    )
