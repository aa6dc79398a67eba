"""The back office's dashboards (issue 6 §4): the figures of one calendar year, each as a ``Dataset`` that
``charts`` draws as SVG, the page shows as a table and the CSV export writes.

* Applications per month, per service, per theme, per size class and per province come from the summary of
  closed days (``DailyProjectStat``, up to ``ProjectStatCoverage.until``) plus a live query of the days after
  it (today's applications; every day since the summary when the daily job lags): figures are always complete,
  and at national scale (1.5 M projects) the page reads a few thousand summary rows instead of the projects.
  What is summed never changes after the application: the number of applications, their project amounts and
  the subsidy calculated at application (money as ``Decimal``, summed exactly by the database).
* The province is that of the enterprise's registered office (the KBO's ``REGO`` address): the municipality's
  NIS code of the postcode (``registers.Postcode``), else the postcode's range; abroad or unknown is its own
  row.
* Budget use: the year budgets (``projects.YearBudget``: the cap of each enterprise that applied in the year
  and what is used of it; released budget is no longer used) per size class of that year, as the daily job
  ``backoffice.budget_stats`` found them (``YearBudgetStat``, shown with its time): summing them live reads
  every enterprise-year (no index on the year; 1.2 s at national scale). A year without a snapshot is
  counted live.
* Registrations of providers by status: the registrations as they are now (not per year).

``refresh_project_stats`` writes the summary (the daily job ``backoffice.project_stats``): every day after
the summary's last day up to the day before the job's day, month by month, idempotent.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kmop.backoffice.models import DailyProjectStat, ProjectStatCoverage, YearBudgetStat
from kmop.projects.models import Project, ProjectStatus, SizeClass, SizeClassYear, YearBudget
from kmop.providers.models import Registration, RegistrationStatus, Service

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _money(value: Any) -> Decimal:
    """A sum of amounts with its two decimals (PostgreSQL sums ``numeric`` exactly; SQLite's sums come back
    with more digits)."""
    return Decimal(value or 0).quantize(CENT)


# --- provinces ---------------------------------------------------------------------------------------------

#: code, Dutch name; the Brussels-Capital Region is no province but is shown as one
PROVINCES: tuple[tuple[str, Promise], ...] = (
    ("ANT", gettext_lazy("Antwerpen")),
    ("LIM", gettext_lazy("Limburg")),
    ("OVL", gettext_lazy("Oost-Vlaanderen")),
    ("VBR", gettext_lazy("Vlaams-Brabant")),
    ("WVL", gettext_lazy("West-Vlaanderen")),
    ("BRU", gettext_lazy("Brussels Hoofdstedelijk Gewest")),
    ("WBR", gettext_lazy("Waals-Brabant")),
    ("HEN", gettext_lazy("Henegouwen")),
    ("LUI", gettext_lazy("Luik")),
    ("LUX", gettext_lazy("Luxemburg")),
    ("NAM", gettext_lazy("Namen")),
)
UNKNOWN_PROVINCE = ""

#: bpost's postcode ranges per province (the lower bound of each range)
_RANGES: tuple[tuple[int, str], ...] = (
    (1000, "BRU"),
    (1300, "WBR"),
    (1500, "VBR"),
    (2000, "ANT"),
    (3000, "VBR"),
    (3500, "LIM"),
    (4000, "LUI"),
    (5000, "NAM"),
    (6000, "HEN"),
    (6600, "LUX"),
    (7000, "HEN"),
    (8000, "WVL"),
    (9000, "OVL"),
)
_RANGE_STARTS = [start for start, _code in _RANGES]


def province_of_refnis(refnis: str) -> str:
    """The province of a municipality's NIS code (its first digits)."""
    if not refnis:
        return UNKNOWN_PROVINCE
    if refnis.startswith("21"):
        return "BRU"
    if refnis[:2] in ("23", "24"):
        return "VBR"
    if refnis.startswith("25"):
        return "WBR"
    return {
        "1": "ANT",
        "3": "WVL",
        "4": "OVL",
        "5": "HEN",
        "6": "LUI",
        "7": "LIM",
        "8": "LUX",
        "9": "NAM",
    }.get(refnis[0], UNKNOWN_PROVINCE)


@lru_cache(maxsize=1)
def _postcode_provinces() -> dict[str, str]:
    from kmop.registers.models import Postcode

    return {
        code: province_of_refnis(refnis) for code, refnis in Postcode.objects.values_list("code", "refnis")
    }


def province_of_postcode(postcode: str | None) -> str:
    """The province of a Belgian postcode: its municipality's (``registers.Postcode``; 2070 Zwijndrecht is in
    Oost-Vlaanderen since 2025), else bpost's ranges; ``""`` for anything else."""
    code = (postcode or "").strip()
    if len(code) != 4 or not code.isdigit() or code.startswith("0"):
        return UNKNOWN_PROVINCE
    known = _postcode_provinces().get(code)
    if known:
        return known
    return _RANGES[bisect.bisect_right(_RANGE_STARTS, int(code)) - 1][1]


# --- the summary of closed days --------------------------------------------------------------------------

Key = tuple[date, str, str, str, str]  # day, service, theme, size class, province


def _provinces_of(projects: QuerySet[Project], ids: list[int] | None = None) -> dict[int, str]:
    """The province of the registered office in Belgium (the KBO's ``REGO`` address; the first one when the
    register has more) of each organisation with one of ``projects``, ``""`` when there is none: one
    statement (the organisations of the projects, or of ``ids``, each one's address by its number).
    Correlating the address with every project made PostgreSQL scan every organisation in its key's order
    for a day's applications."""
    from kmop.idm.models import Organisation
    from kmop.registers.models import Address

    postcode = Subquery(
        Address.objects.filter(entity_number=OuterRef("code"), type_of_address="REGO")
        .filter(Q(country_nl__isnull=True) | Q(country_nl="") | Q(country_nl="België"))
        .order_by("id")
        .values("zipcode")[:1]
    )
    if ids is None:
        organisations = Organisation.objects.filter(pk__in=projects.values("organisation_id"))
    else:
        organisations = Organisation.objects.filter(pk__in=ids)
    rows = organisations.annotate(postcode=postcode).order_by().values_list("pk", "postcode")
    return {pk: province_of_postcode(code) for pk, code in rows}


#: the provinces of the organisations of today's live applications, per process: only the organisations
#: not seen before are looked up (a page view after another reads ~nothing); emptied every day and when
#: full, so an enterprise that moved shows in its new province from the next day (as in the summary)
_LIVE_PROVINCES: dict[int, str] = {}
_LIVE_PROVINCES_DAY: list[date] = []
LIVE_PROVINCES_MAX = 100_000
#: fewer missing organisations than this are looked up by their ids, more through the projects
BY_IDS = 500


def _provinces(projects: QuerySet[Project], ids: set[int], *, cached: bool) -> dict[int, str]:
    if not cached:
        return _provinces_of(projects)
    today = timezone.localdate()
    if [today] != _LIVE_PROVINCES_DAY or len(_LIVE_PROVINCES) > LIVE_PROVINCES_MAX:
        _LIVE_PROVINCES.clear()
        _LIVE_PROVINCES_DAY[:] = [today]
    missing = ids - _LIVE_PROVINCES.keys()
    if missing:
        _LIVE_PROVINCES.update(_provinces_of(projects, sorted(missing) if len(missing) < BY_IDS else None))
    return _LIVE_PROVINCES


def clear_live_provinces() -> None:
    _LIVE_PROVINCES.clear()
    _LIVE_PROVINCES_DAY.clear()


def _project_groups(first: date, last: date, *, cached: bool = False) -> dict[Key, list[Any]]:
    """The applications of the days ``first``..``last`` (inclusive) grouped as the summary: ``{key: [count,
    amount, subsidy]}``. Every status is named so that the projects' (status, application date) index serves
    the range; grouped per organisation first, then each organisation's province (``cached``: the live
    part of a page, through ``_LIVE_PROVINCES``; the summary always looks them up)."""
    projects = Project.objects.filter(
        status__in=[s.value for s in ProjectStatus], application_date__range=(first, last)
    )
    rows = list(
        projects.values("application_date", "service", "theme", "size_class", "organisation_id")
        .annotate(n=Count("id"), amount_sum=Sum("amount"), subsidy_sum=Sum("subsidy"))
        .order_by()
    )
    if not rows:
        return {}
    province = _provinces(projects, {row["organisation_id"] for row in rows}, cached=cached)
    groups: dict[Key, list[Any]] = {}
    for row in rows:
        key = (
            row["application_date"],
            row["service"],
            row["theme"],
            row["size_class"],
            province.get(row["organisation_id"], UNKNOWN_PROVINCE),
        )
        group = groups.setdefault(key, [0, ZERO, ZERO])
        group[0] += row["n"]
        group[1] += _money(row["amount_sum"])
        group[2] += _money(row["subsidy_sum"])
    return groups


#: the dimensions in the order of a group's key after its day
DIMENSIONS = (
    DailyProjectStat.Dimension.SERVICE,
    DailyProjectStat.Dimension.THEME,
    DailyProjectStat.Dimension.SIZE,
    DailyProjectStat.Dimension.PROVINCE,
)


def _per_dimension(groups: dict[Key, list[Any]]) -> dict[tuple[date, str, str], list[Any]]:
    """The groups summed per day and dimension value: ``{(day, dimension, key): [count, amount,
    subsidy]}``."""
    sums: dict[tuple[date, str, str], list[Any]] = {}
    for (day, *values), (count, amount, subsidy) in groups.items():
        for dimension, value in zip(DIMENSIONS, values, strict=True):
            total = sums.setdefault((day, dimension.value, value), [0, ZERO, ZERO])
            total[0] += count
            total[1] += amount
            total[2] += subsidy
    return sums


def _months(first: date, last: date) -> Iterator[tuple[date, date]]:
    start = first
    while start <= last:
        next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        end = min(last, next_month - timedelta(days=1))
        yield start, end
        start = end + timedelta(days=1)


@dataclass(frozen=True)
class RefreshResult:
    first: date | None
    last: date | None
    days: int
    rows: int
    projects: int


def refresh_project_stats(*, through: date, since: date | None = None) -> RefreshResult:
    """Summarise every day after the summary's last day (or from ``since``: again, e.g. after a correction of
    old data) through ``through`` into ``DailyProjectStat``, month by month, in one transaction under the
    coverage row's lock (two runs at once wait for each other). Idempotent: a day's rows are replaced."""
    with transaction.atomic():
        ProjectStatCoverage.objects.get_or_create(pk=1)
        coverage = ProjectStatCoverage.objects.select_for_update().get(pk=1)
        if since is not None:
            first: date | None = since
        elif coverage.until is not None:
            first = coverage.until + timedelta(days=1)
        else:
            first = Project.objects.filter(status__in=[s.value for s in ProjectStatus]).aggregate(
                first=Min("application_date")
            )["first"]
        if first is None or first > through:
            if first is None:
                coverage.until = through
                coverage.refreshed_at = timezone.now()
                coverage.save(update_fields=["until", "refreshed_at"])
            return RefreshResult(None, None, 0, 0, 0)
        rows = projects = 0
        for start, end in _months(first, through):
            DailyProjectStat.objects.filter(day__range=(start, end)).delete()
            groups = _project_groups(start, end)
            marginals = _per_dimension(groups)
            DailyProjectStat.objects.bulk_create(
                [
                    DailyProjectStat(
                        day=day,
                        dimension=dimension,
                        key=key,
                        projects=count,
                        amount=amount,
                        subsidy=subsidy,
                    )
                    for (day, dimension, key), (count, amount, subsidy) in marginals.items()
                ],
                batch_size=2000,
            )
            rows += len(marginals)
            projects += sum(group[0] for group in groups.values())
        if coverage.until is None or through > coverage.until:
            coverage.until = through
        coverage.refreshed_at = timezone.now()
        coverage.save(update_fields=["until", "refreshed_at"])
    return RefreshResult(first, through, (through - first).days + 1, rows, projects)


# --- the figures of a year -------------------------------------------------------------------------------


@dataclass
class Totals:
    projects: int = 0
    amount: Decimal = ZERO
    subsidy: Decimal = ZERO

    def add(self, projects: int, amount: Decimal, subsidy: Decimal) -> None:
        self.projects += projects
        self.amount += amount
        self.subsidy += subsidy


@dataclass
class YearFigures:
    """The applications of a year summed per month, service, theme, size class and province."""

    year: int
    until: date | None
    live_from: date | None
    months: dict[int, Totals] = field(default_factory=lambda: defaultdict(Totals))
    services: dict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))
    themes: dict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))
    sizes: dict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))
    provinces: dict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))
    total: Totals = field(default_factory=Totals)

    def add(self, month: int, service: str, theme: str, size: str, province: str, *sums: Any) -> None:
        for table, key in (
            (self.months, month),
            (self.services, service),
            (self.themes, theme),
            (self.sizes, size),
            (self.provinces, province),
        ):
            table[key].add(*sums)  # type: ignore[index]
        self.total.add(*sums)


def year_figures(year: int, *, today: date | None = None) -> YearFigures:
    """The summary's days of the year plus the days after the summary (live), up to today."""
    today = today or timezone.localdate()
    first, last = date(year, 1, 1), min(date(year, 12, 31), today)
    coverage = ProjectStatCoverage.objects.filter(pk=1).values_list("until", flat=True).first()
    figures = YearFigures(year=year, until=coverage, live_from=None)
    if last < first:
        return figures
    summary_last = min(last, coverage) if coverage else None
    if summary_last is not None and summary_last >= first:
        rows = (
            DailyProjectStat.objects.filter(day__range=(first, summary_last))
            .annotate(month=ExtractMonth("day"))
            .values("month", "dimension", "key")
            .annotate(n=Sum("projects"), amount_sum=Sum("amount"), subsidy_sum=Sum("subsidy"))
            .order_by()
        )
        tables = {
            DailyProjectStat.Dimension.SERVICE.value: figures.services,
            DailyProjectStat.Dimension.THEME.value: figures.themes,
            DailyProjectStat.Dimension.SIZE.value: figures.sizes,
            DailyProjectStat.Dimension.PROVINCE.value: figures.provinces,
        }
        for row in rows:
            sums = (row["n"], _money(row["amount_sum"]), _money(row["subsidy_sum"]))
            table = tables.get(row["dimension"])
            if table is None:
                continue
            table[row["key"]].add(*sums)
            if row["dimension"] == DailyProjectStat.Dimension.SERVICE:
                # every application has one service: the months and the total are the services' sums
                figures.months[row["month"]].add(*sums)
                figures.total.add(*sums)
    live_first = max(first, summary_last + timedelta(days=1)) if summary_last else first
    if live_first <= last:
        figures.live_from = live_first
        for (day, service, theme, size, province), (n, amount, subsidy) in _project_groups(
            live_first, last, cached=live_first == last == today
        ).items():
            figures.add(day.month, service, theme, size, province, n, amount, subsidy)
    return figures


@dataclass
class BudgetRow:
    size_class: str
    enterprises: int = 0
    cap: Decimal = ZERO
    used: Decimal = ZERO
    at_cap: int = 0

    @property
    def left(self) -> Decimal:
        return self.cap - self.used

    @property
    def percent(self) -> Decimal:
        return (self.used * 100 / self.cap).quantize(Decimal("0.1")) if self.cap else Decimal("0.0")


def budget_use_live(year: int) -> list[BudgetRow]:
    """Per size class of the year (an enterprise without one: its own row ``""``): the enterprises with a
    budget, the sum of their caps, of what they used, and how many used all of it; a row for every size
    class, also without budgets. Reads every year budget of the year (1.2 s at national scale: no index on
    the year), so the page reads ``budget_use``'s snapshot."""
    size = SizeClassYear.objects.filter(organisation=OuterRef("organisation"), year=year).values(
        "size_class"
    )[:1]
    rows = (
        YearBudget.objects.filter(year=year)
        .annotate(size=Subquery(size))
        .values("size")
        .annotate(
            n=Count("id"),
            cap_sum=Sum("cap"),
            used_sum=Sum("used"),
            full=Count("id", filter=Q(used=F("cap"), cap__gt=0)),
        )
        .order_by()
    )
    by_size = {
        row["size"] or "": BudgetRow(
            row["size"] or "", row["n"], _money(row["cap_sum"]), _money(row["used_sum"]), row["full"]
        )
        for row in rows
    }
    ordered = [by_size.pop(s.value, BudgetRow(s.value)) for s in SizeClass]
    return ordered + list(by_size.values())


@dataclass(frozen=True)
class BudgetUse:
    rows: list[BudgetRow]
    #: when the daily job took the figures; ``None``: counted now (no snapshot of the year)
    taken_at: datetime | None


def budget_use(year: int) -> BudgetUse:
    """The year budgets of the year as the daily job's snapshot has them (``YearBudgetStat``), else live."""
    stats = list(YearBudgetStat.objects.filter(year=year).order_by("size_class"))
    if not stats:
        return BudgetUse(budget_use_live(year), None)
    by_size = {
        stat.size_class: BudgetRow(stat.size_class, stat.enterprises, stat.cap, stat.used, stat.at_cap)
        for stat in stats
    }
    ordered = [by_size.pop(s.value, BudgetRow(s.value)) for s in SizeClass]
    return BudgetUse(ordered + list(by_size.values()), max(stat.taken_at for stat in stats))


def snapshot_budgets(years: Iterable[int] | None = None) -> list[int]:
    """Take the snapshot of the year budgets of ``years`` (every year with budgets when ``None``); returns
    the years. Each year's rows are replaced in one transaction."""
    if years is None:
        years = YearBudget.objects.order_by("year").values_list("year", flat=True).distinct()
    done = sorted(set(years))
    for year in done:
        rows = budget_use_live(year)
        taken_at = timezone.now()
        with transaction.atomic():
            YearBudgetStat.objects.filter(year=year).delete()
            YearBudgetStat.objects.bulk_create(
                [
                    YearBudgetStat(
                        year=year,
                        size_class=row.size_class,
                        enterprises=row.enterprises,
                        cap=row.cap,
                        used=row.used,
                        at_cap=row.at_cap,
                        taken_at=taken_at,
                    )
                    for row in rows
                ]
            )
    return done


def registrations_by_status() -> dict[str, dict[str, int]]:
    """``{status: {service: count}}`` of every registration now."""
    counts: dict[str, dict[str, int]] = {s.value: {} for s in RegistrationStatus}
    for row in Registration.objects.values("status", "service").annotate(n=Count("id")).order_by():
        counts.setdefault(row["status"], {})[row["service"]] = row["n"]
    return counts


# --- datasets: what a chart, its table and its CSV show --------------------------------------------------

INT = "int"
MONEY = "money"
PERCENT = "percent"
TEXT = "text"


@dataclass(frozen=True)
class Column:
    heading: str | Promise
    kind: str


@dataclass(frozen=True)
class Plot:
    """One chart of a dataset: the values of column ``column`` (or, ``stacked_with``: a part of another
    column's value, e.g. used of the cap), as horizontal bars or vertical columns."""

    column: int
    title: str
    vertical: bool = False
    of_column: int | None = None


@dataclass(frozen=True)
class Dataset:
    key: str
    title: str
    description: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    plots: tuple[Plot, ...]
    footer: tuple[Any, ...] | None = None


#: the datasets of the page, in order (the CSV's URL names them)
DATASET_KEYS = ("maanden", "diensten", "themas", "grootte", "provincies", "budget", "registraties")

MONTHS = (
    gettext_lazy("januari"),
    gettext_lazy("februari"),
    gettext_lazy("maart"),
    gettext_lazy("april"),
    gettext_lazy("mei"),
    gettext_lazy("juni"),
    gettext_lazy("juli"),
    gettext_lazy("augustus"),
    gettext_lazy("september"),
    gettext_lazy("oktober"),
    gettext_lazy("november"),
    gettext_lazy("december"),
)


def _project_columns(first: str | Promise) -> tuple[Column, ...]:
    return (
        Column(first, TEXT),
        Column(gettext_lazy("Aanvragen"), INT),
        Column(gettext_lazy("Projectbedrag (€)"), MONEY),
        Column(gettext_lazy("Steun (€)"), MONEY),
    )


def _project_rows(items: Iterable[tuple[str, Totals]]) -> tuple[tuple[Any, ...], ...]:
    return tuple((label, t.projects, t.amount, t.subsidy) for label, t in items)


def _footer(total: Totals) -> tuple[Any, ...]:
    return (_("Totaal"), total.projects, total.amount, total.subsidy)


def _theme_labels(year: int) -> dict[str, str]:
    from kmop.schemes.errors import SchemeError
    from kmop.schemes.services import themes_on

    labels: dict[str, str] = {}
    for day in (date(year, 1, 1), date(year, 7, 1), date(year, 12, 31)):
        try:
            themes = themes_on(day)
        except SchemeError:
            continue
        for theme in themes:
            labels.setdefault(theme.code, str(theme.label))
    return labels


def _sorted_by_subsidy(table: dict[str, Totals]) -> list[tuple[str, Totals]]:
    return sorted(table.items(), key=lambda item: (-item[1].subsidy, item[0]))


def project_datasets(figures: YearFigures) -> dict[str, Dataset]:
    year = figures.year
    months = [(str(MONTHS[m - 1]), figures.months.get(m, Totals())) for m in range(1, 13)]
    services = [(str(s.label), figures.services.get(s.value, Totals())) for s in Service]
    services += [(code, t) for code, t in figures.services.items() if code not in Service.values]
    labels = _theme_labels(year)
    themes = [
        (labels.get(code, code) if code else _("zonder thema"), t)
        for code, t in _sorted_by_subsidy(figures.themes)
    ]
    sizes = [(str(s.label), figures.sizes.get(s.value, Totals())) for s in SizeClass]
    sizes += [(code, t) for code, t in figures.sizes.items() if code not in SizeClass.values]
    provinces = [(str(label), figures.provinces.get(code, Totals())) for code, label in PROVINCES]
    if figures.provinces.get(UNKNOWN_PROVINCE):
        provinces.append((_("buitenland of onbekend"), figures.provinces[UNKNOWN_PROVINCE]))
    total = figures.total

    def summary(what: str) -> str:
        return _(
            "%(what)s in %(year)s: %(count)s aanvragen, € %(amount)s projectbedrag, € %(subsidy)s steun."
        ) % {
            "what": what,
            "year": year,
            "count": format_value(total.projects, INT),
            "amount": format_value(total.amount, MONEY),
            "subsidy": format_value(total.subsidy, MONEY),
        }

    return {
        "maanden": Dataset(
            "maanden",
            _("Aanvragen en steun per maand"),
            summary(_("Aanvragen per maand")),
            _project_columns(gettext_lazy("Maand")),
            _project_rows(months),
            (
                Plot(1, _("Aanvragen per maand"), vertical=True),
                Plot(3, _("Steun per maand (€)"), vertical=True),
            ),
            _footer(total),
        ),
        "diensten": Dataset(
            "diensten",
            _("Per dienst"),
            summary(_("Opleiding en advies")),
            _project_columns(gettext_lazy("Dienst")),
            _project_rows(services),
            (Plot(3, _("Steun per dienst (€)")),),
            _footer(total),
        ),
        "themas": Dataset(
            "themas",
            _("Per thema"),
            summary(_("Per thema, de meeste steun eerst")),
            _project_columns(gettext_lazy("Thema")),
            _project_rows(themes),
            (Plot(3, _("Steun per thema (€)")),),
            _footer(total),
        ),
        "grootte": Dataset(
            "grootte",
            _("Per ondernemingsgrootte"),
            summary(_("Kleine en middelgrote ondernemingen")),
            _project_columns(gettext_lazy("Ondernemingsgrootte")),
            _project_rows(sizes),
            (Plot(3, _("Steun per ondernemingsgrootte (€)")),),
            _footer(total),
        ),
        "provincies": Dataset(
            "provincies",
            _("Per provincie"),
            summary(_("Per provincie van de maatschappelijke zetel")),
            _project_columns(gettext_lazy("Provincie")),
            _project_rows(provinces),
            (Plot(3, _("Steun per provincie (€)")),),
            _footer(total),
        ),
    }


def _as_of(taken_at: datetime | None) -> str:
    if taken_at is None:
        return _("Nu geteld.")
    return _("Stand op %(at)s (de dagelijkse taak).") % {
        "at": timezone.localtime(taken_at).strftime("%d/%m/%Y %H:%M")
    }


def budget_dataset(year: int, use: BudgetUse) -> Dataset:
    rows = use.rows
    labels = {s.value: str(s.label) for s in SizeClass}
    total = BudgetRow("")
    for row in rows:
        total.enterprises += row.enterprises
        total.cap += row.cap
        total.used += row.used
        total.at_cap += row.at_cap
    return Dataset(
        "budget",
        _("Budgetgebruik tegenover het jaarbudget"),
        _(
            "In %(year)s hebben %(count)s ondernemingen een jaarbudget van samen € %(cap)s; daarvan is "
            "€ %(used)s gebruikt (%(percent)s %%). %(full)s ondernemingen gebruikten hun volledige budget."
        )
        % {
            "year": year,
            "count": format_value(total.enterprises, INT),
            "cap": format_value(total.cap, MONEY),
            "used": format_value(total.used, MONEY),
            "percent": format_value(total.percent, PERCENT),
            "full": format_value(total.at_cap, INT),
        }
        + " "
        + _as_of(use.taken_at),
        (
            Column(gettext_lazy("Ondernemingsgrootte"), TEXT),
            Column(gettext_lazy("Ondernemingen met een budget"), INT),
            Column(gettext_lazy("Jaarbudget (€)"), MONEY),
            Column(gettext_lazy("Gebruikt (€)"), MONEY),
            Column(gettext_lazy("Gebruikt (%)"), PERCENT),
            Column(gettext_lazy("Volledig gebruikt"), INT),
        ),
        tuple(
            (
                labels.get(row.size_class, row.size_class or _("onbekend")),
                row.enterprises,
                row.cap,
                row.used,
                row.percent,
                row.at_cap,
            )
            for row in rows
        ),
        (Plot(3, _("Gebruikt budget tegenover het jaarbudget (€)"), of_column=2),),
        (_("Totaal"), total.enterprises, total.cap, total.used, total.percent, total.at_cap),
    )


def registrations_dataset(counts: dict[str, dict[str, int]]) -> Dataset:
    labels = dict(RegistrationStatus.choices)
    rows = tuple(
        (
            f"{labels.get(status, status)} ({status})",
            by_service.get(Service.OPLEIDING, 0),
            by_service.get(Service.ADVIES, 0),
            sum(by_service.values()),
        )
        for status, by_service in counts.items()
    )
    total = (
        sum(row[1] for row in rows),
        sum(row[2] for row in rows),
        sum(row[3] for row in rows),
    )
    return Dataset(
        "registraties",
        _("Registraties van dienstverleners per status"),
        _("Alle registraties zoals ze nu zijn: %(count)s, waarvan %(valid)s geldig (G en G/V).")
        % {
            "count": format_value(total[2], INT),
            "valid": format_value(
                sum(sum(counts.get(s, {}).values()) for s in (RegistrationStatus.APPROVED, "G/V")), INT
            ),
        },
        (
            Column(gettext_lazy("Status"), TEXT),
            Column(gettext_lazy("Opleiding"), INT),
            Column(gettext_lazy("Advies"), INT),
            Column(gettext_lazy("Samen"), INT),
        ),
        rows,
        (Plot(3, _("Registraties per status")),),
        (_("Totaal"), *total),
    )


def datasets(year: int, *, only: str | None = None, today: date | None = None) -> dict[str, Dataset]:
    """The page's datasets of ``year`` (or only the one named ``only``, for its CSV)."""
    result: dict[str, Dataset] = {}
    if only is None or only in ("maanden", "diensten", "themas", "grootte", "provincies"):
        result.update(project_datasets(year_figures(year, today=today)))
    if only is None or only == "budget":
        result["budget"] = budget_dataset(year, budget_use(year))
    if only is None or only == "registraties":
        result["registraties"] = registrations_dataset(registrations_by_status())
    return {key: result[key] for key in DATASET_KEYS if key in result and (only is None or key == only)}


def format_value(value: Any, kind: str) -> str:
    """A figure as the page shows it (Dutch: 1.234; 1.234,56; 12,5)."""
    from django.utils.formats import number_format

    if kind == INT:
        return number_format(value, 0, force_grouping=True)
    if kind == MONEY:
        return number_format(value, 2, force_grouping=True)
    if kind == PERCENT:
        return number_format(value, 1, force_grouping=True)
    return str(value)


def first_year() -> int:
    """The first year the dashboards offer: the summary's first day, else this year."""
    first = DailyProjectStat.objects.order_by("day").values_list("day", flat=True).first()
    return first.year if first else timezone.localdate().year
