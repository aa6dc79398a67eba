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
        constraints = [
            models.UniqueConstraint(fields=["queue", "key"], name="backoffice_assignment_item_uniq")
        ]
        indexes = [models.Index(fields=["assignee", "queue"], name="backoffice_assignment_who_idx")]

    def __str__(self) -> str:
        return f"{self.queue}:{self.key} → {self.assignee_id}"


class DailyProjectStat(models.Model):
    """The applications of one closed day per service, per theme, per size class and per province (one row per
    dimension and value: about 25 a day, so that a year's figures are a few thousand rows; the summary of the
    dashboards, ``kmop.backoffice.dashboards``): how many, their project amounts and subsidies at application.
    Those never change after the application, so a closed day's row stays right; the province is that of the
    enterprise's registered office (KBO) when the day was summarised. Written only by
    ``dashboards.refresh_project_stats`` (the daily job ``backoffice.project_stats``); the days after the
    summary (today's applications) are counted live. Every application is in one row of each dimension."""

    class Dimension(models.TextChoices):
        SERVICE = "service", _("dienst")
        THEME = "theme", _("thema")
        SIZE = "size", _("ondernemingsgrootte")
        #: ``dashboards.PROVINCES``' code, empty: abroad or unknown
        PROVINCE = "province", _("provincie")

    day = models.DateField(_("aanvraagdatum"))
    dimension = models.CharField(_("indeling"), max_length=10, choices=Dimension.choices)
    key = models.CharField(_("waarde"), max_length=40, blank=True)
    projects = models.PositiveIntegerField(_("aanvragen"))
    amount = models.DecimalField(_("projectbedrag"), max_digits=16, decimal_places=2)
    subsidy = models.DecimalField(_("steun"), max_digits=16, decimal_places=2)

    class Meta:
        verbose_name = _("dagtotaal van aanvragen")
        verbose_name_plural = _("dagtotalen van aanvragen")
        constraints = [
            models.UniqueConstraint(fields=["day", "dimension", "key"], name="backoffice_daystat_key_uniq"),
            models.CheckConstraint(condition=models.Q(projects__gt=0), name="backoffice_daystat_projects"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension} {self.key}: {self.projects}"


class ProjectStatCoverage(models.Model):
    """One row: the last day that ``DailyProjectStat`` holds (every day up to it is summarised; the days after
    it are counted live from the projects)."""

    until = models.DateField(_("samengevat tot en met"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("bijgewerkt op"), null=True, blank=True)

    class Meta:
        verbose_name = _("stand van de dagtotalen")
        verbose_name_plural = _("stand van de dagtotalen")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="backoffice_statcoverage_one")]

    def __str__(self) -> str:
        return f"{self.until}"


class YearBudgetStat(models.Model):
    """The year budgets (``projects.YearBudget``) of one year per size class as the daily job
    ``backoffice.budget_stats`` found them (``taken_at``): how many enterprises have one, the sum of their
    caps, of what they used, and how many used all of it. Summing the year budgets live reads a row per
    enterprise-year of every year (no index on the year); the dashboards show this snapshot with its time."""

    year = models.PositiveSmallIntegerField(_("jaar"))
    #: ``SizeClass``, empty: no size class known for the year
    size_class = models.CharField(_("ondernemingsgrootte"), max_length=2, blank=True)
    enterprises = models.PositiveIntegerField(_("ondernemingen"))
    cap = models.DecimalField(_("jaarbudget"), max_digits=16, decimal_places=2)
    used = models.DecimalField(_("gebruikt"), max_digits=16, decimal_places=2)
    at_cap = models.PositiveIntegerField(_("volledig gebruikt"))
    taken_at = models.DateTimeField(_("stand op"))

    class Meta:
        verbose_name = _("stand van de jaarbudgetten")
        verbose_name_plural = _("stand van de jaarbudgetten")
        constraints = [
            models.UniqueConstraint(fields=["year", "size_class"], name="backoffice_budgetstat_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.size_class}: {self.used}/{self.cap}"
