"""The bundled ACM as an OpenID Connect provider: registered clients, authorization codes, access tokens, the
person's opaque subject, and the client assertions already used (``jti``, against replay).

Codes and tokens are stored as SHA-256 hashes: a database leak gives no usable code or token.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin  # type: ignore[import-untyped]
from authlib.oidc.core import AuthorizationCodeMixin  # type: ignore[import-untyped]
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

PRIVATE_KEY_JWT = "private_key_jwt"
CLIENT_SECRET_BASIC = "client_secret_basic"  # noqa: S105 - a method name


def new_subject() -> str:
    return uuid.uuid4().hex


def token_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


class Client(models.Model, ClientMixin):
    """A relying party registered with the provider (``kmop oidc_client`` or the admin)."""

    class AuthMethod(models.TextChoices):
        PRIVATE_KEY_JWT = PRIVATE_KEY_JWT, "private_key_jwt"
        CLIENT_SECRET_BASIC = CLIENT_SECRET_BASIC, "client_secret_basic"

    client_id = models.CharField(_("client-id"), max_length=100, unique=True)
    name = models.CharField(_("naam"), max_length=200)
    redirect_uris = models.TextField(
        _("redirect-URI's"), help_text=_("Eén per regel; een redirect_uri moet er exact mee overeenkomen.")
    )
    auth_method = models.CharField(
        _("authenticatie aan het token-endpoint"),
        max_length=30,
        choices=AuthMethod.choices,
        default=AuthMethod.PRIVATE_KEY_JWT,
    )
    #: Django password hash of the client secret (client_secret_basic); empty for private_key_jwt
    secret_hash = models.CharField(max_length=200, blank=True)
    #: the client's public keys (JWKS) for private_key_jwt
    jwks = models.JSONField(_("publieke sleutels (JWKS)"), null=True, blank=True)
    scope = models.CharField(_("toegelaten scopes"), max_length=300, default="openid profile vo rrn")
    active = models.BooleanField(_("actief"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("OpenID Connect-client")
        verbose_name_plural = _("OpenID Connect-clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    # Authlib's ClientMixin
    def get_client_id(self) -> str:
        return self.client_id

    def redirect_uri_list(self) -> list[str]:
        return [line.strip() for line in self.redirect_uris.splitlines() if line.strip()]

    def get_default_redirect_uri(self) -> str | None:
        uris = self.redirect_uri_list()
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return ""
        allowed = set(self.scope.split())
        return " ".join(s for s in scope.split() if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uri_list()  # exact match: no open redirect

    def check_client_secret(self, client_secret: str) -> bool:
        return bool(self.secret_hash) and check_password(client_secret, self.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if endpoint == "token":
            return method == self.auth_method
        return True

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "authorization_code"


class Subject(models.Model):
    """The opaque ``sub`` (and ``vo_id``) of a person: random, made once, stable."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oidc_subject"
    )
    sub = models.CharField(max_length=64, unique=True, default=new_subject)
    vo_id = models.UUIDField(unique=True, default=uuid.uuid4)

    def __str__(self) -> str:
        return self.sub


class AuthorizationCode(models.Model, AuthorizationCodeMixin):
    """A code of the authorization code flow: one use, a few minutes, bound to client, redirect URI and the
    PKCE challenge. ``claims``: what the person was at the moment of issue (organisation, roles)."""

    code_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    redirect_uri = models.TextField()
    scope = models.TextField(blank=True)
    nonce = models.CharField(max_length=255, blank=True)
    code_challenge = models.CharField(max_length=128)
    code_challenge_method = models.CharField(max_length=10)
    claims = models.JSONField(default=dict)
    auth_time = models.BigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code {self.pk} of {self.client_id}"

    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope

    def get_nonce(self) -> str:
        return self.nonce

    def get_auth_time(self) -> int:
        return self.auth_time

    def get_acr(self) -> str:
        return str(self.claims.get("acr", ""))

    def get_amr(self) -> list[str]:
        return list(self.claims.get("amr", []))


class AccessToken(models.Model, TokenMixin):
    token_hash = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    code = models.ForeignKey(AuthorizationCode, null=True, on_delete=models.SET_NULL)
    scope = models.TextField(blank=True)
    claims = models.JSONField(default=dict)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"token {self.pk} of {self.client_id}"

    def check_client(self, client: Any) -> bool:
        return bool(client.pk == self.client_id)

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return int((self.expires_at - self.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    def is_revoked(self) -> bool:
        return self.revoked


class UsedAssertion(models.Model):
    """A client assertion (``private_key_jwt``) already used: its ``jti`` is refused until it expires."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE)
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "jti"], name="oidc_assertion_once")]

    def __str__(self) -> str:
        return self.jti
