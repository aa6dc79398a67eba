"""The bundled ACM as OpenID Connect provider (``/op/...``) and the platform as relying party of an external
ACM and of itsme (``/aanmelden/...``). Decision 0009."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error  # type: ignore[import-untyped]
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from kmop.acm import session as keys
from kmop.acm.hints import parse_login_hint
from kmop.acm.methods import EIDAS_LEVELS, METHODS, MINIMUM_LEVEL, level_at_least, method_for_acr
from kmop.oidc import claims as oidc_claims
from kmop.oidc import keys as signing
from kmop.oidc import provider, relying_party
from kmop.oidc.models import AccessToken, token_hash

#: the session remembers the login_hint it already asked the person about (no loop on "aanmelden als")
HINT_ASKED = "oidc_hint_asked"


def _provider_on() -> None:
    from django.http import Http404

    if not settings.KMOP_OIDC_PROVIDER:
        raise Http404


def _json(data: dict[str, Any], status: int = 200, **headers: str) -> JsonResponse:
    response = JsonResponse(data, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


# --- Provider ---------------------------------------------------------------------------------------


@require_safe
def discovery(request: HttpRequest) -> HttpResponse:
    _provider_on()
    data = {
        "issuer": provider.issuer(),
        "authorization_endpoint": provider.endpoint("oidc:authorize"),
        "token_endpoint": provider.endpoint("oidc:token"),
        "userinfo_endpoint": provider.endpoint("oidc:userinfo"),
        "jwks_uri": provider.endpoint("oidc:jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [signing.signing_algorithm()],
        "scopes_supported": ["openid", "profile", "vo", "rrn"],
        "claims_supported": oidc_claims.SUPPORTED,
        "acr_values_supported": [m.acr for m in METHODS if m.acr and not m.retired],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
    }
    return _json(data, Cache_Control="public, max-age=3600")


@require_safe
def jwks(request: HttpRequest) -> HttpResponse:
    _provider_on()
    return _json(signing.public_jwks(), Cache_Control="public, max-age=3600")


def _requested_level(acr_values: str) -> str:
    """The lowest eIDAS level among the requested ``acr_values`` (unknown values ignored), at least
    substantial (the kmo-portefeuille's minimum)."""
    levels = [m.eidas for m in (method_for_acr(v) for v in acr_values.split()) if m is not None and m.eidas]
    wanted = min(levels, key=EIDAS_LEVELS.index) if levels else MINIMUM_LEVEL
    return max(wanted, MINIMUM_LEVEL, key=EIDAS_LEVELS.index)


def _error_page(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    return render(request, "oidc/error.html", {"message": message}, status=status)


@never_cache
@require_GET
def authorize(request: HttpRequest) -> HttpResponse:
    """Authorization endpoint (code flow). An unknown client or a redirect URI that is not registered exactly
    gets an error page here, never a redirect. The person logs in (bundled ACM) and chooses the organisation
    ("aanmelden als"); then the code goes back to the client."""
    _provider_on()
    user = request.user if request.user.is_authenticated else None
    try:
        grant = provider.server.get_consent_grant(request, end_user=user)
    except OAuth2Error as error:
        if getattr(error, "redirect_uri", None):  # validated against the client's registration
            return provider.server.handle_error_response(request, error)
        return _error_page(
            request,
            _("Deze aanvraag tot aanmelden is ongeldig: %(reason)s")
            % {"reason": error.description or error.error},
        )
    here = request.get_full_path()
    acr = request.session.get(keys.ACR, "")
    hint = parse_login_hint(request.GET.get("login_hint", ""))
    if user is None or not getattr(user, "national_number", None):
        if hint is not None:  # after the login, "aanmelden als" chooses the hinted organisation
            request.session[keys.LOGIN_HINT] = hint
            request.session[HINT_ASKED] = here
        return _to_login(request, here)
    if not level_at_least(acr, _requested_level(request.GET.get("acr_values", ""))):
        messages.warning(
            request, _("Deze toepassing vraagt een aanmelding met een hoger betrouwbaarheidsniveau.")
        )
        return _to_login(request, here)
    acting = getattr(request, "acting", None)
    asked = request.session.get(HINT_ASKED)
    if hint is not None and (acting is None or acting.organisation_code != hint["code"]) and asked != here:
        request.session[HINT_ASKED] = here
        request.session[keys.LOGIN_HINT] = {**hint, "preselect": acting is not None}
        request.session[keys.NEXT] = here
        return redirect("acm:act-as")
    if acting is None:
        request.session[keys.NEXT] = here
        return redirect("acm:act-as")
    request.session.pop(HINT_ASKED, None)
    grant.request.kmop_claims = oidc_claims.acting_claims(acting)
    grant.request.kmop_auth_time = int(request.session.get(keys.LOGIN_AT) or timezone.now().timestamp())
    response = provider.server.create_authorization_response(request, grant_user=user, grant=grant)
    if response.status_code == 302 and request.headers.get("Sec-Fetch-Site") == "same-origin":
        # We came here by a redirect after one of our own forms (login, "aanmelden als"): browsers apply
        # that form's CSP "form-action 'self'" to the whole redirect chain, so the way back to the client
        # (another site) goes through a page (an immediate refresh, and a link).
        return render(
            request,
            "oidc/continue.html",
            {"location": response["Location"], "client": grant.request.client},
        )
    return response


def _to_login(request: HttpRequest, here: str) -> HttpResponse:
    return HttpResponseRedirect(f"{reverse('oidc:op-login')}?{urlencode({'next': here})}")


@never_cache
@require_safe
def op_login(request: HttpRequest) -> HttpResponse:
    """The provider's login page: the bundled ACM's methods; afterwards "aanmelden als", then back to the
    authorization request (only a path under /op/authorize/ is kept)."""
    _provider_on()
    next_url = request.GET.get("next", "")
    if next_url.startswith(reverse("oidc:authorize")) and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts=None
    ):
        request.session[keys.NEXT] = next_url
    return render(request, "acm/login.html", {"methods": METHODS})


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    _provider_on()
    try:
        return provider.server.create_token_response(request)
    except OAuth2Error as error:  # e.g. plain http on a public host: Authlib refuses it before the grant
        return _json({"error": error.error, "error_description": error.description or ""}, status=400)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    _provider_on()
    header = request.headers.get("Authorization", "")
    scheme, _sep, value = header.partition(" ")
    refused = {"WWW_Authenticate": 'Bearer error="invalid_token"'}
    if scheme.lower() != "bearer" or not value:
        return _json({"error": "invalid_token"}, status=401, **refused)
    access = AccessToken.objects.filter(token_hash=token_hash(value.strip())).first()
    if access is None or access.is_revoked() or access.is_expired():
        return _json({"error": "invalid_token"}, status=401, **refused)
    return _json(dict(access.claims))


# --- Relying party ----------------------------------------------------------------------------------


@never_cache
@require_safe
def acm_start(request: HttpRequest) -> HttpResponse:
    """Login through the external ACM (relying-party mode): PKCE, state, nonce; ``next`` and ``login_hint``
    go along (``login_hint`` to ACM, which then logs in for that organisation)."""
    config = relying_party.acm_config()
    if config is None:
        return redirect("acm:login")
    next_url = request.GET.get("next")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        request.session[keys.NEXT] = next_url
    extra = {}
    hint = request.GET.get("login_hint", "")
    if hint and parse_login_hint(hint) is not None:
        extra["login_hint"] = hint
    return relying_party.start(request, config, callback="oidc:acm-callback", extra=extra)


@never_cache
@require_safe
def acm_callback(request: HttpRequest) -> HttpResponse:
    config = relying_party.acm_config()
    if config is None:
        return redirect("acm:login")
    try:
        result = relying_party.finish(request, config, callback="oidc:acm-callback")
        relying_party.login_from_acm(request, result)
    except relying_party.RelyingPartyError as error:
        return _error_page(request, error.message, status=error.status)
    if request.session.get(keys.ORG_ID) is None:
        return render(request, "acm/no_access.html", {"can_enrol_totp": False})
    return HttpResponseRedirect(request.session.pop(keys.NEXT, None) or reverse("web:home"))


@never_cache
@require_safe
def itsme_start(request: HttpRequest) -> HttpResponse:
    """Login with itsme (production adapter of the bundled ACM's itsme method)."""
    config = relying_party.itsme_config()
    if config is None:
        messages.warning(request, _("Aanmelden met itsme is hier niet ingesteld."))
        return redirect("acm:login")
    return relying_party.start(request, config, callback="oidc:itsme-callback", extra={})


@never_cache
@require_safe
def itsme_callback(request: HttpRequest) -> HttpResponse:
    config = relying_party.itsme_config()
    if config is None:
        return redirect("acm:login")
    try:
        result = relying_party.finish(request, config, callback="oidc:itsme-callback")
        relying_party.login_from_itsme(request, result, config)
    except relying_party.RelyingPartyError as error:
        return _error_page(request, error.message, status=error.status)
    return redirect("acm:act-as")
