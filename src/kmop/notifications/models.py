"""The outbox: every e-mail and sms of the platform (decisions 0008 and 0014).

An e-mail is written to the outbox in the same transaction as the change that causes it, as ``pending``, and
delivered later by ``kmop send_mail`` (``delivery.py``): pending → sending (a lease) → sent, or back to
pending with a backoff after a failure, and failed after ``MAX_ATTEMPTS``. Two forms:

- queued: ``template`` (a notification kind of ``kinds.py``) + ``context`` (JSON) + ``language``, rendered at
  delivery (and on the fly for display while pending); the set-based reminder pass writes these;
- rendered: ``subject``/``body_text``/``body_html`` (+ ``envelope``: cc, bcc, reply-to, headers,
  attachments), what ``django.core.mail`` senders hand to the e-mail backend (``backends.py``).

After ``KMOP_OUTBOX_RETENTION_DAYS`` a delivered row loses its bodies (``retention.py``, the daily job
``notifications.retention``): recipient, subject, kind, state, attempts, error and dates stay.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class OutboxMessage(models.Model):
    """One e-mail or sms."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        SMS = "sms", _("sms")

    class State(models.TextChoices):
        PENDING = "pending", _("te verzenden")
        SENDING = "sending", _("wordt verzonden")
        STORED = "stored", _("alleen bewaard")  # no real delivery configured (development, demo)
        SENT = "sent", _("verzonden")
        FAILED = "failed", _("niet verzonden")

    channel = models.CharField(_("kanaal"), max_length=5, choices=Channel.choices)
    recipient = models.CharField(_("ontvanger"), max_length=1000)  # addresses joined by ", ", or a number
    sender = models.CharField(_("afzender"), max_length=320, blank=True)
    subject = models.CharField(_("onderwerp"), max_length=998, blank=True)
    body_text = models.TextField(_("tekst"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    template = models.CharField(_("soort bericht"), max_length=100, blank=True)
    context = models.JSONField(_("gegevens"), null=True, blank=True)
    envelope = models.JSONField(_("envelop"), null=True, blank=True)
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
    state = models.CharField(_("status"), max_length=7, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("pogingen"), default=0)
    next_attempt_at = models.DateTimeField(_("volgende poging"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("opgenomen op"), null=True, blank=True)
    claimed_by = models.CharField(_("opgenomen door"), max_length=100, blank=True)
    sent_at = models.DateTimeField(_("verzonden op"), null=True, blank=True)
    error = models.TextField(_("fout"), blank=True)
    #: when ``retention.purge_bodies`` emptied the bodies (text, HTML, context, envelope): who, when, subject,
    #: kind and delivery stay
    purged_at = models.DateTimeField(_("inhoud gewist op"), null=True, blank=True)

    class Meta:
        verbose_name = _("bericht")
        verbose_name_plural = _("berichten")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="outbox_newest"),
            # the worker's queue: only the rows still to deliver
            models.Index(
                fields=["state", "id"],
                name="outbox_queue",
                condition=Q(state__in=["pending", "sending"]),
            ),
            # the retention job's queue: only the delivered rows whose bodies are still there
            models.Index(
                fields=["created_at"],
                name="outbox_to_purge",
                condition=Q(purged_at__isnull=True, state__in=["sent", "stored", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        shown = self.subject or self.template or self.body_text[:40]
        return f"{self.get_channel_display()} {self.recipient}: {shown}"

    def render(self) -> Rendered:
        """Subject, text and HTML as (to be) sent: a queued message is rendered from its kind."""
        if self.template:
            from kmop.notifications import kinds

            return kinds.render(self.template, self.language, self.context or {})
        return Rendered(self.subject, self.body_text, self.body_html)

    def for_display(self) -> OutboxMessage:
        """This message with subject and bodies filled in (not saved) for the demo page and the admin (a
        purged one as it is: its data are gone)."""
        if self.template and self.purged_at is None:
            try:
                rendered = self.render()
            except Exception as exc:  # a display must never fail on one bad row
                self.body_text = f"({type(exc).__name__}: {exc})"
                return self
            self.subject, self.body_text, self.body_html = rendered.subject, rendered.text, rendered.html
        return self
