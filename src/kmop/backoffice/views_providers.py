"""The back office's provider pages: find a provider, see its data, departments and registrations, its
projects (with their wallet balance), the payments to it, its users and their rights and its audit history
(issue 6 §3: the sections and partial templates of the enterprise page, ``views_enterprises``), and (the
application manager) activate or withdraw the departments right (seeds 000/001: the right becomes available in
the Gebruikersbeheer once the kmo-portefeuille service activates it; ``idm.services.
organisation_departments_right_set``, audited with the reason)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kmop.audit.services import Actor
from kmop.backoffice import selectors_organisations as selectors
from kmop.backoffice.decorators import staff_required
from kmop.backoffice.navigation import navigation
from kmop.backoffice.permissions import can_act_in_backoffice
from kmop.backoffice.views_enterprises import history_section, may_manage, section
from kmop.idm import services as idm_services
from kmop.idm.errors import IdmError
from kmop.providers.models import Provider
from kmop.registers.numbers import format_iban

PAGE = 50


class ProviderSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Naam, ondernemingsnummer of login"), max_length=200, required=False
    )


class DepartmentsRightForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reden"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Geef de reden van deze beslissing.")},
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
def providers(request: HttpRequest) -> HttpResponse:
    form = ProviderSearchForm(request.GET or None)
    rows = Provider.objects.order_by("legal_name", "pk")
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    if query:
        digits = "".join(c for c in query if c.isdigit())
        condition = Q(legal_name__icontains=query) | Q(login=query)
        if len(digits) in (9, 10):
            condition |= Q(enterprise_number=digits.zfill(10))
        rows = rows.filter(condition)
    page = Paginator(
        rows.only("pk", "legal_name", "enterprise_number", "postcode", "municipality"), PAGE
    ).get_page(request.GET.get("pagina"))
    return render(
        request,
        "backoffice/providers.html",
        {
            "backoffice_nav": navigation(request),
            "may_act": can_act_in_backoffice(request.acting),  # type: ignore[attr-defined]
            "form": form,
            "page": page,
            "query": query,
        },
    )


def _provider(pk: int) -> Provider:
    provider = Provider.objects.select_related("organisation").filter(pk=pk).first()
    if provider is None:
        raise Http404
    return provider


@staff_required
@require_http_methods(["GET", "POST"])
def provider_detail(request: HttpRequest, pk: int) -> HttpResponse:
    provider = _provider(pk)
    acting = request.acting  # type: ignore[attr-defined]
    may_activate = may_manage(acting)
    form = DepartmentsRightForm(request.POST or None)
    if request.method == "POST":
        if not may_activate:
            raise PermissionDenied
        if form.is_valid():
            choice = request.POST.get("activeren")
            if choice not in ("0", "1"):
                return HttpResponseBadRequest()
            activate = choice == "1"
            try:
                idm_services.organisation_departments_right_set(
                    actor=_actor(request),
                    organisation=provider.organisation,
                    activated=activate,
                    reason=form.cleaned_data["reason"],
                )
            except IdmError as error:
                form.add_error(None, " ".join(error.messages))
            else:
                text = (
                    _("Het departementenrecht is geactiveerd voor %(name)s.")
                    if activate
                    else _("Het departementenrecht is ingetrokken voor %(name)s.")
                )
                messages.success(request, text % {"name": provider.legal_name})
                return redirect("backoffice:provider", pk=provider.pk)
    payouts = selectors.provider_payouts(provider)
    return render(
        request,
        "backoffice/provider.html",
        {
            "backoffice_nav": navigation(request),
            "may_act": can_act_in_backoffice(acting),
            "provider": provider,
            "iban": format_iban(provider.iban) if provider.iban else "",
            "departments": provider.departments.select_related("department").order_by("department__name"),
            "registrations": provider.registrations.select_related("department__department").order_by(
                "service", "number"
            ),
            "establishments": provider.establishments.all(),
            "form": form,
            "may_activate": may_activate,
            "relations": section(
                request, selectors.organisation_rights(provider.organisation), "personen", "rechten"
            ),
            "projects": section(request, selectors.provider_projects(provider), "projecten", "projecten"),
            "payouts": section(request, payouts, "betalingen", "betalingen"),
            "payout_totals": selectors.payout_totals(payouts),
            "history": history_section(request, selectors.provider_history(provider)),
        },
    )
