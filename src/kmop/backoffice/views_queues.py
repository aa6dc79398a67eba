"""The work queues' assignment (``assign``: take or release an item, then back to the list) and the queue of
unmatched deposits ("Niet herkende stortingen", ``kmop.wallet.reconcile``): money that came in and matched no
project, with a refund waiting; staff assign it to a project or refund it to an account they give. Deciding
needs a login of level *high* (``can_act_in_backoffice``), like every back-office action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from kmop.backoffice import assignments, queue_rows
from kmop.backoffice.decorators import staff_required
from kmop.backoffice.models import Queue
from kmop.backoffice.permissions import can_act_in_backoffice
from kmop.backoffice.views import _actor, _context
from kmop.idm.errors import IdmError
from kmop.wallet.reconcile import euro, payout_version, unmatched_assign, unmatched_open, unmatched_refund

ASSIGN, REFUND = "toewijzen", "terugbetalen"


@staff_required
@require_POST
def assign(request: HttpRequest) -> HttpResponse:
    queue, key = request.POST.get("queue", ""), request.POST.get("key", "")
    action = request.POST.get("action")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = ""
    try:
        if action == assignments.TAKE:
            assignments.take(actor=_actor(request), queue=queue, key=key)
            messages.success(request, _("Het item is aan u toegewezen."))
        elif action == assignments.RELEASE:
            assignments.release(actor=_actor(request), queue=queue, key=key)
            messages.success(request, _("Het item is vrijgegeven."))
        else:
            raise Http404
    except IdmError as error:
        messages.error(request, str(error))
    return redirect(target or "backoffice:home")


# --- unmatched deposits ------------------------------------------------------------------------------------


class ReasonField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label=gettext_lazy("Reden"),
            help_text=gettext_lazy("Verplicht; staat in de historiek van de storting."),
            max_length=2000,
            widget=forms.Textarea(attrs={"class": "textarea", "rows": 3}),
            error_messages={
                "required": gettext_lazy("Geef een reden."),
                "max_length": gettext_lazy("De reden is te lang (ten hoogste 2000 tekens)."),
            },
            **kwargs,
        )


class AssignForm(forms.Form):
    project = forms.CharField(
        label=gettext_lazy("Projectnummer"),
        help_text=gettext_lazy("Een project in status Bevestigd met deze eigen bijdrage, bv. 2026KMO000123."),
        max_length=40,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
        error_messages={"required": gettext_lazy("Geef het projectnummer.")},
    )
    reason = ReasonField()


class RefundForm(forms.Form):
    iban = forms.CharField(
        label=gettext_lazy("IBAN"),
        max_length=42,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
        error_messages={"required": gettext_lazy("Geef het IBAN-rekeningnummer.")},
    )
    name = forms.CharField(
        label=gettext_lazy("Naam van de rekeninghouder"),
        max_length=140,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
        error_messages={"required": gettext_lazy("Geef de naam van de rekeninghouder.")},
    )
    reason = ReasonField()


@staff_required
@never_cache
def deposits(request: HttpRequest) -> HttpResponse:
    page = assignments.queue_page(
        request, unmatched_open(), Queue.DEPOSITS, "unmatched-deposits", queue_rows.DEPOSIT_FIELDS
    )
    table_rows = queue_rows.deposit_rows(request, page)
    context = _context(request, deposits=page.pop("rows"), table_rows=table_rows, **page)
    return render(request, "backoffice/deposits.html", context)


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def deposit(request: HttpRequest, pk: int) -> HttpResponse:
    payout = unmatched_open().filter(pk=pk).first()
    if payout is None:
        messages.info(request, _("Deze storting staat niet (meer) in de lijst: ze werd al behandeld."))
        return redirect("backoffice:deposits")
    may_decide = can_act_in_backoffice(request.acting)  # type: ignore[attr-defined]
    assign_form = AssignForm(prefix=ASSIGN)
    refund_form = RefundForm(prefix=REFUND, initial={"iban": payout.iban, "name": payout.name})
    if request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        decision = request.POST.get("beslissing")
        form: forms.Form
        if decision == ASSIGN:
            form = assign_form = AssignForm(request.POST, prefix=ASSIGN)
        elif decision == REFUND:
            form = refund_form = RefundForm(request.POST, prefix=REFUND)
        else:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            seen = request.POST.get("versie") or None
            try:
                if decision == ASSIGN:
                    project = unmatched_assign(
                        actor=_actor(request),
                        payout_id=payout.pk,
                        project_number=data["project"],
                        reason=data["reason"],
                        seen=seen,
                    )
                    text = _(
                        "De storting van € %(amount)s is geboekt als eigen bijdrage van project "
                        "%(number)s; het project is nu %(status)s."
                    ) % {
                        "amount": euro(payout.amount),
                        "number": project.number,
                        "status": project.get_status_display(),
                    }
                else:
                    done = unmatched_refund(
                        actor=_actor(request),
                        payout_id=payout.pk,
                        iban=data["iban"],
                        name=data["name"],
                        reason=data["reason"],
                        seen=seen,
                    )
                    text = _(
                        "De storting van € %(amount)s wordt met het volgende betalingsbestand "
                        "terugbetaald op %(iban)s."
                    ) % {"amount": euro(done.amount), "iban": done.iban}
            except IdmError as error:
                field = error.field if error.field in form.fields else None
                form.add_error(field, error)
            else:
                assignments.finish(Queue.DEPOSITS, str(payout.pk))
                messages.success(request, text)
                return redirect("backoffice:deposits")
    context = _context(
        request,
        payout=payout,
        version=payout_version(payout),
        may_decide=may_decide,
        assign_form=assign_form,
        refund_form=refund_form,
        ASSIGN=ASSIGN,
        REFUND=REFUND,
        assignee=assignments.item_assignee(Queue.DEPOSITS, str(payout.pk)),
    )
    return render(request, "backoffice/deposit.html", context)
