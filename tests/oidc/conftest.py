"""Fixtures of the OpenID Connect tests: the IDM's small world, the provider's signing key in a scratch file,
a relying party's key pair, a registered client, and PKCE/assertion helpers."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client as DjangoClient
from joserfc import jwt
from joserfc.jwk import RSAKey

from kmop.audit.services import Actor
from kmop.oidc.models import Client
from kmop.oidc.services import client_register
from tests.acm.conftest import simulator_login  # noqa: F401 - helper
from tests.idm.conftest import (  # noqa: F401 - fixtures
    JONAS,
    SOFIE,
    SYSTEM,
    A,
    B,
    N,
    World,
    clock,
    world,
)

BASE = "http://localhost"  # loopback: Authlib allows plain http only there
ISSUER = f"{BASE}/op"
TOKEN_URL = f"{BASE}/op/token/"
REDIRECT_URI = f"{BASE}/aanmelden/acm/terug/"


@pytest.fixture(autouse=True)
def _oidc_settings(settings, tmp_path: Path) -> None:
    settings.DEMO_MODE = True
    settings.KMOP_OIDC_PROVIDER = True
    settings.KMOP_BASE_URL = BASE
    settings.KMOP_OIDC_SIGNING_KEY_FILE = str(tmp_path / "op-signing-key.json")
    settings.KMOP_ACM_ISSUER = ""
    settings.KMOP_ITSME_DISCOVERY_URL = ""


@pytest.fixture
def client() -> DjangoClient:
    return DjangoClient(HTTP_HOST="localhost")


@dataclass
class RpKey:
    key: RSAKey
    path: Path

    @property
    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}


def make_rp_key(path: Path) -> RpKey:
    key = RSAKey.generate_key(2048, private=True, auto_kid=True)
    path.write_text(json.dumps(key.as_dict(private=True)))
    return RpKey(key=key, path=path)


@pytest.fixture
def rp_key(tmp_path: Path) -> RpKey:
    return make_rp_key(tmp_path / "rp-key.json")


def register(
    client_id: str, redirect_uris: list[str], *, jwks: Any = None, secret: bool = False
) -> tuple[Client, str]:
    return client_register(
        actor=Actor.system("tests"),
        client_id=client_id,
        name=f"RP {client_id}",
        redirect_uris=redirect_uris,
        auth_method="client_secret_basic" if secret else "private_key_jwt",
        jwks=jwks,
    )


@pytest.fixture
def rp_client(db: None, rp_key: RpKey) -> Client:
    return register("kmop-rp", [REDIRECT_URI], jwks=rp_key.public_jwks)[0]


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def assertion(key: RSAKey, client_id: str, audience: str, *, jti: str | None = None) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + 60,
        "jti": jti or secrets.token_urlsafe(16),
    }
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@dataclass
class Flow:
    verifier: str
    challenge: str
    state: str
    nonce: str

    def params(self, client_id: str = "kmop-rp", **extra: str) -> dict[str, str]:
        data = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "openid profile vo rrn",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.challenge,
            "code_challenge_method": "S256",
        }
        data.update(extra)
        return {k: v for k, v in data.items() if v != ""}


@pytest.fixture
def flow() -> Iterator[Flow]:
    verifier, challenge = pkce()
    return Flow(verifier, challenge, secrets.token_urlsafe(8), secrets.token_urlsafe(8))


def login_and_authorize(client: DjangoClient, flow: Flow, number: str, **extra: str) -> str:
    """Through the provider as a browser: authorize → provider login → simulator → (aanmelden als) →
    authorize → the redirect to the client. Returns that redirect's URL."""
    response = client.get("/op/authorize/", flow.params(**extra))
    assert response.status_code == 302, response.content[:500]
    assert response["Location"].startswith("/op/aanmelden/?next=")
    client.get(response["Location"])
    response = client.post("/aanmelden/simulator/eid/", {"national_number": number})
    assert response.status_code == 302
    response = client.get(response["Location"])  # aanmelden als: the only option / the hinted one
    assert response.status_code == 302, response.content[:800]
    response = client.get(response["Location"])  # back to the authorization endpoint
    assert response.status_code == 302
    return str(response["Location"])


def token_request(
    client: DjangoClient, code: str, verifier: str, key: RSAKey, *, audience: str = ISSUER, **extra: Any
) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": verifier,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion(key, "kmop-rp", audience),
    }
    data.update(extra)
    return client.post("/op/token/", {k: v for k, v in data.items() if v is not None})
