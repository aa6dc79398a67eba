"""The provider's organisation data (seed 004 §2.2): "Dienstverleners: overzicht" (the registered office and
its departments, each with its own contact person and bank account) and "Vestigingen: overzicht".

The registered office's data and its departments' creation are for the whole provider; a person with the
departments right sees and changes only those departments. Every change is one audited service call; a
refusal is shown at its field and changes nothing; another provider's department or establishment is 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kmop.portal.access import PortalAccess, provider_required
from kmop.portal.forms import (
    DepartmentForm,
    EstablishmentForm,
    NewDepartmentForm,
    OfficeForm,
    put_error,
)
from kmop.providers import selectors, services
from kmop.providers.errors import NotAllowed
from kmop.providers.models import ProviderDepartment, ProviderEstablishment
from kmop.registers.numbers import format_iban


def _portal(request: HttpRequest) -> PortalAccess:
    return request.portal  # type: ignore[attr-defined]


def _department(request: HttpRequest, pk: int) -> ProviderDepartment:
    portal = _portal(request)
    department = (
        ProviderDepartment.objects.select_related("department", "provider__organisation")
        .filter(pk=pk, provider=portal.provider)
        .first()
    )
    if department is None or not portal.may_manage_department(department):
        raise Http404
    return department


def _establishment(request: HttpRequest, pk: int) -> ProviderEstablishment:
    establishment = (
        ProviderEstablishment.objects.select_related("provider__organisation")
        .filter(pk=pk, provider=_portal(request).provider)
        .first()
    )
    if establishment is None:
        raise Http404
    return establishment


def _changed(form: Any, current: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in form.cleaned_data.items() if value != current.get(name)}


# --- Dienstverleners: overzicht ----------------------------------------------------------------------------


@provider_required
def departments(request: HttpRequest) -> HttpResponse:
    portal = _portal(request)
    provider = portal.provider
    rows = [
        d
        for d in selectors.provider_departments(provider).select_related("department")
        if portal.may_manage_department(d)
    ]
    return render(
        request,
        "portal/organisation/departments.html",
        {"provider": provider, "departments": rows, "whole_provider": portal.whole_provider},
    )


@provider_required(whole_provider=True)
def office(request: HttpRequest) -> HttpResponse:
    provider = _portal(request).provider
    return render(
        request,
        "portal/organisation/office.html",
        {"provider": provider, "iban": format_iban(provider.iban) if provider.iban else ""},
    )


@provider_required(whole_provider=True)
@require_http_methods(["GET", "POST"])
def office_edit(request: HttpRequest) -> HttpResponse:
    portal = _portal(request)
    provider = portal.provider
    current = {name: getattr(provider, name) for name in services.PROVIDER_EDITABLE}
    form = OfficeForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.provider_update(
                actor=portal.actor,
                provider=provider,
                reason=_("Gewijzigd in het menu van de dienstverlener"),
                **_changed(form, current),
            )
        except NotAllowed:
            raise PermissionDenied from None
        except ValidationError as error:
            put_error(form, error)
        else:
            messages.success(request, _("De gegevens van de maatschappelijke zetel zijn bewaard."))
            return redirect("portal:departments")
    return render(request, "portal/organisation/office_form.html", {"form": form, "provider": provider})


@provider_required(whole_provider=True)
@require_http_methods(["GET", "POST"])
def department_new(request: HttpRequest) -> HttpResponse:
    portal = _portal(request)
    form = NewDepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_create(
                actor=portal.actor,
                provider=portal.provider,
                reason=_("Aangemeld door de maatschappelijke zetel"),
                **form.cleaned_data,
            )
        except NotAllowed:
            raise PermissionDenied from None
        except ValidationError as error:
            put_error(form, error)
        else:
            messages.success(
                request,
                _(
                    "Het departement %(name)s is aangemeld. Vraag er een registratie voor aan via "
                    "'Registraties beheren'."
                )
                % {"name": department.name},
            )
            return redirect("portal:departments")
    return render(request, "portal/organisation/department_form.html", {"form": form, "department": None})


@provider_required
def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    department = _department(request, pk)
    return render(
        request,
        "portal/organisation/department.html",
        {
            "department": department,
            "iban": format_iban(department.iban) if department.iban else "",
            "registrations": department.registrations.order_by("service", "number"),
        },
    )


@provider_required
@require_http_methods(["GET", "POST"])
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    portal = _portal(request)
    department = _department(request, pk)
    current = {name: getattr(department, name) for name in services.DEPARTMENT_EDITABLE}
    form = DepartmentForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.department_update(
                actor=portal.actor,
                department=department,
                reason=_("Gewijzigd in het menu van de dienstverlener"),
                **_changed(form, current),
            )
        except NotAllowed:
            raise PermissionDenied from None
        except ValidationError as error:
            put_error(form, error)
        else:
            messages.success(request, _("De gegevens van %(name)s zijn bewaard.") % {"name": department.name})
            return redirect("portal:departments")
    return render(
        request, "portal/organisation/department_form.html", {"form": form, "department": department}
    )


# --- Vestigingen: overzicht --------------------------------------------------------------------------------


@provider_required(whole_provider=True)
def establishments(request: HttpRequest) -> HttpResponse:
    provider = _portal(request).provider
    return render(
        request,
        "portal/organisation/establishments.html",
        {"establishments": selectors.provider_establishments(provider)},
    )


@provider_required(whole_provider=True)
def establishment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(
        request, "portal/organisation/establishment.html", {"establishment": _establishment(request, pk)}
    )


@provider_required(whole_provider=True)
@require_http_methods(["GET", "POST"])
def establishment_new(request: HttpRequest) -> HttpResponse:
    portal = _portal(request)
    form = EstablishmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.establishment_add(actor=portal.actor, provider=portal.provider, **form.cleaned_data)
        except NotAllowed:
            raise PermissionDenied from None
        except ValidationError as error:
            put_error(form, error)
        else:
            messages.success(request, _("De vestiging is toegevoegd."))
            return redirect("portal:establishments")
    return render(
        request, "portal/organisation/establishment_form.html", {"form": form, "establishment": None}
    )


@provider_required(whole_provider=True)
@require_http_methods(["GET", "POST"])
def establishment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    portal = _portal(request)
    establishment = _establishment(request, pk)
    if establishment.is_registered_office:  # its address is the provider's: changed with the office's data
        return redirect("portal:office-edit")
    fields = ("name", "street", "house_number", "box", "postcode", "municipality", "country")
    current = {name: getattr(establishment, name) for name in fields}
    form = EstablishmentForm(request.POST or None, initial=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.establishment_update(
                actor=portal.actor, establishment=establishment, **_changed(form, current)
            )
        except NotAllowed:
            raise PermissionDenied from None
        except ValidationError as error:
            put_error(form, error)
        else:
            messages.success(request, _("De vestiging is bewaard."))
            return redirect("portal:establishments")
    return render(
        request, "portal/organisation/establishment_form.html", {"form": form, "establishment": establishment}
    )


@provider_required(whole_provider=True)
@require_http_methods(["GET", "POST"])
def establishment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    portal = _portal(request)
    establishment = _establishment(request, pk)
    if establishment.is_registered_office:
        messages.error(request, _("De maatschappelijke zetel kan niet verwijderd worden."))
        return redirect("portal:establishments")
    if request.method == "POST":
        try:
            services.establishment_delete(
                actor=portal.actor, establishment=establishment, reason=_("Verwijderd door de dienstverlener")
            )
        except NotAllowed:
            raise PermissionDenied from None
        messages.success(request, _("De vestiging is verwijderd."))
        return redirect("portal:establishments")
    return render(request, "portal/organisation/establishment_delete.html", {"establishment": establishment})
