"""The wallet's seed step: after a small-scale seed of projects and their ledger, the wallet's invariants hold
(every transaction sums to zero, no project wallet below zero at any moment, the money follows each project's
status, the exported batches add up), the seed is deterministic, and the services carry on after it."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum

from kmop.projects.models import Project, ProjectStatus
from kmop.projects.seed_steps import seed_projects_at_scale
from kmop.schemes import services as scheme_services
from kmop.wallet import services
from kmop.wallet.models import Account, AccountKind, Entry, LedgerTransaction, Payout, PayoutBatch
from kmop.wallet.seed_steps import seed_wallet_at_scale
from tests.idm.conftest import SYSTEM
from tests.projects.conftest import Setting

S = ProjectStatus
TODAY = date(2025, 3, 10)
ZERO = Decimal("0.00")


@pytest.fixture
def seeded(db: None, setting: Setting) -> dict[str, int]:
    scheme_services.scheme_data_load(actor=SYSTEM)  # a transactional test flushes what the migration loaded
    seed_projects_at_scale(scale=400, seed=7, actor=SYSTEM, today=TODAY)
    return seed_wallet_at_scale(scale=400, seed=7, actor=SYSTEM, today=TODAY)


def _ledger() -> list[tuple[object, ...]]:
    return list(
        Entry.objects.order_by("id").values_list(
            "id", "transaction__kind", "transaction__reference", "account__kind", "account__project__number",
            "amount", "transaction__created_at",
        )
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_every_transaction_sums_to_zero_and_no_wallet_goes_below_zero(seeded: dict[str, int]) -> None:
    assert seeded["projects"] > 30
    assert seeded["transactions"] == LedgerTransaction.objects.count() > 2 * seeded["projects"]
    assert seeded["entries"] == Entry.objects.count()
    lines: dict[int, list[Decimal]] = defaultdict(list)
    for transaction_id, amount in Entry.objects.values_list("transaction_id", "amount"):
        lines[transaction_id].append(amount)
    assert set(lines) == set(LedgerTransaction.objects.values_list("id", flat=True))
    for amounts in lines.values():
        assert len(amounts) >= 2
        assert sum(amounts, ZERO) == 0
        assert all(a != 0 and a == a.quantize(Decimal("0.01")) for a in amounts)
    # the running balance of every project wallet, in the order of booking, never goes below zero
    running: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for account_id, amount in (
        Entry.objects.filter(account__kind=AccountKind.PROJECT)
        .order_by("transaction__created_at", "transaction_id")
        .values_list("account_id", "amount")
    ):
        running[account_id] += amount
        assert running[account_id] >= 0
    assert Account.objects.filter(project__isnull=True).count() == 4  # one per system kind


@pytest.mark.django_db(transaction=True)
def test_the_money_follows_each_projects_status(seeded: dict[str, int]) -> None:
    seen: set[str] = set()
    for project in Project.objects.all():
        balance = services.project_balance(project)
        kinds = set(project.ledger_transactions.values_list("kind", flat=True))
        paid = Payout.objects.filter(project=project, kind=Payout.Kind.PROVIDER).aggregate(s=Sum("amount"))[
            "s"
        ]
        paid = paid or ZERO
        if project.status in (S.BEVESTIGD, S.GEANNULEERD):
            assert not kinds, project.number
            continue
        seen.add(project.status)
        assert services.project_total(project, "deposit") == project.own_contribution
        assert services.project_total(project, "subsidy") == project.subsidy
        assert services.project_total(project, "payment_order", sign=-1) == paid
        assert project.deposited_at is not None
        assert project.deposited_at <= project.status_changed_at
        deposit = project.ledger_transactions.get(kind="deposit")
        assert deposit.reference == f"camt:kmop-seed-{project.number}"
        if project.status in (S.LOPEND, S.STOPZETTING_AANGEVRAAGD):
            assert 0 < balance == project.amount - paid
        elif project.status == S.AFGEWERKT and not project.note:
            assert balance == 0
            assert paid == project.amount
        else:  # stopped, or closed after the term: the rest split between the budget and the enterprise
            assert balance == 0
            back, refund = services.split_remaining(project, project.amount - paid)
            assert services.project_total(project, "subsidy_return", sign=-1) == back
            assert services.project_total(project, "refund", sign=-1) == refund
            if refund:
                payout = Payout.objects.get(project=project, kind=Payout.Kind.REFUND)
                assert payout.amount == refund
                assert payout.iban == project.organisation.enterprise_profile.iban != ""
    assert {S.LOPEND, S.AFGEWERKT, S.GESTOPT} <= seen


@pytest.mark.django_db(transaction=True)
def test_exported_batches_add_up(seeded: dict[str, int]) -> None:
    assert seeded["payout_batches"] == PayoutBatch.objects.count() > 0
    for batch in PayoutBatch.objects.all():
        payouts = list(batch.payouts.all())
        assert len(payouts) == batch.count
        assert sum((p.amount for p in payouts), ZERO) == batch.total
        assert all(p.iban and p.created_at <= batch.created_at for p in payouts)
        export = LedgerTransaction.objects.get(reference=f"pain001:{batch.message_id}")
        assert export.entries.get(account__kind=AccountKind.BANK).amount == batch.total
    # what is not exported yet waits for the next file: the recent ones
    waiting = Payout.objects.filter(batch__isnull=True).exclude(iban="")
    assert all((TODAY - p.created_at.date()).days < 8 for p in waiting)
    assert (
        services.account_balance(services.system_account(AccountKind.PAYOUTS))
        == waiting.filter(kind=Payout.Kind.PROVIDER).aggregate(s=Sum("amount"))["s"]
        or ZERO
    )


@pytest.mark.django_db(transaction=True)
def test_the_seed_is_deterministic_and_the_services_carry_on(seeded: dict[str, int]) -> None:
    first = _ledger()
    assert seed_wallet_at_scale(scale=400, seed=7, actor=SYSTEM, today=TODAY) == seeded
    assert _ledger() == first
    # after the seed the wallet books on, with new ids after the seeded ones
    project = Project.objects.filter(status=S.LOPEND).order_by("id").first()
    assert project is not None
    balance = services.project_balance(project)
    payout = services.payment_order_create(
        actor=SYSTEM, project=project, invoice_number="F-NA-SEED", amount=Decimal("0.01")
    )
    # (not necessarily the next id: SQLite's AUTOINCREMENT remembers ids of earlier tests in the worker)
    assert payout.transaction_id > seeded["transactions"]
    assert payout.pk > seeded["payouts"]
    assert services.project_balance(project) == balance - Decimal("0.01")
    with pytest.raises(services.AlreadyBooked):
        services.book_subsidy(actor=SYSTEM, project=project)  # the seed booked its subsidy once


@pytest.mark.django_db(transaction=True)
def test_the_daily_passes_on_the_seeded_ledger_settle_as_settle_close(
    seeded: dict[str, int], setting: Setting
) -> None:
    from django.core import mail

    from kmop.projects import services as project_services
    from kmop.projects.models import YearBudget

    year_end = date(TODAY.year + 1, 12, 31)  # every open project of the seed is past its term after it
    open_last_year = Project.objects.filter(status__in=[S.LOPEND, S.STOPZETTING_AANGEVRAAGD])
    expected = {p.pk: services.split_remaining(p, services.project_balance(p)) for p in open_last_year}
    assert len(expected) > 2
    setting.submit()  # one more in Bevestigd, of an enterprise without a profile (no mail)
    waiting = set(Project.objects.filter(status=S.BEVESTIGD).values_list("pk", flat=True))
    with_contact = Project.objects.filter(
        pk__in=waiting, organisation__enterprise_profile__contact_email__gt=""
    ).count()
    mail.outbox.clear()
    day = year_end + timedelta(days=1)
    assert project_services.expire_deposits_bulk(actor=SYSTEM, day=day, batch_size=7) == len(waiting)
    assert project_services.close_expired_bulk(actor=SYSTEM, day=day, batch_size=2) == len(expected)
    assert len(mail.outbox) == with_contact
    assert set(Project.objects.filter(pk__in=waiting).values_list("status", flat=True)) == {S.GEANNULEERD}
    assert not LedgerTransaction.objects.filter(project_id__in=waiting).exists()  # nothing in their wallets
    for project in Project.objects.filter(pk__in=expected).select_related("organisation__enterprise_profile"):
        back, refund = expected[project.pk]
        assert project.status == S.AFGEWERKT
        assert project.note == project_services.close_note(project)
        assert services.project_balance(project) == 0
        assert services.project_total(project, "subsidy_return", sign=-1) == back
        assert services.project_total(project, "refund", sign=-1) == refund
        if back:
            assert LedgerTransaction.objects.filter(reference=f"close:subsidy:{project.number}").exists()
        if refund:
            payout = Payout.objects.get(transaction__reference=f"close:refund:{project.number}")
            assert payout.amount == refund
            assert payout.kind == Payout.Kind.REFUND
            assert payout.iban == project.organisation.enterprise_profile.iban
            assert payout.remittance == payout.transaction.memo
    for budget in YearBudget.objects.all():
        held = Project.objects.filter(
            organisation_id=budget.organisation_id, application_date__year=budget.year
        ).aggregate(s=Sum("budget_held"))["s"]
        assert budget.used == held
    # again: nothing more
    count = LedgerTransaction.objects.count()
    assert project_services.close_expired_bulk(actor=SYSTEM, day=day) == 0
    assert project_services.expire_deposits_bulk(actor=SYSTEM, day=day) == 0
    assert LedgerTransaction.objects.count() == count
