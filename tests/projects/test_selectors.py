"""Reads for the e-loket: another enterprise's project is not found; budgets per year; deposits owed."""

from __future__ import annotations

from decimal import Decimal

from kmop.projects import selectors, services
from kmop.projects.models import Project
from tests.idm.conftest import SYSTEM
from tests.projects.conftest import Setting


def test_another_enterprises_project_is_not_found(setting: Setting) -> None:
    project = setting.submit()
    assert selectors.project_of_enterprise(setting.enterprise, project.number) == project
    assert selectors.project_of_enterprise(setting.enterprise, project.number.lower()) == project
    assert selectors.project_of_enterprise(setting.world.a, project.number) is None
    assert selectors.project_of_enterprise(setting.world.a, "") is None
    assert Project.objects.get().status == "Bevestigd"


def test_budget_years_and_deposits_owed(setting: Setting) -> None:
    assert selectors.budget_years(setting.enterprise) == []  # an enterprise without any data yet
    assert list(selectors.deposits_owed(setting.enterprise)) == []
    first = setting.submit()
    second = setting.submit(title="Twee", amount=Decimal("2000.00"))
    services.project_mark_deposited(actor=SYSTEM, project=second)
    [year] = selectors.budget_years(setting.enterprise)
    assert (year.year, year.cap, year.used, year.left) == (
        2025,
        Decimal("7500.00"),
        Decimal("900.00"),
        Decimal("6600.00"),
    )
    assert year.size_class == "KO"
    assert year.locked
    assert list(selectors.deposits_owed(setting.enterprise)) == [first]
    assert [p.pk for p in selectors.projects_of(setting.enterprise)] == [second.pk, first.pk]
