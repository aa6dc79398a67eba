"""The back office's own data: who works on which item of a work queue (issue 6: queues with assignment).

``Assignment``: one row per queue item that a staff member took (or was given). The item is named by its
queue and its key (a registration's number, a project's number for a stop request, a report's or a payout's
id): the items live in other apps, and an item that leaves its queue simply stops being listed. Taking,
giving and releasing an item are audited (``backoffice.assignment.*``) by ``kmop.backoffice.assignments``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Queue(models.TextChoices):
    REGISTRATIONS = "registrations", _("Registraties")
    STOPS = "stops", _("Stopzettingen")
    REPORTS = "reports", _("Meldingen")
    DEPOSITS = "deposits", _("Niet herkende stortingen")


class Assignment(models.Model):
    queue = models.CharField(_("werklijst"), max_length=20, choices=Queue.choices)
    key = models.CharField(_("item"), max_length=40)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("behandelaar"),
        on_delete=models.PROTECT,
        related_name="backoffice_assignments",
    )
    assigned_at = models.DateTimeField(_("toegewezen op"), default=timezone.now)
    assigned_by = models.CharField(_("toegewezen door"), max_length=200)

    class Meta:
        verbose_name = _("toewijzing")
        verbose_name_plural = _("toewijzingen")
        constraints = [models.UniqueConstraint(fields=["queue", "key"], name="backoffice_assignment_item_uniq")]
        indexes = [models.Index(fields=["assignee", "queue"], name="backoffice_assignment_who_idx")]

    def __str__(self) -> str:
        return f"{self.queue}:{self.key} → {self.assignee_id}"
