"""The wallet's services: the one booking function ``book`` (and ``book_many`` for imports), deposits, the
subsidy, refunds, payment orders, the pain.001 export and the reactions to the project's transitions
(``release_on_cancel``, ``settle_stop``, ``settle_close``, called by ``kmop.projects.services`` inside its
transaction). Everything is audited; amounts are ``Decimal`` with two decimals, never float.

Sign convention: an entry's amount is what the account receives (positive) or gives (negative); the entries
of a transaction sum to zero. A project's wallet balance is the sum of its account's entries and is never
negative (checked under a row lock of the project's account).
"""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any
from xml.etree import ElementTree as ET

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import iban as _iban
from stdnum.be import iban as _be_iban

from kmop.audit.services import Actor, AuditChange, audit_record, audit_record_many
from kmop.idm.errors import IdmError
from kmop.projects.models import Project, ProjectStatus
from kmop.registers.numbers import ValidationError as NumberError
from kmop.registers.numbers import validate_iban
from kmop.wallet.models import (
    Account,
    AccountKind,
    Entry,
    LedgerTransaction,
    Payout,
    PayoutBatch,
    TransactionKind,
)

__all__ = [
    "ZERO",
    "AlreadyBooked",
    "Booking",
    "WalletError",
    "account_balance",
    "book",
    "book_deposit",
    "book_many",
    "book_refund",
    "book_subsidy",
    "payment_order_create",
    "payouts_export_pain001",
    "project_account",
    "project_balance",
    "refunds_fill_account",
    "release_on_cancel",
    "settle_close",
    "settle_close_many",
    "settle_stop",
    "system_account",
]

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
#: no single amount above this (a typing error, not a kmo-portefeuille project)
AMOUNT_MAX = Decimal("9999999999.99")
WALLET = "wallet"
PAIN_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"


class WalletError(IdmError):
    """A wallet service refused; nothing was booked."""

    default_code = "wallet"


class AlreadyBooked(WalletError):
    """A transaction with that reference exists: the fact was booked before."""

    default_code = "already_booked"


Line = tuple[Account, Decimal]


@dataclass(frozen=True)
class Booking:
    """One transaction to book (``book_many``)."""

    kind: str
    project: Project | None
    lines: Sequence[Line]
    reference: str | None = None
    memo: str = ""


def _system(label: str) -> Actor:
    return Actor.system(label)


def clean_amount(value: Any, *, field: str = "amount", positive: bool = True) -> Decimal:
    """A money amount: Decimal (or its text) with at most two decimals, not absurdly large; positive unless
    ``positive=False`` (then non-zero). Floats are refused (money is exact)."""
    if isinstance(value, (float, bool)):
        raise WalletError(
            _("Een bedrag moet exact zijn (geen kommagetal met afrondingsfouten)."), field=field
        )
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise WalletError(_("Geef een geldig bedrag op, bijvoorbeeld 250,00."), field=field) from None
    if not amount.is_finite():
        raise WalletError(_("Geef een geldig bedrag op, bijvoorbeeld 250,00."), field=field)
    # before quantize, which raises InvalidOperation for "1e30" (more digits than the context's precision);
    # copy_abs, not abs(), which raises Overflow beyond the context's exponent ("1E+9999999")
    if amount.copy_abs() > AMOUNT_MAX:
        raise WalletError(_("Dit bedrag is onwaarschijnlijk groot."), field=field)
    if amount != amount.quantize(CENT):
        raise WalletError(_("Een bedrag heeft ten hoogste twee cijfers na de komma."), field=field)
    if positive and amount <= 0:
        raise WalletError(_("Het bedrag moet groter zijn dan nul."), field=field)
    if amount == 0:
        raise WalletError(_("Het bedrag mag niet nul zijn."), field=field)
    return amount.quantize(CENT)


# --- accounts and balances ----------------------------------------------------------------------------------


def system_account(kind: str) -> Account:
    """The one account of a system kind (bank, subsidy, refunds, payouts), created on first use."""
    if kind == AccountKind.PROJECT:
        raise ValueError("a project account belongs to a project: use project_account")
    account = Account.objects.filter(kind=kind, project__isnull=True).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(kind=kind)
    except IntegrityError:
        return Account.objects.get(kind=kind, project__isnull=True)


def project_account(project: Project) -> Account:
    """The wallet account of a project, created on first use."""
    account = Account.objects.filter(kind=AccountKind.PROJECT, project=project).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Account.objects.create(kind=AccountKind.PROJECT, project=project)
    except IntegrityError:
        return Account.objects.get(kind=AccountKind.PROJECT, project=project)


def project_accounts(projects: Iterable[Project]) -> dict[int, Account]:
    """The wallet accounts of many projects (one query, the missing ones created in one insert)."""
    ids = {p.pk for p in projects}
    found = {a.project_id: a for a in Account.objects.filter(kind=AccountKind.PROJECT, project_id__in=ids)}
    missing = ids - found.keys()
    if missing:
        Account.objects.bulk_create(
            [Account(kind=AccountKind.PROJECT, project_id=i) for i in missing], ignore_conflicts=True
        )
        found.update(
            {
                a.project_id: a
                for a in Account.objects.filter(kind=AccountKind.PROJECT, project_id__in=missing)
            }
        )
    return {k: v for k, v in found.items() if k is not None}


def account_balance(account: Account) -> Decimal:
    total = Entry.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    return (total or ZERO).quantize(CENT)


def project_balance(project: Project) -> Decimal:
    """What is in the project's wallet now (derived from the entries)."""
    total = Entry.objects.filter(account__kind=AccountKind.PROJECT, account__project=project).aggregate(
        total=Sum("amount")
    )["total"]
    return (total or ZERO).quantize(CENT)


def project_total(project: Project, kind: str, *, sign: int = 1) -> Decimal:
    """The sum of the project account's entries of transactions of one kind (``sign=-1``: what went out)."""
    total = Entry.objects.filter(
        account__kind=AccountKind.PROJECT, account__project=project, transaction__kind=kind
    ).aggregate(total=Sum("amount"))["total"]
    return ((total or ZERO) * sign).quantize(CENT)


# --- booking ------------------------------------------------------------------------------------------------


def _check(booking: Booking) -> list[Line]:
    if len(booking.lines) < 2:
        raise WalletError(_("Een boeking heeft minstens twee lijnen."), code="unbalanced")
    lines = [(account, clean_amount(amount, positive=False)) for account, amount in booking.lines]
    total = sum((amount for _a, amount in lines), ZERO)
    if total != 0:
        raise WalletError(
            _("De lijnen van een boeking moeten samen nul zijn (nu %(total)s)."),
            code="unbalanced",
            total=total,
        )
    for account, _amount in lines:
        if account.pk is None:
            raise WalletError(_("Onbekende rekening."), code="unbalanced")
        if (
            account.kind == AccountKind.PROJECT
            and booking.project is not None
            and account.project_id != booking.project.pk
        ):
            raise WalletError(_("Een boeking raakt enkel de portefeuille van haar eigen project."))
    return lines


def book_many(*, actor: Actor, bookings: Sequence[Booking]) -> list[LedgerTransaction]:
    """Book many transactions at once (in the caller's transaction or a new one): each one checked (at
    least two lines, exact amounts, sum zero), the project accounts that lose money locked and checked for a
    negative balance, inserted in bulk and audited. A reference that exists raises ``AlreadyBooked`` and
    nothing is booked."""
    _ids, transactions = _book_many(actor, bookings, None, build=True)
    assert transactions is not None
    return transactions


def _book_many(
    actor: Actor,
    bookings: Sequence[Booking],
    locked: dict[int, Decimal] | None,
    *,
    build: bool,
    memo_reasons: bool = False,
) -> tuple[list[int], list[LedgerTransaction] | None]:
    """``book_many``; ``locked``: the balances of project accounts that the caller locked (``SELECT ... FOR
    UPDATE``) in this transaction and summed since, used for the negative-balance check instead of locking
    and summing them again. Returns the ids of the transactions (in the order of the bookings) and, with
    ``build`` (or when the insert made them), their instances. ``memo_reasons``: each transaction audited with
    its memo as the reason (as ``book`` does), not only a single one."""
    if not bookings:
        return [], []
    checked = [(booking, _check(booking)) for booking in bookings]
    references = [b.reference for b in bookings if b.reference]
    if len(set(references)) != len(references):
        raise AlreadyBooked(_("Dezelfde referentie komt twee keer voor."))
    with transaction.atomic():
        if references and LedgerTransaction.objects.filter(reference__in=references).exists():
            raise AlreadyBooked(_("Dit werd al geboekt."))
        change: dict[int, Decimal] = {}
        for _booking, lines in checked:
            for account, amount in lines:
                if account.kind == AccountKind.PROJECT:
                    change[account.pk] = change.get(account.pk, ZERO) + amount
        losing = sorted(pk for pk, delta in change.items() if delta < 0)
        if losing and locked is not None and locked.keys() >= set(losing):
            balances = locked
        elif losing:
            list(Account.objects.select_for_update().filter(pk__in=losing).order_by("pk").values_list("pk"))
            balances = dict(
                Entry.objects.filter(account_id__in=losing)
                .values("account_id")
                .annotate(total=Sum("amount"))
                .values_list("account_id", "total")
            )
            for pk in losing:
                if (balances.get(pk) or ZERO) + change[pk] < 0:
                    raise WalletError(
                        _("Onvoldoende saldo in de portefeuille van het project (saldo %(balance)s)."),
                        code="insufficient_balance",
                        balance=(balances.get(pk) or ZERO).quantize(CENT),
                    )
        now = timezone.now()
        label = actor.label[:200]
        transactions: list[LedgerTransaction] | None = None
        if connection.vendor == "postgresql":
            ids = _insert_copy(bookings, checked, now, label)
        else:
            transactions = _insert_orm(bookings, checked, references, now, label)
            ids = [t.pk for t in transactions]
        audit_record_many(
            actor=actor,
            changes=(
                AuditChange(
                    action=f"wallet.transaction.{b.kind}",
                    object_type="wallet.LedgerTransaction",
                    object_id=str(pk),
                    after={
                        "kind": b.kind,
                        "project": b.project.number if b.project is not None else None,
                        "reference": b.reference or None,
                        "memo": b.memo[:500],
                        "entries": [[str(a), str(amount)] for a, amount in lines],
                    },
                    reason=b.memo[:500] if memo_reasons else None,
                )
                for pk, (b, lines) in zip(ids, checked, strict=True)
            ),
            reason=bookings[0].memo[:500] if len(bookings) == 1 else "",
        )
        if transactions is None and build:
            transactions = _instances(ids, bookings, now, label)
    return ids, transactions


def _insert_orm(
    bookings: Sequence[Booking],
    checked: list[tuple[Booking, list[Line]]],
    references: list[str],
    now: Any,
    label: str,
) -> list[LedgerTransaction]:
    """The transactions and their entries with ``bulk_create`` (any database)."""
    try:
        with transaction.atomic():
            transactions = LedgerTransaction.objects.bulk_create(
                [
                    LedgerTransaction(
                        kind=b.kind,
                        project=b.project,
                        memo=b.memo[:500],
                        created_at=now,
                        actor_label=label,
                        reference=b.reference or None,
                    )
                    for b in bookings
                ]
            )
    except IntegrityError:
        raise AlreadyBooked(_("Dit werd al geboekt.")) from None
    if any(t.pk is None for t in transactions):  # a database that returns no ids from a bulk insert
        transactions = list(
            LedgerTransaction.objects.filter(reference__in=references).order_by("id")
        )  # pragma: no cover
    Entry.objects.bulk_create(
        [
            Entry(transaction=t, account=account, amount=amount)
            for t, (_b, lines) in zip(transactions, checked, strict=True)
            for account, amount in lines
        ]
    )
    return transactions


def _insert_copy(
    bookings: Sequence[Booking], checked: list[tuple[Booking, list[Line]]], now: Any, label: str
) -> list[int]:
    """The transactions and their entries with ``COPY`` (PostgreSQL), as the camt import does: the ids taken
    from the sequence first, the entries of every transaction in one statement, so that migration 0003 checks
    the balance of each transaction once for the statement (the deferred row trigger skips them)."""
    tx_table = LedgerTransaction._meta.db_table
    rows = [
        (b.kind, b.project.pk if b.project else None, b.memo[:500], now, label, b.reference or None)
        for b in bookings
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [tx_table, len(rows)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
        cursor.execute("SELECT current_setting('kmop.wallet_statement_check', true)")
        setting = cursor.fetchone()[0]
        try:
            with transaction.atomic(), connection.wrap_database_errors:
                _copy(
                    cursor,
                    tx_table,
                    ("id", "kind", "project_id", "memo", "created_at", "actor_label", "reference"),
                    ((pk, *row) for pk, row in zip(ids, rows, strict=True)),
                )
        except IntegrityError:
            raise AlreadyBooked(_("Dit werd al geboekt.")) from None
        cursor.execute("SELECT set_config('kmop.wallet_statement_check', 'on', true)")
        with connection.wrap_database_errors:
            _copy(
                cursor,
                Entry._meta.db_table,
                ("transaction_id", "account_id", "amount"),
                (
                    (pk, account.pk, amount)
                    for pk, (_b, lines) in zip(ids, checked, strict=True)
                    for account, amount in lines
                ),
            )
        cursor.execute("SELECT set_config('kmop.wallet_statement_check', %s, true)", [setting or ""])
    return ids


def _instances(ids: list[int], bookings: Sequence[Booking], now: Any, label: str) -> list[LedgerTransaction]:
    """The transactions that ``_insert_copy`` wrote, as saved instances (with the bookings' projects)."""
    transactions = []
    for pk, b in zip(ids, bookings, strict=True):
        t = LedgerTransaction(
            id=pk,
            kind=b.kind,
            project=b.project,
            memo=b.memo[:500],
            created_at=now,
            actor_label=label,
            reference=b.reference or None,
        )
        t._state.adding = False
        t._state.db = connection.alias
        transactions.append(t)
    return transactions


def _copy(cursor: Any, table: str, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
    """``COPY table (columns) FROM STDIN`` of the rows (PostgreSQL)."""
    with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def book(
    *,
    actor: Actor,
    kind: str,
    project: Project | None,
    lines: Sequence[Line],
    reference: str | None = None,
    memo: str = "",
) -> LedgerTransaction:
    """Book one transaction: the lines (account, signed amount) sum to zero; no project wallet goes below
    zero; a ``reference`` that was booked before raises ``AlreadyBooked``. Audited."""
    return book_many(
        actor=actor,
        bookings=[Booking(kind=kind, project=project, lines=lines, reference=reference, memo=memo)],
    )[0]


def book_deposit(
    *, actor: Actor, project: Project, amount: Decimal, reference: str, memo: str = ""
) -> LedgerTransaction:
    """The enterprise's own contribution came in through the bank: bank → the project's wallet."""
    amount = clean_amount(amount)
    return book(
        actor=actor,
        kind=TransactionKind.DEPOSIT,
        project=project,
        lines=[(system_account(AccountKind.BANK), -amount), (project_account(project), amount)],
        reference=reference,
        memo=memo or _("Storting eigen bijdrage %(number)s") % {"number": project.number},
    )


def book_subsidy(*, actor: Actor, project: Project) -> LedgerTransaction:
    """The project's subsidy: subsidy budget → the project's wallet (once per project)."""
    return book(
        actor=actor,
        kind=TransactionKind.SUBSIDY,
        project=project,
        lines=[
            (system_account(AccountKind.SUBSIDY), -project.subsidy),
            (project_account(project), project.subsidy),
        ],
        reference=f"subsidy:{project.number}",
        memo=_("Steun kmo-portefeuille %(number)s") % {"number": project.number},
    )


def payout_audit(
    payout_id: int,
    *,
    project_number: str | None,
    amount: Decimal,
    iban: str,
    name: str,
    reason: str | None = None,
) -> AuditChange:
    """The audit event of a refund payout created (``wallet.payout.create``): to which account, how much."""
    return AuditChange(
        action="wallet.payout.create",
        object_type="wallet.Payout",
        object_id=str(payout_id),
        after={"project": project_number, "amount": str(amount), "iban": iban, "name": name},
        reason=reason,
    )


def audit_payouts(actor: Actor, changes: Iterable[tuple[str, AuditChange]]) -> None:
    """Record the refund payouts' events, each (enterprise's organisation code, change) for the organisation
    of the project's enterprise when the actor acts for none (a job, a command): one ``audit_record_many``
    per organisation."""
    groups: dict[str, list[AuditChange]] = {}
    for code, change in changes:
        groups.setdefault(actor.organisation_code or code, []).append(change)
    for code, group in groups.items():
        who = actor if code == actor.organisation_code else dataclasses.replace(actor, organisation_code=code)
        audit_record_many(actor=who, changes=group)


def _refund_payout(
    *,
    actor: Actor,
    ledger: LedgerTransaction,
    project: Project | None,
    amount: Decimal,
    iban: str,
    name: str,
    remittance: str,
) -> Payout:
    try:
        iban = validate_iban(iban) if iban else ""
    except NumberError:
        iban = ""
    payout = Payout.objects.create(
        kind=Payout.Kind.REFUND,
        project=project,
        transaction=ledger,
        amount=amount,
        iban=iban,
        name=(name or "?")[:140],
        remittance=remittance[:140],
        created_by=actor.label[:200],
    )
    change = payout_audit(
        payout.pk,
        project_number=project.number if project is not None else None,
        amount=amount,
        iban=payout.iban,
        name=payout.name,
        reason=ledger.memo,
    )
    audit_payouts(actor, [(project.organisation.code if project is not None else "", change)])
    return payout


def book_refund(
    *,
    actor: Actor,
    amount: Decimal,
    reference: str | None,
    project: Project | None = None,
    iban: str = "",
    name: str = "",
    memo: str = "",
) -> LedgerTransaction:
    """A refund: from the project's wallet (``project`` given) or of money that came in and matched nothing
    (``project`` None: bank → refunds payable), with a payout to ``iban`` for the next pain.001 file (when the
    IBAN is unknown or invalid the payout has none and is refunded by hand)."""
    amount = clean_amount(amount)
    with transaction.atomic():
        if project is None:
            source = system_account(AccountKind.BANK)
            kind = TransactionKind.UNMATCHED
        else:
            source = project_account(project)
            kind = TransactionKind.REFUND
        ledger = book(
            actor=actor,
            kind=kind,
            project=project,
            lines=[(source, -amount), (system_account(AccountKind.REFUNDS), amount)],
            reference=reference,
            memo=memo,
        )
        _refund_payout(
            actor=actor,
            ledger=ledger,
            project=project,
            amount=amount,
            iban=iban,
            name=name,
            remittance=memo or _("Terugbetaling kmo-portefeuille"),
        )
    return ledger


def refunds_fill_account(*, actor: Actor, organisation: Any, iban: str, reason: str) -> int:
    """The enterprise's refunds that wait without an account (its profile had no valid IBAN when they were
    made, so no payment file takes them) are paid to ``iban``, the enterprise's new account, with the next
    pain.001 file; returns how many. Runs in the caller's transaction (the profile's change), one audit event
    per payout (``wallet.payout.account``, with the reason). A payout exported meanwhile is left alone: the
    export locks the same rows and the rows it took are no longer waiting."""
    account = validate_iban(iban)
    filled = 0
    waiting = Payout.objects.select_for_update().filter(
        kind=Payout.Kind.REFUND, batch__isnull=True, iban="", project__organisation=organisation
    )
    for payout in waiting.order_by("id"):
        payout.iban = account
        payout.bic = ""
        payout.save(update_fields=["iban", "bic"])
        audit_record(
            actor=actor,
            action="wallet.payout.account",
            object_type="wallet.Payout",
            object_id=str(payout.pk),
            before={"iban": "", "project": payout.project.number if payout.project else None},
            after={"iban": account, "organisation": organisation.code},
            reason=reason,
        )
        filled += 1
    return filled


# --- payment orders and payouts ----------------------------------------------------------------------------


def _lock(project: Project) -> Project:
    return (
        Project.objects.select_for_update(of=("self",))
        .select_related("organisation", "registration__provider", "registration__department")
        .get(pk=project.pk)
    )


def _require_enterprise(actor: Actor, project: Project) -> None:
    from kmop.projects import services as project_services

    project_services._require_enterprise(actor, project.organisation)


def payment_order_create(*, actor: Actor, project: Project, invoice_number: str, amount: Any) -> Payout:
    """The enterprise orders the payment of a provider's invoice (or part of it) from the project's wallet:
    project wallet → payouts payable, a payout to the IBAN of the provider's registration (or its
    department). Only in Lopend and within the project's term (until 31 December of the year after the
    application year, RULES.md §3), never more than the balance; several partial invoices are allowed. When
    the wallet is empty after it, the project is Afgewerkt."""
    from kmop.providers.selectors import payout_bic, payout_iban

    invoice = " ".join((invoice_number or "").split())
    if not invoice:
        raise WalletError(_("Geef het factuurnummer van de dienstverlener op."), field="invoice_number")
    if len(invoice) > 35:
        raise WalletError(_("Het factuurnummer is te lang (ten hoogste 35 tekens)."), field="invoice_number")
    value = clean_amount(amount)
    _require_enterprise(actor, project)
    with transaction.atomic():
        project = _lock(project)
        if project.status != ProjectStatus.LOPEND:
            raise WalletError(
                _("Een betaalopdracht kan enkel voor een lopend project (project %(number)s is %(status)s)."),
                code="not_running",
                number=project.number,
                status=ProjectStatus(project.status).label,
            )
        end = date(project.application_date.year + 1, 12, 31)  # RULES.md §3: finished and paid by then
        if timezone.localdate() > end:
            raise WalletError(
                _(
                    "De termijn van project %(number)s liep af op %(date)s: de opleiding of het advies moest "
                    "toen afgewerkt en betaald zijn. Een betaalopdracht kan niet meer."
                ),
                code="term_over",
                number=project.number,
                date=f"{end:%d/%m/%Y}",
            )
        balance = project_balance(project)
        if value > balance:
            raise WalletError(
                _("Het bedrag (%(amount)s) is groter dan het saldo van de portefeuille (%(balance)s)."),
                field="amount",
                code="insufficient_balance",
                amount=value,
                balance=balance,
            )
        registration = project.registration
        provider = registration.provider
        ledger = book(
            actor=actor,
            kind=TransactionKind.PAYMENT_ORDER,
            project=project,
            lines=[(project_account(project), -value), (system_account(AccountKind.PAYOUTS), value)],
            memo=_("Betaalopdracht %(number)s, factuur %(invoice)s")
            % {"number": project.number, "invoice": invoice},
        )
        payout = Payout.objects.create(
            kind=Payout.Kind.PROVIDER,
            project=project,
            transaction=ledger,
            invoice_number=invoice,
            amount=value,
            iban=payout_iban(registration),
            bic=payout_bic(registration) or "",
            name=provider.legal_name[:140],
            remittance=f"{project.number} {invoice}"[:140],
            created_by=actor.label[:200],
        )
        audit_record(
            actor=actor,
            action="wallet.payment_order.create",
            object_type="wallet.Payout",
            object_id=str(payout.pk),
            after={
                "project": project.number,
                "invoice_number": invoice,
                "amount": str(value),
                "iban": payout.iban,
            },
            reason=ledger.memo,
        )
        if project_balance(project) == 0:
            from kmop.projects.services import project_mark_finished

            project_mark_finished(actor=actor, project=project, reason=_("alles uitbetaald"))
    return payout


def _debtor() -> tuple[str, str, str]:
    iban = getattr(settings, "WALLET_DEBTOR_IBAN", "")
    name = getattr(settings, "WALLET_DEBTOR_NAME", "") or "Agentschap Innoveren en Ondernemen"
    bic = getattr(settings, "WALLET_DEBTOR_BIC", "")
    try:
        iban = validate_iban(iban)
    except NumberError:
        raise WalletError(
            _("De rekening van waarop betaald wordt (WALLET_DEBTOR_IBAN) is niet (correct) ingesteld.")
        ) from None
    return iban, name, bic


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{PAIN_NS}}}{tag}", attrib)
    if text is not None:
        element.text = text
    return element


def _agent(parent: ET.Element, tag: str, bic: str) -> None:
    institution = _el(_el(parent, tag), "FinInstnId")
    if bic:
        _el(institution, "BICFI", bic)
    else:
        _el(_el(institution, "Othr"), "Id", "NOTPROVIDED")


def _text(value: str, limit: int) -> str:
    """SEPA's Latin character set: letters, digits and ``/-?:().,'+ `` (others become a space)."""
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ")
    out = "".join(c if c in allowed else " " for c in value)
    return " ".join(out.split())[:limit] or "-"


def render_pain001(
    payouts: Sequence[Payout], *, message_id: str, debtor: tuple[str, str, str], execution: date
) -> bytes:
    """A SEPA credit transfer initiation (pain.001.001.09) for the payouts."""
    iban, name, bic = debtor
    total = sum((p.amount for p in payouts), ZERO)
    ET.register_namespace("", PAIN_NS)
    root = ET.Element(f"{{{PAIN_NS}}}Document")
    initiation = _el(root, "CstmrCdtTrfInitn")
    header = _el(initiation, "GrpHdr")
    _el(header, "MsgId", message_id)
    _el(header, "CreDtTm", timezone.now().replace(microsecond=0).isoformat())
    _el(header, "NbOfTxs", str(len(payouts)))
    _el(header, "CtrlSum", f"{total:.2f}")
    _el(_el(header, "InitgPty"), "Nm", _text(name, 140))
    info = _el(initiation, "PmtInf")
    _el(info, "PmtInfId", message_id)
    _el(info, "PmtMtd", "TRF")
    _el(info, "BtchBookg", "true")
    _el(info, "NbOfTxs", str(len(payouts)))
    _el(info, "CtrlSum", f"{total:.2f}")
    _el(_el(_el(info, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA")
    _el(_el(info, "ReqdExctnDt"), "Dt", execution.isoformat())
    _el(_el(info, "Dbtr"), "Nm", _text(name, 140))
    _el(_el(_el(info, "DbtrAcct"), "Id"), "IBAN", iban)
    _agent(info, "DbtrAgt", bic)
    _el(info, "ChrgBr", "SLEV")
    for payout in payouts:
        tx = _el(info, "CdtTrfTxInf")
        ids = _el(tx, "PmtId")
        _el(ids, "InstrId", f"KMOP{payout.pk}")
        _el(ids, "EndToEndId", f"KMOP{payout.pk}")
        _el(_el(tx, "Amt"), "InstdAmt", f"{payout.amount:.2f}", Ccy="EUR")
        if payout.bic:
            _agent(tx, "CdtrAgt", payout.bic)
        _el(_el(tx, "Cdtr"), "Nm", _text(payout.name, 140))
        _el(_el(_el(tx, "CdtrAcct"), "Id"), "IBAN", payout.iban)
        _el(_el(tx, "RmtInf"), "Ustrd", _text(payout.remittance, 140))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def payouts_export_pain001(*, actor: Actor, execution: date | None = None, limit: int = 10_000) -> bytes:
    """Export the payouts not exported yet (that have an IBAN) as one SEPA credit transfer file for the bank:
    each payout is exported once (locked, then linked to the batch); payouts payable and refunds payable →
    bank. Raises ``WalletError`` when there is nothing to export or the debtor account is not set."""
    debtor = _debtor()
    with transaction.atomic():
        payouts = list(
            Payout.objects.select_for_update(skip_locked=True)
            .filter(batch__isnull=True)
            .exclude(iban="")
            .order_by("id")[:limit]
        )
        if not payouts:
            raise WalletError(_("Er zijn geen betalingen om uit te voeren."), code="nothing_to_export")
        message_id = f"KMOP-{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
        content = render_pain001(
            payouts, message_id=message_id, debtor=debtor, execution=execution or timezone.localdate()
        )
        per_kind: dict[str, Decimal] = {}
        for payout in payouts:
            per_kind[payout.kind] = per_kind.get(payout.kind, ZERO) + payout.amount
        total = sum(per_kind.values(), ZERO)
        lines: list[Line] = [(system_account(AccountKind.BANK), total)]
        for kind, amount in per_kind.items():
            account = AccountKind.PAYOUTS if kind == Payout.Kind.PROVIDER else AccountKind.REFUNDS
            lines.append((system_account(account), -amount))
        book(
            actor=actor,
            kind=TransactionKind.PAYOUT_EXPORT,
            project=None,
            lines=lines,
            reference=f"pain001:{message_id}",
            memo=_("Betalingsbestand %(id)s") % {"id": message_id},
        )
        batch = PayoutBatch.objects.create(
            message_id=message_id,
            created_by=actor.label[:200],
            debtor_iban=debtor[0],
            count=len(payouts),
            total=total,
            content=content,
        )
        Payout.objects.filter(pk__in=[p.pk for p in payouts]).update(batch=batch)
        audit_record(
            actor=actor,
            action="wallet.payouts.export",
            object_type="wallet.PayoutBatch",
            object_id=str(batch.pk),
            after={"message_id": message_id, "count": len(payouts), "total": str(total)},
        )
    return content


# --- reactions to the project's transitions ----------------------------------------------------------------


def _enterprise_iban(project: Project) -> str:
    from kmop.projects.models import EnterpriseProfile

    profile = EnterpriseProfile.objects.filter(organisation_id=project.organisation_id).first()
    return profile.iban if profile is not None else ""


def release_on_cancel(project: Project, *, actor: Actor | None = None) -> Decimal:
    """A cancelled project (ProjectGeannuleerd): nothing moved → nothing booked; whatever is in its wallet is
    refunded to the enterprise. Returns the refund; idempotent."""
    actor = actor or _system(WALLET)
    with transaction.atomic():
        balance = project_balance(project)
        if balance <= 0:
            return ZERO
        book_refund(
            actor=actor,
            amount=balance,
            reference=f"cancel:{project.number}",
            project=project,
            iban=_enterprise_iban(project),
            name=project.organisation.name,
            memo=_("Terugbetaling na annulering %(number)s") % {"number": project.number},
        )
    return balance


def split_remaining(project: Project, remaining: Decimal) -> tuple[Decimal, Decimal]:
    """What is left in a wallet, split pro rata between the subsidy (returned to the budget, rounded down to
    the cent) and the own contribution (refunded to the enterprise: the rest, so rounding favours it)."""
    if project.amount <= 0 or remaining <= 0:
        return ZERO, ZERO
    subsidy = min(project.subsidy, (remaining * project.subsidy / project.amount).quantize(CENT, ROUND_DOWN))
    return subsidy, remaining - subsidy


def _settle(project: Project, actor: Actor, label: str) -> tuple[Decimal, Decimal]:
    with transaction.atomic():
        remaining = project_balance(project)
        subsidy, own = split_remaining(project, remaining)
        if subsidy > 0:
            book(
                actor=actor,
                kind=TransactionKind.SUBSIDY_RETURN,
                project=project,
                lines=[(project_account(project), -subsidy), (system_account(AccountKind.SUBSIDY), subsidy)],
                reference=f"{label}:subsidy:{project.number}",
                memo=_("Ongebruikte steun terug, %(number)s") % {"number": project.number},
            )
        if own > 0:
            book_refund(
                actor=actor,
                amount=own,
                reference=f"{label}:refund:{project.number}",
                project=project,
                iban=_enterprise_iban(project),
                name=project.organisation.name,
                memo=_("Terugbetaling ongebruikte eigen bijdrage %(number)s") % {"number": project.number},
            )
    return subsidy, own


def settle_stop(project: Project, *, actor: Actor | None = None) -> tuple[Decimal, Decimal]:
    """A stopped project (Gestopt): what is left in the wallet goes back, the subsidy part to the budget and
    the unused own contribution to the enterprise. Returns (subsidy returned, refund); idempotent."""
    return _settle(project, actor or _system(WALLET), "stop")


def settle_close(project: Project, *, actor: Actor | None = None) -> tuple[Decimal, Decimal]:
    """A project closed after its term (31 December of the year after the application): as a stop."""
    return _settle(project, actor or _system(WALLET), "close")


@functools.cache
def _belgian_bank_code_given(code: str) -> bool:
    """python-stdnum's ``be.iban.info`` (which reads only the bank code, characters 5-7) found a bank."""
    return bool(_be_iban.info(f"BE00{code}000000000"))


def _payout_iban(value: str) -> str:
    """``validate_iban(value)``, or "" for an invalid (or no) IBAN: the same checks, for a Belgian IBAN with
    the bank-code lookup of python-stdnum's ``be.iban`` cached per bank code (the lookup is most of the time
    of a check, and a batch of refunds has thousands of IBANs of a few dozen banks). ``be.iban.validate`` is:
    the generic check without the country's, ``BE``, its check digits, a bank code the National Bank gave."""
    if not value:
        return ""
    try:
        number = _iban.validate(value, check_country=False)
        if not number.startswith("BE"):
            return validate_iban(value)
    except NumberError:
        return ""
    if number[-2:] != f"{int(number[4:-2]) % 97 or 97:02d}":
        return ""
    return number if _belgian_bank_code_given(number[4:7]) else ""


def settle_close_many(
    projects: Sequence[Project], *, actor: Actor | None = None
) -> dict[int, tuple[Decimal, Decimal]]:
    """``settle_close`` for many projects (the daily close pass): the same transactions, refunds and payouts
    as one ``settle_close`` per project, with one lock of their wallet accounts, one sum of their balances and
    one bulk booking. Of the projects it reads the number, amount, subsidy and the organisation's name only
    (the pass loads just these: select ``organisation`` with them). Returns (subsidy returned, refund) per
    project id; idempotent (a settled wallet is empty)."""
    return _settle_many(projects, actor or _system(WALLET), "close")


def _settle_many(projects: Sequence[Project], actor: Actor, label: str) -> dict[int, tuple[Decimal, Decimal]]:
    from kmop.projects.models import EnterpriseProfile

    result: dict[int, tuple[Decimal, Decimal]] = {}
    if not projects:
        return result
    with transaction.atomic():
        accounts = {
            a.project_id: a
            for a in Account.objects.select_for_update()
            .filter(kind=AccountKind.PROJECT, project_id__in=[p.pk for p in projects])
            .order_by("pk")
        }
        balances: dict[int, Decimal] = {
            pk: Decimal(total)
            for pk, total in Entry.objects.filter(account_id__in=[a.pk for a in accounts.values()])
            .values("account_id")
            .annotate(total=Sum("amount"))
            .values_list("account_id", "total")
        }
        budget = system_account(AccountKind.SUBSIDY)
        refunds = system_account(AccountKind.REFUNDS)
        bookings: list[Booking] = []
        refunded: list[tuple[Project, Decimal, str]] = []
        for project in projects:
            account = accounts.get(project.pk)
            remaining = (balances.get(account.pk) or ZERO).quantize(CENT) if account is not None else ZERO
            subsidy, own = split_remaining(project, remaining)
            result[project.pk] = (subsidy, own)
            if account is None:
                continue
            if subsidy > 0:
                bookings.append(
                    Booking(
                        kind=TransactionKind.SUBSIDY_RETURN,
                        project=project,
                        lines=[(account, -subsidy), (budget, subsidy)],
                        reference=f"{label}:subsidy:{project.number}",
                        memo=_("Ongebruikte steun terug, %(number)s") % {"number": project.number},
                    )
                )
            if own > 0:
                memo = _("Terugbetaling ongebruikte eigen bijdrage %(number)s") % {"number": project.number}
                bookings.append(
                    Booking(
                        kind=TransactionKind.REFUND,
                        project=project,
                        lines=[(account, -own), (refunds, own)],
                        reference=f"{label}:refund:{project.number}",
                        memo=memo,
                    )
                )
                refunded.append((project, own, memo))
        if not bookings:
            return result
        # each audited with its memo as its reason, as settle_close's one booking per call is
        ids, _none = _book_many(actor, bookings, balances, build=False, memo_reasons=True)
        booked = {b.reference: pk for pk, b in zip(ids, bookings, strict=True)}
        ibans = dict(
            EnterpriseProfile.objects.filter(
                organisation_id__in={p.organisation_id for p, _own, _memo in refunded}
            ).values_list("organisation_id", "iban")
        )
        checked: dict[str, str] = {}  # each IBAN checked once

        def clean(iban: str) -> str:
            if iban not in checked:
                checked[iban] = _payout_iban(iban)
            return checked[iban]

        now = timezone.now()
        rows = [
            (
                Payout.Kind.REFUND.value,
                project.pk,
                booked[f"{label}:refund:{project.number}"],
                "",
                amount,
                clean(ibans.get(project.organisation_id) or ""),
                "",
                (project.organisation.name or "?")[:140],
                (memo or _("Terugbetaling kmo-portefeuille"))[:140],
                now,
                actor.label[:200],
                None,
            )
            for project, amount, memo in refunded
        ]
        columns = (
            "kind",
            "project_id",
            "transaction_id",
            "invoice_number",
            "amount",
            "iban",
            "bic",
            "name",
            "remittance",
            "created_at",
            "created_by",
            "batch_id",
        )
        if rows and connection.vendor == "postgresql":
            with connection.cursor() as cursor, connection.wrap_database_errors:
                _copy(cursor, Payout._meta.db_table, columns, rows)
        elif rows:
            Payout.objects.bulk_create([Payout(**dict(zip(columns, row, strict=True))) for row in rows])
        if rows:
            from kmop.idm.models import Organisation

            payouts = dict(
                Payout.objects.filter(transaction_id__in=[row[2] for row in rows]).values_list(
                    "transaction_id", "pk"
                )
            )
            codes = dict(
                Organisation.objects.filter(
                    pk__in={p.organisation_id for p, _own, _memo in refunded}
                ).values_list("pk", "code")
            )
            audit_payouts(
                actor,
                (
                    (
                        codes.get(project.organisation_id, ""),
                        payout_audit(
                            payouts[row[2]],
                            project_number=project.number,
                            amount=amount,
                            iban=row[5],
                            name=row[7],
                            reason=memo,
                        ),
                    )
                    for (project, amount, memo), row in zip(refunded, rows, strict=True)
                ),
            )
    return result
