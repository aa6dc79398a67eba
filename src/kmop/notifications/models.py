"""The outbox: every e-mail and sms the platform sends, as it was sent (see decision 0008)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One e-mail or sms. The e-mail backend (``backends.OutboxEmailBackend``) and the bundled sms gateway
    (``sms.OutboxSmsGateway``) write it; in production a real backend/gateway also delivers it (``state``)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("sms")

    class State(models.TextChoices):
        STORED = "stored", _("alleen bewaard")  # no real delivery configured (development, demo)
        SENT = "sent", _("verzonden")
        FAILED = "failed", _("niet verzonden")

    channel = models.CharField(_("kanaal"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("ontvanger"), max_length=1000)  # addresses joined by ", ", or a number
    sender = models.CharField(_("afzender"), max_length=320, blank=True)
    subject = models.CharField(_("onderwerp"), max_length=998, blank=True)
    body_text = models.TextField(_("tekst"))
    body_html = models.TextField(_("HTML"), blank=True)
    language = models.CharField(_("taal"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)
    organisation = models.ForeignKey(
        "idm.Organisation",
        verbose_name=_("organisatie"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    person = models.ForeignKey(
        "idm.Person",
        verbose_name=_("persoon"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    state = models.CharField(_("status"), max_length=6, choices=State.choices, default=State.STORED)
    sent_at = models.DateTimeField(_("verzonden op"), null=True, blank=True)
    error = models.TextField(_("fout"), blank=True)

    class Meta:
        verbose_name = _("bericht")
        verbose_name_plural = _("berichten")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="outbox_newest")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.recipient}: {self.subject or self.body_text[:40]}"
