"""The Gebruikersbeheer (IDM) and the BTB: organisations, persons, work relations, rights, administrators.

Dates are whole days and inclusive: a relation "geldig van 26/06/2018 tot 26/06/2028" is valid on both days.
Ending something early sets ``ended_at`` (a moment) as well as shortening the end date, so that an ended right
stops working at once, also on the day it is ended, and a question about a past moment gets the answer of
that moment. The maximum periods count from ``term_start``: the begin date, or the day of the last extension
("a new end date up to the maximum from today"). See docs/decisions/0005-idm-model.md.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kmop.idm.dates import max_days

#: the longest work relation: 10 years (end ≤ term start + 10 years)
WORK_RELATION_MAX_MONTHS = 120
#: the longest maximum period of any right (the CHECK constraint's safety net; the exact rule per right is in
#: the services)
RIGHT_MAX_MONTHS_CAP = 60


class TargetGroup(models.TextChoices):
    ECONOMIC_ACTOR = "EA", _("economische actor")
    GOVERNMENT = "GID", _("overheid")


class Organisation(models.Model):
    """An organisation in the IDM: an enterprise (enterprise number) or a government entity (OVO code)."""

    code = models.CharField(_("organisatiecode"), max_length=20, unique=True)
    name = models.CharField(_("naam"), max_length=320)
    target_group = models.CharField(_("doelgroep"), max_length=3, choices=TargetGroup.choices)
    is_natural_person = models.BooleanField(_("onderneming natuurlijk persoon"), default=False)
    active = models.BooleanField(
        _("actief"), default=True, help_text=_("Een onderneming moet daarnaast actief zijn in de KBO.")
    )
    departments_right_activated_at = models.DateTimeField(
        _("departementenrecht geactiveerd op"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)

    class Meta:
        verbose_name = _("organisatie")
        verbose_name_plural = _("organisaties")
        ordering = ["name", "code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_code})"

    @property
    def is_enterprise(self) -> bool:
        return self.target_group == TargetGroup.ECONOMIC_ACTOR

    @property
    def display_code(self) -> str:
        from kmop.registers.numbers import format_enterprise_number

        return format_enterprise_number(self.code) if self.is_enterprise else self.code

    @property
    def departments_right_activated(self) -> bool:
        return self.departments_right_activated_at is not None


class Department(models.Model):
    """A department (departement) of a provider: its own contact person and bank account (providers app)."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisatie"), on_delete=models.PROTECT, related_name="departments"
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("naam"), max_length=200)

    class Meta:
        verbose_name = _("departement")
        verbose_name_plural = _("departementen")
        ordering = ["organisation", "name"]
        constraints = [models.UniqueConstraint(fields=["organisation", "code"], name="idm_department_code")]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    """A person in the IDM, identified by national register number or BIS number (data from the register)."""

    class Sex(models.TextChoices):
        MALE = "M", _("man")
        FEMALE = "F", _("vrouw")
        UNKNOWN = "X", _("onbekend")

    class Language(models.TextChoices):
        DUTCH = "nl", _("Nederlands")
        ENGLISH = "en", _("Engels")

    national_number = models.CharField(_("rijksregister- of BIS-nummer"), max_length=11, unique=True)
    first_name = models.CharField(_("voornaam"), max_length=200)
    last_name = models.CharField(_("naam"), max_length=200)
    call_name = models.CharField(_("roepnaam"), max_length=200, blank=True)
    initials = models.CharField(_("initialen"), max_length=20, blank=True)
    birth_date = models.DateField(_("geboortedatum"), null=True, blank=True)
    sex = models.CharField(_("geslacht"), max_length=1, choices=Sex.choices)
    email = models.EmailField(_("e-mailadres"), blank=True)
    phone = models.CharField(_("telefoonnummer"), max_length=20, blank=True)
    language = models.CharField(_("taal"), max_length=2, choices=Language.choices, default=Language.DUTCH)
    register_checked_at = models.DateTimeField(_("opgehaald uit het rijksregister op"))
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)

    class Meta:
        verbose_name = _("persoon")
        verbose_name_plural = _("personen")
        ordering = ["last_name", "first_name", "national_number"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def is_bis(self) -> bool:
        from kmop.registers.numbers import national_number_kind

        return national_number_kind(self.national_number) == "bis"


class WorkRelation(models.Model):
    """Werkrelatie: a person works for an organisation, for at most 10 years at a time."""

    class Category(models.TextChoices):
        PERMANENT = "vast", _("Vaste Medewerker")
        EXTERNAL = "extern", _("Externe Medewerker")
        OCCASIONAL = "occasioneel", _("Occasionele Medewerker")
        CIVIL_SERVANT = "ambtenaar", _("Ambtenaar")

    class Status(models.TextChoices):
        FUTURE = "toekomstig", _("Toekomstig")
        ACTIVE = "actief", _("Actief")
        PAUSED = "gepauzeerd", _("Gepauzeerd")
        EXPIRED = "verlopen", _("Verlopen")
        ENDED = "beeindigd", _("Beëindigd")

    person = models.ForeignKey(
        Person, verbose_name=_("persoon"), on_delete=models.PROTECT, related_name="work_relations"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisatie"), on_delete=models.PROTECT, related_name="work_relations"
    )
    category = models.CharField(_("categorie"), max_length=20, choices=Category.choices)
    begin_date = models.DateField(_("begindatum"))
    end_date = models.DateField(_("einddatum"))
    term_start = models.DateField(
        _("begin van de lopende termijn"), help_text=_("De begindatum of de dag van de laatste verlenging.")
    )
    phone = models.CharField(_("telefoonnummer"), max_length=20)
    email = models.EmailField(_("e-mailadres"))
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    ended_at = models.DateTimeField(_("beëindigd op"), null=True, blank=True)

    class Meta:
        verbose_name = _("werkrelatie")
        verbose_name_plural = _("werkrelaties")
        ordering = ["organisation__name", "-begin_date"]
        indexes = [models.Index(fields=["organisation", "end_date"], name="idm_wr_org_end_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("begin_date")), name="idm_wr_end_after_begin"),
            models.CheckConstraint(
                condition=Q(term_start__gte=F("begin_date")), name="idm_wr_term_after_begin"
            ),
            models.CheckConstraint(
                condition=Q(end_date__lte=F("term_start") + max_days(WORK_RELATION_MAX_MONTHS)),
                name="idm_wr_at_most_10_years",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.organisation} ({self.get_category_display()})"

    def is_paused(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return any(p.started_at <= at and (p.ended_at is None or p.ended_at > at) for p in self.pauses.all())

    def status(self, at: datetime | None = None) -> WorkRelation.Status:
        at = at or timezone.now()
        day = timezone.localdate(at)
        if self.ended_at is not None and self.ended_at <= at:
            return self.Status.ENDED
        if day > self.end_date:
            return self.Status.EXPIRED
        if day < self.begin_date:
            return self.Status.FUTURE
        if self.is_paused(at):
            return self.Status.PAUSED
        return self.Status.ACTIVE


class WorkRelationPause(models.Model):
    """A pause of a work relation: from ``started_at`` until ``ended_at`` (open while paused)."""

    work_relation = models.ForeignKey(
        WorkRelation, verbose_name=_("werkrelatie"), on_delete=models.CASCADE, related_name="pauses"
    )
    started_at = models.DateTimeField(_("gepauzeerd op"))
    ended_at = models.DateTimeField(_("hervat op"), null=True, blank=True)
    reason = models.TextField(_("reden"), blank=True)

    class Meta:
        verbose_name = _("pauze van een werkrelatie")
        verbose_name_plural = _("pauzes van werkrelaties")
        ordering = ["work_relation", "started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["work_relation"], condition=Q(ended_at__isnull=True), name="idm_one_open_pause"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="idm_pause_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.work_relation_id}: {self.started_at:%Y-%m-%d %H:%M} – {self.ended_at or '…'}"


class RightDefinition(models.Model):
    """A user right (gebruikersrecht), loaded from ``idm/data/rights.json`` (never edited by hand)."""

    class Context(models.TextChoices):
        NONE = "none", _("geen (2D)")
        VALUES = "values", _("profielen (3D)")
        DEPARTMENTS = "departments", _("departementen (3D)")

    code = models.CharField(_("code"), max_length=80, unique=True)
    label_nl = models.CharField(_("omschrijving (NL)"), max_length=200)
    label_en = models.CharField(_("omschrijving (EN)"), max_length=200)
    description_nl = models.TextField(_("toelichting (NL)"), blank=True)
    description_en = models.TextField(_("toelichting (EN)"), blank=True)
    context = models.CharField(_("contextwaarden"), max_length=20, choices=Context.choices)
    max_months = models.PositiveSmallIntegerField(_("maximumperiode (maanden)"))
    target_groups = models.JSONField(_("doelgroepen"), default=list)
    organisation_codes = models.JSONField(
        _("enkel voor organisaties"), default=list, blank=True, help_text=_("Leeg: elke organisatie.")
    )
    needs_activation = models.BooleanField(_("activering per organisatie nodig"), default=False)
    data_version = models.PositiveIntegerField(_("versie van het gegevensbestand"))
    active = models.BooleanField(_("actief"), default=True)

    class Meta:
        verbose_name = _("gebruikersrecht")
        verbose_name_plural = _("gebruikersrechten")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_months__gte=1, max_months__lte=RIGHT_MAX_MONTHS_CAP),
                name="idm_right_max_months_range",
            ),
        ]

    def __str__(self) -> str:
        return self.label_nl

    @property
    def dimension(self) -> str:
        return "2D" if self.context == self.Context.NONE else "3D"

    def label(self, language: str = "nl") -> str:
        return self.label_en if language.startswith("en") else self.label_nl


class RightContextValue(models.Model):
    """A context value (profile) of a 3D right, e.g. ``Gebruiker`` of ``VLAIOInkomGebruikerNieuw``."""

    right = models.ForeignKey(
        RightDefinition, verbose_name=_("gebruikersrecht"), on_delete=models.CASCADE, related_name="values"
    )
    code = models.CharField(_("code"), max_length=60)
    label_nl = models.CharField(_("omschrijving (NL)"), max_length=200)
    label_en = models.CharField(_("omschrijving (EN)"), max_length=200)

    class Meta:
        verbose_name = _("profiel")
        verbose_name_plural = _("profielen")
        ordering = ["right", "code"]
        constraints = [models.UniqueConstraint(fields=["right", "code"], name="idm_context_value_code")]

    def __str__(self) -> str:
        return self.label_nl


class RightGrant(models.Model):
    """Toekenning: a right (with one context value or department) on a work relation, for a limited time."""

    work_relation = models.ForeignKey(
        WorkRelation, verbose_name=_("werkrelatie"), on_delete=models.PROTECT, related_name="grants"
    )
    #: the work relation's organisation (which never changes), kept on the grant by every service that makes
    #: grants, so that "toekenning opzoeken" reads the index (organisation, end date, id) of its
    #: organisations only; that index serves the lookups by organisation too (no index of its own)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisatie"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    right = models.ForeignKey(
        RightDefinition, verbose_name=_("gebruikersrecht"), on_delete=models.PROTECT, related_name="grants"
    )
    #: the profile's code, or the department's code for the departments right; "" for a 2D right
    context_value = models.CharField(_("contextwaarde"), max_length=60, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("departement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants",
    )
    begin_date = models.DateField(_("begindatum"))
    end_date = models.DateField(_("einddatum"))
    term_start = models.DateField(_("begin van de lopende termijn"))
    granted_at = models.DateTimeField(_("toegekend op"), auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("toegekend door"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    granted_by_label = models.CharField(_("toegekend door (naam)"), max_length=200)
    ended_at = models.DateTimeField(_("beëindigd op"), null=True, blank=True)
    last_reminder_on = models.DateField(_("laatste herinnering op"), null=True, blank=True)

    class Meta:
        verbose_name = _("toekenning")
        verbose_name_plural = _("toekenningen")
        ordering = ["work_relation", "right", "context_value", "-begin_date"]
        indexes = [
            #: (end_date, id): the keyset pagination of "toekenning opzoeken" (an application manager: every
            #: organisation) and the expiring rights
            models.Index(fields=["end_date", "id"], name="idm_grant_end_id_idx"),
            #: (organisation, end_date, id): the same pages within the organisations of an administrator
            models.Index(fields=["organisation", "end_date", "id"], name="idm_grant_org_end_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("begin_date")), name="idm_grant_end_after_begin"
            ),
            models.CheckConstraint(
                condition=Q(term_start__gte=F("begin_date")), name="idm_grant_term_after_begin"
            ),
            models.CheckConstraint(
                condition=Q(end_date__lte=F("term_start") + max_days(RIGHT_MAX_MONTHS_CAP)),
                name="idm_grant_at_most_cap",
            ),
        ]

    def __str__(self) -> str:
        return self.role

    @property
    def role(self) -> str:
        """The grant as ACM writes it in the role claim: ``<Right>-<ContextValue>:<OrgCode>`` (3D)."""
        right = self.right.code + (f"-{self.context_value}" if self.context_value else "")
        return f"{right}:{self.work_relation.organisation.code}"


class AdministratorAppointment(models.Model):
    """An administrator of an organisation (BTB and IDM): who may manage its users and their rights."""

    class Level(models.TextChoices):
        MAIN = "main", _("Hoofdtoegangsbeheerder")
        CO_MAIN = "co_main", _("Co-hoofdtoegangsbeheerder")
        ACCESS_MANAGER = "access_manager", _("Toegangsbeheerder")
        LOCAL_ADMIN = "local_admin", _("Lokale beheerder")

    class Source(models.TextChoices):
        KBO = "kbo", _("Wettelijk vertegenwoordiger (KBO)")
        BTB = "btb", _("Beheer der Toegangsbeheerders (BTB)")
        IDM = "idm", _("Gebruikersbeheer (IDM)")

    #: the domain of an access manager that gives the administration of the kmo-portefeuille rights
    DOMAIN_ECONOMY = "economie"
    DOMAIN_ALL = "*"

    person = models.ForeignKey(
        Person, verbose_name=_("persoon"), on_delete=models.PROTECT, related_name="appointments"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisatie"), on_delete=models.PROTECT, related_name="appointments"
    )
    level = models.CharField(_("niveau"), max_length=20, choices=Level.choices)
    domain = models.CharField(
        _("domein"), max_length=40, blank=True, help_text=_("Enkel voor een toegangsbeheerder; * = alle.")
    )
    source = models.CharField(_("bron"), max_length=10, choices=Source.choices)
    begin_date = models.DateField(_("begindatum"))
    end_date = models.DateField(_("einddatum"), null=True, blank=True)
    appointed_at = models.DateTimeField(_("aangesteld op"), auto_now_add=True)
    appointed_by_label = models.CharField(_("aangesteld door"), max_length=200)
    ended_at = models.DateTimeField(_("beëindigd op"), null=True, blank=True)

    class Meta:
        verbose_name = _("aanstelling (beheerder)")
        verbose_name_plural = _("aanstellingen (beheerders)")
        ordering = ["organisation", "level", "begin_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(level="main", ended_at__isnull=True),
                name="idm_one_main_access_manager",
            ),
            models.CheckConstraint(
                condition=(Q(level="access_manager") & ~Q(domain=""))
                | (~Q(level="access_manager") & Q(domain="")),
                name="idm_domain_only_for_access_manager",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("begin_date")),
                name="idm_appointment_end_after_begin",
            ),
        ]

    def __str__(self) -> str:
        domain = f" ({self.domain})" if self.domain else ""
        return f"{self.get_level_display()}{domain}: {self.person} – {self.organisation}"
