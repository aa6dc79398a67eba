"""Reads of the back office: open payouts and their totals, exported payment files, stop requests, the
statements imported through the back office (from the audit trail) and the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum

from kmop.audit.models import AuditEvent
from kmop.projects.models import Project, ProjectStatus, ProjectStatusChange
from kmop.wallet.models import Entry, LedgerTransaction, Payout, PayoutBatch

ZERO = Decimal("0.00")
#: the audit action of a bank statement imported through the back office (``views.camt_upload``)
STATEMENT_IMPORT_ACTION = "backoffice.camt.import"


def open_payouts() -> QuerySet[Payout]:
    """Payouts (to providers, refunds) not exported yet, oldest first."""
    return Payout.objects.filter(batch__isnull=True).select_related("project").order_by("created_at", "id")


@dataclass(frozen=True)
class PayoutTotals:
    count: int
    total: Decimal
    provider_count: int
    provider_total: Decimal
    refund_count: int
    refund_total: Decimal
    #: without an IBAN: never exported, to refund by hand
    manual_count: int
    manual_total: Decimal

    @property
    def exportable_count(self) -> int:
        return self.count - self.manual_count

    @property
    def exportable_total(self) -> Decimal:
        return self.total - self.manual_total


def open_payout_totals() -> PayoutTotals:
    """The open payouts' counts and totals per kind, and those without an IBAN (two queries)."""
    per_kind = {
        row["kind"]: (row["n"], row["total"] or ZERO)
        for row in Payout.objects.filter(batch__isnull=True)
        .values("kind")
        .annotate(n=Count("id"), total=Sum("amount"))
        .order_by()
    }
    manual = Payout.objects.filter(batch__isnull=True, iban="").aggregate(n=Count("id"), total=Sum("amount"))
    provider = per_kind.get(Payout.Kind.PROVIDER, (0, ZERO))
    refund = per_kind.get(Payout.Kind.REFUND, (0, ZERO))
    return PayoutTotals(
        count=provider[0] + refund[0],
        total=provider[1] + refund[1],
        provider_count=provider[0],
        provider_total=provider[1],
        refund_count=refund[0],
        refund_total=refund[1],
        manual_count=manual["n"] or 0,
        manual_total=manual["total"] or ZERO,
    )


def payout_batches() -> QuerySet[PayoutBatch]:
    """The exported payment files, newest first (without their content)."""
    return PayoutBatch.objects.defer("content").order_by("-created_at", "-id")


def stop_requests() -> QuerySet[Project]:
    """Projects in StopzettingAangevraagd, the oldest request first, with the request's reason, proof
    document name, date and author (from the project's history)."""
    request = ProjectStatusChange.objects.filter(project=OuterRef("pk"), action="request_stop").order_by(
        "-at", "-id"
    )
    return (
        Project.objects.filter(status=ProjectStatus.STOPZETTING_AANGEVRAAGD)
        .select_related("organisation", "registration__provider")
        .annotate(
            stop_reason=Subquery(request.values("reason")[:1]),
            stop_proof=Subquery(request.values("proof_name")[:1]),
            stop_requested_at=Subquery(request.values("at")[:1]),
            stop_requested_by=Subquery(request.values("actor_label")[:1]),
        )
        .order_by("status_changed_at", "id")
    )


def stop_queue() -> QuerySet[Project]:
    """The projects of the stop requests' work queue, the oldest request first; the requests themselves for a
    page of them come from ``stop_request_details`` (one query for the page, not four subqueries a row)."""
    return Project.objects.filter(status=ProjectStatus.STOPZETTING_AANGEVRAAGD).order_by(
        "status_changed_at", "id"
    )


@dataclass(frozen=True)
class StopRequestDetails:
    """The latest stop request of a project (its history)."""

    at: datetime | None
    reason: str
    proof_name: str


def stop_request_details(project_ids: Sequence[int]) -> dict[int, StopRequestDetails]:
    """Per project, its latest stop request (as ``stop_requests`` annotates it), in one query."""
    details: dict[int, StopRequestDetails] = {}
    for project_id, at, reason, proof_name in (
        ProjectStatusChange.objects.filter(project_id__in=project_ids, action="request_stop")
        .order_by("project_id", "at", "id")
        .values_list("project_id", "at", "reason", "proof_name")
    ):
        details[project_id] = StopRequestDetails(at, reason, proof_name)  # the latest one stays
    return details


def stop_request(number: str) -> Project | None:
    return stop_requests().filter(number=(number or "").strip().upper()).first()


def statement_imports() -> QuerySet[AuditEvent]:
    """The bank statements imported through the back office (who, when, file, counts), newest first."""
    return AuditEvent.objects.filter(action=STATEMENT_IMPORT_ACTION).order_by("-at", "-id")


def ledger_transactions(project_number: str = "") -> QuerySet[LedgerTransaction]:
    """The ledger's transactions, newest first, with the project and the amount moved (the sum of the
    positive lines, a subquery per row shown: no aggregate over the whole ledger); only one project's when a
    number is given. All transactions: by id, descending (the primary key's index; ids follow the booking
    order); one project's: by the index (project, created_at)."""
    moved = (
        Entry.objects.filter(transaction=OuterRef("pk"), amount__gt=0)
        .order_by()
        .values("transaction")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    transactions = LedgerTransaction.objects.select_related("project").annotate(moved=Subquery(moved))
    if project_number:
        return transactions.filter(project__number=project_number.strip().upper()).order_by(
            "-created_at", "-id"
        )
    return transactions.order_by("-id")
