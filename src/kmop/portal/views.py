"""The portal's login, logout and menu ("Dienstverlener: menu", seed 004)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kmop.acm import throttle
from kmop.acm.network import client_address
from kmop.audit.services import Actor, audit_record
from kmop.idm.selectors import is_organisation_active
from kmop.portal import access
from kmop.portal.access import portal_access, provider_required
from kmop.portal.forms import LoginForm
from kmop.providers.models import Provider
from kmop.providers.services import provider_check_password

#: the menu of seed 004, in its order: (url name, label, what it is for)
MENU = (
    (
        "portal:registrations",
        gettext_lazy("Registraties beheren"),
        gettext_lazy("Uw registraties voor de diensten opleiding en advies."),
    ),
    (
        "portal:departments",
        gettext_lazy("Dienstverleners aanmelden en beheren"),
        gettext_lazy("Uw ondernemingsgegevens en uw departementen."),
    ),
    (
        "portal:establishments",
        gettext_lazy("Vestigingen beheren"),
        gettext_lazy("Uw vestigingen: zoekcriteria bij het zoeken van een geregistreerde dienstverlener."),
    ),
    (
        "portal:projects",
        gettext_lazy("Overzicht projecten"),
        gettext_lazy("De steundossiers van uw klanten bekijken en erop reageren."),
    ),
    (
        "portal:credentials",
        gettext_lazy("Login en paswoord wijzigen"),
        gettext_lazy("Uw logingegevens wijzigen."),
    ),
    (
        "portal:api-tokens",
        gettext_lazy("API-sleutels"),
        gettext_lazy("Sleutels voor uw eigen software: registraties en projecten opvragen en erop reageren."),
    ),
)

#: the menu items for the whole provider only (not for a person with the departments right)
WHOLE_PROVIDER_ONLY = ("portal:establishments", "portal:credentials", "portal:api-tokens")


def _safe_next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, {request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("portal:menu")


def _account(login: str) -> str:
    return f"portal:{login.strip().lower()}"


def login(request: HttpRequest) -> HttpResponse:
    """ "Login dienstverleners": the registered office's login and password, throttled per login and per
    client address (``kmop.acm.throttle``); a login and a failure on a known login are audited, an unknown
    login costs the same hashing time as a known one."""
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    if request.method == "GET" and portal_access(request) is not None:
        return HttpResponseRedirect(next_url)
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login_name = form.cleaned_data["login"].strip()
        address = client_address(request)
        account = _account(login_name)
        verdict = throttle.check(account=account, address=address)
        provider = Provider.objects.select_related("organisation").filter(login=login_name).first()
        if verdict.blocked:
            form.add_error(
                None,
                _(
                    "Te veel mislukte pogingen. Probeer het binnen %(minutes)s minuten opnieuw, of vraag een "
                    "nieuw paswoord."
                )
                % {"minutes": throttle.MINUTES},
            )
        elif (
            provider is not None
            and provider_check_password(provider, form.cleaned_data["password"])
            and is_organisation_active(provider.organisation)
        ):
            throttle.succeeded(account=account)
            request.session.cycle_key()
            request.session[access.PROVIDER_ID] = provider.pk
            request.session[access.LOGIN_AT] = int(timezone.now().timestamp())
            request.session[access.PASSWORD_HASH] = access.password_fingerprint(provider)
            with transaction.atomic():
                audit_record(
                    actor=Actor.provider_password(provider.login, provider.organisation.code),
                    action="portal.login",
                    object_type="providers.provider",
                    object_id=str(provider.pk),
                    after={"login": provider.login, "address": address},
                )
            return HttpResponseRedirect(next_url)
        else:
            if provider is None:  # as long as a known login's check: the timing tells no login apart
                make_password(form.cleaned_data["password"])
            else:
                with transaction.atomic():
                    audit_record(
                        actor=Actor.system(f"web: mislukte aanmelding vanaf {address}"),
                        action="portal.login_failed",
                        object_type="providers.provider",
                        object_id=str(provider.pk),
                        after={"login": provider.login, "address": address},
                    )
            throttle.failed(account=account, address=address)
            form.add_error(None, _("De login of het paswoord is niet juist."))
    return render(request, "portal/login.html", {"form": form, "next": next_url})


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    for key in access.KEYS:
        request.session.pop(key, None)
    request.session.cycle_key()
    messages.success(request, _("U bent uitgelogd als dienstverlener."))
    return redirect("portal:login")


@provider_required
def menu(request: HttpRequest) -> HttpResponse:
    portal = request.portal  # type: ignore[attr-defined]
    items: list[dict[str, Any]] = []
    for name, label, hint in MENU:
        if name in WHOLE_PROVIDER_ONLY and not portal.whole_provider:
            continue
        items.append({"url": reverse(name), "label": label, "hint": hint})
    return render(request, "portal/menu.html", {"items": items})
