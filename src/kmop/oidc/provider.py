"""Authlib's authorization server, set up for the bundled ACM (decision 0009).

- authorization code grant only, with OpenID Connect (``OpenIDCode``) and PKCE **required, S256 only**
  (``S256Required``), for every client, confidential or not;
- client authentication at the token endpoint: ``private_key_jwt`` (RFC 7523; the assertion's audience may be
  the issuer, ACM's quirk, or the token endpoint URL; each ``jti`` once) or ``client_secret_basic``;
- a code is used once: a second use is refused and revokes the tokens of the first (RFC 6749 §4.1.2);
- the ID token is signed with the provider's key (``kmop.oidc.keys``) and carries the claims the person had
  when the code was issued.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from authlib.integrations.django_oauth2 import AuthorizationServer  # type: ignore[import-untyped]
from authlib.oauth2.rfc6749 import InvalidRequestError, OAuth2Request, grants  # type: ignore[import-untyped]
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion  # type: ignore[import-untyped]
from authlib.oauth2.rfc7636 import CodeChallenge  # type: ignore[import-untyped]
from authlib.oidc.core import OpenIDCode  # type: ignore[import-untyped]
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from joserfc import jwt

from kmop.oidc import keys
from kmop.oidc.models import (
    PRIVATE_KEY_JWT,
    AccessToken,
    AuthorizationCode,
    Client,
    UsedAssertion,
    token_hash,
)

CODE_LIFETIME = timedelta(minutes=5)
TOKEN_LIFETIME = 3600  # seconds, access token and ID token


def base_url() -> str:
    return str(settings.KMOP_BASE_URL).rstrip("/")


def issuer() -> str:
    return base_url() + "/op"


def endpoint(name: str) -> str:
    return base_url() + reverse(name)


class PrivateKeyJWT(JWTBearerClientAssertion):
    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(self) -> None:
        super().__init__(validate_jti=True)

    def get_audiences(self) -> list[str]:
        # ACM's quirk: the relying parties put the issuer in "aud"; the token endpoint URL is the standard.
        return [issuer(), endpoint("oidc:token")]

    def resolve_client_public_key(self, client: Client) -> Any:
        from joserfc.jwk import KeySet

        return KeySet.import_key_set(client.jwks or {"keys": []})  # type: ignore[arg-type]

    def validate_jti(self, claims: dict[str, Any], jti: str) -> bool:
        client = Client.objects.get(client_id=claims["sub"])
        expires = timezone.now() + timedelta(seconds=max(0, int(claims["exp"]) - int(time.time())) + 120)
        UsedAssertion.objects.filter(expires_at__lt=timezone.now()).delete()
        try:
            with transaction.atomic():
                UsedAssertion.objects.create(client=client, jti=str(jti)[:255], expires_at=expires)
        except IntegrityError:
            return False
        return True


class S256Required(CodeChallenge):
    """PKCE for every client, and only S256 (no "plain")."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: missing 'code_challenge'.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("PKCE: 'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("PKCE is required: missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)

    def get_authorization_code_challenge(self, authorization_code: AuthorizationCode) -> str:
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: AuthorizationCode) -> str:
        return authorization_code.code_challenge_method


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = [PRIVATE_KEY_JWT, "client_secret_basic"]

    def save_authorization_code(self, code: str, request: OAuth2Request) -> AuthorizationCode:
        data = request.payload.data
        # Housekeeping: codes and tokens a day past their end are of no use any more.
        stale = timezone.now() - timedelta(days=1)
        AccessToken.objects.filter(expires_at__lt=stale).delete()
        AuthorizationCode.objects.filter(expires_at__lt=stale).delete()
        session_claims: dict[str, Any] = getattr(request, "kmop_claims", {})
        return AuthorizationCode.objects.create(
            code_hash=token_hash(code),
            client=request.client,
            user=request.user,
            redirect_uri=request.payload.redirect_uri or "",
            scope=request.scope or "",
            nonce=data.get("nonce") or "",
            code_challenge=data["code_challenge"],
            code_challenge_method=data.get("code_challenge_method") or "S256",
            claims=session_claims,
            auth_time=int(getattr(request, "kmop_auth_time", time.time())),
            expires_at=timezone.now() + CODE_LIFETIME,
        )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        item = AuthorizationCode.objects.filter(code_hash=token_hash(code), client=client).first()
        if item is None:
            return None
        if item.used_at is not None:
            # A replayed code: refuse it and revoke what the first use gave (RFC 6749 §4.1.2).
            AccessToken.objects.filter(code=item).update(revoked=True)
            return None
        if item.expires_at <= timezone.now():
            return None
        return item

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        updated = AuthorizationCode.objects.filter(pk=authorization_code.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        if not updated:  # a concurrent exchange won the race
            raise InvalidRequestError("The code was used already.")

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Any:
        return authorization_code.user


class KmopOpenIDCode(OpenIDCode):
    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return AuthorizationCode.objects.filter(
            client__client_id=request.payload.client_id, nonce=nonce
        ).exists()

    def resolve_client_private_key(self, client: Client) -> Any:
        return keys.signing_key()

    def get_client_algorithm(self, client: Client) -> str:
        return keys.signing_algorithm()

    def get_encode_header(self, client: Client) -> dict[str, str]:
        key = keys.signing_key()
        return {"alg": keys.signing_algorithm(key), "kid": str(key.kid), "typ": "JWT"}

    def get_client_claims(self, client: Client) -> dict[str, Any]:
        now = int(time.time())
        return {"iss": issuer(), "aud": [client.client_id], "iat": now, "exp": now + TOKEN_LIFETIME}

    def get_authorization_code_claims(self, authorization_code: AuthorizationCode) -> dict[str, Any]:
        claims = dict(authorization_code.claims)
        claims["auth_time"] = authorization_code.auth_time
        if authorization_code.nonce:
            claims["nonce"] = authorization_code.nonce
        return claims

    def generate_user_info(self, user: Any, scope: str) -> dict[str, Any]:
        return {}  # the claims come from the code (get_authorization_code_claims)


class KmopAuthorizationServer(AuthorizationServer):
    def __init__(self) -> None:
        super().__init__(Client, AccessToken)

    def load_config(self, config: dict[str, Any]) -> None:
        # Access tokens live an hour (Authlib's default for this grant is ten days); no refresh tokens.
        super().load_config({**config, "token_expires_in": {"authorization_code": TOKEN_LIFETIME}})

    def query_client(self, client_id: str) -> Client | None:
        return Client.objects.filter(client_id=client_id, active=True).first()

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> AccessToken:
        code: AuthorizationCode | None = getattr(request, "authorization_code", None)
        return AccessToken.objects.create(
            token_hash=token_hash(token["access_token"]),
            client=request.client,
            user=request.user,
            code=code,
            scope=token.get("scope", ""),
            claims=code.claims if code else {},
            expires_at=timezone.now() + timedelta(seconds=int(token.get("expires_in", TOKEN_LIFETIME))),
        )


def create_server() -> KmopAuthorizationServer:
    server = KmopAuthorizationServer()
    server.register_client_auth_method(PRIVATE_KEY_JWT, PrivateKeyJWT())
    server.register_grant(CodeGrant, [S256Required(required=True), KmopOpenIDCode(require_nonce=False)])
    return server


server = create_server()


def decode_id_token(value: str) -> jwt.Token:
    """Verify an ID token of this provider (tests and tools)."""
    return jwt.decode(value, keys.public_key_set())
