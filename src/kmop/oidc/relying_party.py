"""The platform as relying party (RP) of an OpenID Connect provider: the external ACM of the Flemish
government, or itsme.

``start`` sends the person to the provider with the authorization code flow, PKCE (S256), ``state`` and
``nonce`` (kept in the session). ``finish`` checks ``state``, exchanges the code at the token endpoint with
``private_key_jwt`` (the assertion audience is the issuer for ACM, its known quirk, or the token endpoint for
itsme) and validates the ID token: signature with the provider's JWKS (from discovery), ``iss``, ``aud``,
``exp``, ``nonce``, and the level of assurance (``acr``) at least *substantial*.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session  # type: ignore[import-untyped]
from authlib.oauth2.rfc7523 import PrivateKeyJWT  # type: ignore[import-untyped]
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from kmop.acm import selectors as acm_selectors
from kmop.acm import services as acm_services
from kmop.acm import session as keys
from kmop.acm.methods import MINIMUM_LEVEL, get_method, level_at_least, method_for_acr
from kmop.oidc.keys import load_private_key
from kmop.registers.national_register import (
    InvalidNationalNumber,
    PersonRecord,
    lookup,
    validate_person_number,
)

TIMEOUT = 10  # seconds, for every call to the provider
DISCOVERY_CACHE_SECONDS = 3600


class RelyingPartyError(Exception):
    """The login through the provider failed: a clear message for the person, nothing changed."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ProviderConfig:
    name: str  # "acm" or "itsme": the session keys and the audit
    discovery_url: str
    client_id: str
    private_key_file: str
    scopes: str
    #: "issuer" (ACM's quirk) or "token_endpoint": the audience of the private_key_jwt assertion
    assertion_audience: str
    acr_values: str = ""
    #: the issuer the discovery document must name (mix-up protection); empty: as discovered
    expected_issuer: str = ""

    @property
    def session_key(self) -> str:
        return f"oidc_rp_{self.name}"


def acm_config() -> ProviderConfig | None:
    """Relying-party mode is on when ``KMOP_ACM_ISSUER`` is set."""
    issuer = str(getattr(settings, "KMOP_ACM_ISSUER", "") or "").rstrip("/")
    if not issuer:
        return None
    return ProviderConfig(
        name="acm",
        discovery_url=issuer + "/.well-known/openid-configuration",
        client_id=settings.KMOP_ACM_CLIENT_ID,
        private_key_file=settings.KMOP_ACM_PRIVATE_KEY_FILE,
        scopes=settings.KMOP_ACM_SCOPES,
        assertion_audience="issuer",
        expected_issuer=issuer,
    )


def itsme_config() -> ProviderConfig | None:
    url = str(getattr(settings, "KMOP_ITSME_DISCOVERY_URL", "") or "")
    if not url:
        return None
    scopes = f"openid service:{settings.KMOP_ITSME_SERVICE_CODE} profile eid"
    return ProviderConfig(
        name="itsme",
        discovery_url=url,
        client_id=settings.KMOP_ITSME_CLIENT_ID,
        private_key_file=settings.KMOP_ITSME_PRIVATE_KEY_FILE,
        scopes=scopes,
        assertion_audience="token_endpoint",
        acr_values=settings.KMOP_ITSME_ACR_VALUES,
    )


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise RelyingPartyError(
            _("De aanmeldingsdienst is nu niet bereikbaar. Probeer het later opnieuw."), status=502
        ) from exc
    if not isinstance(data, dict):
        raise RelyingPartyError(_("De aanmeldingsdienst gaf een onverwacht antwoord."), status=502)
    return data


def discovery(config: ProviderConfig) -> dict[str, Any]:
    key = f"oidc:discovery:{config.discovery_url}"
    data = cache.get(key)
    if data is None:
        data = _get_json(config.discovery_url)
        for name in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(data.get(name), str):
                raise RelyingPartyError(_("De aanmeldingsdienst gaf een onverwacht antwoord."), status=502)
        if config.expected_issuer and data["issuer"].rstrip("/") != config.expected_issuer:
            raise RelyingPartyError(_("De aanmeldingsdienst gaf een onverwacht antwoord."), status=502)
        cache.set(key, data, DISCOVERY_CACHE_SECONDS)
    return data


def _provider_keys(metadata: dict[str, Any], *, refresh: bool = False) -> KeySet:
    key = f"oidc:jwks:{metadata['jwks_uri']}"
    data = None if refresh else cache.get(key)
    if data is None:
        data = _get_json(metadata["jwks_uri"])
        cache.set(key, data, DISCOVERY_CACHE_SECONDS)
    try:
        return KeySet.import_key_set(data)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise RelyingPartyError(_("De aanmeldingsdienst gaf een onverwacht antwoord."), status=502) from exc


def _client_key(config: ProviderConfig) -> Any:
    try:
        return load_private_key(Path(config.private_key_file))
    except (OSError, ValueError) as exc:
        raise RelyingPartyError(_("Aanmelden is hier niet juist ingesteld."), status=500) from exc


def _session(
    config: ProviderConfig, redirect_uri: str, metadata: dict[str, Any] | None = None
) -> OAuth2Session:
    key = _client_key(config) if metadata is not None else None
    client = OAuth2Session(
        client_id=config.client_id,
        client_secret=key,
        scope=config.scopes,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="private_key_jwt",  # noqa: S106 - a method name
        code_challenge_method="S256",
    )
    if metadata is not None:
        audience = metadata["issuer"] if config.assertion_audience == "issuer" else metadata["token_endpoint"]
        alg = "ES256" if isinstance(key, ECKey) else "RS256"
        client.register_client_auth_method(PrivateKeyJWT(audience, alg=alg))
    return client


def start(
    request: HttpRequest, config: ProviderConfig, *, callback: str, extra: dict[str, str]
) -> HttpResponse:
    try:
        metadata = discovery(config)
    except RelyingPartyError as error:
        from django.shortcuts import render

        return render(request, "oidc/error.html", {"message": error.message}, status=error.status)
    redirect_uri = request.build_absolute_uri(reverse(callback))
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(64)
    params = dict(extra)
    if config.acr_values:
        params["acr_values"] = config.acr_values
    url, _state = _session(config, redirect_uri).create_authorization_url(
        metadata["authorization_endpoint"], state=state, nonce=nonce, code_verifier=verifier, **params
    )
    request.session[config.session_key] = {"state": state, "nonce": nonce, "verifier": verifier}
    return HttpResponseRedirect(url)


@dataclass
class LoginResult:
    claims: dict[str, Any]
    userinfo: dict[str, Any]


def finish(request: HttpRequest, config: ProviderConfig, *, callback: str) -> LoginResult:
    pending = request.session.pop(config.session_key, None)
    state = request.GET.get("state", "")
    if not isinstance(pending, dict) or not secrets.compare_digest(str(pending.get("state", "")), state):
        raise RelyingPartyError(_("Deze aanmelding is verlopen of ongeldig. Meld opnieuw aan."))
    if "error" in request.GET:
        raise RelyingPartyError(_("Aanmelden is niet gelukt of werd geannuleerd."))
    code = request.GET.get("code", "")
    if not code:
        raise RelyingPartyError(_("Deze aanmelding is verlopen of ongeldig. Meld opnieuw aan."))
    metadata = discovery(config)
    redirect_uri = request.build_absolute_uri(reverse(callback))
    client = _session(config, redirect_uri, metadata)
    try:
        token = client.fetch_token(
            metadata["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=pending["verifier"],
            redirect_uri=redirect_uri,
            timeout=TIMEOUT,
        )
    except requests.RequestException as exc:
        raise RelyingPartyError(
            _("De aanmeldingsdienst is nu niet bereikbaar. Probeer het later opnieuw."), status=502
        ) from exc
    except Exception as exc:  # Authlib's OAuthError: the provider refused the code
        raise RelyingPartyError(_("Aanmelden is niet gelukt. Meld opnieuw aan.")) from exc
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise RelyingPartyError(_("Aanmelden is niet gelukt. Meld opnieuw aan."))
    claims = validate_id_token(
        id_token, metadata=metadata, client_id=config.client_id, nonce=pending["nonce"]
    )
    userinfo: dict[str, Any] = {}
    if metadata.get("userinfo_endpoint") and token.get("access_token"):
        try:
            response = requests.get(
                metadata["userinfo_endpoint"],
                headers={"Authorization": f"Bearer {token['access_token']}"},
                timeout=TIMEOUT,
            )
            if response.ok and response.headers.get("Content-Type", "").startswith("application/json"):
                data = response.json()
                if isinstance(data, dict) and data.get("sub") == claims.get("sub"):
                    userinfo = data
        except (requests.RequestException, ValueError):
            userinfo = {}
    return LoginResult(claims=claims, userinfo=userinfo)


def validate_id_token(
    id_token: str, *, metadata: dict[str, Any], client_id: str, nonce: str
) -> dict[str, Any]:
    invalid = _("De aanmelding kon niet gecontroleerd worden. Meld opnieuw aan.")
    try:
        try:
            token = jwt.decode(id_token, _provider_keys(metadata), algorithms=["RS256", "ES256", "PS256"])
        except JoseError:
            token = jwt.decode(  # the provider may have rotated its key
                id_token, _provider_keys(metadata, refresh=True), algorithms=["RS256", "ES256", "PS256"]
            )
        registry = jwt.JWTClaimsRegistry(
            leeway=60,
            iss={"essential": True, "value": metadata["issuer"]},
            aud={"essential": True, "value": client_id},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            nonce={"essential": True, "value": nonce},
        )
        registry.validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise RelyingPartyError(invalid) from exc
    claims = dict(token.claims)
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if len(audiences) > 1 and claims.get("azp") != client_id:
        raise RelyingPartyError(invalid)
    return claims


def _check_level(acr: str) -> None:
    if not level_at_least(acr, MINIMUM_LEVEL):
        raise RelyingPartyError(
            _("Deze manier van aanmelden is niet betrouwbaar genoeg voor de kmo-portefeuille."), status=403
        )


def _record(number: Any, given_name: Any, family_name: Any) -> PersonRecord:
    try:
        national_number = validate_person_number(str(number or ""))
    except InvalidNationalNumber as exc:
        raise RelyingPartyError(_("De aanmeldingsdienst gaf geen geldig rijksregisternummer.")) from exc
    known = lookup(national_number)
    if known is not None:
        return known
    return PersonRecord(
        national_number=national_number,
        last_name=str(family_name or "")[:150],
        first_name=str(given_name or "")[:150],
        birth_date=None,
        sex="X",
    )


def login_from_acm(request: HttpRequest, result: LoginResult) -> None:
    """Log in the person the external ACM identified, with the ``acr`` it reported, and act for the
    organisation of the token (``vo_orgcode``) with the roles its claims give there; the roles stay in the
    session and the middleware re-checks them on every request (``kmop.acm.selectors``)."""
    claims = {**result.userinfo, **result.claims}
    acr = str(claims.get("acr", ""))
    _check_level(acr)
    method = method_for_acr(acr)
    assert method is not None
    record = _record(claims.get("rrn"), claims.get("given_name"), claims.get("family_name"))
    user = acm_services.person_login(request=request, method=method, record=record)
    external = acm_selectors.external_roles_from_claims(claims, login_at=request.session.get(keys.LOGIN_AT))
    request.session[acm_selectors.EXTERNAL_ROLES] = external.as_session()
    organisation_code = external.chosen_organisation(str(claims.get("vo_orgcode", "") or ""))
    if organisation_code is None:
        return
    option = acm_selectors.external_acting_option(external, organisation_code)
    if option is not None:
        acm_services.act_as(request=request, user=user, option=option, via="acm")


def login_from_itsme(request: HttpRequest, result: LoginResult, config: ProviderConfig) -> None:
    """itsme identified the person (national number from its claims): log in with the bundled ACM's itsme
    method; "aanmelden als" then works on the local grants."""
    claims = {**result.userinfo, **result.claims}
    number = claims.get(settings.KMOP_ITSME_NATIONAL_NUMBER_CLAIM)
    record = _record(number, claims.get("given_name"), claims.get("family_name"))
    method = get_method("itsme")
    assert method is not None
    acm_services.person_login(request=request, method=method, record=record)
