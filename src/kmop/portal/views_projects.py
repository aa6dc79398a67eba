"""The portal's project pages (seed 004 §2.3 "Overzicht Projecten"):

* ``projects``: the provider's projects of the last 2 calendar years (or all years), a filter per column
  (project number, enterprise, date, amount: text; service, status: a list) that combine, sorting on every
  column (a whitelist, ``provider_selectors.SORTS``), pagination;
* ``projects_export``: the filtered list as CSV (streamed, ``;``-separated, UTF-8 with a BOM for Excel) or
  Excel (xlsxwriter in constant-memory mode into a temporary file, then streamed); no rows → a message on the
  list, no empty file;
* ``project``: one project — its data, the status history, the provider's reports on it and the reaction its
  status allows;
* ``project_action`` / ``project_action_confirm``: the three reactions, each a form and a confirmation step
  (as the e-loket's): *annuleren* (Bevestigd: a reason, ``project_cancel``, the client is mailed with it),
  *stopzetten* (Lopend: a reason and a proof document, ``report_services.project_request_stop_with_proof``,
  the service is mailed), *melden* (Afgewerkt: a message to the service, ``report_services.project_report``,
  kept as a case).

Every read goes through ``provider_selectors`` with the scope of ``request.portal``: another provider's
project (or, for a person with the departments right, a project of another department) answers 404 and
reveals nothing. An action the status does not allow is not offered and is refused by the server. The form's
values wait in the session under a random token until confirmed; the confirmation runs in one transaction that
locks the project, performs the one audited service call and records an audit event for the token
(``portal.project_action``), so a second POST of the same confirmation changes nothing.
"""

from __future__ import annotations

import csv
import io
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import PurePath
from typing import Any
from urllib.parse import urlencode

import xlsxwriter  # type: ignore[import-untyped]
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_GET, require_http_methods

from kmop.idm.errors import IdmError
from kmop.idm.exports import spreadsheet_safe
from kmop.portal.access import provider_required
from kmop.portal.forms_projects import ReasonForm, ReportForm, StopForm
from kmop.projects import proofs, report_services
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
from kmop.projects.provider_selectors import (
    EXPORT_COLUMNS,
    ProjectFilters,
    ProviderScope,
    export_rows,
    overview_page,
    project_of_provider,
    provider_projects,
    window_start,
)
from kmop.providers.models import Service

PENDING_FORMS = PendingForms("portal_project_actions")
FORM_OBJECT = "portal.ProjectAction"
#: the reactions in the URL (Dutch, as on the buttons) → the status they need (seed 004)
CANCEL, STOP, REPORT = "annuleren", "stopzetten", "melden"
ACTIONS: dict[str, str] = {
    CANCEL: ProjectStatus.BEVESTIGD,
    STOP: ProjectStatus.LOPEND,
    REPORT: ProjectStatus.AFGEWERKT,
}
EXPORT_FORMATS = ("csv", "xlsx")
#: rows per chunk written to the CSV stream
CSV_CHUNK = 1000
COLUMNS = (  # (sort key, heading: translated in the template, marked here for makemessages)
    ("nummer", gettext_noop("Projectnr")),
    ("onderneming", gettext_noop("Onderneming")),
    ("datum", gettext_noop("Aanvraag Datum")),
    ("bedrag", gettext_noop("Project bedrag")),
    ("dienst", gettext_noop("Dienst")),
    ("status", gettext_noop("Status")),
)


def _scope(request: HttpRequest) -> ProviderScope:
    return ProviderScope.of(request.portal)  # type: ignore[attr-defined]


def _project_or_404(request: HttpRequest, number: str) -> Project:
    project = project_of_provider(_scope(request), number)
    if project is None:
        raise Http404(_("Dit project bestaat niet of is niet van uw organisatie."))
    return project


def _may_react(request: HttpRequest) -> bool:
    """The reactions go through the projects services, which let the provider act (its own login, or a person
    who may manage the whole provider); a person with the departments right only sees the projects."""
    return bool(request.portal.whole_provider)  # type: ignore[attr-defined]


def _available(request: HttpRequest, project: Project) -> dict[str, bool]:
    may = _may_react(request)
    return {action: may and project.status == status for action, status in ACTIONS.items()}


# --- the overview -------------------------------------------------------------------------------------------


def _euro(amount: Decimal) -> str:
    """``1.198,35`` (Belgian notation)."""
    whole, cents = f"{amount:,.2f}".split(".")
    return f"{whole.replace(',', '.')},{cents}"


def _headers(filters: ProjectFilters) -> list[dict[str, Any]]:
    current = filters.sort.lstrip("-")
    descending = filters.sort.startswith("-")
    out = []
    for key, label in COLUMNS:
        active = key == current
        next_sort = ("" if descending else "-") + key if active else key
        out.append(
            {
                "key": key,
                "label": label,
                "url": "?" + urlencode(filters.query(sort=next_sort)),
                "aria_sort": ("descending" if descending else "ascending") if active else "",
            }
        )
    return out


def _table(rows: Iterable[Any]) -> list[tuple[str, ...]]:
    """The page's rows as the cells' texts (formatted here once: cheaper than a filter per cell)."""
    prefix = reverse("portal:projects")
    return [
        (
            row.number,
            row.enterprise,
            f"{row.application_date:%d/%m/%Y}",
            "€ " + _euro(row.amount),
            row.service_label,
            row.status,
            f"{prefix}{row.number}/",
        )
        for row in rows
    ]


@provider_required
@require_GET
def projects(request: HttpRequest) -> HttpResponse:
    """ "Overzicht projecten"."""
    filters = ProjectFilters.parse(request.GET)
    try:
        number = int(request.GET.get("pagina", "1"))
    except ValueError:
        number = 1
    page = overview_page(_scope(request), filters, number)
    query = filters.query()
    return render(
        request,
        "portal/projects/list.html",
        {
            "filters": filters,
            "page": page,
            "headers": _headers(filters),
            "services": Service.choices,
            "statuses": [s.value for s in ProjectStatus],
            "window_start": window_start(),
            "all_url": "?" + urlencode(filters.query(all_years=True)),
            "window_url": "?" + urlencode(filters.query(all_years=False)),
            "query": urlencode(query),
            "previous_url": "?" + urlencode({**query, "pagina": page.number - 1}),
            "next_url": "?" + urlencode({**query, "pagina": page.number + 1}),
            "table": _table(page.rows),
        },
    )


def _export_values(row: tuple[Any, ...]) -> tuple[str, str, str, date, Decimal, str, str]:
    number, name, code, day, amount, service, status = row
    service_label = str(Service(service).label) if service in Service.values else service
    return number, name, code, day, amount, service_label, status


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_stream(rows: Iterable[tuple[Any, ...]]) -> Iterator[bytes]:
    """The CSV in chunks of ``CSV_CHUNK`` rows: a BOM, the headings, the rows (``;``, dates dd/mm/jjjj,
    amounts with a decimal comma) — what Excel in Belgium opens as it is."""
    yield "\ufeff".encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_(heading) for heading in EXPORT_COLUMNS])
    for n, row in enumerate(rows, start=1):
        number, name, code, day, amount, service, status = _export_values(row)
        writer.writerow(
            (
                number,
                spreadsheet_safe(name),
                code,
                f"{day:%d/%m/%Y}",
                f"{amount:.2f}".replace(".", ","),
                spreadsheet_safe(service),
                spreadsheet_safe(status),
            )
        )
        if n % CSV_CHUNK == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _xlsx_file(rows: Iterable[tuple[Any, ...]]) -> Any:
    """The list in an Excel workbook (constant memory: each row is written to disk as it comes), in a
    temporary file (gone when closed), positioned at its start."""
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115  (FileResponse closes it)
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet(_("Projecten"))
    bold = workbook.add_format({"bold": True})
    day_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    euro_format = workbook.add_format({"num_format": "#,##0.00 [$€-813]"})
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1, 40)
    sheet.set_column(2, 2, 16)
    sheet.set_column(3, 4, 14)
    sheet.set_column(5, 6, 22)
    sheet.write_row(0, 0, [_(heading) for heading in EXPORT_COLUMNS], bold)
    for i, row in enumerate(rows, start=1):
        number, name, code, day, amount, service, status = _export_values(row)
        sheet.write_string(i, 0, number)
        sheet.write_string(i, 1, name)
        sheet.write_string(i, 2, code)
        sheet.write_datetime(i, 3, day, day_format)
        sheet.write_number(i, 4, float(amount), euro_format)
        sheet.write_string(i, 5, service)
        sheet.write_string(i, 6, status)
    workbook.close()
    out.seek(0)
    return out


@provider_required
@require_GET
def projects_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered list (all its rows, not one page) as CSV or Excel."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    scope = _scope(request)
    filters = ProjectFilters.parse(request.GET)
    back = reverse("portal:projects") + ("?" + urlencode(filters.query()) if filters.query() else "")
    if not provider_projects(scope, filters).exists():
        messages.warning(
            request,
            _(
                "Er zijn geen projecten die aan uw filter voldoen: er is niets te exporteren. "
                "Pas uw filter aan."
            ),
        )
        return redirect(back)
    stamp = f"{timezone.localdate():%Y%m%d}"
    name = f"projecten-{request.portal.provider.login}-{stamp}"  # type: ignore[attr-defined]
    if fmt == "csv":
        response = StreamingHttpResponse(
            _csv_stream(export_rows(scope, filters)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = content_disposition_header(True, f"{name}.csv")
        return response  # type: ignore[return-value]
    return FileResponse(  # type: ignore[return-value]
        _xlsx_file(export_rows(scope, filters)),
        as_attachment=True,
        filename=f"{name}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


# --- one project --------------------------------------------------------------------------------------------


@provider_required
@require_GET
def project(request: HttpRequest, number: str) -> HttpResponse:
    item = _project_or_404(request, number)
    history = [
        (change, PurePath(change.proof_name).name if change.proof_name else "")
        for change in project_selectors.project_history(item)
    ]
    return render(
        request,
        "portal/projects/detail.html",
        {
            "project": item,
            "history": history,
            "reports": item.reports.order_by("-created_at", "-id"),
            "available": _available(request, item),
            "may_react": _may_react(request),
            "service_email": report_services.service_email(),
        },
    )


# --- reactions ----------------------------------------------------------------------------------------------


def _texts(action: str) -> dict[str, str]:
    if action == CANCEL:
        return {"title": _("Steunaanvraag annuleren"), "button": _("Steunaanvraag annuleren")}
    if action == STOP:
        return {"title": _("Steunaanvraag stopzetten"), "button": _("Stopzetting aanvragen")}
    return {"title": _("Project melden"), "button": _("Melding versturen")}


def _not_now(request: HttpRequest, action: str, item: Project) -> str:
    if not _may_react(request):
        return _(
            "Reageren op een steunaanvraag kan enkel de maatschappelijke zetel (login dienstverlener of het "
            "profiel Dienstverlener kmo-portefeuille)."
        )
    needed = ProjectStatus(ACTIONS[action]).value
    return _(
        "%(action)s kan enkel voor een project in status %(needed)s (project %(number)s is %(status)s)."
    ) % {
        "action": {"annuleren": _("Annuleren"), "stopzetten": _("Stopzetten"), "melden": _("Melden")}[action],
        "needed": needed,
        "number": item.number,
        "status": item.status,
    }


def _form_for(action: str, request: HttpRequest, initial: dict[str, Any]) -> Any:
    data = request.POST if request.method == "POST" else None
    if action == STOP:
        return StopForm(data, request.FILES if data is not None else None, initial=initial)
    if action == REPORT:
        return ReportForm(data, initial=initial)
    return ReasonForm(data, initial=initial)


@provider_required
@require_http_methods(["GET", "POST"])
def project_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """Step 1 of a reaction: the form. Valid → the values wait in the session → the confirmation page."""
    if action not in ACTIONS:
        raise Http404
    item = _project_or_404(request, number)
    if not _available(request, item)[action]:
        if not _may_react(request):
            raise PermissionDenied(_not_now(request, action, item))
        messages.error(request, _not_now(request, action, item))
        return redirect("portal:project", number=item.number)
    again = PENDING_FORMS.get(request, request.GET.get("t", ""))
    initial = {k: v for k, v in (again or {}).items() if k in ("reason", "message")}
    form = _form_for(action, request, initial)
    if request.method == "POST" and form.is_valid():
        token = secrets.token_urlsafe(16)
        data: dict[str, Any] = {"project": item.number, "action": action}
        if action == REPORT:
            data["message"] = form.cleaned_data["message"]
        else:
            data["reason"] = form.cleaned_data["reason"]
        if action == STOP:
            data["proof"], data["proof_label"] = proofs.save_proof(item, token, form.cleaned_data["proof"])
        PENDING_FORMS.store(request, token, data)
        return redirect("portal:project-confirm", number=item.number, token=token)
    return render(
        request,
        "portal/projects/action.html",
        {"project": item, "action": action, "form": form, **_texts(action)},
    )


def _perform(request: HttpRequest, item: Project, data: dict[str, Any]) -> str:
    """The one audited service call of a confirmed reaction; returns the message for the detail page."""
    actor = request.portal.actor  # type: ignore[attr-defined]
    action = data["action"]
    if action == CANCEL:
        project_services.project_cancel(actor=actor, project=item, reason=data["reason"])
        return _(
            "Project %(number)s is geannuleerd (ProjectGeannuleerd); uw klant krijgt een mailbericht met de "
            "reden."
        ) % {"number": item.number}
    if action == STOP:
        report_services.project_request_stop_with_proof(
            actor=actor, project=item, reason=data["reason"], proof=data.get("proof", "")
        )
        return _(
            "Stopzetting aangevraagd (StopzettingAangevraagd): de dienst kmo-portefeuille beslist op basis "
            "van uw bewijsstuk."
        )
    report_services.project_report(actor=actor, project=item, message=data["message"])
    text = _("Uw melding over project %(number)s is verstuurd naar de dienst kmo-portefeuille.")
    return text % {"number": item.number}


@provider_required
@require_http_methods(["GET", "POST"])
def project_action_confirm(request: HttpRequest, number: str, token: str) -> HttpResponse:
    """Step 2: check and confirm. The POST is performed once per token (see the module's docstring)."""
    item = _project_or_404(request, number)
    key = confirmation_key(item, token)
    data = PENDING_FORMS.get(request, token)
    if data is not None and (data.get("project") != item.number or data.get("action") not in ACTIONS):
        data = None
    errors: list[str] = []
    if request.method == "POST":
        if not _may_react(request):
            raise PermissionDenied(_not_now(request, CANCEL, item))
        done_message = ""
        try:
            done_message, errors = perform_once(
                project=item,
                object_type=FORM_OBJECT,
                key=key,
                actor=request.portal.actor,  # type: ignore[attr-defined]
                action="portal.project_action",
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
            return redirect("portal:project", number=item.number)
    elif data is None:
        if already_performed(FORM_OBJECT, key):
            return redirect("portal:project", number=item.number)
        raise Http404
    action = data["action"] if data else ""
    return render(
        request,
        "portal/projects/confirm.html",
        {
            "project": item,
            "data": data,
            "action": action,
            "token": token,
            "errors": errors,
            **(_texts(action) if action else {}),
        },
    )
