"""``kmop seed`` step of the wallet (after the projects' step): the ledger that goes with each project's
status.

``--scale N`` books, for every seeded project, what its life cycle moved
(docs/decisions/0013-wallet-ledger.md):

* Bevestigd, ProjectGeannuleerd: nothing (no money moved; a cancelled wallet is empty);
* every deposited project (Lopend, StopzettingAangevraagd, Gestopt, Afgewerkt): the deposit of the exact own
  contribution (bank → project, reference ``camt:kmop-seed-<number>``, on ``deposited_at``) and the subsidy
  (subsidy → project, ``subsidy:<number>``, the same moment);
* payment orders of the provider's invoices (project → payouts, with a ``Payout`` to the IBAN of the
  registration's department or provider) after the deposit: Afgewerkt pays everything out (the last payment on
  ``status_changed_at``), Lopend and StopzettingAangevraagd some of it;
* Gestopt and Afgewerkt closed after the term (a note): what is left is split by
  ``kmop.wallet.services.split_remaining`` into the subsidy returned (``stop:subsidy:`` / ``close:subsidy:``)
  and the refund of the own contribution (``stop:refund:`` / ``close:refund:``, a refund ``Payout`` to the
  enterprise's IBAN), on ``status_changed_at``;
* the payouts made more than a week before today are exported in weekly ``PayoutBatch`` files (payouts and
  refunds → bank, ``pain001:<message id>``; the seed keeps no file content), the later ones wait.

Every transaction sums to zero, and no project wallet goes below zero at any moment (payments never exceed
what was deposited and added). Written with explicit ids in ``COPY`` batches (PostgreSQL) in one transaction,
in constant memory (the projects are read in pages of 5,000), deterministic from ``(scale, seed, today)``.
On PostgreSQL the load runs with ``session_replication_role = replica`` when the role may (the per-row
triggers, the ledger's balance check and the foreign-key checks, are the load's slowest part), and the seed
then checks the same invariants with set-based queries before it commits: every transaction of two or more
lines sums to zero, no project wallet is negative, every entry's account and transaction exist. It replaces
the ledger of an earlier seed; ``--scale demo`` books only two unmatched credits (``seed_demo_unmatched``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kmop.audit.services import Actor, audit_record
from kmop.idm.models import Organisation
from kmop.projects.models import EnterpriseProfile, Project, ProjectStatus
from kmop.projects.seed_steps import FIRST_DAY, REASON, CopyTable, analyze, reset_sequences
from kmop.providers.models import Registration
from kmop.registers.synthetic_seed import SeedContext, SeedStep, delete_referencing
from kmop.wallet.models import (
    Account,
    AccountKind,
    Entry,
    LedgerTransaction,
    Payout,
    PayoutBatch,
    TransactionKind,
)
from kmop.wallet.services import split_remaining

S = ProjectStatus
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
PAGE = 5000
#: payouts made this many days before today or earlier are in an exported batch
EXPORTED_AFTER_DAYS = 7
#: the system accounts, with their ids
SYSTEM_ACCOUNTS = (
    (1, AccountKind.BANK.value),
    (2, AccountKind.SUBSIDY.value),
    (3, AccountKind.REFUNDS.value),
    (4, AccountKind.PAYOUTS.value),
)
BANK, SUBSIDY, REFUNDS, PAYOUTS = 1, 2, 3, 4
PROVIDER, REFUND = Payout.Kind.PROVIDER.value, Payout.Kind.REFUND.value
DEPOSIT, SUBSIDY_IN = TransactionKind.DEPOSIT.value, TransactionKind.SUBSIDY.value
ORDER = TransactionKind.PAYMENT_ORDER.value
RETURN, REFUNDED = TransactionKind.SUBSIDY_RETURN.value, TransactionKind.REFUND.value
EXPORT = TransactionKind.PAYOUT_EXPORT.value
PROJECT_ACCOUNT = AccountKind.PROJECT.value
_TABLES = (Payout, Entry, LedgerTransaction, PayoutBatch, Account)


@dataclass
class _Ids:
    account: int = len(SYSTEM_ACCOUNTS)
    transaction: int = 0
    entry: int = 0
    payout: int = 0


@dataclass
class _Week:
    """The payouts exported in one weekly file."""

    count: int = 0
    provider: Decimal = ZERO
    refunds: Decimal = ZERO


def _clear() -> None:
    if connection.vendor == "postgresql":
        names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in _TABLES)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        return
    for model in _TABLES:
        delete_referencing(model, keep_app="wallet")
        model._default_manager.all()._raw_delete(connection.alias)


def _fast_load() -> bool:
    """PostgreSQL: no per-row triggers for the rest of the transaction, when the role may (a superuser)."""
    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        return True
    except DatabaseError:
        return False


def _split_cents(rng: random.Random, total: Decimal, parts: int) -> list[Decimal]:
    """``total`` in ``parts`` positive amounts (cents) that sum to it exactly."""
    cents = int(total * 100)
    parts = max(1, min(parts, cents))
    cuts = sorted(rng.sample(range(1, cents), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, cents]
    return [Decimal(bounds[i + 1] - bounds[i]) / 100 for i in range(parts)]


def _moments(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """``count`` moments from ``start`` to ``end``, in order (the last one ``end`` when ``count`` > 0)."""
    if count <= 0:
        return []
    span = max(0, int((end - start).total_seconds()))
    inner = sorted(start + timedelta(seconds=rng.randrange(span + 1)) for _ in range(count - 1))
    return [*inner, end]


def _week_of(day: date) -> int:
    return (day - FIRST_DAY).days // 7


def seed_wallet_at_scale(*, scale: int, seed: int, actor: Actor, today: date | None = None) -> dict[str, int]:
    """The ledger of the seeded projects (see the module); replaces the wallet's tables. Returns the
    counts."""
    today = today or timezone.localdate()
    rng = random.Random(f"wallet:{scale}:{seed}:{today.isoformat()}")
    label = actor.label[:200]
    exported_before = today - timedelta(days=EXPORTED_AFTER_DAYS)
    memo_deposit = _("Storting eigen bijdrage %(number)s")
    memo_subsidy = _("Steun kmo-portefeuille %(number)s")
    memo_order = _("Betaalopdracht %(number)s, factuur %(invoice)s")
    memo_return = _("Ongebruikte steun terug, %(number)s")
    memo_refund = _("Terugbetaling ongebruikte eigen bijdrage %(number)s")
    memo_export = _("Betalingsbestand %(id)s")
    counts: dict[str, int] = {}
    with transaction.atomic():
        _clear()
        fast = _fast_load()
        payees = {
            row["id"]: (
                (row["department__iban"], row["department__bic"])
                if row["department__iban"]
                else (row["provider__iban"], row["provider__bic"]),
                row["provider__legal_name"][:140],
            )
            for row in Registration.objects.values(
                "id",
                "department__iban",
                "department__bic",
                "provider__iban",
                "provider__bic",
                "provider__legal_name",
            )
        }
        ibans = dict(EnterpriseProfile.objects.values_list("organisation_id", "iban"))
        names = dict(Organisation.objects.filter(enterprise_profile__isnull=False).values_list("id", "name"))
        accounts = CopyTable(Account, ("id", "kind", "project_id", "created_at"), batch=20_000)
        transactions = CopyTable(
            LedgerTransaction,
            ("id", "kind", "project_id", "memo", "created_at", "actor_label", "reference"),
            batch=20_000,
        )
        entries = CopyTable(Entry, ("id", "transaction_id", "account_id", "amount"), batch=20_000)
        payouts = CopyTable(
            Payout,
            (
                "id",
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
            ),
            batch=20_000,
        )
        start = timezone.make_aware(datetime.combine(FIRST_DAY, time(0)))
        for pk, kind in SYSTEM_ACCOUNTS:
            accounts.add((pk, kind, None, start))
        ids = _Ids()
        weeks: dict[int, _Week] = {}

        def book(
            kind: str,
            project_id: int | None,
            memo: str,
            at: datetime,
            reference: str | None,
            lines: tuple[tuple[int, Decimal], ...],
        ) -> int:
            ids.transaction += 1
            transactions.add((ids.transaction, kind, project_id, memo[:500], at, label, reference))
            for account_id, amount in lines:
                ids.entry += 1
                entries.add((ids.entry, ids.transaction, account_id, amount))
            return ids.transaction

        def payout(
            kind: str,
            project_id: int,
            tx: int,
            invoice: str,
            amount: Decimal,
            iban: str,
            bic: str,
            name: str,
            remittance: str,
            at: datetime,
        ) -> None:
            ids.payout += 1
            batch = None
            if iban and at.date() <= exported_before:
                week = _week_of(at.date())
                batch = week + 1
                totals = weeks.setdefault(week, _Week())
                totals.count += 1
                if kind == PROVIDER:
                    totals.provider += amount
                else:
                    totals.refunds += amount
            payouts.add(
                (
                    ids.payout,
                    kind,
                    project_id,
                    tx,
                    invoice,
                    amount,
                    iban,
                    bic,
                    name,
                    remittance[:140],
                    at,
                    label,
                    batch,
                )
            )

        morning = timezone.make_aware(datetime.combine(today, time(9)))
        deposited_statuses = [S.LOPEND, S.STOPZETTING_AANGEVRAAGD, S.GESTOPT, S.AFGEWERKT]
        projects = 0
        last = 0
        while True:
            page = list(
                Project.objects.filter(pk__gt=last, status__in=deposited_statuses)
                .order_by("pk")
                .values_list(
                    "pk",
                    "number",
                    "organisation_id",
                    "registration_id",
                    "amount",
                    "subsidy",
                    "own_contribution",
                    "status",
                    "deposited_at",
                    "status_changed_at",
                    "note",
                )[:PAGE]
            )
            if not page:
                break
            last = page[-1][0]
            for row in page:
                pk, number, organisation_id, registration_id, amount, subsidy, own = row[:7]
                status, deposited, changed, note = row[7:]
                projects += 1
                deposited = deposited or changed
                ids.account += 1
                account = ids.account
                accounts.add((account, PROJECT_ACCOUNT, pk, deposited))
                book(
                    DEPOSIT,
                    pk,
                    memo_deposit % {"number": number},
                    deposited,
                    f"camt:kmop-seed-{number}",
                    ((BANK, -own), (account, own)),
                )
                if subsidy > 0:
                    book(
                        SUBSIDY_IN,
                        pk,
                        memo_subsidy % {"number": number},
                        deposited,
                        f"subsidy:{number}",
                        ((SUBSIDY, -subsidy), (account, subsidy)),
                    )
                settle = status == S.GESTOPT or (status == S.AFGEWERKT and bool(note))
                if status == S.AFGEWERKT and not note:
                    paid = amount  # everything paid out: the last payment order finished it
                    orders = 1 if rng.random() < 0.75 else 2 if rng.random() < 0.8 else 3
                else:
                    x = rng.random()
                    orders = 0 if x < 0.4 else 1 if x < 0.85 else 2
                    paid = (amount * Decimal(rng.randint(20, 90)) / 100).quantize(CENT) if orders else ZERO
                    if paid <= 0:
                        orders = 0
                if orders:
                    end = changed if status == S.AFGEWERKT and not note else None
                    if end is None:  # partial payments between the deposit and the status change (or today)
                        horizon = changed if settle or status == S.STOPZETTING_AANGEVRAAGD else None
                        top = horizon or morning
                        end = deposited + (max(top, deposited) - deposited) * rng.random()
                    (iban, bic), name = payees[registration_id]
                    year = number[:4]
                    moments = _moments(rng, deposited, end, orders)
                    values = _split_cents(rng, paid, orders)
                    for n, (at, value) in enumerate(zip(moments, values, strict=True), start=1):
                        invoice = f"F{year}-{pk % 100_000:05d}-{n}"
                        tx = book(
                            ORDER,
                            pk,
                            memo_order % {"number": number, "invoice": invoice},
                            at,
                            None,
                            ((account, -value), (PAYOUTS, value)),
                        )
                        payout(PROVIDER, pk, tx, invoice, value, iban, bic, name, f"{number} {invoice}", at)
                if settle:
                    what = "stop" if status == S.GESTOPT else "close"
                    remaining = amount - paid
                    back, refund = split_remaining(Project(amount=amount, subsidy=subsidy), remaining)
                    if back > 0:
                        book(
                            RETURN,
                            pk,
                            memo_return % {"number": number},
                            changed,
                            f"{what}:subsidy:{number}",
                            ((account, -back), (SUBSIDY, back)),
                        )
                    if refund > 0:
                        memo = memo_refund % {"number": number}
                        tx = book(
                            REFUNDED,
                            pk,
                            memo,
                            changed,
                            f"{what}:refund:{number}",
                            ((account, -refund), (REFUNDS, refund)),
                        )
                        payout(
                            REFUND,
                            pk,
                            tx,
                            "",
                            refund,
                            ibans.get(organisation_id, ""),
                            "",
                            (names.get(organisation_id) or "?")[:140],
                            memo,
                            changed,
                        )
        batches = CopyTable(
            PayoutBatch,
            ("id", "message_id", "created_at", "created_by", "debtor_iban", "count", "total", "content"),
        )
        debtor = "BE71096123456769"
        for week in sorted(weeks):
            totals = weeks[week]
            day = FIRST_DAY + timedelta(days=7 * week + 7)
            at = timezone.make_aware(datetime.combine(min(day, today), time(17)))
            message_id = f"KMOP-SEED-{day:%Y%m%d}"
            total = totals.provider + totals.refunds
            lines = [(BANK, total)]
            if totals.provider:
                lines.append((PAYOUTS, -totals.provider))
            if totals.refunds:
                lines.append((REFUNDS, -totals.refunds))
            book(EXPORT, None, memo_export % {"id": message_id}, at, f"pain001:{message_id}", tuple(lines))
            batches.add((week + 1, message_id, at, label, debtor, totals.count, total, b""))
        for table in (accounts, transactions, entries, payouts, batches):
            table.flush()
        if fast:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = origin")
        _check()
        reset_sequences(*_TABLES)
        counts = {
            "projects": projects,
            "accounts": accounts.count,
            "transactions": transactions.count,
            "entries": entries.count,
            "payouts": payouts.count,
            "payout_batches": batches.count,
        }
        audit_record(
            actor=actor,
            action="wallet.seed",
            object_type="wallet.LedgerTransaction",
            object_id="*",
            after={"scale": scale, "seed": seed, "today": today.isoformat(), **counts},
            reason=REASON,
        )
    analyze(*_TABLES)
    return counts


class SeedInvariantBroken(AssertionError):
    """The seeded ledger breaks one of the wallet's invariants (a bug in this step)."""


def _check() -> None:
    """The invariants the triggers and ``book`` guard, checked set-based over the whole ledger."""
    entry = Entry._meta.db_table
    tx = LedgerTransaction._meta.db_table
    account = Account._meta.db_table
    checks = (
        (
            "a transaction whose entries do not sum to zero or that has fewer than two",
            f"SELECT t.id FROM {tx} t LEFT JOIN {entry} e ON e.transaction_id = t.id "
            f"GROUP BY t.id HAVING COUNT(e.id) < 2 OR ROUND(SUM(e.amount), 2) <> 0 LIMIT 1",
        ),
        (
            "a project wallet below zero",
            f"SELECT e.account_id FROM {entry} e JOIN {account} a ON a.id = e.account_id "
            f"WHERE a.kind = 'project' GROUP BY e.account_id HAVING ROUND(SUM(e.amount), 2) < 0 LIMIT 1",
        ),
        (
            "an entry of an unknown transaction or account",
            f"SELECT e.id FROM {entry} e LEFT JOIN {tx} t ON t.id = e.transaction_id "
            f"LEFT JOIN {account} a ON a.id = e.account_id WHERE t.id IS NULL OR a.id IS NULL LIMIT 1",
        ),
    )
    with connection.cursor() as cursor:
        for what, sql in checks:
            cursor.execute(sql)
            row = cursor.fetchone()
            if row is not None:
                raise SeedInvariantBroken(f"wallet seed: {what} ({row[0]})")


def seed_demo_unmatched(actor: Actor) -> int:
    """Two credits that matched no project, for the back office's queue "Stortingen" (idempotent by their bank
    reference): the own contribution of the demo's first project in Bevestigd with a mistyped reference and
    no sender account (to assign to it), and an unknown sender's transfer (refunded). Returns how many were
    booked now."""
    from kmop.projects.models import Project, ProjectStatus
    from kmop.wallet.services import AlreadyBooked, book_refund

    meant = Project.objects.filter(status=ProjectStatus.BEVESTIGD).order_by("number").first()
    credits = [("demo:unmatched:2", Decimal("250.00"), "BE68539007547034", "Onbekende opdrachtgever")]
    if meant is not None:
        credits.insert(0, ("demo:unmatched:1", meant.own_contribution, "", meant.organisation.name))
    booked = 0
    for reference, amount, iban, name in credits:
        try:
            with transaction.atomic():
                book_refund(
                    actor=actor,
                    amount=amount,
                    reference=reference,
                    iban=iban,
                    name=name,
                    memo=_("Storting terug te betalen: %(reason)s")
                    % {"reason": _("onbekende gestructureerde mededeling")},
                )
            booked += 1
        except AlreadyBooked:
            continue
    return booked


def _step_wallet(ctx: SeedContext) -> None:
    if ctx.demo:
        booked = seed_demo_unmatched(ctx.actor)
        ctx.stdout.write(f"  niet herkende stortingen {booked}\n")
        return
    counts = seed_wallet_at_scale(scale=ctx.scale, seed=ctx.seed, actor=ctx.actor)
    ctx.counts.update({f"wallet_{name}": count for name, count in counts.items()})
    ctx.stdout.write("  " + ", ".join(f"{name} {count}" for name, count in counts.items()) + "\n")


STEPS: list[SeedStep] = [SeedStep("wallet", _step_wallet)]
