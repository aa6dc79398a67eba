"""Reads on projects for the e-loket (the ondernemingsfoto, the wizard) and the API.

Every read of one project goes through the enterprise: ``project_of_enterprise(organisation, number)`` returns
None for a project of another enterprise, so a URL or API call with someone else's project number finds
nothing (the view answers 404) and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from kmop.idm.models import Organisation
from kmop.projects.models import (
    EnterpriseProfile,
    Project,
    ProjectStatus,
    ProjectStatusChange,
    SizeClassYear,
    YearBudget,
)


def profile_of(organisation: Organisation) -> EnterpriseProfile | None:
    return EnterpriseProfile.objects.filter(organisation=organisation).first()


def projects_of(organisation: Organisation) -> QuerySet[Project]:
    """The enterprise's projects, newest first, with the provider for the overview."""
    return (
        Project.objects.filter(organisation=organisation)
        .select_related("registration__provider")
        .order_by("-application_date", "-number")
    )


def project_of_enterprise(organisation: Organisation, number: str) -> Project | None:
    """The enterprise's project with that number; None for an unknown number or another enterprise's."""
    return projects_of(organisation).filter(number=(number or "").strip().upper()).first()


def deposits_owed(organisation: Organisation) -> QuerySet[Project]:
    """Projects in Bevestigd: the own contribution to deposit with its reference by the deadline."""
    return (
        projects_of(organisation)
        .filter(status=ProjectStatus.BEVESTIGD)
        .order_by("deposit_deadline", "number")
    )


def project_history(project: Project) -> QuerySet[ProjectStatusChange]:
    return project.status_changes.order_by("at", "id")


@dataclass(frozen=True)
class BudgetYear:
    year: int
    cap: Decimal
    used: Decimal
    size_class: str
    locked: bool

    @property
    def left(self) -> Decimal:
        return self.cap - self.used


def budget_years(organisation: Organisation) -> list[BudgetYear]:
    """The budget used and left per year (newest first), with the year's size class; one query (the size
    class of each year read along with its budget)."""
    sizes = SizeClassYear.objects.filter(organisation_id=OuterRef("organisation_id"), year=OuterRef("year"))
    rows = (
        YearBudget.objects.filter(organisation=organisation)
        .annotate(
            size=Subquery(sizes.values("size_class")[:1]),
            locked=Exists(sizes.filter(locked_at__isnull=False)),
        )
        .order_by("-year")
        .values_list("year", "cap", "used", "size", "locked")
    )
    return [
        BudgetYear(year=year, cap=cap, used=used, size_class=size or "", locked=bool(locked))
        for year, cap, used, size, locked in rows
    ]


def budget_of_year(organisation: Organisation, year: int | None = None) -> BudgetYear | None:
    year = year or timezone.localdate().year
    return next((b for b in budget_years(organisation) if b.year == year), None)


def size_class_of_year(organisation: Organisation, day: date | None = None) -> SizeClassYear | None:
    day = day or timezone.localdate()
    return SizeClassYear.objects.filter(organisation=organisation, year=day.year).first()
