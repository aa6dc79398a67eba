"""The projects' seed step: the demo projects (through the services, in every status, idempotent) and the
population of ``--scale N`` (deterministic, consistent with the regimes and the caps)."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import override_settings
from stdnum.be import ogm_vcs

from kmop.projects.models import EnterpriseProfile, Project, ProjectStatus, ProjectStatusChange, YearBudget
from kmop.projects.seed_steps import seed_projects_at_scale
from kmop.schemes import services as scheme_services
from tests.idm.conftest import SYSTEM
from tests.projects.conftest import Setting

HOUTATELIER = "0912345673"
S = ProjectStatus


@pytest.fixture
def schemes(db: None) -> None:
    scheme_services.scheme_data_load(actor=SYSTEM)  # a transactional test flushes what the migration loaded


@pytest.mark.django_db(transaction=True)
def test_seed_demo_makes_projects_in_every_status_and_is_idempotent(tmp_path: Path, schemes: None) -> None:
    with override_settings(VAR_DIR=tmp_path):
        first = io.StringIO()
        call_command("seed", "--scale", "demo", "--jobs", "1", stdout=first)
        count = Project.objects.count()
        out = io.StringIO()
        call_command("seed", "--scale", "demo", "--jobs", "1", stdout=out)
    assert "demo projects: 8 made" in first.getvalue(), first.getvalue()
    assert "demo projects: 0 made" in out.getvalue()
    assert Project.objects.count() == count == 8
    statuses = set(Project.objects.filter(organisation__code=HOUTATELIER).values_list("status", flat=True))
    assert statuses == set(ProjectStatus.values)
    assert EnterpriseProfile.objects.get(organisation__code=HOUTATELIER).contact_email
    for budget in YearBudget.objects.all():
        held = Project.objects.filter(
            organisation_id=budget.organisation_id, application_date__year=budget.year
        ).aggregate(s=Sum("budget_held"))["s"]
        assert budget.used == held
    # the wallets as the life cycle left them: deposit and subsidy in, the invoice paid out of Afgewerkt
    from kmop.wallet.models import Payout
    from kmop.wallet.services import project_balance

    for project in Project.objects.filter(organisation__code=HOUTATELIER):
        expected = {
            ProjectStatus.LOPEND: project.amount,
            ProjectStatus.STOPZETTING_AANGEVRAAGD: project.amount,
        }.get(ProjectStatus(project.status), Decimal("0.00"))
        assert project_balance(project) == expected, project.status
        if project.status == ProjectStatus.AFGEWERKT:
            assert Payout.objects.get(project=project, kind=Payout.Kind.PROVIDER).amount == project.amount
    # two unmatched credits for the back office's queue, booked once although the seed ran twice
    from kmop.wallet.reconcile import unmatched_open

    unmatched = list(unmatched_open())
    assert [p.transaction.reference for p in unmatched] == ["demo:unmatched:1", "demo:unmatched:2"]
    meant = Project.objects.filter(status=ProjectStatus.BEVESTIGD).order_by("number").first()
    assert unmatched[0].amount == meant.own_contribution
    assert unmatched[0].iban == ""
    assert "niet herkende stortingen 2" in first.getvalue()


def _snapshot() -> list[tuple[object, ...]]:
    return list(
        Project.objects.order_by("number").values_list(
            "number", "organisation__code", "amount", "subsidy", "status", "application_date"
        )
    )


@pytest.mark.django_db(transaction=True)
def test_seed_at_scale_is_deterministic_and_keeps_the_caps(schemes: None, setting: Setting) -> None:
    today = date(2025, 3, 10)
    counts = seed_projects_at_scale(scale=400, seed=7, actor=SYSTEM, today=today)
    assert counts["projects"] > 50
    first = _snapshot()
    assert seed_projects_at_scale(scale=400, seed=7, actor=SYSTEM, today=today) == counts
    assert _snapshot() == first
    assert Project.objects.count() == counts["projects"]
    assert ProjectStatusChange.objects.count() == counts["projects"]
    years = Counter(p.application_date.year for p in Project.objects.all())
    assert min(years) == 2016
    assert max(years) == 2025
    for project in Project.objects.all()[:200]:
        assert ogm_vcs.is_valid(project.structured_reference)
        assert project.own_contribution == project.amount - project.subsidy
        assert project.application_date <= today
        if project.status == ProjectStatus.BEVESTIGD:
            assert project.deposit_deadline >= today
    for budget in YearBudget.objects.all():
        assert Decimal(0) <= budget.used <= budget.cap
        held = Project.objects.filter(
            organisation_id=budget.organisation_id, application_date__year=budget.year
        ).aggregate(s=Sum("budget_held"))["s"]
        assert budget.used == held
    # an application after the seed continues the year's numbering
    project = setting.submit()
    assert int(project.number[7:]) == years[2025] + 1


@pytest.mark.django_db(transaction=True)
def test_seed_at_scale_follows_the_life_cycle_in_time(schemes: None, setting: Setting) -> None:
    from stdnum.be import iban as be_iban

    from kmop.projects.models import FINAL_STATUSES

    today = date(2025, 3, 10)
    counts = seed_projects_at_scale(scale=400, seed=7, actor=SYSTEM, today=today)
    profiles = EnterpriseProfile.objects.all()
    assert profiles.count() == counts["profiles"] > 0
    assert all(be_iban.is_valid(p.iban) for p in profiles)  # refunds of the wallet's seed go there
    closed = 0
    for project in Project.objects.all():
        changed = project.status_changed_at.date()
        assert project.application_date <= changed <= today, project.number
        if project.status in (S.LOPEND, S.STOPZETTING_AANGEVRAAGD, S.GESTOPT, S.AFGEWERKT):
            assert project.deposited_at is not None
            assert project.application_date <= project.deposited_at.date() <= project.deposit_deadline
            assert project.deposited_at <= project.status_changed_at
        else:
            assert project.deposited_at is None
        if project.status == S.LOPEND:
            assert project.status_changed_at == project.deposited_at
        # the budget goes back on a cancel and on a stop decided in the application's year, and only then
        released = project.status == S.GEANNULEERD or (
            project.status == S.GESTOPT and changed.year == project.application_date.year
        )
        assert project.budget_held == (Decimal("0.00") if released else project.subsidy), project.number
        if project.note:  # closed after the term: in the January after the year following the application
            closed += 1
            assert project.status == S.AFGEWERKT
            assert changed.year == project.application_date.year + 2
        if project.status not in FINAL_STATUSES:
            assert project.application_date.year >= today.year - 1
    history = ProjectStatusChange.objects.select_related("project")
    assert all(c.to_status == c.project.status and c.at == c.project.status_changed_at for c in history)
    # the ids continue after the seeded ones (explicit ids, sequences set after the load)
    seeded = Project.objects.order_by("-pk").values_list("pk", flat=True)[0]
    assert seeded == counts["projects"]
    assert setting.submit().pk > seeded
