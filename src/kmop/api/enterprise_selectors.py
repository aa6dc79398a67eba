"""Reads of the enterprise endpoints, scoped by the token's organisation.

Projects go through ``kmop.projects.selectors`` (``projects_of``, ``project_of_enterprise``), so a project of
another enterprise is never loaded. The wallet has no selectors module yet: the entries and payment orders of
one (already scoped) project are read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from kmop.idm.models import Organisation
from kmop.projects import selectors as project_selectors
from kmop.projects.models import EnterpriseProfile, Project, ProjectStatusChange, SizeClassYear
from kmop.registers import selectors as registers_selectors
from kmop.registers.selectors import EnterpriseIdentity
from kmop.wallet.models import AccountKind, Entry, Payout
from kmop.wallet.services import project_balance


@dataclass(frozen=True)
class EnterpriseSnapshot:
    """The ondernemingsfoto: identity, profile, the year's size class and budget, earlier years, deposits."""

    identity: EnterpriseIdentity
    profile: EnterpriseProfile | None
    year: int
    size_class: SizeClassYear | None
    this_year: project_selectors.BudgetYear | None
    earlier_years: list[project_selectors.BudgetYear]
    deposits_owed: list[Project]


@dataclass(frozen=True)
class ProjectDetail:
    project: Project
    balance: Decimal
    entries: list[Entry] = field(default_factory=list)
    payment_orders: list[Payout] = field(default_factory=list)
    history: list[ProjectStatusChange] = field(default_factory=list)


def enterprise_identity(organisation: Organisation) -> EnterpriseIdentity:
    return registers_selectors.enterprise_identity(organisation.code, fallback_name=organisation.name)


def enterprise_snapshot(organisation: Organisation, today: date | None = None) -> EnterpriseSnapshot:
    today = today or timezone.localdate()
    years = project_selectors.budget_years(organisation)
    return EnterpriseSnapshot(
        identity=enterprise_identity(organisation),
        profile=project_selectors.profile_of(organisation),
        year=today.year,
        size_class=project_selectors.size_class_of_year(organisation, today),
        this_year=next((b for b in years if b.year == today.year), None),
        earlier_years=[b for b in years if b.year != today.year],
        deposits_owed=list(project_selectors.deposits_owed(organisation)[:500]),
    )


def enterprise_projects(
    organisation: Organisation, *, status: str = "", structured_reference: str = ""
) -> QuerySet[Project]:
    """The enterprise's projects, newest number first (the keyset of the API's pagination)."""
    qs = project_selectors.projects_of(organisation).order_by("-number")
    if status:
        qs = qs.filter(status=status)
    if structured_reference:
        qs = qs.filter(structured_reference=structured_reference)
    return qs


def project_detail(project: Project) -> ProjectDetail:
    """A project of the enterprise (found through ``project_of_enterprise``) with its wallet."""
    entries = list(
        Entry.objects.filter(account__kind=AccountKind.PROJECT, account__project=project)
        .select_related("transaction")
        .order_by("transaction__created_at", "transaction_id", "id")
    )
    payouts = list(
        Payout.objects.filter(project=project, kind=Payout.Kind.PROVIDER).order_by("created_at", "id")
    )
    return ProjectDetail(
        project=project,
        balance=project_balance(project),
        entries=entries,
        payment_orders=payouts,
        history=list(project_selectors.project_history(project)),
    )
