"""The portal's registration pages (seed 004, "2.1. Uw registraties beheren"):

* ``registrations``: "Registraties: overzicht" — all registrations ("toon voor alle diensten") or the active
  ones ("toon voor actieve diensten"), sortable per column (a whitelist), with the actions per status
  (detail; verlengen for G; hernieuwen for L) and the legend of the nine status codes;
* the request in steps — ``request_level`` (1. Dienstverlener), ``request_service`` (2. Dienst),
  ``request_basis`` (3. Registratiebasis, "Bevestig": ``services.registration_request``), ``declaration``
  (4. Verklaring op eer, with ``declaration_pdf`` to print) and back to the overview (5). The choices wait in
  the session until "Bevestig"; nothing is written before, and a refusal of the service (a registration for
  that service exists already: verlengen or hernieuwen instead) is shown at the field, nothing written;
* ``registration``: the detail with the history; ``registration_action``: verlengen (G → G/V) and hernieuwen
  (L → L/H) after a confirmation; ``certificate``: the certificate PDF while G or G/V.

The provider is always ``request.portal.provider`` (never from the URL); a person with the departments right
only sees and acts for those departments (``request.portal.department_ids``). Another provider's registration
answers 404. The services check everything again and audit; the views show their refusals.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Case, F, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kmop.idm.errors import IdmError
from kmop.portal import pdf
from kmop.portal.access import PortalAccess, provider_required
from kmop.portal.forms_registrations import BasisForm, DeclarationForm, LevelForm, ServiceForm
from kmop.providers import selectors
from kmop.providers import services as provider_services
from kmop.providers.models import (
    ACTIVE_STATUSES,
    VALID_STATUSES,
    Level,
    ProviderDepartment,
    Registration,
    RegistrationStatus,
    Service,
    status_legend,
)

#: the wizard's choices until "Bevestig" (stap 3)
WIZARD = "portal_registration_request"

#: the sortable columns of the overview: the query value → the ordering (a whitelist)
SORTS: dict[str, tuple[Any, ...]] = {
    "dienst": ("service", "number"),
    "nummer": ("number",),
    "vervaldag": ("valid_until", "number"),
    "dienstverlener": ("holder", "number"),
    "type": ("level_code", "number"),
    "status": ("status", "number"),
}
DEFAULT_SORT = "dienst"
#: the columns of the overview in the seed's order: (sort key, label)
COLUMNS = (
    ("dienst", gettext_lazy("Dienst")),
    ("nummer", gettext_lazy("Registratienr.")),
    ("vervaldag", gettext_lazy("Vervaldag")),
    ("dienstverlener", gettext_lazy("Dienstverlener")),
    ("type", gettext_lazy("Type")),
    ("status", gettext_lazy("Status*")),
)

#: the steps of the request (seed 004's step bar)
STEPS = (
    ("portal:registration-request-level", gettext_lazy("1. Dienstverlener")),
    ("portal:registration-request-service", gettext_lazy("2. Dienst")),
    ("portal:registration-request-basis", gettext_lazy("3. Registratiebasis")),
    ("", gettext_lazy("4. Verklaring op eer")),
)

#: the history's actions as the provider reads them
ACTION_LABELS = {
    "request": gettext_lazy("Registratie aangevraagd"),
    "extend": gettext_lazy("Verlenging aangevraagd"),
    "renew": gettext_lazy("Hernieuwing aangevraagd"),
    "approve": gettext_lazy("Goedgekeurd"),
    "refuse": gettext_lazy("Geweigerd"),
    "suspend": gettext_lazy("Geschorst"),
    "lift": gettext_lazy("Schorsing opgeheven"),
    "exclude": gettext_lazy("Uitgesloten"),
    "stop": gettext_lazy("Gestopt"),
    "expire": gettext_lazy("Verlopen"),
}
PROVIDER_ACTIONS = frozenset({"request", "extend", "renew"})

#: verlengen and hernieuwen: the URL's word → (the status it needs, the service, title, explanation)
EXTEND, RENEW = "verlengen", "hernieuwen"
ACTIONS: dict[str, dict[str, Any]] = {
    EXTEND: {
        "status": RegistrationStatus.APPROVED,
        "service": provider_services.registration_extend,
        "title": gettext_lazy("Registratie verlengen"),
        "text": gettext_lazy(
            "U vraagt de verlenging van uw registratie aan. Ze krijgt de status G/V (Goedgekeurd, "
            "verlenging aangevraagd) tot de dienst kmo-portefeuille beslist na een nieuwe audit kmop-norm; "
            "tot dan blijft ze geldig tot de vervaldag."
        ),
        "done": gettext_lazy("De verlenging van registratie %(number)s is aangevraagd (status G/V)."),
    },
    RENEW: {
        "status": RegistrationStatus.EXPIRED,
        "service": provider_services.registration_renew,
        "title": gettext_lazy("Registratie hernieuwen"),
        "text": gettext_lazy(
            "U vraagt de hernieuwing van uw verlopen registratie aan. Ze krijgt de status L/H (Verlopen, "
            "hernieuwing aangevraagd) tot de dienst kmo-portefeuille beslist na een nieuwe audit kmop-norm; "
            "tot dan kan uw registratie niet gekozen worden in een steunaanvraag."
        ),
        "done": gettext_lazy("De hernieuwing van registratie %(number)s is aangevraagd (status L/H)."),
    },
}


# --- reads -------------------------------------------------------------------------------------------------


def _portal(request: HttpRequest) -> PortalAccess:
    return request.portal  # type: ignore[attr-defined]


def _own_registrations(portal: PortalAccess) -> QuerySet[Registration]:
    """The registrations this access may see: the provider's, or only its departments' ones."""
    qs = Registration.objects.filter(provider=portal.provider).select_related(
        "provider", "department__department"
    )
    if portal.department_ids is not None:
        qs = qs.filter(department_id__in=portal.department_ids)
    return qs


def _registration_or_404(request: HttpRequest, number: str) -> Registration:
    registration = _own_registrations(_portal(request)).filter(number=number).first()
    if registration is None:
        raise Http404(_("Deze registratie bestaat niet of is niet van uw organisatie."))
    return registration


def _allowed_departments(portal: PortalAccess) -> list[ProviderDepartment]:
    departments = selectors.provider_departments(portal.provider).order_by("department__name", "pk")
    if portal.department_ids is not None:
        departments = departments.filter(pk__in=portal.department_ids)
    return list(departments)


def _sort(value: str) -> tuple[str, bool]:
    """The sort key of the query (``vervaldag`` or ``-vervaldag``), the default if not in the whitelist."""
    descending = value.startswith("-")
    key = value[1:] if descending else value
    if key not in SORTS:
        return DEFAULT_SORT, False
    return key, descending


def _ordered(qs: QuerySet[Registration], key: str, descending: bool) -> QuerySet[Registration]:
    qs = qs.annotate(
        holder=Coalesce(F("department__department__name"), F("provider__legal_name")),
        level_code=Case(
            When(department__isnull=True, then=Value(Level.REGISTERED_OFFICE.value)),
            default=Value(Level.DEPARTMENT.value),
        ),
    )
    ordering = []
    for name in SORTS[key]:
        expression = F(name)
        ordering.append(expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True))
    return qs.order_by(*ordering)


@provider_required
@never_cache
def registrations(request: HttpRequest) -> HttpResponse:
    """ "Registraties: overzicht"."""
    portal = _portal(request)
    active_only = request.GET.get("toon") == "actief"
    key, descending = _sort(request.GET.get("sorteer", ""))
    qs = _own_registrations(portal)
    if active_only:
        qs = qs.filter(status__in=ACTIVE_STATUSES)
    columns = [
        {
            "key": column,
            "label": label,
            "current": column == key,
            "descending": column == key and descending,
            "next": f"-{column}" if column == key and not descending else column,
        }
        for column, label in COLUMNS
    ]
    context = {
        "registrations": list(_ordered(qs, key, descending)),
        "active_only": active_only,
        "columns": columns,
        "legend": status_legend(),
    }
    return render(request, "portal/registrations/overview.html", context)


def _history(registration: Registration) -> list[dict[str, Any]]:
    rows = []
    for event in selectors.registration_history(registration):
        rows.append(
            {
                "at": event.at,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "action": ACTION_LABELS.get(event.action, event.action),
                "by": _("Dienstverlener")
                if event.action in PROVIDER_ACTIONS
                else _("Dienst kmo-portefeuille"),
                "reason": event.reason,
                "valid_until": event.valid_until,
            }
        )
    return rows


@provider_required
@never_cache
def registration(request: HttpRequest, number: str) -> HttpResponse:
    """The detail of a registration and its history."""
    item = _registration_or_404(request, number)
    context = {
        "registration": item,
        "history": _history(item),
        "can_extend": item.can_extend,
        "can_renew": item.can_renew,
        "has_certificate": item.status in VALID_STATUSES,
    }
    return render(request, "portal/registrations/detail.html", context)


# --- verlengen, hernieuwen ---------------------------------------------------------------------------------


@provider_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def registration_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """ "verlengen" (G → G/V) or "hernieuwen" (L → L/H), after a confirmation (POST). Not allowed in the
    registration's status: the page says why and offers no button; a POST is refused by the service."""
    if action not in ACTIONS:
        raise Http404
    item = _registration_or_404(request, number)
    spec = ACTIONS[action]
    form = forms.Form(data={})  # no fields: it carries a refusal to the error summary
    form.is_valid()
    if request.method == "POST":
        try:
            spec["service"](actor=_portal(request).actor, registration=item)
        except IdmError as error:  # not in that status (any more), past the vervaldag, not allowed
            form.add_error(None, error)
            item.refresh_from_db()
        else:
            messages.success(request, str(spec["done"]) % {"number": item.number})
            return redirect("portal:registration", number=item.number)
    elif item.status != spec["status"]:
        form.add_error(
            None,
            _("%(action)s kan niet voor registratie %(number)s met status %(status_code)s (%(status)s).")
            % {
                "action": spec["title"],
                "number": item.number,
                "status_code": item.status,
                "status": item.get_status_display(),
            },
        )
    context = {
        "registration": item,
        "action": action,
        "title": spec["title"],
        "text": spec["text"],
        "allowed": item.status == spec["status"] and not form.errors,
        "form": form,
    }
    return render(request, "portal/registrations/action.html", context, status=200)


# --- the certificate ---------------------------------------------------------------------------------------


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@provider_required
@never_cache
def certificate(request: HttpRequest, number: str) -> HttpResponse:
    """The certificate of an approved registration (G or G/V) as a PDF download."""
    item = _registration_or_404(request, number)
    if item.status not in VALID_STATUSES:
        raise Http404(_("Er is enkel een certificaat voor een goedgekeurde registratie."))
    return _pdf_response(pdf.certificate_pdf(item), f"certificaat-{item.number}.pdf")


# --- the request in steps ----------------------------------------------------------------------------------


def _wizard(request: HttpRequest) -> dict[str, Any]:
    """The choices so far, for this provider only (another login's choices are dropped)."""
    state = request.session.get(WIZARD)
    if not isinstance(state, dict) or state.get("provider") != _portal(request).provider.pk:
        return {}
    return state


def _save_wizard(request: HttpRequest, state: dict[str, Any]) -> None:
    state["provider"] = _portal(request).provider.pk
    request.session[WIZARD] = state


def _steps(current: int) -> list[dict[str, Any]]:
    return [{"label": label, "current": number == current} for number, (_name, label) in enumerate(STEPS, 1)]


def _department_of(request: HttpRequest, state: dict[str, Any]) -> ProviderDepartment | None:
    """The department chosen in stap 1, if still one this access may manage (else the wizard starts over)."""
    if state.get("level") != Level.DEPARTMENT:
        return None
    department_id = state.get("department")
    if not isinstance(department_id, int):
        raise _Restart
    portal = _portal(request)
    department = (
        ProviderDepartment.objects.select_related("department")
        .filter(pk=department_id, provider=portal.provider)
        .first()
    )
    if department is None or not portal.may_manage_department(department):
        raise _Restart
    return department


class _Restart(Exception):
    """The wizard's state does not fit (any more): back to stap 1."""


def _level_label(request: HttpRequest, state: dict[str, Any]) -> str:
    department = _department_of(request, state)
    if department is None:
        return str(Level.REGISTERED_OFFICE.label)
    return f"{Level.DEPARTMENT.label}: {department.name}"


@provider_required
@never_cache
def request_start(request: HttpRequest) -> HttpResponse:
    """ "Klik hier voor een nieuwe registratie": a fresh request."""
    request.session.pop(WIZARD, None)
    return redirect("portal:registration-request-level")


@provider_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_level(request: HttpRequest) -> HttpResponse:
    """Stap 1: the registered office or a department (a department's person: only their departments)."""
    portal = _portal(request)
    state = _wizard(request)
    departments = _allowed_departments(portal)
    office_allowed = portal.whole_provider
    if request.method == "POST":
        form = LevelForm(request.POST, departments=departments, office_allowed=office_allowed)
        if form.is_valid():
            department = form.cleaned_data["department"]
            new = {"level": form.cleaned_data["level"], "department": department}
            if state.get("level") == new["level"] and state.get("department") == department:
                new.update({k: v for k, v in state.items() if k == "service"})
            _save_wizard(request, new)
            return redirect("portal:registration-request-service")
    else:
        initial = {"level": state.get("level"), "department": state.get("department")}
        if not portal.whole_provider:
            initial["level"] = Level.DEPARTMENT
        form = LevelForm(initial=initial, departments=departments, office_allowed=office_allowed)
    context = {"form": form, "steps": _steps(1), "back": "portal:registrations"}
    return render(request, "portal/registrations/request_level.html", context)


def _service_page(request: HttpRequest, form: ServiceForm, state: dict[str, Any]) -> HttpResponse:
    context = {
        "form": form,
        "steps": _steps(2),
        "level_label": _level_label(request, state),
        "back": "portal:registration-request-level",
    }
    return render(request, "portal/registrations/request_service.html", context)


@provider_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_service(request: HttpRequest) -> HttpResponse:
    """Stap 2: opleiding or advies."""
    state = _wizard(request)
    if not state.get("level"):
        return redirect("portal:registration-request-level")
    try:
        if request.method == "POST":
            form = ServiceForm(request.POST)
            if form.is_valid():
                state["service"] = form.cleaned_data["service"]
                _save_wizard(request, state)
                return redirect("portal:registration-request-basis")
        else:
            form = ServiceForm(initial={"service": state.get("service")})
        return _service_page(request, form, state)
    except _Restart:
        request.session.pop(WIZARD, None)
        return redirect("portal:registration-request-level")


@provider_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def request_basis(request: HttpRequest) -> HttpResponse:
    """Stap 3: the basis, limited by the service; "Bevestig" requests the registration."""
    portal = _portal(request)
    state = _wizard(request)
    service = state.get("service")
    if not state.get("level"):
        return redirect("portal:registration-request-level")
    if service not in Service.values:
        return redirect("portal:registration-request-service")
    try:
        department = _department_of(request, state)
        if request.method == "POST":
            form = BasisForm(request.POST, service=service)
            if form.is_valid():
                try:
                    created = provider_services.registration_request(
                        actor=portal.actor,
                        provider=portal.provider,
                        service=service,
                        basis=form.cleaned_data["basis"],
                        department=department,
                    )
                except IdmError as error:  # already registered for the service, not allowed: nothing written
                    if error.field == "service":
                        service_form = ServiceForm(data={"service": service})
                        service_form.is_valid()
                        service_form.add_error("service", error)
                        return _service_page(request, service_form, state)
                    form.add_error("basis" if error.field == "basis" else None, error)
                else:
                    request.session.pop(WIZARD, None)
                    return redirect("portal:registration-declaration", number=created.number)
        else:
            form = BasisForm(initial={"basis": state.get("basis")}, service=service)
        context = {
            "form": form,
            "steps": _steps(3),
            "level_label": _level_label(request, state),
            "service_label": Service(service).label,
            "back": "portal:registration-request-service",
        }
        return render(request, "portal/registrations/request_basis.html", context)
    except _Restart:
        request.session.pop(WIZARD, None)
        return redirect("portal:registration-request-level")


def _declaration_page(request: HttpRequest, item: Registration, form: DeclarationForm) -> HttpResponse:
    context = {
        "registration": item,
        "form": form,
        "steps": _steps(4),
        "received": pdf.received_text(item),
        "address_lines": pdf.ADDRESS_LINES,
        "fax": pdf.FAX,
        "consent": pdf.consent_text(),
    }
    return render(request, "portal/registrations/declaration.html", context)


@provider_required
@never_cache
def declaration(request: HttpRequest, number: str) -> HttpResponse:
    """Stap 4: "Aanvraag registratie: verklaring op eer" — print ("Print"), sign and send it; "OK" goes to
    the overview (stap 5)."""
    item = _registration_or_404(request, number)
    return _declaration_page(request, item, DeclarationForm())


@provider_required
@never_cache
def declaration_pdf(request: HttpRequest, number: str) -> HttpResponse:
    """ "Print": the declaration of honour as a PDF, with the date and name + function when filled in."""
    item = _registration_or_404(request, number)
    form = DeclarationForm(request.GET)
    if not form.is_valid():
        return _declaration_page(request, item, form)
    content = pdf.declaration_pdf(
        item, signed_on=form.cleaned_data["datum"], name_function=form.cleaned_data["naam_functie"]
    )
    return _pdf_response(content, f"verklaring-op-eer-{item.number}.pdf")
