"""The ledger: one booking function, sums to zero, no negative wallet, idempotent references, audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection

from kmop.audit.models import AuditEvent
from kmop.wallet import services
from kmop.wallet.models import AccountKind, Entry, LedgerTransaction, TransactionKind
from tests.idm.conftest import SYSTEM
from tests.projects.conftest import Setting
from tests.wallet.conftest import assert_balanced


def test_book_sums_to_zero_and_is_audited(setting: Setting) -> None:
    project = setting.submit()
    tx = services.book_deposit(actor=SYSTEM, project=project, amount=Decimal("700.00"), reference="camt:X1")
    assert sorted(tx.entries.values_list("amount", flat=True)) == [Decimal("-700.00"), Decimal("700.00")]
    assert services.project_balance(project) == Decimal("700.00")
    assert services.account_balance(services.system_account(AccountKind.BANK)) == Decimal("-700.00")
    assert AuditEvent.objects.filter(action="wallet.transaction.deposit", object_id=str(tx.pk)).exists()
    assert_balanced()


@pytest.mark.parametrize(
    "amounts",
    [
        [Decimal("10.00"), Decimal("-9.99")],  # not zero
        [Decimal("10.00")],  # one line
        [Decimal("10.001"), Decimal("-10.001")],  # three decimals
        [Decimal("0.00"), Decimal("0.00")],  # empty lines
    ],
)
def test_unbalanced_or_inexact_bookings_are_refused(setting: Setting, amounts: list[Decimal]) -> None:
    bank = services.system_account(AccountKind.BANK)
    refunds = services.system_account(AccountKind.REFUNDS)
    accounts = [bank, refunds]
    with pytest.raises(services.WalletError):
        services.book(
            actor=SYSTEM,
            kind=TransactionKind.REFUND,
            project=None,
            lines=list(zip(accounts, amounts, strict=False)),
        )
    assert not LedgerTransaction.objects.exists()
    assert not Entry.objects.exists()


def test_floats_are_refused() -> None:
    with pytest.raises(services.WalletError):
        services.clean_amount(0.1)


def test_a_project_wallet_never_goes_negative(setting: Setting) -> None:
    project = setting.submit()
    services.book_deposit(actor=SYSTEM, project=project, amount=Decimal("700.00"), reference="camt:X1")
    with pytest.raises(services.WalletError) as refused:
        services.book(
            actor=SYSTEM,
            kind=TransactionKind.REFUND,
            project=project,
            lines=[
                (services.project_account(project), Decimal("-700.01")),
                (services.system_account(AccountKind.REFUNDS), Decimal("700.01")),
            ],
        )
    assert refused.value.code == "insufficient_balance"
    assert services.project_balance(project) == Decimal("700.00")


def test_the_same_reference_is_booked_once(setting: Setting) -> None:
    project = setting.submit()
    services.book_deposit(actor=SYSTEM, project=project, amount=Decimal("700.00"), reference="camt:X1")
    with pytest.raises(services.AlreadyBooked):
        services.book_deposit(actor=SYSTEM, project=project, amount=Decimal("700.00"), reference="camt:X1")
    assert services.project_balance(project) == Decimal("700.00")


def test_a_line_on_another_projects_wallet_is_refused(setting: Setting) -> None:
    one = setting.submit()
    other = setting.submit(title="Tweede opleiding")
    with pytest.raises(services.WalletError):
        services.book(
            actor=SYSTEM,
            kind=TransactionKind.DEPOSIT,
            project=one,
            lines=[
                (services.system_account(AccountKind.BANK), Decimal("-1.00")),
                (services.project_account(other), Decimal("1.00")),
            ],
        )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the constraint trigger is PostgreSQL only")
def test_the_database_refuses_unbalanced_entries(setting: Setting) -> None:
    from django.db import DatabaseError, transaction

    bank = services.system_account(AccountKind.BANK)
    with transaction.atomic():
        tx = LedgerTransaction.objects.create(kind=TransactionKind.REFUND, actor_label="test")
        Entry.objects.create(transaction=tx, account=bank, amount=Decimal("5.00"))
        with connection.cursor() as cursor, pytest.raises(DatabaseError):
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        transaction.set_rollback(True)
