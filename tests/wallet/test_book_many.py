"""``book_many``: on PostgreSQL the transactions and entries go in with COPY (the entries of each transaction
in one statement, checked per statement by migration 0003), elsewhere with ``bulk_create``; both write the
same rows, with the same checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction

from kmop.audit.models import AuditEvent
from kmop.projects.models import Project
from kmop.wallet import services
from kmop.wallet.models import AccountKind, Entry, LedgerTransaction, Payout, TransactionKind
from tests.idm.conftest import SYSTEM
from tests.projects.conftest import Setting
from tests.wallet.conftest import assert_balanced
from tests.wallet.test_seed import seeded  # noqa: F401  (fixture)

POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY: PostgreSQL")


def _bookings(setting: Setting) -> list[services.Booking]:
    project = setting.submit()
    account = services.project_account(project)
    bank = services.system_account(AccountKind.BANK)
    refunds = services.system_account(AccountKind.REFUNDS)
    budget = services.system_account(AccountKind.SUBSIDY)
    return [
        services.Booking(
            kind=TransactionKind.DEPOSIT,
            project=project,
            lines=[(bank, Decimal("-700.00")), (account, Decimal("700.00"))],
            reference="camt:A1",
            memo='Storting\t"é"\n' + "x" * 600,
        ),
        services.Booking(
            kind=TransactionKind.REFUND,
            project=project,
            lines=[(account, Decimal("-100.10")), (refunds, Decimal("60.05")), (refunds, Decimal("40.05"))],
            reference="close:refund:A",
        ),
        services.Booking(
            kind=TransactionKind.SUBSIDY_RETURN,
            project=None,
            lines=[(budget, Decimal("-1.00")), (bank, Decimal("1.00"))],
            memo="zonder referentie",
        ),
    ]


def _booked(bookings: list[services.Booking], label: str = "kmop daily") -> dict[str, Any]:
    """What ``book_many`` writes (ids as positions, no times), then rolled back."""
    with transaction.atomic():
        first = LedgerTransaction.objects.order_by("-id").values_list("id", flat=True).first() or 0
        returned = services.book_many(actor=SYSTEM, bookings=bookings)
        ids = list(LedgerTransaction.objects.filter(id__gt=first).order_by("id").values_list("id", flat=True))
        position = {pk: i for i, pk in enumerate(ids)}
        result = {
            "returned": [(position[t.pk], t.kind, t.project_id, t.memo, t.reference) for t in returned],
            "transactions": [
                (position[row[0]], *row[1:])
                for row in LedgerTransaction.objects.filter(id__gt=first)
                .order_by("id")
                .values_list("id", "kind", "project_id", "memo", "actor_label", "reference")
            ],
            "times": len(set(LedgerTransaction.objects.filter(id__gt=first).values_list("created_at"))),
            "entries": sorted(
                (position[row[0]], *row[1:])
                for row in Entry.objects.filter(transaction_id__gt=first).values_list(
                    "transaction_id", "account_id", "amount"
                )
            ),
            "audit": [
                (position[int(e.object_id)], e.action, e.actor_label, e.after, e.reason)
                for e in AuditEvent.objects.filter(
                    object_type="wallet.LedgerTransaction", object_id__in=[str(i) for i in ids]
                ).order_by("id")
            ],
        }
        assert_balanced()
        transaction.set_rollback(True)
    return result


def test_book_many_writes_each_booking_in_order(setting: Setting) -> None:
    bookings = _bookings(setting)
    booked = _booked(bookings)
    assert [r[0] for r in booked["returned"]] == [0, 1, 2]
    assert [t[1:] for t in booked["transactions"]] == [
        (b.kind, b.project.pk if b.project else None, b.memo[:500], SYSTEM.label, b.reference)
        for b in bookings
    ]
    assert booked["times"] == 1
    assert len(booked["entries"]) == 7
    assert [a[1] for a in booked["audit"]] == [
        "wallet.transaction.deposit",
        "wallet.transaction.refund",
        "wallet.transaction.subsidy_return",
    ]
    assert booked["audit"][1][3]["entries"][0] == [f"project:{bookings[0].project.pk}", "-100.10"]


def test_a_booked_reference_refuses_the_whole_batch(setting: Setting) -> None:
    bookings = _bookings(setting)
    services.book_many(actor=SYSTEM, bookings=bookings[:1])
    count = Entry.objects.count()
    with pytest.raises(services.AlreadyBooked):
        services.book_many(actor=SYSTEM, bookings=bookings[1:] + bookings[:1])
    assert Entry.objects.count() == count
    with pytest.raises(services.AlreadyBooked):
        services.book_many(actor=SYSTEM, bookings=[bookings[1], bookings[1]])
    assert Entry.objects.count() == count


@POSTGRES
def test_copy_writes_exactly_what_the_orm_writes(setting: Setting, monkeypatch: pytest.MonkeyPatch) -> None:
    bookings = _bookings(setting)
    copied = _booked(bookings)

    def orm(bookings: Any, checked: Any, now: Any, label: str) -> list[int]:
        references = [b.reference for b in bookings if b.reference]
        return [t.pk for t in services._insert_orm(bookings, checked, references, now, label)]

    monkeypatch.setattr(services, "_insert_copy", orm)
    created = _booked(bookings)
    assert copied == created


@POSTGRES
def test_copy_restores_the_per_row_balance_check(setting: Setting) -> None:
    """The statement check is switched on only for the COPY of the entries: afterwards an unbalanced line
    inserted by hand is still refused at commit (the deferred row trigger of migration 0002)."""
    with transaction.atomic():
        services.book_many(actor=SYSTEM, bookings=_bookings(setting))
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('kmop.wallet_statement_check', true)")
            assert cursor.fetchone()[0] in (None, "", "off")
        transaction.set_rollback(True)


@POSTGRES
def test_copy_duplicate_reference_in_the_database_is_already_booked(
    setting: Setting, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reference booked by another transaction between the check and the insert: the unique constraint
    refuses the COPY, reported as AlreadyBooked, nothing written."""
    bookings = _bookings(setting)
    services.book_many(actor=SYSTEM, bookings=bookings[:1])
    count = (LedgerTransaction.objects.count(), Entry.objects.count(), AuditEvent.objects.count())
    monkeypatch.setattr(LedgerTransaction.objects, "filter", lambda **kw: LedgerTransaction.objects.none())
    with pytest.raises(services.AlreadyBooked):
        services.book_many(actor=SYSTEM, bookings=bookings[:1])
    monkeypatch.undo()
    assert (LedgerTransaction.objects.count(), Entry.objects.count(), AuditEvent.objects.count()) == count


def _settled(settle: Any) -> dict[str, Any]:
    """What a settlement writes (transactions by reference, their lines, the payouts), then rolled back."""
    with transaction.atomic():
        first_tx = LedgerTransaction.objects.order_by("-id").values_list("id", flat=True).first() or 0
        first_payout = Payout.objects.order_by("-id").values_list("id", flat=True).first() or 0
        returned = settle()
        result = {
            "returned": returned,
            "transactions": sorted(
                LedgerTransaction.objects.filter(id__gt=first_tx).values_list(
                    "reference", "kind", "project_id", "memo", "actor_label"
                )
            ),
            "entries": sorted(
                Entry.objects.filter(transaction_id__gt=first_tx).values_list(
                    "transaction__reference", "account_id", "amount"
                )
            ),
            "payouts": sorted(
                Payout.objects.filter(id__gt=first_payout).values_list(
                    "transaction__reference",
                    "kind",
                    "project_id",
                    "amount",
                    "iban",
                    "bic",
                    "name",
                    "remittance",
                    "invoice_number",
                    "created_by",
                    "batch_id",
                )
            ),
            "audit": sorted(
                (e.after["reference"], e.action, e.after, e.actor_label, e.reason)
                for e in AuditEvent.objects.filter(
                    object_type="wallet.LedgerTransaction",
                    object_id__in=[
                        str(i)
                        for i in LedgerTransaction.objects.filter(id__gt=first_tx).values_list(
                            "id", flat=True
                        )
                    ],
                )
            ),
            "payout_audit": sorted(
                (
                    Payout.objects.get(pk=int(e.object_id)).transaction.reference,
                    e.action,
                    e.after,
                    e.actor_label,
                    e.organisation_code,
                    e.reason,
                )
                for e in AuditEvent.objects.filter(
                    object_type="wallet.Payout",
                    object_id__in=[
                        str(i)
                        for i in Payout.objects.filter(id__gt=first_payout).values_list("id", flat=True)
                    ],
                )
            ),
        }
        assert_balanced()
        transaction.set_rollback(True)
    return result


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("seeded")
def test_settle_close_many_books_what_settle_close_books_per_project() -> None:
    """On the seeded ledger (projects with a subsidy, deposits, paid invoices, with and without an IBAN), one
    ``settle_close_many`` writes the same transactions, lines, payouts and audit events as ``settle_close``
    for each project; projects with an empty wallet or none get nothing."""
    projects = list(Project.objects.select_related("organisation").order_by("pk"))
    with_money = [p for p in projects if services.project_balance(p) > 0]
    assert len(with_money) > 3
    assert len(with_money) < len(projects)
    one_by_one = _settled(lambda: {p.pk: services.settle_close(p, actor=SYSTEM) for p in projects})
    together = _settled(lambda: services.settle_close_many(projects, actor=SYSTEM))
    assert together == one_by_one
    assert together["payouts"]
    assert len(together["payout_audit"]) == len(together["payouts"])
    assert all(event[4] for event in together["payout_audit"])  # the enterprise's organisation
    assert {r[1] for r in together["transactions"]} == {"subsidy_return", "refund"}
    assert services.settle_close_many([], actor=SYSTEM) == {}


def _iban(country: str, bban: str) -> str:
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def test_the_payout_iban_is_what_validate_iban_accepts() -> None:
    """The refund payouts' IBAN check (the Belgian bank-code lookup cached) gives what ``validate_iban``
    gives, or "" where it raises: valid and invalid Belgian IBANs (check digits, account check, bank codes
    given and not), foreign ones, spaces and lower case, nonsense."""
    from kmop.registers.numbers import ValidationError, validate_iban

    samples = [
        "",
        " ",
        "BE",
        "x",
        "BE71 0961 2345 6769",
        "be71096123456769",
        "BE71096123456768",
        "BE68539007547034",
        "BE62510007547061",
        "DE89370400440532013000",
        "DE89370400440532013001",
        "NL91ABNA0417164300",
        "FR1420041010050500013M02606",
        "GB82WEST12345698765432",
        "XX00123",
    ]
    for bank in range(0, 1000, 7):
        for account in (1234567, 7654321):
            bban = f"{bank:03d}{account:07d}"
            samples.append(_iban("BE", bban + f"{int(bban) % 97 or 97:02d}"))
            samples.append(_iban("BE", bban + f"{(int(bban) + 1) % 97 or 97:02d}"))
    for value in samples:
        try:
            expected = validate_iban(value)
        except ValidationError:
            expected = ""
        assert services._payout_iban(value) == expected, value
    assert sum(1 for v in samples if services._payout_iban(v)) > 20
