"""The provider's signing key (RS256) and its public JWKS.

The private key is a JWK (JSON) in the file ``KMOP_OIDC_SIGNING_KEY_FILE`` (default under ``KMOP_VAR_DIR``).
In development and the demo it is made on first use (mode 0600); in production it must exist (settings refuse
to start without it when the provider is on). ``kid`` is the key's RFC 7638 thumbprint, so a rotated key
gets a new ``kid``.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from joserfc.jwk import ECKey, KeySet, RSAKey

ALGORITHM = "RS256"

type PrivateKey = RSAKey | ECKey


def _key_path() -> Path:
    return Path(settings.KMOP_OIDC_SIGNING_KEY_FILE)


def _generate(path: Path) -> None:
    key = RSAKey.generate_key(2048, private=True, auto_kid=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(key.as_dict(private=True), handle)
    os.replace(tmp, path)  # atomic: two processes never read half a key


def load_private_key(path: Path) -> PrivateKey:
    """A private RSA or EC key from a JWK (JSON) or PEM file."""
    raw = path.read_bytes()
    if raw.lstrip().startswith(b"{"):
        data = json.loads(raw)
        key: PrivateKey = ECKey.import_key(data) if data.get("kty") == "EC" else RSAKey.import_key(data)
    else:
        try:
            key = RSAKey.import_key(raw)
        except ValueError:
            key = ECKey.import_key(raw)
    if not key.is_private:
        raise ImproperlyConfigured(f"{path} holds no private key")
    key.ensure_kid()
    return key


@cache
def _cached(path: str, mtime: float) -> PrivateKey:
    return load_private_key(Path(path))


def signing_key() -> PrivateKey:
    path = _key_path()
    if not path.exists():
        if settings.PRODUCTION:
            raise ImproperlyConfigured("KMOP_OIDC_SIGNING_KEY_FILE does not exist")
        _generate(path)
    return _cached(str(path), path.stat().st_mtime)


def signing_algorithm(key: PrivateKey | None = None) -> str:
    key = key or signing_key()
    return "ES256" if isinstance(key, ECKey) else ALGORITHM


def public_jwks() -> dict[str, Any]:
    key = signing_key()
    public = key.as_dict(private=False)
    public.update({"use": "sig", "alg": signing_algorithm(key), "kid": str(key.kid)})
    return {"keys": [public]}


def public_key_set() -> KeySet:
    return KeySet.import_key_set(public_jwks())  # type: ignore[arg-type]
