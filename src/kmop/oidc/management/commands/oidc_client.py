"""``kmop oidc_client CLIENT_ID --name ... --redirect-uri ... (--jwks FILE | --secret)``: register a relying
party with the bundled provider (private_key_jwt with its public JWKS, or client_secret_basic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from kmop.audit.services import Actor
from kmop.oidc.models import CLIENT_SECRET_BASIC, PRIVATE_KEY_JWT
from kmop.oidc.services import ClientError, client_register


class Command(BaseCommand):
    help = "Register (or update) an OpenID Connect client of the bundled ACM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("client_id")
        parser.add_argument("--name", required=True)
        parser.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--jwks", help="file with the client's public JWKS (private_key_jwt)")
        group.add_argument("--secret", action="store_true", help="client_secret_basic: print a new secret")
        parser.add_argument("--scope", default="openid profile vo rrn")

    def handle(self, *args: Any, **options: Any) -> None:
        jwks = None
        if options["jwks"]:
            try:
                jwks = Path(options["jwks"]).read_text()
            except OSError as exc:
                raise CommandError(f"cannot read {options['jwks']}: {exc}") from exc
        try:
            client, secret = client_register(
                actor=Actor(label="manage.py oidc_client"),
                client_id=options["client_id"],
                name=options["name"],
                redirect_uris=options["redirect_uris"],
                auth_method=CLIENT_SECRET_BASIC if options["secret"] else PRIVATE_KEY_JWT,
                jwks=jwks,
                scope=options["scope"],
            )
        except ClientError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"registered {client.client_id} ({client.auth_method})")
        if secret:
            self.stdout.write(f"client secret (shown once): {secret}")
