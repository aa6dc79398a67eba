"""API tokens of an enterprise's or a provider's own software (docs/decisions/0016-api-tokens.md).

* ``ApiToken``: a secret ``kmop_<key id>_<secret>`` shown once at creation; only its SHA-256 hash is kept,
  with the key id (public, unique) to find it. It acts for one organisation with one ``scope`` (the
  enterprise endpoints or the provider endpoints, never both), on behalf of the person who made it, until it
  is revoked, expires, or that person may no longer act for the organisation. A provider's token made with
  the provider's own login and password has no person: it is tied to that password (``password_fingerprint``)
  and stops when the password changes or is removed.
* ``ApiIdempotencyKey``: the ``Idempotency-Key`` of an API request that the service does not key itself
  (payment orders): one row per organisation, operation and key, made in the transaction of the change.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kmop.idm.models import Organisation

__all__ = ["ApiIdempotencyKey", "ApiToken", "TokenScope"]


class TokenScope(models.TextChoices):
    """Which endpoints a token opens: an enterprise's (``/api/v1/enterprise/``, ``/api/v1/projects/``) or a
    provider's (``/api/v1/provider/``)."""

    ENTERPRISE = "enterprise", _("onderneming")
    PROVIDER = "provider", _("dienstverlener")


class ApiToken(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisatie"), on_delete=models.PROTECT, related_name="api_tokens"
    )
    scope = models.CharField(
        _("bereik"), max_length=10, choices=TokenScope.choices, default=TokenScope.ENTERPRISE
    )
    name = models.CharField(_("naam"), max_length=100)
    #: the public part of the token (after ``kmop_``), to find it; never the secret
    key_id = models.CharField(_("sleutel-id"), max_length=12, unique=True)
    #: SHA-256 (hex) of the whole token
    token_hash = models.CharField(_("hash van de sleutel"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("aangemaakt door"),
        on_delete=models.PROTECT,
        related_name="api_tokens",
        null=True,
        blank=True,
        help_text=_("Leeg: gemaakt met de login en het paswoord van de dienstverlener."),
    )
    #: who made it, as the audit names it (the person's username, or ``dienstverlener-login:<login>``)
    created_by_label = models.CharField(_("aangemaakt door (label)"), max_length=200, blank=True)
    #: a provider token made with the provider's own password: a keyed hash of the password's stored hash at
    #: that moment; the token stops when it no longer matches (the password changed or was removed)
    password_fingerprint = models.CharField(_("vingerafdruk van het paswoord"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("aangemaakt op"), default=timezone.now)
    expires_at = models.DateTimeField(_("vervalt op"))
    last_used_at = models.DateTimeField(_("laatst gebruikt op"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("ingetrokken op"), null=True, blank=True)
    revoked_by = models.CharField(_("ingetrokken door"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("API-sleutel")
        verbose_name_plural = _("API-sleutels")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "-created_at"], name="api_token_org_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["enterprise", "provider"]), name="api_token_scope_known"
            ),
            # a person made it, or (a provider's token only) the provider's own login and password
            models.CheckConstraint(
                condition=Q(created_by__isnull=False, password_fingerprint="")
                | Q(
                    created_by__isnull=True,
                    scope="provider",
                    password_fingerprint__regex=r"^[0-9a-f]{64}$",  # noqa: S106 (a format)
                ),
                name="api_token_maker",
            ),
            models.CheckConstraint(condition=Q(key_id__regex=r"^[0-9a-f]{12}$"), name="api_token_key_id"),
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"),  # noqa: S106 (a format, not a password)
                name="api_token_hash_format",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")), name="api_token_expiry"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (kmop_{self.key_id}_…)"

    @property
    def maker_label(self) -> str:
        """Who made it, for a list: the person's name, else the label (the provider's password login)."""
        if self.created_by is not None:
            return self.created_by.get_full_name() or self.created_by.get_username()
        return self.created_by_label

    @property
    def display_prefix(self) -> str:
        return f"kmop_{self.key_id}_…"

    def is_active(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return self.revoked_at is None and self.expires_at > moment  # type: ignore[operator]


class ApiIdempotencyKey(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisatie"), on_delete=models.PROTECT, related_name="+"
    )
    operation = models.CharField(_("bewerking"), max_length=40)
    key = models.CharField(_("sleutel"), max_length=64)
    #: what the request asked (to refuse the same key with another request)
    fingerprint = models.CharField(_("vingerafdruk"), max_length=64)
    object_id = models.CharField(_("object"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("aangemaakt op"), default=timezone.now)

    class Meta:
        verbose_name = _("idempotentiesleutel")
        verbose_name_plural = _("idempotentiesleutels")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "operation", "key"], name="api_idempotency_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation}:{self.key}"
