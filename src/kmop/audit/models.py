"""Append-only audit events: who, acting for which organisation, when, what, why."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("audit events are append-only")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("tijdstip"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("gebruiker"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # A readable label kept even when there is no user account (a command, a daily job, a system).
    actor_label = models.CharField(_("wie"), max_length=200)
    organisation_code = models.CharField(_("handelend voor organisatie"), max_length=20, blank=True)
    acr = models.CharField(_("betrouwbaarheidsniveau"), max_length=100, blank=True)
    action = models.CharField(_("actie"), max_length=100)
    object_type = models.CharField(_("objecttype"), max_length=100)
    object_id = models.CharField(_("object"), max_length=100)
    before = models.JSONField(_("voor"), null=True, blank=True)
    after = models.JSONField(_("na"), null=True, blank=True)
    reason = models.TextField(_("reden"), blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("auditgebeurtenis")
        verbose_name_plural = _("auditgebeurtenissen")
        ordering = ["-at", "-id"]
        # Every search names the object's type with its id, or an action with a period; no search by prefix,
        # so no ``db_index`` on the text columns (on PostgreSQL it adds a second, pattern-ops index to each:
        # four indexes to write per event for nothing).
        indexes = [
            models.Index(fields=["object_type", "object_id", "at"]),
            models.Index(fields=["action", "at"], name="audit_action_at_idx"),
        ]

    def __str__(self) -> str:
        when = f"{self.at:%Y-%m-%d %H:%M}"
        return f"{when} {self.actor_label}: {self.action} {self.object_type} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError("audit events are append-only")
