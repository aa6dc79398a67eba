"""The record of the daily jobs: one row per job per day, so that a second run the same day does nothing
more."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobRun(models.Model):
    """A daily job for one day: running, succeeded or failed (a failed one runs again on the next call)."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Bezig")
        SUCCEEDED = "succeeded", _("Geslaagd")
        FAILED = "failed", _("Mislukt")

    job = models.CharField(_("taak"), max_length=100)
    day = models.DateField(_("dag"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    attempts = models.PositiveIntegerField(_("pogingen"), default=0)
    started_at = models.DateTimeField(_("gestart op"))
    finished_at = models.DateTimeField(_("klaar op"), null=True, blank=True)
    summary = models.TextField(_("resultaat"), blank=True)
    error = models.TextField(_("fout"), blank=True)

    class Meta:
        verbose_name = _("uitvoering van een dagelijkse taak")
        verbose_name_plural = _("uitvoeringen van dagelijkse taken")
        ordering = ["-day", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "day"], name="jobs_one_run_per_job_per_day")]

    def __str__(self) -> str:
        return f"{self.job} {self.day:%Y-%m-%d}: {self.get_status_display()}"
