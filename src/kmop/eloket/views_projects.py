"""The e-loket's project pages for an enterprise (issue 4 §4–5, seed 004):

* ``projects``: the enterprise's projects, filtered on status and year, paginated;
* ``project``: one project — its data, the status history, the wallet (derived from the ledger's entries:
  deposits, subsidy, payment orders, refunds, the balance; the payouts with their invoice numbers) and, while
  Bevestigd, how to deposit the own contribution;
* ``project_action`` / ``project_action_confirm``: the three actions, each a form and a confirmation step:
  *betaalopdracht* (Lopend: the provider's invoice number and amount, ``payment_order_create``),
  *stopzetten* (Lopend: a reason and a proof document, ``project_request_stop``) and *annuleren*
  (Bevestigd, before the deposit: a reason, ``project_cancel``).

Every read goes through ``project_of_enterprise``: another enterprise's project number answers 404 and
reveals nothing. Only a person who may act for the enterprise (``permissions.can_act_for_enterprise``) may
act; anyone else gets 403. The form's values wait in the session under a random token until confirmed; the
confirmation runs in one transaction that locks the project, performs the audited service call and records
an audit event for the token (``eloket.project_action``), so a second POST of the same confirmation finds
that event and changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kmop.acm.decorators import acting_required
from kmop.eloket.forms_projects import PaymentOrderForm, ProjectFilterForm, ReasonForm, StopForm
from kmop.eloket.views import _actor
from kmop.idm.errors import IdmError
from kmop.projects import permissions, proofs
from kmop.projects import selectors as project_selectors
from kmop.projects import services as project_services
from kmop.projects.confirmations import (
    PendingForms,
    already_performed,
    confirmation_key,
    perform_once,
)
from kmop.projects.errors import NotAllowed
from kmop.projects.models import Project, ProjectStatus
from kmop.registers.numbers import format_iban, format_structured_reference
from kmop.schemes.errors import SchemeError
from kmop.schemes.services import themes_on
from kmop.wallet import services as wallet_services
from kmop.wallet.models import AccountKind, Entry, Payout, TransactionKind

PENDING_FORMS = PendingForms("eloket_project_actions")
FORM_OBJECT = "eloket.ProjectAction"
PER_PAGE = 25
#: the actions in the URL (Dutch, as on the buttons) and what they do
PAYMENT_ORDER, STOP, CANCEL = "betaalopdracht", "stopzetten", "annuleren"
ACTIONS = (PAYMENT_ORDER, STOP, CANCEL)


# --- reads -------------------------------------------------------------------------------------------------


def _project_or_404(request: HttpRequest, number: str) -> Project:
    organisation = request.acting.organisation  # type: ignore[attr-defined]
    project = project_selectors.project_of_enterprise(organisation, number)
    if project is None:
        raise Http404(_("Dit project bestaat niet of is niet van uw onderneming."))
    return project


def _may_manage(request: HttpRequest) -> bool:
    acting = request.acting  # type: ignore[attr-defined]
    return permissions.can_act_for_enterprise(acting.national_number, acting.organisation)


@dataclass
class WalletLine:
    at: Any
    kind: str
    label: str
    memo: str
    amount: Decimal

    @property
    def magnitude(self) -> Decimal:
        return abs(self.amount)


@dataclass
class Wallet:
    """The project's wallet, derived from its account's entries (nothing stored)."""

    lines: list[WalletLine] = field(default_factory=list)
    payouts: list[Payout] = field(default_factory=list)

    def _total(self, *kinds: str, sign: int = 1) -> Decimal:
        return sum((line.amount * sign for line in self.lines if line.kind in kinds), Decimal("0.00"))

    @property
    def balance(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def deposited(self) -> Decimal:
        return self._total(TransactionKind.DEPOSIT)

    @property
    def subsidy(self) -> Decimal:
        return self._total(TransactionKind.SUBSIDY)

    @property
    def paid(self) -> Decimal:
        return self._total(TransactionKind.PAYMENT_ORDER, sign=-1)

    @property
    def refunded(self) -> Decimal:
        return self._total(TransactionKind.REFUND, sign=-1)

    @property
    def subsidy_returned(self) -> Decimal:
        return self._total(TransactionKind.SUBSIDY_RETURN, sign=-1)

    @property
    def provider_payouts(self) -> list[Payout]:
        return [p for p in self.payouts if p.kind == Payout.Kind.PROVIDER]

    @property
    def refunds(self) -> list[Payout]:
        return [p for p in self.payouts if p.kind == Payout.Kind.REFUND]


def wallet_of(project: Project) -> Wallet:
    """Two queries: the project account's entries with their transactions, and the project's payouts."""
    entries = (
        Entry.objects.filter(account__kind=AccountKind.PROJECT, account__project=project)
        .select_related("transaction")
        .order_by("transaction__created_at", "transaction_id", "id")
    )
    labels = dict(TransactionKind.choices)
    lines = [
        WalletLine(
            at=e.transaction.created_at,
            kind=e.transaction.kind,
            label=str(labels.get(e.transaction.kind, e.transaction.kind)),
            memo=e.transaction.memo,
            amount=e.amount,
        )
        for e in entries
    ]
    payouts = list(
        Payout.objects.filter(project=project).select_related("batch").order_by("created_at", "id")
    )
    return Wallet(lines=lines, payouts=payouts)


def _theme_label(project: Project) -> str:
    if not project.theme:
        return ""
    try:
        themes = themes_on(project.application_date)
    except SchemeError:
        return project.theme
    for theme in themes:
        if theme.code == project.theme:
            sub = next((s.label for s in theme.subthemes if s.code == project.subtheme), project.subtheme)
            return f"{theme.label} — {sub}" if sub else str(theme.label)
    return project.theme


def _available(project: Project, wallet: Wallet) -> dict[str, bool]:
    """Which actions the project's status allows now (the services check it again)."""
    running = project.status == ProjectStatus.LOPEND
    return {
        PAYMENT_ORDER: running and wallet.balance > 0,
        STOP: running,
        CANCEL: project.status == ProjectStatus.BEVESTIGD
        and project.deposited_at is None
        and wallet.balance == 0,
    }


@acting_required
def projects(request: HttpRequest) -> HttpResponse:
    organisation = request.acting.organisation  # type: ignore[attr-defined]
    years = [
        d.year
        for d in Project.objects.filter(organisation=organisation).dates("application_date", "year", "DESC")
    ]
    form = ProjectFilterForm(request.GET or None, years=years)
    queryset = project_selectors.projects_of(organisation)
    if form.is_bound and form.is_valid():
        if form.cleaned_data["status"]:
            queryset = queryset.filter(status=form.cleaned_data["status"])
        year = form.cleaned_data["jaar"]
        if year:
            queryset = queryset.filter(
                application_date__gte=f"{year:04d}-01-01", application_date__lte=f"{year:04d}-12-31"
            )
    page = Paginator(queryset, PER_PAGE).get_page(request.GET.get("pagina"))
    return render(request, "eloket/projects.html", {"form": form, "page": page, "years": years})


@acting_required
def project(request: HttpRequest, number: str) -> HttpResponse:
    item = _project_or_404(request, number)
    wallet = wallet_of(item)
    may_manage = _may_manage(request)
    available = _available(item, wallet) if may_manage else dict.fromkeys(ACTIONS, False)
    context: dict[str, Any] = {
        "project": item,
        "theme": _theme_label(item),
        "history": [
            (change, PurePath(change.proof_name).name if change.proof_name else "")
            for change in project_selectors.project_history(item)
        ],
        "wallet": wallet,
        "available": available,
        "may_manage": may_manage,
        "deposit": None,
    }
    if item.status == ProjectStatus.BEVESTIGD:
        iban = getattr(settings, "WALLET_DEBTOR_IBAN", "")
        context["deposit"] = {
            "amount": item.own_contribution,
            "reference": format_structured_reference(item.structured_reference),
            "iban": format_iban(iban) if iban else "",
            "bic": getattr(settings, "WALLET_DEBTOR_BIC", ""),
            "name": getattr(settings, "WALLET_DEBTOR_NAME", ""),
            "deadline": item.deposit_deadline,
            "late": item.deposit_deadline < timezone.localdate(),
        }
    return render(request, "eloket/project_detail.html", context)


# --- actions -----------------------------------------------------------------------------------------------


def _require_manage(request: HttpRequest) -> None:
    if not _may_manage(request):
        raise PermissionDenied(_("U mag de projecten van deze onderneming niet beheren."))


def _form_for(action: str, request: HttpRequest, wallet: Wallet, initial: dict[str, Any]) -> Any:
    data = request.POST if request.method == "POST" else None
    if action == PAYMENT_ORDER:
        return PaymentOrderForm(data, initial=initial, balance=wallet.balance)
    if action == STOP:
        return StopForm(data, request.FILES if data is not None else None, initial=initial)
    return ReasonForm(data, initial=initial)


def _save_proof(project: Project, token: str, proof: Any) -> tuple[str, str]:
    """Keep the proof document (bewijsstuk) under the project's number; returns (stored name, file name)."""
    return proofs.save_proof(project, token, proof)


@acting_required
@require_http_methods(["GET", "POST"])
def project_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Step 1 of an action: the form. Valid → the values wait in the session → the confirmation page."""
    if action not in ACTIONS:
        raise Http404
    item = _project_or_404(request, number)
    _require_manage(request)
    wallet = wallet_of(item)
    if not _available(item, wallet)[action]:
        messages.error(request, _not_now(action, item))
        return redirect("eloket:project", number=item.number)
    again = PENDING_FORMS.get(request, request.GET.get("t", ""))
    initial = {k: v for k, v in (again or {}).items() if k in ("invoice_number", "amount", "reason")}
    if "amount" in initial:
        initial["amount"] = str(initial["amount"]).replace(".", ",")
    form = _form_for(action, request, wallet, initial)
    if request.method == "POST" and form.is_valid():
        token = secrets.token_urlsafe(16)
        data: dict[str, Any] = {"project": item.number, "action": action}
        if action == PAYMENT_ORDER:
            data.update(
                invoice_number=form.cleaned_data["invoice_number"], amount=str(form.cleaned_data["amount"])
            )
        else:
            data["reason"] = form.cleaned_data["reason"]
        if action == STOP:
            data["proof"], data["proof_label"] = _save_proof(item, token, form.cleaned_data["proof"])
        PENDING_FORMS.store(request, token, data)
        return redirect("eloket:project-confirm", number=item.number, token=token)
    return render(
        request,
        "eloket/project_action.html",
        {"project": item, "action": action, "form": form, "wallet": wallet, **_texts(action)},
    )


def _texts(action: str) -> dict[str, str]:
    if action == PAYMENT_ORDER:
        return {"title": _("Betaalopdracht geven"), "button": _("Betaalopdracht geven")}
    if action == STOP:
        return {"title": _("Project stopzetten"), "button": _("Stopzetting aanvragen")}
    return {"title": _("Project annuleren"), "button": _("Project annuleren")}


def _not_now(action: str, item: Project) -> str:
    status = ProjectStatus(item.status).label
    if action == PAYMENT_ORDER:
        return _(
            "Een betaalopdracht kan enkel voor een lopend project met een saldo "
            "(project %(number)s is %(status)s)."
        ) % {"number": item.number, "status": status}
    if action == STOP:
        return _("Stopzetten kan enkel voor een lopend project (project %(number)s is %(status)s).") % {
            "number": item.number,
            "status": status,
        }
    return _(
        "Annuleren kan enkel voor een bevestigd project waarvoor nog niets gestort is "
        "(project %(number)s is %(status)s)."
    ) % {"number": item.number, "status": status}


def _perform(request: HttpRequest, item: Project, data: dict[str, Any]) -> str:
    """The audited service call of a confirmed action; returns the message for the detail page."""
    actor = _actor(request)
    action = data["action"]
    if action == PAYMENT_ORDER:
        payout = wallet_services.payment_order_create(
            actor=actor, project=item, invoice_number=data["invoice_number"], amount=Decimal(data["amount"])
        )
        return _("Betaalopdracht voor factuur %(invoice)s van € %(amount)s geregistreerd.") % {
            "invoice": payout.invoice_number,
            "amount": floatformat(payout.amount, "2g"),
        }
    if action == STOP:
        project_services.project_request_stop(
            actor=actor, project=item, reason=data["reason"], proof=data.get("proof", "")
        )
        return _("Stopzetting aangevraagd: de dienst kmo-portefeuille beslist op basis van uw bewijsstuk.")
    project_services.project_cancel(actor=actor, project=item, reason=data["reason"])
    return _("Project %(number)s is geannuleerd.") % {"number": item.number}


@acting_required
@require_http_methods(["GET", "POST"])
def project_action_confirm(request: HttpRequest, number: str, token: str) -> HttpResponse:
    """Step 2: check and confirm. The POST is performed once per token (see the module's docstring)."""
    item = _project_or_404(request, number)
    _require_manage(request)
    key = confirmation_key(item, token)
    data = PENDING_FORMS.get(request, token)
    if data is not None and data.get("project") != item.number:
        data = None
    errors: list[str] = []
    if request.method == "POST":
        done_message = ""
        try:
            done_message, errors = perform_once(
                project=item,
                object_type=FORM_OBJECT,
                key=key,
                actor=_actor(request),
                action="eloket.project_action",
                data=data,
                perform=lambda values: _perform(request, item, values),
            )
        except NotAllowed as e:
            raise PermissionDenied(str(e)) from None
        except IdmError as e:
            errors = list(e.messages)
        if done_message:
            PENDING_FORMS.drop(request, token)
            messages.success(request, done_message)
            return redirect("eloket:project", number=item.number)
    elif data is None:
        if already_performed(FORM_OBJECT, key):
            return redirect("eloket:project", number=item.number)
        raise Http404
    action = data["action"] if data else ""
    return render(
        request,
        "eloket/project_confirm.html",
        {
            "project": item,
            "data": data,
            "action": action,
            "token": token,
            "errors": errors,
            "amount": Decimal(data["amount"]) if data and data.get("amount") else None,
            **(_texts(action) if action else {}),
        },
    )
