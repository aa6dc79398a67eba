"""The portal's page of API tokens (``/dienstverlener/api-sleutels/``): the provider makes a token for its own
software (the secret shown once), sees its tokens and revokes them (docs/decisions/0016-api-tokens.md).

Who: the provider logged in with its own login and password, or a person who may manage the whole provider
(``provider_required(whole_provider=True)``; a person with the departments right only gets 403). A token
made with the password login stops when the password changes; one made by a person, when that person may no
longer manage the provider. Only the provider's tokens of scope ``provider`` are listed; another's is a 404.
Plain forms, a confirmation page before revoking, no JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kmop.api import services
from kmop.api.models import ApiToken, TokenScope
from kmop.api.token_views import TokenForm
from kmop.portal.access import PortalAccess, provider_required


def _access(request: HttpRequest) -> PortalAccess:
    access: PortalAccess = request.portal  # type: ignore[attr-defined]
    return access


def _status(token: ApiToken, now: Any) -> tuple[str, str]:
    if token.revoked_at is not None:
        return _("Ingetrokken"), "grey"
    if token.expires_at <= now:
        return _("Vervallen"), "grey"
    return _("Actief"), "green"


def _tokens(access: PortalAccess) -> Any:
    return ApiToken.objects.filter(
        organisation=access.provider.organisation, scope=TokenScope.PROVIDER
    ).select_related("created_by")


def _rows(access: PortalAccess) -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for token in _tokens(access)[:200]:
        status, colour = _status(token, now)
        rows.append(
            {
                "token": token,
                "status": status,
                "colour": colour,
                "active": token.is_active(now),
                "creator": (
                    token.maker_label
                    if token.created_by_id is not None
                    else _("login en paswoord van de dienstverlener")
                ),
            }
        )
    return rows


@never_cache
@require_http_methods(["GET", "POST"])
@provider_required(whole_provider=True)
def api_tokens(request: HttpRequest) -> HttpResponse:
    access = _access(request)
    form = TokenForm(request.POST or None)
    created: tuple[ApiToken, str] | None = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.api_token_create(
                actor=access.actor,
                organisation=access.provider.organisation,
                name=form.cleaned_data["name"],
                validity_days=form.cleaned_data["validity_days"],
                scope=TokenScope.PROVIDER,
            )
        except services.TokenError as e:
            form.add_error(e.field if e.field in form.fields else None, str(e))
        except services.NotAllowed:
            raise PermissionDenied from None
        else:
            form = TokenForm()
    return render(
        request,
        "portal/api/api_tokens.html",
        {
            "form": form,
            "rows": _rows(access),
            "created": created[0] if created else None,
            "secret": created[1] if created else "",
            "provider": access.provider,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
@provider_required(whole_provider=True)
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    access = _access(request)
    token = _tokens(access).filter(pk=pk).first()
    if token is None:
        raise Http404
    if request.method == "POST":
        try:
            services.api_token_revoke(actor=access.actor, token=token)
        except services.NotAllowed:
            raise PermissionDenied from None
        messages.success(request, _("De API-sleutel %(name)s is ingetrokken.") % {"name": token.name})
        return redirect("portal:api-tokens")
    return render(request, "portal/api/api_token_revoke.html", {"token": token})
