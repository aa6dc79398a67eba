"""API tokens of an enterprise's own software (docs/decisions/0016-api-tokens.md).

* ``ApiToken``: a secret ``kmop_<key id>_<secret>`` shown once at creation; only its SHA-256 hash is kept,
  with the key id (public, unique) to find it. It acts for one organisation, on behalf of the person who made
  it, until it is revoked, expires, or that person may no longer act for the enterprise.
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

__all__ = ["ApiIdempotencyKey", "ApiToken"]


class ApiToken(models.Model):
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisatie"), on_delete=models.PROTECT, related_name="api_tokens"
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
    )
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
