"""Reads of the provider endpoints (``/api/v1/provider/``), always scoped by the token's provider.

A registration or project is only ever looked up among the provider's own, so another provider's number is
simply not found (404) and nothing of it is loaded. Projects go through the portal's scope
(``kmop.projects.provider_selectors.ProviderScope``: the provider's registration ids, then
``registration_id = ANY(...)`` on the projects' provider index), the whole provider (a token is never limited
to departments).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from kmop.idm.models import Organisation
from kmop.projects import selectors as project_selectors
from kmop.projects.models import Project, ProjectReport, ProjectStatus, ProjectStatusChange
from kmop.projects.provider_selectors import ProviderScope
from kmop.providers import selectors as provider_selectors
from kmop.providers.models import Provider, Registration, RegistrationEvent

#: the reactions a provider may give per status (the views check it before the services judge again)
ACTIONS_BY_STATUS: dict[str, tuple[str, ...]] = {
    ProjectStatus.BEVESTIGD: ("cancel",),
    ProjectStatus.LOPEND: ("stop",),
    ProjectStatus.AFGEWERKT: ("report",),
}


def provider_of(organisation: Organisation) -> Provider | None:
    return provider_selectors.provider_for_organisation(organisation)


def provider_registrations(
    provider: Provider, *, status: str = "", service: str = ""
) -> QuerySet[Registration]:
    """All registrations of the provider (registered office and departments), by number (the keyset)."""
    qs = provider_selectors.provider_registrations(provider).order_by("number")
    if status:
        qs = qs.filter(status=status)
    if service:
        qs = qs.filter(service=service)
    return qs


def provider_registration(provider: Provider, number: str) -> Registration | None:
    number = provider_selectors.normalise_registration_number(number)
    return provider_selectors.provider_registrations(provider).filter(number=number).first()


def registration_history(registration: Registration) -> list[RegistrationEvent]:
    return list(provider_selectors.registration_history(registration))


@dataclass(frozen=True)
class ProjectFilters:
    """The filters of ``GET /api/v1/provider/projects/``; every one given narrows the list (they combine)."""

    number: str = ""
    enterprise_number: str = ""
    enterprise_name: str = ""
    application_date_from: date | None = None
    application_date_to: date | None = None
    amount: Decimal | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    service: str = ""
    status: str = ""
    year: int | None = None
    registration: str = ""


def provider_projects(provider: Provider, filters: ProjectFilters | None = None) -> QuerySet[Project]:
    """The provider's projects (through any of its registrations), newest number first (the keyset)."""
    f = filters or ProjectFilters()
    ids = ProviderScope(provider_id=provider.pk).registration_ids()
    if not ids:
        return Project.objects.none()
    qs = (
        Project.objects.filter(registration_id__in=ids)
        .select_related("organisation", "registration__provider", "registration__department__department")
        .order_by("-number")
    )
    if f.number:
        qs = qs.filter(number__startswith=f.number)
    if f.enterprise_number:
        qs = qs.filter(organisation__code=f.enterprise_number)
    if f.enterprise_name:
        qs = qs.filter(organisation__name__icontains=f.enterprise_name)
    if f.application_date_from:
        qs = qs.filter(application_date__gte=f.application_date_from)
    if f.application_date_to:
        qs = qs.filter(application_date__lte=f.application_date_to)
    if f.year:
        qs = qs.filter(application_date__gte=date(f.year, 1, 1), application_date__lt=date(f.year + 1, 1, 1))
    if f.amount is not None:
        qs = qs.filter(amount=f.amount)
    if f.amount_min is not None:
        qs = qs.filter(amount__gte=f.amount_min)
    if f.amount_max is not None:
        qs = qs.filter(amount__lte=f.amount_max)
    if f.service:
        qs = qs.filter(service=f.service)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.registration:
        number = provider_selectors.normalise_registration_number(f.registration)
        qs = qs.filter(
            registration_id__in=Registration.objects.filter(pk__in=ids, number=number).values("pk")
        )
    return qs


def provider_project(provider: Provider, number: str) -> Project | None:
    """One of the provider's projects by its number; None for another provider's or an unknown number."""
    return provider_projects(provider).filter(number=(number or "").strip().upper()[:20]).first()


@dataclass(frozen=True)
class ProviderProjectDetail:
    project: Project
    history: list[ProjectStatusChange] = field(default_factory=list)
    reports: list[ProjectReport] = field(default_factory=list)


def provider_project_detail(provider: Provider, project: Project) -> ProviderProjectDetail:
    """A project of the provider (found through ``provider_project``) with its status history and the
    provider's own reports on it."""
    return ProviderProjectDetail(
        project=project,
        history=list(project_selectors.project_history(project)),
        reports=list(
            ProjectReport.objects.filter(
                project=project, provider_organisation=provider.organisation
            ).order_by("created_at", "id")
        ),
    )
