"""Registration of the provider's clients (relying parties), audited."""

from __future__ import annotations

import json
import secrets
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from kmop.audit.services import Actor, audit_record
from kmop.oidc.models import CLIENT_SECRET_BASIC, PRIVATE_KEY_JWT, Client


class ClientError(ValueError):
    pass


def _check_jwks(jwks: Any) -> dict[str, Any]:
    if isinstance(jwks, str):
        try:
            jwks = json.loads(jwks)
        except ValueError as exc:
            raise ClientError("the JWKS is not JSON") from exc
    if isinstance(jwks, dict) and "keys" not in jwks:
        jwks = {"keys": [jwks]}
    try:
        key_set = KeySet.import_key_set(jwks)
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ClientError("the JWKS cannot be read") from exc
    if any(key.is_private for key in key_set.keys):
        raise ClientError("the JWKS holds a private key: register only the public keys")
    return dict(key_set.as_dict(private=False))


def _check_redirect_uris(uris: list[str]) -> str:
    from urllib.parse import urlsplit

    cleaned = [u.strip() for u in uris if u.strip()]
    if not cleaned:
        raise ClientError("at least one redirect URI is needed")
    for uri in cleaned:
        parts = urlsplit(uri)
        if parts.scheme not in {"https", "http"} or not parts.netloc or parts.fragment:
            raise ClientError(f"not an absolute http(s) URI without fragment: {uri}")
    return "\n".join(cleaned)


def client_register(
    *,
    actor: Actor,
    client_id: str,
    name: str,
    redirect_uris: list[str],
    auth_method: str = PRIVATE_KEY_JWT,
    jwks: Any = None,
    scope: str = "openid profile vo rrn",
) -> tuple[Client, str]:
    """Register (or update) a client. ``private_key_jwt`` needs the client's public JWKS;
    ``client_secret_basic`` gets a new random secret, returned once (only its hash is stored)."""
    if auth_method not in {PRIVATE_KEY_JWT, CLIENT_SECRET_BASIC}:
        raise ClientError(f"unknown authentication method {auth_method}")
    secret = ""
    with transaction.atomic():
        client = Client.objects.select_for_update().filter(client_id=client_id).first() or Client(
            client_id=client_id
        )
        before = (
            {"auth_method": client.auth_method, "redirect_uris": client.redirect_uris} if client.pk else None
        )
        client.name = name
        client.redirect_uris = _check_redirect_uris(redirect_uris)
        client.auth_method = auth_method
        client.scope = scope
        client.active = True
        if auth_method == PRIVATE_KEY_JWT:
            if jwks is None:
                raise ClientError("private_key_jwt needs the client's public JWKS")
            client.jwks = _check_jwks(jwks)
            client.secret_hash = ""
        else:
            secret = secrets.token_urlsafe(32)
            client.secret_hash = make_password(secret)
            client.jwks = None
        client.save()
        audit_record(
            actor=actor,
            action="oidc.client_register",
            object_type="oidc.Client",
            object_id=str(client.pk),
            before=before,
            after={"client_id": client_id, "auth_method": auth_method, "redirect_uris": client.redirect_uris},
        )
    return client, secret
