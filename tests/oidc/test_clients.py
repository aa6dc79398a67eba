"""Client registration as data (the command, audited) and the provider's signing key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from kmop.audit.models import AuditEvent
from kmop.oidc import keys
from kmop.oidc.models import Client

from .conftest import RpKey

pytestmark = pytest.mark.django_db


def test_register_with_jwks_and_with_secret(rp_key: RpKey, tmp_path: Path, capsys) -> None:
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(rp_key.public_jwks))
    call_command(
        "oidc_client",
        "rp-1",
        "--name",
        "RP 1",
        "--redirect-uri",
        "https://rp.example/cb",
        "--jwks",
        str(jwks_file),
    )
    client = Client.objects.get(client_id="rp-1")
    assert client.auth_method == "private_key_jwt"
    assert client.redirect_uri_list() == ["https://rp.example/cb"]
    assert client.jwks["keys"][0]["n"] == rp_key.public_jwks["keys"][0]["n"]
    call_command(
        "oidc_client", "rp-2", "--name", "RP 2", "--redirect-uri", "https://rp.example/cb", "--secret"
    )
    secret = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    client = Client.objects.get(client_id="rp-2")
    assert client.auth_method == "client_secret_basic"
    assert secret not in client.secret_hash
    assert check_password(secret, client.secret_hash)
    assert AuditEvent.objects.filter(action="oidc.client_register").count() == 2


def test_a_private_key_or_a_bad_uri_is_refused(rp_key: RpKey, tmp_path: Path) -> None:
    private = tmp_path / "private.json"
    private.write_text(rp_key.path.read_text())
    with pytest.raises(CommandError, match="private key"):
        call_command(
            "oidc_client",
            "rp-3",
            "--name",
            "x",
            "--redirect-uri",
            "https://rp.example/cb",
            "--jwks",
            str(private),
        )
    public = tmp_path / "public.json"
    public.write_text(json.dumps(rp_key.public_jwks))
    for uri in ("javascript:alert(1)", "https://rp.example/cb#frag", "/relative"):
        with pytest.raises(CommandError):
            call_command("oidc_client", "rp-4", "--name", "x", "--redirect-uri", uri, "--jwks", str(public))
    assert not Client.objects.exists()


def test_signing_key_made_outside_production_required_in_production(settings, tmp_path: Path) -> None:
    path = tmp_path / "new" / "key.json"
    settings.KMOP_OIDC_SIGNING_KEY_FILE = str(path)
    settings.PRODUCTION = True
    with pytest.raises(ImproperlyConfigured):
        keys.signing_key()
    settings.PRODUCTION = False
    key = keys.signing_key()
    assert path.stat().st_mode & 0o777 == 0o600
    assert key.is_private
    assert keys.public_jwks()["keys"][0]["kid"] == key.kid
