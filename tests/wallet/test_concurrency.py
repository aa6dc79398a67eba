"""The wallet under concurrency (PostgreSQL, real threads and connections): 8 simultaneous payment orders on
one wallet never pay out more than its balance; the same statement imported by 4 threads at once books each
bank entry once; and the deferred trigger refuses an unbalanced transaction at commit."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, connections, transaction

from kmop.projects.models import Project, ProjectStatus
from kmop.schemes import services as scheme_services
from kmop.wallet import camt, services
from kmop.wallet.models import AccountKind, Entry, LedgerTransaction, Payout, TransactionKind
from tests.idm.conftest import SYSTEM
from tests.projects.conftest import Setting
from tests.wallet.conftest import Credit, assert_balanced, statement, stream

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"),
]


@pytest.fixture(autouse=True)
def _schemes(db: None) -> None:
    scheme_services.scheme_data_load(actor=SYSTEM)


def _run_threads(count: int, work: Callable[[int], None]) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def runner(index: int) -> None:
        try:
            barrier.wait(timeout=60)
            work(index)
        except BaseException as error:  # collected for the assertion
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def _running(setting: Setting) -> Project:
    project = setting.submit()
    data = statement(Credit(str(project.own_contribution), project.structured_reference_display))
    camt.import_statement(stream(data), actor=SYSTEM)
    project.refresh_from_db()
    assert project.status == ProjectStatus.LOPEND
    return project


def test_simultaneous_payment_orders_never_overdraw(setting: Setting) -> None:
    project = _running(setting)  # 1000.00 in the wallet
    refused: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        try:
            services.payment_order_create(
                actor=setting.els, project=project, invoice_number=f"F-{index}", amount="300.00"
            )
        except services.WalletError as error:
            with lock:
                refused.append(str(error.code))

    assert _run_threads(8, work) == []
    assert Payout.objects.filter(kind="provider").count() == 3
    assert refused == ["insufficient_balance"] * 5
    assert services.project_balance(project) == Decimal("100.00")
    assert_balanced()


def test_the_same_statement_by_four_threads_books_once(setting: Setting) -> None:
    project = setting.submit()
    data = statement(
        Credit(str(project.own_contribution), project.structured_reference_display),
        Credit("5.00", "+++090/9337/55493+++"),
    )
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        try:
            report = camt.import_statement(stream(data), actor=SYSTEM)
            outcome = f"{report.deposits}/{report.refunds}/{report.already_booked}"
        except services.AlreadyBooked:
            outcome = "already"
        with lock:
            outcomes.append(outcome)

    assert _run_threads(4, work) == []
    assert "1/1/0" in outcomes
    assert LedgerTransaction.objects.filter(kind=TransactionKind.DEPOSIT).count() == 1
    assert LedgerTransaction.objects.filter(kind=TransactionKind.UNMATCHED).count() == 1
    assert services.project_balance(project) == Decimal("1000.00")
    assert_balanced()


def test_the_database_refuses_an_unbalanced_transaction_at_commit(setting: Setting) -> None:
    bank = services.system_account(AccountKind.BANK)

    def unbalanced() -> None:
        with transaction.atomic():
            tx = LedgerTransaction.objects.create(kind=TransactionKind.REFUND, actor_label="test")
            Entry.objects.create(transaction=tx, account=bank, amount=Decimal("5.00"))

    with pytest.raises(DatabaseError, match="sum to"):
        unbalanced()
    assert not LedgerTransaction.objects.exists()
    assert not Entry.objects.exists()
