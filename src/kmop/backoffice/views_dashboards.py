"""The back office's "Dashboards" (issue 6 §4): the figures of one calendar year as SVG charts with their
tables (``dashboards`` computes, ``charts`` draws), each exportable as CSV. Staff only; reading only."""

from __future__ import annotations

import csv
import io
from datetime import date

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kmop.backoffice import charts, dashboards
from kmop.backoffice.decorators import staff_required
from kmop.backoffice.navigation import navigation
from kmop.backoffice.permissions import can_act_in_backoffice
from kmop.idm.exports import spreadsheet_safe


def _years(today: date) -> list[int]:
    return list(range(today.year, min(dashboards.first_year(), today.year) - 1, -1))


class YearForm(forms.Form):
    jaar = forms.TypedChoiceField(
        label=gettext_lazy("Jaar"),
        coerce=int,
        widget=forms.Select(attrs={"class": "select"}),
        error_messages={
            "invalid_choice": gettext_lazy("Kies een jaar uit de lijst."),
            "required": gettext_lazy("Kies een jaar uit de lijst."),
        },
    )

    def __init__(self, *args: object, years: list[int], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["jaar"].choices = [(y, str(y)) for y in years]  # type: ignore[attr-defined]


def _year(request: HttpRequest) -> tuple[YearForm, int | None]:
    """The chosen year (this year without a choice), or ``None`` with the form's message."""
    today = timezone.localdate()
    data = request.GET if "jaar" in request.GET else None
    form = YearForm(data, years=_years(today), initial={"jaar": today.year})
    if data is None:
        return form, today.year
    if form.is_valid():
        return form, int(form.cleaned_data["jaar"])
    return form, None


@staff_required
def dashboards_view(request: HttpRequest) -> HttpResponse:
    form, year = _year(request)
    sets = dashboards.datasets(year) if year is not None else {}
    coverage = dashboards.ProjectStatCoverage.objects.filter(pk=1).first()
    return render(
        request,
        "backoffice/dashboards/index.html",
        {
            "backoffice_nav": navigation(request),
            "may_act": can_act_in_backoffice(request.acting),  # type: ignore[attr-defined]
            "form": form,
            "year": year,
            "coverage": coverage,
            "panels": [
                {
                    "dataset": dataset,
                    "charts": charts.render_all(dataset),
                    "head": [str(c.heading) for c in dataset.columns],
                    "rows": [_display(dataset, row) for row in dataset.rows],
                    "footer": _display(dataset, dataset.footer) if dataset.footer else None,
                }
                for dataset in sets.values()
            ],
        },
        status=200 if year is not None else 400,
    )


def _display(dataset: dashboards.Dataset, row: tuple[object, ...]) -> list[dict[str, object]]:
    return [
        {"value": dashboards.format_value(value, column.kind), "numeric": column.kind != dashboards.TEXT}
        for value, column in zip(row, dataset.columns, strict=True)
    ]


def _csv_cell(value: object, kind: str) -> str:
    if kind == dashboards.TEXT:
        return spreadsheet_safe(str(value))
    if kind == dashboards.INT:
        return str(value)
    return str(value).replace(".", ",")


@staff_required
def dashboard_csv(request: HttpRequest, key: str) -> HttpResponse:
    """One dataset as CSV for Excel in Belgium (BOM, ``;``, decimal comma, exact amounts), text cells safe
    from formula injection."""
    if key not in dashboards.DATASET_KEYS:
        raise Http404
    _form, year = _year(request)
    if year is None:
        return HttpResponse(
            _("Kies een jaar uit de lijst."), status=400, content_type="text/plain; charset=utf-8"
        )
    dataset = dashboards.datasets(year, only=key)[key]
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(str(c.heading)) for c in dataset.columns])
    for row in (*dataset.rows, *((dataset.footer,) if dataset.footer else ())):
        writer.writerow([_csv_cell(v, c.kind) for v, c in zip(row, dataset.columns, strict=True)])
    response = HttpResponse(buffer.getvalue().encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"dashboard-{key}-{year}.csv")
    return response
