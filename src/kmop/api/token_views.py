"""The e-loket's page of API tokens (``/e-loket/api-sleutels/``): a person acting for an enterprise makes a
token for the enterprise's own software (the secret shown once), sees the tokens and revokes them.

Only whoever may act on the enterprise's projects (``kmop.api.services.can_manage_api_tokens``); only tokens
of scope ``enterprise`` are listed (an organisation that is also a provider manages its provider tokens on the
portal's page, ``kmop.portal.views_api``); a token of another organisation or scope is a 404. Works without
JavaScript: plain forms, a confirmation page before revoking.
"""

from __future__ import annotations

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

from kmop.acm.decorators import acting_required
from kmop.api import services
from kmop.api.models import ApiToken, TokenScope
from kmop.audit.services import Actor
from kmop.idm.models import Organisation

VALIDITY_CHOICES = [
    (30, gettext_lazy("30 dagen")),
    (90, gettext_lazy("90 dagen")),
    (180, gettext_lazy("6 maanden")),
    (365, gettext_lazy("1 jaar")),
]


class TokenForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Naam van de API-sleutel"),
        max_length=services.NAME_MAX,
        help_text=gettext_lazy("Bijvoorbeeld de naam van uw boekhoudpakket."),
        error_messages={
            "required": gettext_lazy("Geef de API-sleutel een naam."),
            "max_length": gettext_lazy("De naam is te lang (ten hoogste 100 tekens)."),
        },
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "off"}),
    )
    validity_days = forms.TypedChoiceField(
        label=gettext_lazy("Geldig gedurende"),
        choices=VALIDITY_CHOICES,
        coerce=int,
        initial=90,
        error_messages={
            "required": gettext_lazy("Kies een geldigheidsduur."),
            "invalid_choice": gettext_lazy("Kies een geldigheidsduur."),
        },
        widget=forms.Select(attrs={"class": "select"}),
    )


def _actor(request: HttpRequest) -> Actor:
    acting = request.acting  # type: ignore[attr-defined]
    return Actor(
        label=acting.user.get_username(),
        user=acting.user,
        organisation_code=acting.organisation_code,
        acr=acting.acr,
    )


def _organisation(request: HttpRequest) -> Organisation:
    acting = request.acting  # type: ignore[attr-defined]
    organisation: Organisation = acting.organisation
    if not services.can_manage_api_tokens(acting.national_number, organisation):
        raise PermissionDenied
    return organisation


def _status(token: ApiToken, now: Any) -> tuple[str, str]:
    if token.revoked_at is not None:
        return _("Ingetrokken"), "grey"
    if token.expires_at <= now:
        return _("Vervallen"), "grey"
    return _("Actief"), "green"


def _rows(organisation: Organisation) -> list[dict[str, Any]]:
    now = timezone.now()
    tokens = ApiToken.objects.filter(organisation=organisation, scope=TokenScope.ENTERPRISE).select_related(
        "created_by"
    )[:200]
    return [
        {
            "token": token,
            "status": _status(token, now)[0],
            "colour": _status(token, now)[1],
            "active": token.is_active(now),
            "creator": token.maker_label,
        }
        for token in tokens
    ]


@never_cache
@acting_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    organisation = _organisation(request)
    form = TokenForm(request.POST or None)
    created: tuple[ApiToken, str] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.api_token_create(
                actor=_actor(request),
                organisation=organisation,
                name=form.cleaned_data["name"],
                validity_days=form.cleaned_data["validity_days"],
            )
        except services.TokenError as e:
            form.add_error(e.field if e.field in form.fields else None, str(e))
        except services.NotAllowed:
            raise PermissionDenied from None
        else:
            form = TokenForm()
    response = render(
        request,
        "api/api_tokens.html",
        {
            "form": form,
            "rows": _rows(organisation),
            "created": created[0] if created else None,
            "secret": created[1] if created else "",
            "organisation": organisation,
        },
    )
    return response


@never_cache
@acting_required
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = _organisation(request)
    token = (
        ApiToken.objects.filter(pk=pk, organisation=organisation, scope=TokenScope.ENTERPRISE)
        .select_related("created_by")
        .first()
    )
    if token is None:
        raise Http404
    if request.method == "POST":
        try:
            services.api_token_revoke(actor=_actor(request), token=token)
        except services.NotAllowed:
            raise PermissionDenied from None
        messages.success(request, _("De API-sleutel %(name)s is ingetrokken.") % {"name": token.name})
        return redirect("api-tokens")
    return render(request, "api/api_token_revoke.html", {"token": token, "organisation": organisation})
