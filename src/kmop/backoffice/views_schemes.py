"""The back office's scheme configuration (issue 6 §2; decision 0010): thin views over
``kmop.schemes.services``.

* ``schemes``: the steunmaatregelen with the period valid today;
* ``scheme``: one scheme's periods (the parameters shown readably, which one is current), excluded services,
  NACE rules and legal forms, each with its validity;
* ``period_add``: a new period from a later date, on the parameters of a base period (the kmo-portefeuille's
  as fields, another scheme's as a checked JSON document); by default the period running on that date ends
  the day before (``services.period_add``);
* ``row_add``: a new excluded service, NACE rule or legal form from a later date
  (``services.dated_row_save``);
* ``row_end``: an end date for any row, never before today (``services.dated_row_end``);
* ``row_remove``: remove a row that has not started (``services.dated_row_delete``), e.g. a period added by
  mistake (the period it ended gets its end date back when the form's box stays ticked).

Every staff member may look; changing is for the application manager (``permissions.is_application_manager``)
logged in at level high (``can_act_in_backoffice``), with a reason, audited by the services. A row that has
started never changes its values: projects filed under it keep their rules.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kmop.backoffice.decorators import staff_required
from kmop.backoffice.forms_schemes import (
    EndRowForm,
    ExcludedServiceForm,
    JsonPeriodForm,
    KmopPeriodForm,
    LegalFormRuleForm,
    NaceRuleForm,
    PeriodForm,
    RemoveRowForm,
    target_label,
)
from kmop.backoffice.permissions import can_act_in_backoffice, is_application_manager
from kmop.backoffice.views import _actor, _context
from kmop.schemes import services
from kmop.schemes.errors import SchemeDataError, SchemeError
from kmop.schemes.models import DatedRow, ExcludedService, LegalFormRule, NaceRule, RegimePeriod, Scheme
from kmop.schemes.other_schemes import (
    CORONA_HINDERPREMIE,
    ECOLOGIEPREMIE_PLUS,
    parse_corona_parameters,
    parse_ecology_parameters,
)
from kmop.schemes.regime import (
    KMO_PORTEFEUILLE,
    SERVICE_LABELS,
    SIZE_CLASS_LABELS,
    SIZE_CLASSES,
    KmopTerms,
    parse_parameters,
)

#: the kinds of rows in the URL (Dutch, as the page's headings)
PERIODS, EXCLUDED, NACE, LEGAL_FORMS = "periodes", "uitgesloten-diensten", "nace", "rechtsvormen"
ROW_MODELS: dict[str, type[DatedRow]] = {
    PERIODS: RegimePeriod,
    EXCLUDED: ExcludedService,
    NACE: NaceRule,
    LEGAL_FORMS: LegalFormRule,
}
ROW_FORMS: dict[str, type[ExcludedServiceForm | NaceRuleForm | LegalFormRuleForm]] = {
    EXCLUDED: ExcludedServiceForm,
    NACE: NaceRuleForm,
    LEGAL_FORMS: LegalFormRuleForm,
}


def _row_titles() -> dict[str, str]:
    return {
        PERIODS: _("Periode"),
        EXCLUDED: _("Uitgesloten dienst"),
        NACE: _("NACE-regel"),
        LEGAL_FORMS: _("Rechtsvorm"),
    }


# --- reading ----------------------------------------------------------------------------------------------


def may_configure(request: HttpRequest) -> bool:
    acting = getattr(request, "acting", None)
    return is_application_manager(acting) and can_act_in_backoffice(acting)


def _require_configure(request: HttpRequest) -> None:
    if not may_configure(request):
        raise PermissionDenied


def _scheme(code: str) -> Scheme:
    scheme = Scheme.objects.filter(code=code).first()
    if scheme is None:
        raise Http404
    return scheme


def _day(day: date | None) -> str:
    return date_format(day, "j F Y") if day else "…"


def _euro(amount: Decimal) -> str:
    return "€ " + floatformat(amount, "2g")


def _pct(rate: Decimal) -> str:
    return f"{floatformat(rate * 100, '-2')} %"


def _state(row: DatedRow, today: date) -> str:
    if row.valid_to is not None and row.valid_to < today:
        return "ended"
    if row.valid_from > today:
        return "future"
    return "current"


def _kmop_rows(terms: KmopTerms) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for size in SIZE_CLASSES:
        label = f"{str(SIZE_CLASS_LABELS[size]).capitalize()} ({size})"
        size_terms = terms.size_classes.get(size)
        if size_terms is None:
            rows.append((label, _("komt niet in aanmerking")))
        else:
            rows.append(
                (
                    label,
                    _("%(rate)s steun, jaarplafond %(cap)s")
                    % {"rate": _pct(size_terms.rate), "cap": _euro(size_terms.yearly_cap)},
                )
            )
    for code, service in terms.services.items():
        if service.themes is None:
            allowed = _("alle thema's")
        else:
            allowed = _("enkel %(themes)s") % {
                "themes": ", ".join(target_label(terms, t) for t in service.themes)
            }
        rows.append(
            (
                str(SERVICE_LABELS.get(code, code)).capitalize(),
                _("minimum %(minimum)s (excl. btw); %(allowed)s")
                % {"minimum": _euro(service.minimum), "allowed": allowed},
            )
        )
    for rule in terms.rate_rules:
        services_text = ", ".join(str(SERVICE_LABELS.get(s, s)) for s in sorted(rule.services))
        rates = ", ".join(f"{size} {_pct(rate)}" for size, rate in rule.rates.items())
        rows.append(
            (
                _("Verhoogde steun"),
                _("%(targets)s (%(services)s): %(rates)s")
                % {
                    "targets": ", ".join(target_label(terms, t) for t in rule.targets),
                    "services": services_text,
                    "rates": rates,
                },
            )
        )
    if not terms.themes:
        theme_text = _("geen thema's")
    else:
        names = ", ".join(t.label for t in terms.themes)
        theme_text = (
            _("verplicht: %(themes)s") if terms.theme_required else _("niet verplicht: %(themes)s")
        ) % {"themes": names}
    rows.append((_("Thema"), theme_text))
    rows.append(
        (
            _("Indientermijn"),
            _("%(days)s kalenderdagen na de startdatum") % {"days": terms.filing_window_days},
        )
    )
    rows.append(
        (
            _("Eigen bijdrage storten"),
            _("binnen %(days)s dagen na de aanvraag") % {"days": terms.deposit_days},
        )
    )
    return rows


def parameter_rows(kind: str, parameters: Any) -> list[tuple[str, str]]:
    """The parameters of a period as (label, value) lines for the page; ``[]`` when the document cannot be
    read (the page then shows it as JSON)."""
    try:
        if kind == KMO_PORTEFEUILLE:
            return _kmop_rows(parse_parameters(parameters))
        if kind == ECOLOGIEPREMIE_PLUS:
            eco = parse_ecology_parameters(parameters)
            rows = [
                (
                    _("Steun voor %(category)s") % {"category": category},
                    "; ".join(
                        _("klasse %(cls)s: kmo %(kmo)s, grote onderneming %(go)s")
                        % {"cls": cls, "kmo": _pct(groups["kmo"]), "go": _pct(groups["go"])}
                        for cls, groups in by_class.items()
                    ),
                )
                for category, by_class in eco.rates.items()
            ]
            rows.append(
                (
                    _("Plafond"),
                    _("%(cap)s over %(years)s jaar") % {"cap": _euro(eco.cap), "years": eco.cap_years},
                )
            )
            return rows
        if kind == CORONA_HINDERPREMIE:
            corona = parse_corona_parameters(parameters)
            return [
                (_("Bij een verplichte sluiting"), _euro(corona.fixed_amount)),
                (
                    _("Per sluitingsdag"),
                    _("%(amount)s vanaf %(day)s")
                    % {"amount": _euro(corona.daily_amount), "day": _day(corona.daily_from)},
                ),
                (
                    _("Aanvragen"),
                    _("van %(start)s tot en met %(end)s")
                    % {"start": _day(corona.application_from), "end": _day(corona.application_to)},
                ),
            ]
    except SchemeDataError:
        return []
    return []


@staff_required
@never_cache
def schemes(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = []
    for scheme in Scheme.objects.order_by("code"):
        periods = list(RegimePeriod.objects.filter(scheme=scheme).order_by("valid_from"))
        current = next((p for p in periods if _state(p, today) == "current"), None)
        future = [p for p in periods if _state(p, today) == "future"]
        rows.append({"scheme": scheme, "current": current, "future": future, "count": len(periods)})
    return render(request, "backoffice/schemes/list.html", _context(request, rows=rows, today=today))


@staff_required
@never_cache
def scheme(request: HttpRequest, code: str) -> HttpResponse:
    found = _scheme(code)
    today = timezone.localdate()
    periods = []
    for period in RegimePeriod.objects.filter(scheme=found).order_by("-valid_from"):
        periods.append(
            {
                "row": period,
                "state": _state(period, today),
                "parameters": parameter_rows(found.kind, period.parameters),
            }
        )

    def listed(model: type[DatedRow], order: tuple[str, ...]) -> list[dict[str, Any]]:
        rows: Any = model._default_manager.filter(scheme=found).order_by(*order)
        return [{"row": row, "state": _state(row, today)} for row in rows]

    context = _context(
        request,
        scheme=found,
        today=today,
        periods=periods,
        excluded=listed(ExcludedService, ("code", "valid_from")),
        nace=listed(NaceRule, ("prefix", "valid_from")),
        legal_forms=listed(LegalFormRule, ("code", "valid_from")),
        may_configure=may_configure(request),
        PERIODS=PERIODS,
        EXCLUDED=EXCLUDED,
        NACE=NACE,
        LEGAL_FORMS=LEGAL_FORMS,
    )
    return render(request, "backoffice/schemes/detail.html", context)


# --- changing ---------------------------------------------------------------------------------------------


def _put_error(form: forms.BaseForm, error: SchemeError, *, aliases: dict[str, str] | None = None) -> None:
    field = (aliases or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error)


def _base_period(scheme: Scheme, chosen: str | None) -> RegimePeriod | None:
    """The period a new one starts from: the chosen one (``basis``), else the one valid today, else the
    last."""
    periods = RegimePeriod.objects.filter(scheme=scheme)
    if chosen:
        if not (chosen.isascii() and chosen.isdigit()):
            return None
        return periods.filter(pk=int(chosen)).first()
    today = timezone.localdate()
    current = periods.filter(valid_from__lte=today).exclude(valid_to__lt=today).first()
    return current or periods.order_by("-valid_from").first()


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def period_add(request: HttpRequest, code: str) -> HttpResponse:
    found = _scheme(code)
    _require_configure(request)
    chosen = request.POST.get("basis") if request.method == "POST" else request.GET.get("basis")
    base = _base_period(found, chosen)
    if chosen and base is None:  # removed meanwhile (or not this scheme's): start again from today's period
        messages.error(
            request,
            _(
                "De periode waarop deze nieuwe periode verderbouwde, bestaat niet meer. Kijk de parameters "
                "na."
            ),
        )
        return redirect("backoffice:scheme-period-add", code=found.code)
    form_class: type[PeriodForm] = (
        KmopPeriodForm if found.kind == KMO_PORTEFEUILLE and base is not None else JsonPeriodForm
    )
    form = form_class(
        request.POST if request.method == "POST" else None,
        base_parameters=base.parameters if base is not None else None,
        initial={"end_current": True},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            period = services.period_add(
                actor=_actor(request),
                scheme=found.code,
                valid_from=data["valid_from"],
                valid_to=data["valid_to"],
                end_current=data["end_current"],
                parameters=form.parameters(),
                label_nl=data["label_nl"],
                label_en=data["label_en"],
                source=data["source"],
                reason=data["reason"],
            )
        except SchemeError as error:
            aliases = {"parameters": "parameters_json", "valid_to": "valid_to"}
            _put_error(form, error, aliases=aliases)
        else:
            messages.success(
                request,
                _("De nieuwe periode van %(scheme)s vanaf %(start)s is toegevoegd.")
                % {"scheme": found.name_nl, "start": _day(period.valid_from)},
            )
            return redirect("backoffice:scheme", code=found.code)
    context = _context(
        request,
        scheme=found,
        base=base,
        base_parameters=parameter_rows(found.kind, base.parameters) if base is not None else [],
        form=form,
        is_kmop_form=isinstance(form, KmopPeriodForm),
    )
    return render(request, "backoffice/schemes/period_add.html", context)


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def row_add(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    found = _scheme(code)
    form_class = ROW_FORMS.get(kind)
    if form_class is None:
        raise Http404
    _require_configure(request)
    model: Any = ROW_MODELS[kind]
    form = form_class(request.POST if request.method == "POST" else None, instance=model(scheme=found))
    if request.method == "POST" and form.is_valid():
        try:
            row = services.dated_row_save(
                actor=_actor(request), row=form.row(), reason=form.cleaned_data["reason"]
            )
        except SchemeError as error:
            _put_error(form, error, aliases={"keywords": "keywords_text"})
        else:
            messages.success(
                request,
                _("%(what)s %(name)s is toegevoegd vanaf %(start)s.")
                % {"what": _row_titles()[kind], "name": str(row), "start": _day(row.valid_from)},
            )
            return redirect("backoffice:scheme", code=found.code)
    context = _context(request, scheme=found, kind=kind, title=_row_titles()[kind], form=form)
    return render(request, "backoffice/schemes/row_add.html", context)


def _dated_row(request: HttpRequest, code: str, kind: str, pk: int) -> tuple[Scheme, Any]:
    """The scheme and its row of ``kind`` (404 when either is unknown), for the application manager only."""
    found = _scheme(code)
    model = ROW_MODELS.get(kind)
    if model is None:
        raise Http404
    row = model._default_manager.filter(scheme=found, pk=pk).first()
    if row is None:
        raise Http404
    _require_configure(request)
    return found, row


def _row_context(
    request: HttpRequest, found: Scheme, kind: str, row: Any, form: forms.Form
) -> dict[str, Any]:
    """The page of one row (to end or remove): the row, its state and, for a period, its parameters."""
    return _context(
        request,
        scheme=found,
        kind=kind,
        title=_row_titles()[kind],
        row=row,
        state=_state(row, timezone.localdate()),
        parameters=parameter_rows(found.kind, row.parameters) if isinstance(row, RegimePeriod) else [],
        form=form,
    )


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def row_end(request: HttpRequest, code: str, kind: str, pk: int) -> HttpResponse:
    found, row = _dated_row(request, code, kind, pk)
    form = EndRowForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            ended = services.dated_row_end(
                actor=_actor(request),
                row=row,
                valid_to=form.cleaned_data["valid_to"],
                reason=form.cleaned_data["reason"],
            )
        except SchemeError as error:
            _put_error(form, error)
        else:
            messages.success(
                request,
                _("%(what)s %(name)s geldt nu tot en met %(end)s.")
                % {"what": _row_titles()[kind], "name": str(ended), "end": _day(ended.valid_to)},
            )
            return redirect("backoffice:scheme", code=found.code)
    context = _row_context(request, found, kind, row, form)
    return render(request, "backoffice/schemes/row_end.html", context)


@staff_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def row_remove(request: HttpRequest, code: str, kind: str, pk: int) -> HttpResponse:
    found, row = _dated_row(request, code, kind, pk)
    previous = services.period_before(row)
    form = RemoveRowForm(request.POST if request.method == "POST" else None, row=row, previous=previous)
    if request.method == "POST" and form.is_valid():
        try:
            services.dated_row_delete(
                actor=_actor(request),
                row=row,
                reason=form.cleaned_data["reason"],
                restore_previous=form.cleaned_data.get("restore_previous", False),
            )
        except SchemeError as error:
            _put_error(form, error)
        else:
            messages.success(
                request,
                _("%(what)s %(name)s (vanaf %(start)s) is verwijderd.")
                % {"what": _row_titles()[kind], "name": str(row), "start": _day(row.valid_from)},
            )
            return redirect("backoffice:scheme", code=found.code)
    context = _row_context(request, found, kind, row, form)
    return render(request, "backoffice/schemes/row_remove.html", context)
