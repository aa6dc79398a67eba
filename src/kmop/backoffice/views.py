"""The back office's views (issue 4 §5, the start of issue 6): thin; the wallet and projects services act and
audit, these views check who may and show the outcome.

* ``home``: the start page with the work areas and what waits in each.
* ``camt_upload``: upload a camt.053 statement, imported by ``kmop.wallet.camt.import_statement`` (the
  function of ``kmop import_camt``), and its report; the statements imported here before (audit trail).
* ``payouts``: the payouts not exported yet with their totals; "Betaalbestand aanmaken" exports them
  (``payouts_export_pain001``) and returns the pain.001 file; ``payout_batch`` downloads an earlier one.
* ``stop_requests`` / ``stop_decide``: the projects in StopzettingAangevraagd, approved or refused with a
  reason (``project_decide_stop``).
* ``ledger``: the ledger's transactions, newest first, per project on request.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import IO, Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kmop.acm.models import User
from kmop.audit.services import Actor, audit_record
from kmop.backoffice import assignments, overview, queue_rows, selectors
from kmop.backoffice.decorators import staff_required
from kmop.backoffice.forms import CamtUploadForm, StopDecisionForm
from kmop.backoffice.models import Queue
from kmop.backoffice.navigation import navigation
from kmop.backoffice.permissions import (
    can_act_in_backoffice,
    can_decide_stop,
    can_export_payouts,
    can_import_statements,
)
from kmop.idm.errors import IdmError
from kmop.projects import services as project_services
from kmop.projects.models import Project, ProjectStatus
from kmop.registers.numbers import format_structured_reference
from kmop.wallet import camt
from kmop.wallet import services as wallet_services
from kmop.wallet.models import LedgerTransaction, PayoutBatch, TransactionKind

#: at most this many lines of each kind on the upload's report page (the counts are always complete)
REPORT_LINES = 500
PAGE = 50
CHUNK = 1 << 16


def _actor(request: HttpRequest) -> Actor:
    acting = request.acting  # type: ignore[attr-defined]
    return Actor(
        label=acting.user.get_username(),
        user=acting.user,
        organisation_code=acting.organisation_code,
        acr=acting.acr,
    )


def _context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    acting = request.acting  # type: ignore[attr-defined]
    return {"backoffice_nav": navigation(request), "may_act": can_act_in_backoffice(acting), **extra}


def _euro(amount: Decimal) -> str:
    return "€ " + floatformat(amount, "2g")


def _with_names(rows: list[Any], attribute: str) -> list[Any]:
    """Set ``by`` on each row: the full name of the account in ``row.<attribute>`` (a user name), else the
    label itself (a command, a job); one query."""
    labels = {getattr(row, attribute) for row in rows}
    names = {
        user.get_username(): user.get_full_name()
        for user in User.objects.filter(username__in=labels).only("username", "first_name", "last_name")
    }
    for row in rows:
        label = getattr(row, attribute)
        row.by = names.get(label) or label
    return rows


def _xml_download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- start -------------------------------------------------------------------------------------------------


@staff_required
@never_cache
def home(request: HttpRequest) -> HttpResponse:
    context = _context(
        request,
        queues=overview.work_overview(request.user),
        totals=selectors.open_payout_totals(),
        last_import=selectors.statement_imports().first(),
    )
    return render(request, "backoffice/home.html", context)


# --- bank statements ---------------------------------------------------------------------------------------


@dataclass
class DepositLine:
    number: str
    enterprise: str
    amount: Decimal
    status: str


@dataclass
class UploadResult:
    name: str
    size: int
    sha256: str
    report: camt.CamtReport
    deposits: list[DepositLine] = field(default_factory=list)

    @property
    def refunds(self) -> list[tuple[camt.ReportLine, str]]:
        """The refunds, each with its structured reference in the display form (``+++123/4567/89012+++``)."""
        lines = [line for line in self.report.lines if line.outcome == "terugbetaling"][:REPORT_LINES]
        return [
            (
                line,
                format_structured_reference(line.structured_reference) if line.structured_reference else "",
            )
            for line in lines
        ]

    @property
    def manual(self) -> list[camt.ReportLine]:
        return [line for line in self.report.lines if line.outcome != "terugbetaling"][:REPORT_LINES]

    @property
    def manual_count(self) -> int:
        return sum(1 for line in self.report.lines if line.outcome != "terugbetaling")

    @property
    def only_duplicates(self) -> bool:
        """Every credit of the file was booked before: the same statement again, nothing booked."""
        report = self.report
        return report.credits > 0 and report.already_booked == report.credits


def _reference(digits: str) -> str:
    return format_structured_reference(digits) if digits else ""


def _digest(upload: UploadedFile) -> str:
    sha = hashlib.sha256()
    for chunk in upload.chunks(CHUNK):
        sha.update(chunk)
    upload.seek(0)
    return sha.hexdigest()


def import_uploaded_statement(*, actor: Actor, upload: UploadedFile) -> UploadResult:
    """Import the uploaded statement with the wallet's import (one transaction: nothing booked on an error)
    and record the upload in the audit trail (file, fingerprint, counts) in the same transaction. The deposits
    booked are the import's deposit transactions (booked by this actor after the last one before it); should
    their number differ from the report's (the same account importing another file at the same moment), no
    lines are shown rather than wrong ones (the counts stay)."""
    digest = _digest(upload)
    name = (upload.name or "camt053.xml")[:200]
    size = upload.size or 0
    with transaction.atomic():
        last = LedgerTransaction.objects.aggregate(last=Max("pk"))["last"] or 0
        report = camt.import_statement(cast(IO[bytes], upload), actor=actor)
        booked = (
            LedgerTransaction.objects.filter(
                pk__gt=last, kind=TransactionKind.DEPOSIT, actor_label=actor.label[:200]
            )
            .select_related("project__organisation")
            .annotate(moved=Sum("entries__amount", filter=Q(entries__amount__gt=0)))
            .order_by("pk")[: REPORT_LINES + 1]
        )
        deposits = [
            DepositLine(
                number=tx.project.number,
                enterprise=tx.project.organisation.name,
                amount=tx.moved,
                status=str(ProjectStatus(tx.project.status).label),
            )
            for tx in booked
            if tx.project is not None
        ]
        if len(deposits) != min(report.deposits, REPORT_LINES + 1):
            # another import by the same account committed in between: the lines are not this file's alone
            deposits = []
        deposits = deposits[:REPORT_LINES]
        audit_record(
            actor=actor,
            action=selectors.STATEMENT_IMPORT_ACTION,
            object_type="wallet.camt053",
            object_id=digest,
            after={
                "file": name,
                "size": size,
                "sha256": digest,
                "entries": report.entries,
                "credits": report.credits,
                "deposits": report.deposits,
                "refunds": report.refunds,
                "already_booked": report.already_booked,
                "skipped": report.skipped,
                "refunded": str(sum((ln.amount for ln in report.lines if ln.outcome == "terugbetaling"), 0)),
            },
        )
    return UploadResult(name=name, size=size, sha256=digest, report=report, deposits=deposits)


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def camt_upload(request: HttpRequest) -> HttpResponse:
    may_import = can_import_statements(request.acting)  # type: ignore[attr-defined]
    result: UploadResult | None = None
    if request.method == "POST":
        if not may_import:
            raise PermissionDenied
        form = CamtUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                result = import_uploaded_statement(
                    actor=_actor(request), upload=form.cleaned_data["statement"]
                )
            except IdmError as error:  # CamtError, WalletError, a project's transition: nothing booked
                form.add_error("statement", _("%(error)s Er is niets geboekt.") % {"error": error})
            else:
                form = CamtUploadForm()
    else:
        form = CamtUploadForm()
    context = _context(
        request,
        form=form,
        may_import=may_import,
        result=result,
        imports=_with_names(list(selectors.statement_imports()[:20]), "actor_label"),
    )
    return render(request, "backoffice/camt_upload.html", context)


# --- payouts -----------------------------------------------------------------------------------------------

_MSG_ID = re.compile(rb"<MsgId>([^<]{1,35})</MsgId>")


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def payouts(request: HttpRequest) -> HttpResponse:
    may_export = can_export_payouts(request.acting)  # type: ignore[attr-defined]
    if request.method == "POST":
        if not may_export:
            raise PermissionDenied
        try:
            content = wallet_services.payouts_export_pain001(actor=_actor(request))
        except IdmError as error:  # nothing to export, the debtor account not set
            messages.error(request, str(error))
            return redirect("backoffice:payouts")
        match = _MSG_ID.search(content)
        message_id = match.group(1).decode() if match else f"KMOP-{timezone.now():%Y%m%d%H%M%S}"
        batch = PayoutBatch.objects.filter(message_id=message_id).defer("content").first()
        if batch is not None:
            messages.success(
                request,
                _("Betaalbestand %(id)s aangemaakt: %(count)s betalingen, samen %(total)s.")
                % {"id": batch.message_id, "count": batch.count, "total": _euro(batch.total)},
            )
        return _xml_download(content, f"{message_id}.xml")
    context = _context(
        request,
        may_export=may_export,
        totals=selectors.open_payout_totals(),
        open_payouts=selectors.open_payouts()[:200],
        batches=_with_names(list(selectors.payout_batches()[:50]), "created_by"),
    )
    return render(request, "backoffice/payouts.html", context)


@staff_required
@never_cache
def payout_batch(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_object_or_404(PayoutBatch, pk=pk)
    return _xml_download(bytes(batch.content), f"{batch.message_id}.xml")


# --- stop requests -----------------------------------------------------------------------------------------


@staff_required
@never_cache
def stop_requests(request: HttpRequest) -> HttpResponse:
    page = assignments.queue_page(
        request, selectors.stop_queue(), Queue.STOPS, "stop-requests", queue_rows.STOP_FIELDS
    )
    details = selectors.stop_request_details([row.pk for row in page["rows"]])
    table_rows = queue_rows.stop_rows(request, page, details)
    context = _context(request, projects=page.pop("rows"), table_rows=table_rows, **page)
    return render(request, "backoffice/stop_requests.html", context)


@dataclass(frozen=True)
class Settlement:
    balance: Decimal
    subsidy_back: Decimal
    refund: Decimal
    budget_released: bool


def _settlement(project: Project) -> Settlement:
    """What an approval would settle: the wallet's rest split (the wallet's rule) and whether the budget is
    released (a stop decided within the application's calendar year)."""
    balance = wallet_services.project_balance(project)
    subsidy_back, refund = wallet_services.split_remaining(project, balance)
    return Settlement(
        balance=balance,
        subsidy_back=subsidy_back,
        refund=refund,
        budget_released=(
            timezone.localdate().year == project.application_date.year and project.budget_held > 0
        ),
    )


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def stop_decide(request: HttpRequest, number: str) -> HttpResponse:
    project = selectors.stop_request(number)
    if project is None:
        plain = Project.objects.filter(number=(number or "").strip().upper()).first()
        if plain is None:
            raise Http404
        messages.info(
            request,
            _("Project %(number)s heeft geen openstaande vraag tot stopzetting (status %(status)s).")
            % {"number": plain.number, "status": ProjectStatus(plain.status).label},
        )
        return redirect("backoffice:stop-requests")
    may_decide = can_decide_stop(request.acting, project)  # type: ignore[attr-defined]
    settlement = _settlement(project)
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        form = StopDecisionForm(request.POST)
        if form.is_valid():
            try:
                project_services.project_decide_stop(
                    actor=_actor(request),
                    project=project,
                    approve=form.approve,
                    reason=form.cleaned_data["reason"],
                )
            except IdmError as error:  # decided meanwhile, not allowed, a reason refused
                form.add_error("reason" if error.field == "reason" else None, error)
            else:
                if form.approve:
                    text = _(
                        "De stopzetting van project %(number)s is goedgekeurd: het project is gestopt. Terug "
                        "te betalen eigen bijdrage: %(refund)s; steun terug naar het budget: %(subsidy)s."
                    ) % {
                        "number": project.number,
                        "refund": _euro(settlement.refund),
                        "subsidy": _euro(settlement.subsidy_back),
                    }
                else:
                    text = _(
                        "De stopzetting van project %(number)s is geweigerd: het project loopt verder."
                    ) % {"number": project.number}
                assignments.finish(Queue.STOPS, project.number)
                messages.success(request, text)
                return redirect("backoffice:stop-requests")
    else:
        form = StopDecisionForm()
    proof = getattr(project, "stop_proof", "")  # annotated by selectors.stop_requests
    proof_label = PurePath(proof).name if proof else ""
    context = _context(
        request,
        project=project,
        form=form,
        may_decide=may_decide,
        settlement=settlement,
        proof_label=proof_label,
    )
    return render(request, "backoffice/stop_decide.html", context)


# --- ledger ------------------------------------------------------------------------------------------------


@staff_required
@never_cache
def ledger(request: HttpRequest) -> HttpResponse:
    number = (request.GET.get("project") or "").strip()[:20]
    try:
        page = max(1, int(request.GET.get("pagina") or 1))
    except ValueError:
        page = 1
    page = min(page, 10_000)
    offset = (page - 1) * PAGE
    rows = list(selectors.ledger_transactions(number)[offset : offset + PAGE + 1])
    context = _context(
        request,
        number=number,
        transactions=_with_names(rows[:PAGE], "actor_label"),
        page=page,
        has_next=len(rows) > PAGE,
    )
    return render(request, "backoffice/ledger.html", context)


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def stop_proof(request: HttpRequest, number: str) -> HttpResponse:
    """The proof document (bewijsstuk) of an open stop request, as a download (never shown inline: it is
    whatever the enterprise or provider uploaded)."""
    project = selectors.stop_request(number)
    proof = getattr(project, "stop_proof", "") if project is not None else ""
    if not proof or not default_storage.exists(proof):
        raise Http404
    name = PurePath(proof).name
    # a streaming response where the decorators expect a plain one: they only pass it on
    download = FileResponse(default_storage.open(proof, "rb"), as_attachment=True, filename=name)
    return cast(HttpResponse, download)
