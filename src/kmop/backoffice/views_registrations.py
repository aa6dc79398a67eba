"""The back office's registration decisions (seed 004, 2.1; decision 0011): thin views over
``kmop.providers.services.registration_decide``.

* ``registrations``: the work queue — requests (A), extension requests (G/V) and renewal requests (L/H), the
  oldest first (``selectors.pending_registrations``);
* ``registration_decide``: one registration with its history, and two forms: approve (the first day of the
  validity, for a new approval; the provider gets the certificate by mail) or refuse (a reason is required).
  The decision is taken on the version the staff member saw: if the registration changed since, the service
  refuses it and the page says so. Deciding needs a login of level high (``can_act_in_backoffice``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kmop.backoffice import assignments, queue_rows
from kmop.backoffice.decorators import staff_required
from kmop.backoffice.models import Queue
from kmop.backoffice.permissions import can_act_in_backoffice
from kmop.backoffice.views import _actor, _context
from kmop.idm.errors import IdmError
from kmop.providers import selectors
from kmop.providers.audits import (
    approval_blocked_reason,
    audit_report_record,
    current_audit_report,
    needs_audit,
)
from kmop.providers.models import (
    PENDING_STATUSES,
    AuditBody,
    Indicator,
    Registration,
    RegistrationStatus,
    Score,
)
from kmop.providers.services import TRANSITIONS, Decision, approval_years, registration_decide

APPROVE, REFUSE = "goedkeuren", "weigeren"


class ApproveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    valid_from = forms.DateField(
        label=gettext_lazy("Geldig vanaf"),
        required=False,
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text=gettext_lazy(
            "dd/mm/jjjj; leeg: vandaag. Niet voor een verlenging: die loopt door vanaf de vervaldag."
        ),
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
        error_messages={"invalid": gettext_lazy("Geef de datum als dd/mm/jjjj, bijvoorbeeld 10/03/2025.")},
    )
    reason = forms.CharField(
        label=gettext_lazy("Opmerking (niet verplicht)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "textarea", "rows": 3}),
        error_messages={"max_length": gettext_lazy("De opmerking is te lang (ten hoogste 2000 tekens).")},
    )

    def clean_valid_from(self) -> date | None:
        """At most a year back or ahead: a typo (31/12/9999, 2052) is refused at the field."""
        day = self.cleaned_data.get("valid_from")
        today = timezone.localdate()
        if day is not None and not (today - timedelta(days=366) <= day <= today + timedelta(days=366)):
            raise forms.ValidationError(
                gettext_lazy("Kies een dag binnen een jaar voor of na vandaag (%(today)s)."),
                code="out_of_range",
                params={"today": f"{today:%d/%m/%Y}"},
            )
        return day


class RefuseForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Reden van de weigering"),
        help_text=gettext_lazy("Verplicht; de dienstverlener krijgt deze reden te zien."),
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "textarea", "rows": 4}),
        error_messages={
            "required": gettext_lazy("Geef een reden voor de weigering."),
            "max_length": gettext_lazy("De reden is te lang (ten hoogste 2000 tekens)."),
        },
    )

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError(_("Geef een reden voor de weigering."))
        return reason


AUDIT = "auditrapport"
SCORE_CHOICES = [("", "—"), *Score.choices]


class AuditReportForm(forms.Form):
    """The audit body's result: body, date, per indicator of the kmop-norm the two scores (the service checks
    that every required indicator has both and computes the result)."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    audit_body = forms.ChoiceField(
        label=gettext_lazy("Auditbureau"),
        choices=[("", "—"), *AuditBody.choices],
        widget=forms.Select(attrs={"class": "select"}),
        error_messages={"required": gettext_lazy("Kies het auditbureau.")},
    )
    audit_date = forms.DateField(
        label=gettext_lazy("Datum van de audit"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        help_text=gettext_lazy("dd/mm/jjjj"),
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
        error_messages={
            "required": gettext_lazy("Geef de datum van de audit."),
            "invalid": gettext_lazy("Geef de datum als dd/mm/jjjj, bijvoorbeeld 10/03/2025."),
        },
    )
    starter = forms.BooleanField(
        label=gettext_lazy("Startersaudit (ervaring en klantentevredenheid vrijgesteld)"), required=False
    )
    remark = forms.CharField(
        label=gettext_lazy("Opmerking (niet verplicht)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "textarea", "rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indicators: list[tuple[str, str, forms.BoundField, forms.BoundField]] = []
        for code, label in Indicator.choices:
            for part, text in (
                ("method", gettext_lazy("beschreven methode")),
                ("practice", gettext_lazy("praktijk")),
            ):
                self.fields[f"{part}_{code}"] = forms.ChoiceField(
                    label=f"{label}: {text}",
                    choices=SCORE_CHOICES,
                    required=False,
                    widget=forms.Select(attrs={"class": "select"}),
                )
            self.indicators.append((code, str(label), self[f"method_{code}"], self[f"practice_{code}"]))

    def scores(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {
            code: (data.get(f"method_{code}", ""), data.get(f"practice_{code}", ""))
            for code in Indicator.values
        }


MEASURE = "maatregel"
#: the measures staff take on a registration outside a request (seed 004's status codes S, U, T), by the
#: status they need (``providers.services.TRANSITIONS``); each needs a reason and is audited
MEASURES = (Decision.SUSPEND, Decision.LIFT, Decision.EXCLUDE, Decision.STOP)


def measures_for(registration: Registration) -> list[tuple[str, str]]:
    labels = dict(Decision.CHOICES)
    return [
        (measure, str(labels[measure]))
        for measure in MEASURES
        if (measure, registration.status) in TRANSITIONS
    ]


class MeasureForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    measure = forms.ChoiceField(label=gettext_lazy("Maatregel"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=gettext_lazy("Reden"),
        help_text=gettext_lazy("Verplicht; de dienstverlener ziet ze in de historiek van de registratie."),
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "textarea", "rows": 3}),
        error_messages={"required": gettext_lazy("Geef de reden van de maatregel.")},
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        measure = self.fields["measure"]
        assert isinstance(measure, forms.ChoiceField)
        measure.choices = choices
        measure.error_messages["required"] = gettext_lazy("Kies een maatregel.")
        measure.error_messages["invalid_choice"] = gettext_lazy(
            "Deze maatregel kan niet in de huidige status van de registratie."
        )


@staff_required
@never_cache
def registrations(request: HttpRequest) -> HttpResponse:
    page = assignments.queue_page(
        request,
        selectors.pending_registrations(),
        Queue.REGISTRATIONS,
        "pending-registrations",
        queue_rows.REGISTRATION_FIELDS,
    )
    table_rows = queue_rows.registration_rows(request, page)
    context = _context(request, registrations=page.pop("rows"), table_rows=table_rows, **page)
    return render(request, "backoffice/registrations.html", context)


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def registration_decide_view(request: HttpRequest, number: str) -> HttpResponse:
    registration = (
        Registration.objects.select_related("provider__organisation", "department__department")
        .filter(number=(number or "").strip().upper())
        .first()
    )
    if registration is None:
        raise Http404
    may_decide = can_act_in_backoffice(request.acting)  # type: ignore[attr-defined]
    pending = registration.status in PENDING_STATUSES
    initial = {"version": registration.version}
    approve_form = ApproveForm(initial=initial, prefix=APPROVE)
    refuse_form = RefuseForm(initial=initial, prefix=REFUSE)
    choices = measures_for(registration)
    measure_form = MeasureForm(initial=initial, prefix=MEASURE, choices=choices)
    audit_form = AuditReportForm(initial=initial, prefix=AUDIT)
    if request.method == "POST" and request.POST.get("beslissing") == AUDIT:
        if not may_decide:
            raise PermissionDenied
        audit_form = AuditReportForm(request.POST, prefix=AUDIT)
        if audit_form.is_valid():
            try:
                recorded = audit_report_record(
                    actor=_actor(request),
                    registration=registration,
                    audit_body=audit_form.cleaned_data["audit_body"],
                    audit_date=audit_form.cleaned_data["audit_date"],
                    scores=audit_form.scores(),
                    starter=audit_form.cleaned_data["starter"],
                    remark=audit_form.cleaned_data["remark"],
                    expected_version=audit_form.cleaned_data["version"],
                )
            except IdmError as error:
                field = error.field if error.field in audit_form.fields else None
                audit_form.add_error(field, error)
            else:
                if recorded.passed:
                    messages.success(request, _("Het auditrapport is bewaard: de audit is geslaagd."))
                else:
                    messages.warning(
                        request,
                        _("Het auditrapport is bewaard: de audit is niet geslaagd. Weiger de aanvraag."),
                    )
                return redirect("backoffice:registration-decide", number=registration.number)
    elif request.method == "POST" and request.POST.get("beslissing") == MEASURE:
        if not may_decide:
            raise PermissionDenied
        measure_form = MeasureForm(request.POST, prefix=MEASURE, choices=choices)
        if measure_form.is_valid():
            try:
                decided = registration_decide(
                    actor=_actor(request),
                    registration=registration,
                    decision=measure_form.cleaned_data["measure"],
                    reason=measure_form.cleaned_data["reason"],
                    expected_version=measure_form.cleaned_data["version"],
                )
            except IdmError as error:  # changed meanwhile, not in this status
                measure_form.add_error("reason" if error.field == "reason" else None, error)
            else:
                messages.success(
                    request,
                    _("Registratie %(number)s heeft nu status %(status)s (%(label)s).")
                    % {
                        "number": decided.number,
                        "status": decided.status,
                        "label": decided.get_status_display(),
                    },
                )
                return redirect("backoffice:registration-decide", number=decided.number)
    elif request.method == "POST":
        if not may_decide:
            raise PermissionDenied
        decision = request.POST.get("beslissing")
        form: forms.Form
        if decision == APPROVE:
            form = approve_form = ApproveForm(request.POST, prefix=APPROVE)
        elif decision == REFUSE:
            form = refuse_form = RefuseForm(request.POST, prefix=REFUSE)
        else:
            raise Http404
        if form.is_valid():
            valid_from: date | None = form.cleaned_data.get("valid_from")
            if registration.status == RegistrationStatus.EXTENSION_REQUESTED:
                valid_from = None  # an extension runs on from the vervaldag
            try:
                decided = registration_decide(
                    actor=_actor(request),
                    registration=registration,
                    decision=Decision.APPROVE if decision == APPROVE else Decision.REFUSE,
                    reason=form.cleaned_data["reason"],
                    valid_from=valid_from,
                    expected_version=form.cleaned_data["version"],
                )
            except IdmError as error:  # changed meanwhile, not in this status, a reason or the audit refused
                form.add_error("reason" if error.field == "reason" else None, error)
            else:
                if decision == APPROVE:
                    text = _(
                        "Registratie %(number)s is goedgekeurd, geldig tot de vervaldag %(until)s. De "
                        "dienstverlener krijgt het certificaat per mail."
                    ) % {"number": decided.number, "until": f"{decided.valid_until:%d/%m/%Y}"}
                else:
                    text = _(
                        "De aanvraag voor registratie %(number)s is geweigerd (nu status %(status)s)."
                    ) % {
                        "number": decided.number,
                        "status": decided.status,
                    }
                assignments.finish(Queue.REGISTRATIONS, decided.number)
                messages.success(request, text)
                return redirect("backoffice:registrations")
    report = current_audit_report(registration)
    context: dict[str, Any] = _context(
        request,
        registration=registration,
        assignee=assignments.item_assignee(Queue.REGISTRATIONS, registration.number),
        audit_form=audit_form,
        audit_report=report,
        needs_audit=needs_audit(registration),
        approval_blocked=approval_blocked_reason(registration, report) if pending else "",
        AUDIT=AUDIT,
        history=list(selectors.registration_history(registration)),
        pending=pending,
        may_decide=may_decide and pending,
        approve_form=approve_form,
        refuse_form=refuse_form,
        measure_form=measure_form,
        may_measure=may_decide and bool(choices),
        MEASURE=MEASURE,
        is_extension=registration.status == RegistrationStatus.EXTENSION_REQUESTED,
        validity_years=approval_years(registration),
        APPROVE=APPROVE,
        REFUSE=REFUSE,
    )
    return render(request, "backoffice/registration_decide.html", context)
