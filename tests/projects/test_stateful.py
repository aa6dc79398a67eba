"""A hypothesis state machine of the project life cycle (issue 4 §6): applications, deposits, cancellations,
stops, finishing, the daily deadline pass, in any order. Invariants after every step: the yearly cap holds
(``0 <= used <= cap``), ``used`` is the sum of what the live projects hold, nothing left a final status, and —
with the wallet installed — every ledger transaction sums to zero and no project wallet is negative."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from kmop.projects import services
from kmop.projects.errors import ApplicationRefused, TransitionNotAllowed
from kmop.projects.models import FINAL_STATUSES, Project, ProjectStatus, YearBudget
from tests.idm.conftest import NOW, SYSTEM
from tests.projects.conftest import Setting

S = ProjectStatus
WALLET = importlib.util.find_spec("kmop.wallet") is not None
AMOUNTS = [Decimal(a) for a in ("100.00", "500.00", "1000.01", "3333.33", "9999.99", "30000.00")]


class LifeCycle(RuleBasedStateMachine):
    setting: Setting
    clock: Any

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.projects: list[int] = []
        self.finals: dict[int, str] = {}
        self.count = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)
        self.clock.move_to(NOW)

    def _pick(self, index: int) -> Project | None:
        if not self.projects:
            return None
        return Project.objects.get(pk=self.projects[index % len(self.projects)])

    def _transition(self, index: int, call: Any) -> None:
        project = self._pick(index)
        if project is None:
            return
        before = project.status
        try:
            after = call(project)
        except TransitionNotAllowed:
            project.refresh_from_db()
            assert project.status == before
            return
        assert before not in FINAL_STATUSES, f"{project.number} left the final status {before}"
        if after.status in FINAL_STATUSES:
            self.finals[after.pk] = after.status

    @rule(amount=st.sampled_from(AMOUNTS), size=st.sampled_from(["KO", "MO"]))
    def submit(self, amount: Decimal, size: str) -> None:
        self.count += 1
        codes: list[str] = []
        try:
            project = self.setting.submit(amount=amount, size_class=size, title=f"Opleiding {self.count}")
        except ApplicationRefused as error:
            codes = error.codes
        if codes:
            assert codes == ["cap_used_up"]
            budget = YearBudget.objects.get(organisation=self.setting.enterprise, year=2025)
            assert budget.used == budget.cap
            return
        assert project.subsidy > 0
        self.projects.append(project.pk)

    @rule(index=st.integers(0, 100))
    def deposit(self, index: int) -> None:
        def call(project: Project) -> Project:
            if WALLET and project.status == S.BEVESTIGD:
                from kmop.wallet import services as wallet

                with transaction.atomic():
                    wallet.book_deposit(
                        actor=SYSTEM,
                        project=project,
                        amount=project.own_contribution,
                        reference=f"test:{project.number}",
                    )
                    wallet.book_subsidy(actor=SYSTEM, project=project)
                    return services.project_mark_deposited(actor=SYSTEM, project=project)
            return services.project_mark_deposited(actor=SYSTEM, project=project)

        self._transition(index, call)

    @rule(index=st.integers(0, 100))
    def cancel(self, index: int) -> None:
        self._transition(
            index, lambda p: services.project_cancel(actor=self.setting.els, project=p, reason="")
        )

    @rule(index=st.integers(0, 100))
    def request_stop(self, index: int) -> None:
        self._transition(
            index, lambda p: services.project_request_stop(actor=self.setting.els, project=p, reason="stop")
        )

    @rule(index=st.integers(0, 100), approve=st.booleans())
    def decide_stop(self, index: int, approve: bool) -> None:
        self._transition(
            index,
            lambda p: services.project_decide_stop(
                actor=self.setting.staff, project=p, approve=approve, reason="beslist"
            ),
        )

    @rule(index=st.integers(0, 100))
    def finish(self, index: int) -> None:
        self._transition(index, lambda p: services.project_mark_finished(actor=SYSTEM, project=p))

    @rule()
    def deposit_deadline_passes(self) -> None:
        day = NOW.date() + timedelta(days=31)
        services.expire_deposits_bulk(actor=SYSTEM, day=day)
        for project in Project.objects.filter(pk__in=self.projects, status__in=FINAL_STATUSES):
            self.finals.setdefault(project.pk, project.status)

    @invariant()
    def cap_holds(self) -> None:
        for budget in YearBudget.objects.all():
            assert Decimal(0) <= budget.used <= budget.cap
            held = Project.objects.filter(
                organisation_id=budget.organisation_id, application_date__year=budget.year
            ).aggregate(s=Sum("budget_held"))["s"] or Decimal(0)
            assert budget.used == held

    @invariant()
    def live_projects_hold_their_subsidy(self) -> None:
        for project in Project.objects.all():
            if project.status in (S.BEVESTIGD, S.LOPEND, S.STOPZETTING_AANGEVRAAGD, S.AFGEWERKT):
                assert project.budget_held == project.subsidy
            elif project.status == S.GEANNULEERD:
                assert project.budget_held == 0

    @invariant()
    def finals_stay_final(self) -> None:
        current = dict(Project.objects.filter(pk__in=list(self.finals)).values_list("pk", "status"))
        assert current == self.finals

    @invariant()
    def ledger_balances(self) -> None:
        if not WALLET:
            return
        from kmop.wallet.models import Account, Entry

        sums = Entry.objects.values("transaction_id").annotate(s=Sum("amount")).exclude(s=0)
        assert not sums.exists(), list(sums[:5])
        for account in Account.objects.filter(project__isnull=False):
            total = Entry.objects.filter(account=account).aggregate(s=Sum("amount"))["s"] or Decimal(0)
            assert total >= 0, f"{account} is negative: {total}"


def test_life_cycle_keeps_the_invariants(setting: Setting, clock: Any) -> None:
    LifeCycle.setting = setting
    LifeCycle.clock = clock
    run_state_machine_as_test(
        LifeCycle,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


@pytest.mark.parametrize("amount", AMOUNTS)
def test_amounts_of_the_machine_are_valid(amount: Decimal) -> None:
    assert services.clean_amount(amount) == amount
