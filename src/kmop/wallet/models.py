"""The wallet's double-entry ledger (RULES.md §2–3, docs/decisions/0013-wallet-ledger.md).

* ``Account``: a pot of money. One ``project`` account per project (the project's wallet: what the
  enterprise deposited plus the subsidy, minus what was paid out or refunded) and one account per system
  kind: ``bank`` (the outside world: money that came in through the bank has a negative balance here, money
  that went out a positive one), ``subsidy`` (the Flemish budget the subsidy comes from and goes back to),
  ``refunds`` (to be refunded to an enterprise or a sender) and ``payouts`` (to be paid to providers).
* ``LedgerTransaction``: one booking (kind, project, memo, who, when) with an optional unique ``reference``
  (the bank entry's reference, ``subsidy:<project>``...) so that the same fact is never booked twice.
* ``Entry``: one line of a transaction (an account and a signed amount, Decimal with two decimals; never
  float). The entries of a transaction sum to zero: checked in ``services.book`` (the one place that writes
  them) and, on PostgreSQL, by a deferred constraint trigger (migration 0002). Entries are never changed.
* Balances are ``SUM(amount)`` over the entries of an account, never stored.
* ``Payout``: a payment to make through the bank (a provider's invoice of a payment order, or a refund), and
  ``PayoutBatch``: one exported pain.001 file; each payout is exported once.

VAT never passes through the wallet: every amount is excluding VAT.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kmop.projects.models import Project

__all__ = ["Account", "AccountKind", "Entry", "LedgerTransaction", "Payout", "PayoutBatch", "TransactionKind"]


class AccountKind(models.TextChoices):
    PROJECT = "project", _("portefeuille van een project")
    BANK = "bank", _("bank (buitenwereld)")
    SUBSIDY = "subsidy", _("steunbudget")
    REFUNDS = "refunds", _("terug te betalen")
    PAYOUTS = "payouts", _("uit te betalen aan dienstverleners")


class TransactionKind(models.TextChoices):
    DEPOSIT = "deposit", _("storting eigen bijdrage")
    SUBSIDY = "subsidy", _("steun toegekend")
    UNMATCHED = "unmatched", _("storting niet herkend")
    REFUND = "refund", _("terugbetaling")
    SUBSIDY_RETURN = "subsidy_return", _("steun teruggegeven")
    PAYMENT_ORDER = "payment_order", _("betaalopdracht")
    PAYOUT_EXPORT = "payout_export", _("betalingen uitgevoerd")


class Account(models.Model):
    kind = models.CharField(_("soort"), max_length=10, choices=AccountKind.choices)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wallet_accounts",
    )
    created_at = models.DateTimeField(_("aangemaakt op"), default=timezone.now)

    class Meta:
        verbose_name = _("rekening")
        verbose_name_plural = _("rekeningen")
        constraints = [
            models.UniqueConstraint(
                fields=["project"], condition=Q(kind="project"), name="wallet_one_account_per_project"
            ),
            models.UniqueConstraint(
                fields=["kind"], condition=Q(project__isnull=True), name="wallet_one_system_account_per_kind"
            ),
            models.CheckConstraint(
                condition=(Q(kind="project") & Q(project__isnull=False))
                | (~Q(kind="project") & Q(project__isnull=True)),
                name="wallet_project_account_has_project",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.project_id}" if self.project_id else self.kind


class LedgerTransaction(models.Model):
    kind = models.CharField(_("soort"), max_length=20, choices=TransactionKind.choices)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_transactions",
        db_index=False,  # wallet_tx_project_idx (project, created_at) serves it
    )
    memo = models.CharField(_("omschrijving"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("geboekt op"), default=timezone.now)
    actor_label = models.CharField(_("door"), max_length=200)
    #: what the transaction books, unique: the bank entry's reference, ``subsidy:<project>``, ...; NULL (not
    #: "", which would be one value) for a transaction without one
    reference = models.CharField(_("referentie"), max_length=200, null=True, blank=True)  # noqa: DJ001

    class Meta:
        verbose_name = _("boeking")
        verbose_name_plural = _("boekingen")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["project", "created_at"], name="wallet_tx_project_idx")]
        # a constraint, not ``unique=True``: on PostgreSQL that adds a pattern-ops twin nobody searches with
        constraints = [models.UniqueConstraint(fields=["reference"], name="wallet_tx_reference_uniq")]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference or self.pk}"


class Entry(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, verbose_name=_("boeking"), on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(
        Account, verbose_name=_("rekening"), on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(_("bedrag"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("boekingslijn")
        verbose_name_plural = _("boekingslijnen")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="wallet_entry_not_zero")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"


class PayoutBatch(models.Model):
    """One SEPA credit transfer file (pain.001) given to the bank."""

    message_id = models.CharField(_("berichtnummer"), max_length=35, unique=True)
    created_at = models.DateTimeField(_("aangemaakt op"), default=timezone.now)
    created_by = models.CharField(_("door"), max_length=200)
    debtor_iban = models.CharField(_("rekening van de opdrachtgever"), max_length=34)
    count = models.PositiveIntegerField(_("aantal betalingen"))
    total = models.DecimalField(_("totaal"), max_digits=14, decimal_places=2)
    content = models.BinaryField(_("bestand"))

    class Meta:
        verbose_name = _("betalingsbestand")
        verbose_name_plural = _("betalingsbestanden")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.message_id


class Payout(models.Model):
    """A payment to make: a provider's invoice (payment order) or a refund."""

    class Kind(models.TextChoices):
        PROVIDER = "provider", _("betaling aan dienstverlener")
        REFUND = "refund", _("terugbetaling")

    kind = models.CharField(_("soort"), max_length=10, choices=Kind.choices)
    project = models.ForeignKey(
        Project,
        verbose_name=_("project"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payouts",
    )
    transaction = models.ForeignKey(
        LedgerTransaction, verbose_name=_("boeking"), on_delete=models.PROTECT, related_name="payouts"
    )
    invoice_number = models.CharField(_("factuurnummer"), max_length=35, blank=True)
    amount = models.DecimalField(_("bedrag"), max_digits=12, decimal_places=2)
    iban = models.CharField(_("IBAN van de begunstigde"), max_length=34, blank=True)
    bic = models.CharField(_("BIC van de begunstigde"), max_length=11, blank=True)
    name = models.CharField(_("naam van de begunstigde"), max_length=140)
    remittance = models.CharField(_("mededeling"), max_length=140)
    created_at = models.DateTimeField(_("aangemaakt op"), default=timezone.now)
    created_by = models.CharField(_("door"), max_length=200)
    batch = models.ForeignKey(
        PayoutBatch,
        verbose_name=_("betalingsbestand"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payouts",
    )

    class Meta:
        verbose_name = _("uitbetaling")
        verbose_name_plural = _("uitbetalingen")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["batch", "created_at"], name="wallet_payout_batch_idx"),
            # the back office's queue of unmatched deposits (``reconcile.unmatched_open``), oldest first
            models.Index(
                fields=["created_at", "id"],
                condition=Q(batch__isnull=True, project__isnull=True, kind="refund"),
                name="wallet_payout_unmatched_idx",
            ),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="wallet_payout_positive")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} → {self.iban}"
