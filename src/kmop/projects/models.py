"""Projects of the kmo-portefeuille (RULES.md §1–3, docs/decisions/0012-projects.md).

* ``EnterpriseProfile``: what the e-loket's first use completes for an enterprise (IBAN, main activity,
  contact); ``completed_at`` set when complete.
* ``SizeClassYear``: the size class (KO/MO) of an enterprise for a calendar year; ``locked_at`` is set at the
  first successful application of that year and the class never changes after.
* ``YearBudget``: the yearly cap and what is used of it. The database holds the cap: CHECK ``0 <= used <=
  cap``, and the services add to ``used`` only with a conditional UPDATE (``used + x <= cap``), never by
  read-modify-write.
* ``Project``: one application (``YYYYKMO`` + 6 digits, a sequence per year in ``ProjectNumberSequence``), the
  regime's calculation frozen on it, the structured reference of the deposit (derived from the number, mod
  97), the status of the life cycle (``ProjectStatus``) and ``budget_held``: what the project counts in its
  year's budget (its subsidy until the budget is released).
* ``ProjectStatusChange``: the history of the statuses (the audit has the full record).
* ``ProjectReport``: a provider's report ("melden", seed 004) on a finished project: a message to the
  kmo-portefeuille service, kept as a case (open until the service closes it); ``report_services``.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kmop.idm.models import Organisation
from kmop.providers.models import Registration, Service

__all__ = [
    "FINAL_STATUSES",
    "EnterpriseProfile",
    "Project",
    "ProjectNumberSequence",
    "ProjectReport",
    "ProjectReportStatus",
    "ProjectStatus",
    "ProjectStatusChange",
    "Service",
    "SizeClass",
    "SizeClassYear",
    "YearBudget",
]

#: the highest number of the 6-digit sequence of a year
NUMBER_MAX = 999_999
#: amounts above this are refused as absurd (a project of a hundred million euro is a typing error)
AMOUNT_MAX = Decimal("99999999.99")


class SizeClass(models.TextChoices):
    SMALL = "KO", _("kleine onderneming")
    MEDIUM = "MO", _("middelgrote onderneming")


class ProjectStatus(models.TextChoices):
    """The statuses shown to users (seed 004, RULES.md §3)."""

    BEVESTIGD = "Bevestigd", _("Bevestigd")
    LOPEND = "Lopend", _("Lopend")
    STOPZETTING_AANGEVRAAGD = "StopzettingAangevraagd", _("Stopzetting aangevraagd")
    AFGEWERKT = "Afgewerkt", _("Afgewerkt")
    GEANNULEERD = "ProjectGeannuleerd", _("Project geannuleerd")
    GESTOPT = "Gestopt", _("Gestopt")


#: no transition leaves these
FINAL_STATUSES = frozenset({ProjectStatus.AFGEWERKT, ProjectStatus.GEANNULEERD, ProjectStatus.GESTOPT})


class EnterpriseProfile(models.Model):
    """The e-loket's data of an enterprise that the KBO does not give (completed at the first use)."""

    class Language(models.TextChoices):
        DUTCH = "nl", _("Nederlands")
        ENGLISH = "en", _("Engels")

    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("onderneming"),
        on_delete=models.PROTECT,
        related_name="enterprise_profile",
    )
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    nace_code = models.CharField(_("hoofdactiviteit (NACE-code)"), max_length=10, blank=True)
    contact_name = models.CharField(_("contactpersoon"), max_length=200, blank=True)
    contact_email = models.EmailField(_("e-mailadres contactpersoon"), blank=True)
    contact_phone = models.CharField(_("telefoonnummer contactpersoon"), max_length=20, blank=True)
    language = models.CharField(_("taal"), max_length=2, choices=Language.choices, default=Language.DUTCH)
    completed_at = models.DateTimeField(_("vervolledigd op"), null=True, blank=True)
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)

    class Meta:
        verbose_name = _("ondernemingsprofiel")
        verbose_name_plural = _("ondernemingsprofielen")

    def __str__(self) -> str:
        return str(self.organisation)


class SizeClassYear(models.Model):
    """The size class of an enterprise in a calendar year; locked at the year's first successful
    application."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("onderneming"), on_delete=models.PROTECT, related_name="size_classes"
    )
    year = models.PositiveSmallIntegerField(_("jaar"))
    size_class = models.CharField(_("ondernemingsgrootte"), max_length=2, choices=SizeClass.choices)
    confirmed_at = models.DateTimeField(_("bevestigd op"), null=True, blank=True)
    locked_at = models.DateTimeField(_("vastgelegd op"), null=True, blank=True)

    class Meta:
        verbose_name = _("ondernemingsgrootte per jaar")
        verbose_name_plural = _("ondernemingsgroottes per jaar")
        ordering = ["organisation", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="projects_size_class_year_unique"),
            models.CheckConstraint(
                condition=Q(size_class__in=["KO", "MO"]), name="projects_size_class_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.year}: {self.size_class}"


class YearBudget(models.Model):
    """The yearly cap of an enterprise (calendar year of the application date) and what is used of it."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("onderneming"), on_delete=models.PROTECT, related_name="year_budgets"
    )
    year = models.PositiveSmallIntegerField(_("jaar"))
    cap = models.DecimalField(_("plafond"), max_digits=12, decimal_places=2)
    used = models.DecimalField(_("gebruikt"), default=Decimal("0.00"), max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = _("jaarbudget")
        verbose_name_plural = _("jaarbudgetten")
        ordering = ["organisation", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="projects_year_budget_unique"),
            models.CheckConstraint(condition=Q(used__lte=F("cap")), name="projects_budget_used_le_cap"),
            models.CheckConstraint(condition=Q(used__gte=0), name="projects_budget_used_ge_0"),
            models.CheckConstraint(condition=Q(cap__gte=0), name="projects_budget_cap_ge_0"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.year}: {self.used}/{self.cap}"

    @property
    def left(self) -> Decimal:
        return self.cap - self.used


class ProjectNumberSequence(models.Model):
    """The project numbers of one year: advanced by one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``
    (``services.next_project_number``); the row stays locked until the transaction ends, so numbers are unique
    and a rolled-back application gives its number back."""

    year = models.PositiveSmallIntegerField(_("jaar"), primary_key=True)
    last_value = models.PositiveIntegerField(_("laatste waarde"), default=0)

    class Meta:
        verbose_name = _("projectnummerreeks")
        verbose_name_plural = _("projectnummerreeksen")
        constraints = [
            models.CheckConstraint(condition=Q(last_value__lte=NUMBER_MAX), name="projects_sequence_max"),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.last_value}"


class Project(models.Model):
    """An application of the kmo-portefeuille and its life cycle."""

    number = models.CharField(_("projectnummer"), max_length=13, unique=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("onderneming"), on_delete=models.PROTECT, related_name="projects"
    )
    registration = models.ForeignKey(
        Registration, verbose_name=_("registratie"), on_delete=models.PROTECT, related_name="projects"
    )
    service = models.CharField(_("dienst"), max_length=10, choices=Service.choices)
    theme = models.CharField(_("thema"), max_length=40, blank=True)
    subtheme = models.CharField(_("subthema"), max_length=60, blank=True)
    training_type = models.CharField(_("soort opleiding"), max_length=40, blank=True)
    title = models.CharField(_("titel"), max_length=300)
    start_date = models.DateField(_("startdatum"))
    hours = models.DecimalField(_("aantal uren"), max_digits=7, decimal_places=2)
    participants = models.PositiveIntegerField(_("aantal deelnemers"), default=1)
    amount = models.DecimalField(_("projectbedrag exclusief btw"), max_digits=12, decimal_places=2)
    application_date = models.DateField(_("aanvraagdatum"))
    regime_from = models.DateField(_("regeling geldig vanaf"))
    regime_version = models.CharField(_("versie van de regeling"), max_length=40, blank=True)
    size_class = models.CharField(_("ondernemingsgrootte"), max_length=2, choices=SizeClass.choices)
    rate = models.DecimalField(_("steunpercentage"), max_digits=5, decimal_places=4)
    subsidy = models.DecimalField(_("steun"), max_digits=12, decimal_places=2)
    own_contribution = models.DecimalField(_("eigen bijdrage"), max_digits=12, decimal_places=2)
    #: what this project counts in its year's budget: its subsidy, 0 once released (cancel, stop in the year)
    budget_held = models.DecimalField(_("vastgelegd budget"), max_digits=12, decimal_places=2)
    structured_reference = models.CharField(_("gestructureerde mededeling"), max_length=12, unique=True)
    deposit_deadline = models.DateField(_("uiterste stortingsdatum"))
    status = models.CharField(
        pgettext_lazy("project", "status"), max_length=24, choices=ProjectStatus.choices
    )
    status_changed_at = models.DateTimeField(_("status gewijzigd op"))
    deposited_at = models.DateTimeField(_("eigen bijdrage gestort op"), null=True, blank=True)
    note = models.TextField(_("opmerking"), blank=True)
    #: the wizard's form token: a second submission of the same form returns the first project
    idempotency_key = models.CharField(_("formuliersleutel"), max_length=64, blank=True)
    created_by = models.CharField(_("ingediend door"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projecten")
        ordering = ["-application_date", "-number"]
        indexes = [
            models.Index(fields=["organisation", "-application_date"], name="projects_org_date_idx"),
            models.Index(fields=["status", "deposit_deadline"], name="projects_status_deadline_idx"),
            models.Index(fields=["status", "application_date"], name="projects_status_date_idx"),
            # the back office's queue of stop requests, oldest first: its page and its count (with the number,
            # the key of the queue's assignments, as a trailing key: SQLite has no INCLUDE) are a scan of this
            # small index
            models.Index(
                fields=["status_changed_at", "id", "number"],
                condition=Q(status="StopzettingAangevraagd"),
                name="projects_stop_queue_idx",
            ),
            # the providers' overview (``provider_selectors``): per registration, one index per sort of the
            # list (date, amount, number, status; the number breaks ties) whose trailing keys carry the
            # list's other columns (keys, not INCLUDE: SQLite has no non-key columns), so that a page is an
            # ordered index-only scan that stops after the page and the count an index-only scan; the
            # service needs none (a registration has one service)
            models.Index(
                fields=[
                    *("registration", "application_date", "number"),
                    *("amount", "status", "service", "organisation"),
                ],
                name="projects_provider_date_idx",
            ),
            models.Index(
                fields=[
                    *("registration", "amount", "number"),
                    *("application_date", "status", "service", "organisation"),
                ],
                name="projects_provider_amount_idx",
            ),
            models.Index(
                fields=[
                    *("registration", "number"),
                    *("application_date", "amount", "status", "service", "organisation"),
                ],
                name="projects_provider_number_idx",
            ),
            models.Index(
                fields=[
                    *("registration", "status", "number"),
                    *("application_date", "amount", "service", "organisation"),
                ],
                name="projects_provider_status_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="projects_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^[0-9]{4}KMO[0-9]{6}$"), name="projects_number_format"
            ),
            models.CheckConstraint(
                condition=Q(structured_reference__regex=r"^[0-9]{12}$"), name="projects_reference_format"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="projects_amount_positive"),
            models.CheckConstraint(
                condition=Q(subsidy__gte=0, subsidy__lte=F("amount")), name="projects_subsidy_in_amount"
            ),
            models.CheckConstraint(
                condition=Q(own_contribution=Round(F("amount") - F("subsidy"), 2)),
                name="projects_own_contribution",
            ),
            models.CheckConstraint(
                condition=Q(budget_held__gte=0, budget_held__lte=F("subsidy")), name="projects_budget_held"
            ),
            models.CheckConstraint(condition=Q(hours__gt=0), name="projects_hours_positive"),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ProjectStatus]), name="projects_status_known"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def year(self) -> int:
        return self.application_date.year

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def structured_reference_display(self) -> str:
        from kmop.registers.numbers import format_structured_reference

        return format_structured_reference(self.structured_reference)


class ProjectStatusChange(models.Model):
    """One status change of a project: from, to, which action, when, by whom, why."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(_("van"), max_length=24, choices=ProjectStatus.choices, blank=True)
    to_status = models.CharField(_("naar"), max_length=24, choices=ProjectStatus.choices)
    action = models.CharField(_("actie"), max_length=40)
    at = models.DateTimeField(_("op"))
    actor_label = models.CharField(_("door"), max_length=200)
    reason = models.TextField(_("reden"), blank=True)
    proof_name = models.CharField(_("bewijsstuk"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("statuswijziging van een project")
        verbose_name_plural = _("statuswijzigingen van projecten")
        ordering = ["project", "at", "id"]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.from_status or '-'} → {self.to_status}"


class ProjectReportStatus(models.TextChoices):
    OPEN = "open", _("open")
    CLOSED = "closed", _("afgesloten")


class ProjectReport(models.Model):
    """A provider's report ("melden") on one of its finished projects: why the project cannot be
    supported; the kmo-portefeuille service is mailed and follows it up as a case."""

    project = models.ForeignKey(
        Project, verbose_name=_("project"), on_delete=models.PROTECT, related_name="reports"
    )
    #: the provider's organisation that reported (the project's provider at the time)
    provider_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("dienstverlener"),
        on_delete=models.PROTECT,
        related_name="project_reports",
    )
    message = models.TextField(_("bericht"))
    actor_label = models.CharField(_("door"), max_length=200)
    created_at = models.DateTimeField(_("gemeld op"))
    status = models.CharField(
        pgettext_lazy("project report", "status"),
        max_length=10,
        choices=ProjectReportStatus.choices,
        default=ProjectReportStatus.OPEN,
    )
    closed_at = models.DateTimeField(_("afgesloten op"), null=True, blank=True)
    closed_by = models.CharField(_("afgesloten door"), max_length=200, blank=True)
    closing_note = models.TextField(_("opmerking bij het afsluiten"), blank=True)

    class Meta:
        verbose_name = _("melding over een project")
        verbose_name_plural = _("meldingen over projecten")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="projects_report_status_idx"),
            models.Index(
                fields=["provider_organisation", "-created_at"], name="projects_report_provider_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in ProjectReportStatus]), name="projects_report_status"
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="projects_report_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id}: {self.get_status_display()}"
