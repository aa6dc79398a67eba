"""The back office's "Meldingen": providers' reports on finished projects (seed 004 §2.3, "melden": "Wij
nemen dan verder met u contact op"), kept as cases; staff read them and close them with a note
(``projects.report_services.project_report_close``, audited). Closing needs a login of level *high*, like
every back-office action."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kmop.audit.services import Actor
from kmop.backoffice import assignments, queue_rows
from kmop.backoffice.decorators import staff_required
from kmop.backoffice.models import Queue
from kmop.backoffice.navigation import navigation
from kmop.backoffice.permissions import can_act_in_backoffice
from kmop.projects.models import ProjectReport, ProjectReportStatus
from kmop.projects.report_services import project_report_close


class CloseReportForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Opmerking bij het afsluiten"),
        help_text=gettext_lazy("Wat werd er met de melding gedaan, bv. het project teruggevorderd."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "class": "textarea"}),
        error_messages={"required": gettext_lazy("Geef een opmerking bij het afsluiten.")},
    )


def _actor(request: HttpRequest) -> Actor:
    acting = request.acting  # type: ignore[attr-defined]
    return Actor(
        label=acting.user.get_username(),
        user=acting.user,
        organisation_code=acting.organisation_code,
        acr=acting.acr,
    )


@staff_required
def reports(request: HttpRequest) -> HttpResponse:
    open_reports = ProjectReport.objects.filter(status=ProjectReportStatus.OPEN)
    page = assignments.queue_page(
        request,
        open_reports.order_by("created_at", "pk"),
        Queue.REPORTS,
        "open-reports",
        queue_rows.REPORT_FIELDS,
    )
    return render(
        request,
        "backoffice/reports.html",
        {
            "backoffice_nav": navigation(request),
            "may_act": can_act_in_backoffice(request.acting),  # type: ignore[attr-defined]
            "table_rows": queue_rows.report_rows(request, page),
            "reports": page.pop("rows"),
            **page,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, pk: int) -> HttpResponse:
    item = (
        ProjectReport.objects.select_related("project__organisation", "provider_organisation")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404
    may_act = can_act_in_backoffice(request.acting)  # type: ignore[attr-defined]
    form = CloseReportForm(request.POST or None)
    if request.method == "POST":
        if not may_act:
            raise PermissionDenied
        if form.is_valid():
            try:
                project_report_close(actor=_actor(request), report=item, note=form.cleaned_data["note"])
            except ValidationError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                assignments.finish(Queue.REPORTS, str(item.pk))
                messages.success(
                    request,
                    _("De melding over project %(number)s is afgesloten.") % {"number": item.project.number},
                )
                return redirect("backoffice:reports")
    return render(
        request,
        "backoffice/report.html",
        {"backoffice_nav": navigation(request), "may_act": may_act, "report": item, "form": form},
    )
