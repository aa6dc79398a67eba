"""Providers (dienstverleners) and their registrations (seed 004, RULES.md §4).

A ``Provider`` is one provider organisation (an ``idm.Organisation`` of an enterprise in the KBO); its
``ProviderDepartment``s have their own contact person and bank account (the payouts of their projects use it);
its ``ProviderEstablishment``s (the registered office first) are search criteria. A ``Registration`` is the
registration of the provider, or of one of its departments, for one service (opleiding → ``DV.O``, advies →
``DV.A``, + 6 digits of one global sequence, ``NumberSequence``).

Validity: a registration is valid from ``valid_from`` up to, not including, ``valid_until`` (the "Vervaldag"
of the overview: on that day it becomes L). See docs/decisions/0011-providers.md.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kmop.idm.models import Department, Organisation

#: validity of an approval in years (starters: 2 years, then 3 more after a follow-up audit)
VALIDITY_YEARS = 5
STARTER_VALIDITY_YEARS = 2

#: the highest number of the 6-digit registration sequence
NUMBER_MAX = 999_999


class Service(models.TextChoices):
    """The services of the kmo-portefeuille (re-used by the e-loket's projects)."""

    OPLEIDING = "opleiding", _("Opleiding")
    ADVIES = "advies", _("Advies")


#: the prefix of the registration number per service
NUMBER_PREFIX = {Service.OPLEIDING: "DV.O", Service.ADVIES: "DV.A"}


class Basis(models.TextChoices):
    """The basis of a registration (stap 3 "registratiebasis"), limited by service (``BASES_BY_SERVICE``)."""

    PRIVATE = "prive", _("private dienstverlener")
    KNOWLEDGE_INSTITUTION = "kennisinstelling", _("kennisinstelling")
    SECTOR_FUND = "sectorfonds", _("sectorfonds")


#: RULES.md §4 (decision): a sector fund only for opleiding; a knowledge institution for both
BASES_BY_SERVICE: dict[str, tuple[str, ...]] = {
    Service.OPLEIDING: (Basis.PRIVATE, Basis.KNOWLEDGE_INSTITUTION, Basis.SECTOR_FUND),
    Service.ADVIES: (Basis.PRIVATE, Basis.KNOWLEDGE_INSTITUTION),
}


class RegistrationStatus(models.TextChoices):
    """The status codes of the overview "Registraties: overzicht" (seed 004), with the legend's labels."""

    REQUESTED = "A", _("Aangevraagd")
    APPROVED = "G", _("Goedgekeurd")
    EXTENSION_REQUESTED = "G/V", _("Goedgekeurd (Verlenging aangevraagd)")
    REFUSED = "N", _("Geweigerd")
    EXPIRED = "L", _("Verlopen")
    RENEWAL_REQUESTED = "L/H", _("Verlopen (Hernieuwing aangevraagd)")
    SUSPENDED = "S", _("Geschorst")
    EXCLUDED = "U", _("Uitgesloten")
    STOPPED = "T", _("Gestopt")


#: the statuses in which the provider may be chosen in an application (RULES.md §4)
VALID_STATUSES = (RegistrationStatus.APPROVED, RegistrationStatus.EXTENSION_REQUESTED)
#: the statuses of an existing registration for a service: a new request for that service is refused
REGISTERED_STATUSES = (
    RegistrationStatus.REQUESTED,
    RegistrationStatus.APPROVED,
    RegistrationStatus.EXTENSION_REQUESTED,
)
#: the statuses of a registration that blocks a new request for its service (A, G, G/V: extend instead;
#: L, L/H: renew instead; S, U: blocked); only after N (refused) or T (stopped) may it be requested anew
OPEN_STATUSES = ("A", "G", "G/V", "L", "L/H", "S", "U")
#: the statuses shown by "toon voor actieve diensten"
ACTIVE_STATUSES = (
    RegistrationStatus.REQUESTED,
    RegistrationStatus.APPROVED,
    RegistrationStatus.EXTENSION_REQUESTED,
    RegistrationStatus.RENEWAL_REQUESTED,
    RegistrationStatus.SUSPENDED,
)
#: the statuses that wait for a decision of the kmo-portefeuille service
PENDING_STATUSES = (
    RegistrationStatus.REQUESTED,
    RegistrationStatus.EXTENSION_REQUESTED,
    RegistrationStatus.RENEWAL_REQUESTED,
)


def status_legend() -> list[tuple[str, str]]:
    """The legend under the overview ("* Status:"), in the seed's order: ``[("A", "Aangevraagd"), ...]``."""
    return [(str(status.value), str(status.label)) for status in RegistrationStatus]


class Level(models.TextChoices):
    """The level of a registration (stap 1) and the "Type" column: registered office or department."""

    REGISTERED_OFFICE = "MZ", _("Maatschappelijke zetel")
    DEPARTMENT = "DEP", _("Departement")


class Language(models.TextChoices):
    """The language of a provider's mails: the same codes and labels as the enterprises'
    ``projects.EnterpriseProfile.Language`` (not imported: ``kmop.projects.models`` imports this module)."""

    DUTCH = "nl", _("Nederlands")
    ENGLISH = "en", _("Engels")


class AddressMixin(models.Model):
    street = models.CharField(_("straat"), max_length=200)
    house_number = models.CharField(_("huisnummer"), max_length=20)
    box = models.CharField(_("bus"), max_length=20, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10)
    municipality = models.CharField(_("gemeente"), max_length=200)
    country = models.CharField(_("land"), max_length=2, default="BE", help_text=_("ISO-landcode, bv. BE."))

    class Meta:
        abstract = True

    @property
    def street_line(self) -> str:
        """ "Straat en nr./bus" as the overviews show it: ``Koning Albert II-Laan 30 12``."""
        return " ".join(p for p in (self.street, self.house_number, self.box) if p)

    @property
    def municipality_line(self) -> str:
        """ "Gemeente": ``1030 Schaarbeek``."""
        return f"{self.postcode} {self.municipality}".strip()


class Provider(AddressMixin, models.Model):
    """A provider organisation (the registered office, maatschappelijke zetel), one per organisation."""

    #: no database constraint (as the KBO tables): the IDM's synthetic seed replaces its organisations and
    #: departments without knowing the apps that point at them; the ORM protects them (PROTECT) and the
    #: providers' seed step replaces the providers after it (docs/decisions/0011-providers.md)
    organisation = models.OneToOneField(
        Organisation,
        verbose_name=_("organisatie"),
        on_delete=models.PROTECT,
        related_name="provider",
        db_constraint=False,
    )
    legal_name = models.CharField(_("maatschappelijke naam"), max_length=320)
    enterprise_number = models.CharField(_("ondernemingsnummer"), max_length=10, unique=True)
    legal_form = models.CharField(
        _("rechtsvorm"), max_length=3, blank=True, help_text=_("Code van de rechtsvorm in de KBO.")
    )
    contact_name = models.CharField(_("contactpersoon"), max_length=200)
    contact_email = models.EmailField(_("e-mailadres"))
    contact_phone = models.CharField(_("telefoonnummer"), max_length=20, blank=True)
    #: the language of the portal's mails to the provider (sign-up, new password, certificate): the
    #: sign-up page's language, changed in "Maatschappelijke zetel wijzigen"
    #: the language of the provider's mails; also the database's default, for the rows the seeds and the
    #: benchmarks write with COPY
    language = models.CharField(
        _("taal"), max_length=2, choices=Language.choices, default=Language.DUTCH, db_default=Language.DUTCH
    )
    website = models.URLField(_("website"), blank=True)
    iban = models.CharField(_("rekeningnummer (IBAN)"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    fields_of_expertise = models.TextField(_("vakgebieden"), blank=True)
    presentation = models.TextField(_("voorstelling"), blank=True)
    is_foreign = models.BooleanField(
        _("buitenlandse dienstverlener"),
        default=False,
        help_text=_("Een buitenlandse onderneming met een Belgisch ondernemingsnummer."),
    )
    #: the login of seed 004 ("Uw huidige login is: 012345678"); the password comes with the portal
    login = models.CharField(_("login"), max_length=60, unique=True)
    password = models.CharField(_("paswoord"), max_length=128, blank=True)
    created_at = models.DateTimeField(_("aangemeld op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)

    class Meta:
        verbose_name = _("dienstverlener")
        verbose_name_plural = _("dienstverleners")
        ordering = ["legal_name", "enterprise_number"]
        indexes = [models.Index(fields=["legal_name"], name="prov_provider_name_idx")]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def display_enterprise_number(self) -> str:
        from kmop.registers.numbers import format_enterprise_number

        return format_enterprise_number(self.enterprise_number)


class ProviderDepartment(models.Model):
    """A department (departement) of a provider with its own contact person and bank account.

    It is one-to-one with the ``idm.Department`` that the departments right of the Gebruikersbeheer uses.
    """

    provider = models.ForeignKey(
        Provider, verbose_name=_("dienstverlener"), on_delete=models.PROTECT, related_name="departments"
    )
    department = models.OneToOneField(
        Department,
        verbose_name=_("departement (IDM)"),
        on_delete=models.PROTECT,
        related_name="provider_link",
        db_constraint=False,  # see Provider.organisation
    )
    contact_name = models.CharField(_("contactpersoon"), max_length=200)
    contact_email = models.EmailField(_("e-mailadres"))
    contact_phone = models.CharField(_("telefoonnummer"), max_length=20, blank=True)
    iban = models.CharField(_("rekeningnummer (IBAN)"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    street = models.CharField(_("straat"), max_length=200, blank=True)
    house_number = models.CharField(_("huisnummer"), max_length=20, blank=True)
    box = models.CharField(_("bus"), max_length=20, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    municipality = models.CharField(_("gemeente"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("aangemeld op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)

    class Meta:
        verbose_name = _("departement van een dienstverlener")
        verbose_name_plural = _("departementen van dienstverleners")
        ordering = ["provider", "department__name"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.department.name

    @property
    def street_line(self) -> str:
        return " ".join(p for p in (self.street, self.house_number, self.box) if p)

    @property
    def municipality_line(self) -> str:
        return f"{self.postcode} {self.municipality}".strip()


class ProviderEstablishment(AddressMixin, models.Model):
    """A place where the provider works ("Vestigingen"): the registered office first, then others."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("dienstverlener"), on_delete=models.CASCADE, related_name="establishments"
    )
    is_registered_office = models.BooleanField(_("maatschappelijke zetel"), default=False)
    name = models.CharField(_("naam"), max_length=200, blank=True)
    #: the point of the postcode (``kmop.registers.geo``), for "Zoek een dienstverlener" by distance; set by
    #: ``save`` (and by the seed), empty for a postcode outside Belgium or unknown
    latitude = models.FloatField(_("breedtegraad"), null=True, blank=True, editable=False)
    longitude = models.FloatField(_("lengtegraad"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd op"), auto_now=True)

    class Meta:
        verbose_name = _("vestiging")
        verbose_name_plural = _("vestigingen")
        ordering = ["provider", "-is_registered_office", "postcode", "id"]
        indexes = [
            models.Index(fields=["postcode"], name="prov_establishment_pc_idx"),
            models.Index(fields=["municipality"], name="prov_establishment_muni_idx"),
            models.Index(fields=["latitude", "longitude"], name="prov_establishment_point_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"], condition=Q(is_registered_office=True), name="prov_one_registered_office"
            )
        ]

    def __str__(self) -> str:
        return f"{self.municipality_line}, {self.street_line}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if update_fields is None or {"postcode", "country"} & set(update_fields):
            self.locate()
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "latitude", "longitude"}
        super().save(*args, **kwargs)

    def locate(self) -> None:
        """Set ``latitude``/``longitude`` to the point of the postcode (Belgium only), else empty."""
        from kmop.registers.geo import postcode_point

        point = postcode_point(self.postcode) if (self.country or "BE").upper() == "BE" else None
        self.latitude = point.latitude if point else None
        self.longitude = point.longitude if point else None


class NumberSequence(models.Model):
    """A gap-free number sequence (one row per name), advanced by a single ``UPDATE ... RETURNING``.

    The update locks the row until the caller's transaction ends, so two concurrent registrations never get
    the same number and a rolled-back one gives its number back (``services.next_numbers``).
    """

    name = models.CharField(_("naam"), max_length=40, primary_key=True)
    last_value = models.PositiveIntegerField(_("laatste waarde"), default=0)

    class Meta:
        verbose_name = _("nummerreeks")
        verbose_name_plural = _("nummerreeksen")

    def __str__(self) -> str:
        return f"{self.name}: {self.last_value}"


#: the name of the one global sequence of the registration numbers (DV.O and DV.A together)
REGISTRATION_SEQUENCE = "registration"


class Registration(models.Model):
    """The registration of a provider (registered office) or of one of its departments for one service."""

    number = models.CharField(_("registratienummer"), max_length=10, unique=True)
    provider = models.ForeignKey(
        Provider, verbose_name=_("dienstverlener"), on_delete=models.PROTECT, related_name="registrations"
    )
    department = models.ForeignKey(
        ProviderDepartment,
        verbose_name=_("departement"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
        help_text=_("Leeg: registratie op niveau van de maatschappelijke zetel."),
    )
    service = models.CharField(_("dienst"), max_length=10, choices=Service.choices)
    basis = models.CharField(_("registratiebasis"), max_length=20, choices=Basis.choices)
    status = models.CharField(
        pgettext_lazy("registration", "status"), max_length=3, choices=RegistrationStatus.choices
    )
    is_starter = models.BooleanField(
        _("starter"), default=False, help_text=_("Een starter wordt eerst 2 jaar geregistreerd.")
    )
    valid_from = models.DateField(_("geldig vanaf"), null=True, blank=True)
    valid_until = models.DateField(
        _("vervaldag"), null=True, blank=True, help_text=_("Vanaf deze dag is de registratie verlopen.")
    )
    requested_at = models.DateTimeField(_("aangevraagd op"))
    decided_at = models.DateTimeField(_("beslist op"), null=True, blank=True)
    decided_by = models.CharField(_("beslist door"), max_length=200, blank=True)
    decision_reason = models.TextField(_("motivering"), blank=True)
    status_changed_at = models.DateTimeField(_("status gewijzigd op"))
    #: raised by every change: a decision taken on what the staff member saw is refused when it changed since
    version = models.PositiveIntegerField(_("versie"), default=1)

    class Meta:
        verbose_name = _("registratie")
        verbose_name_plural = _("registraties")
        ordering = ["provider", "service", "number"]
        indexes = [
            models.Index(fields=["service", "status", "valid_until"], name="prov_reg_service_status_idx"),
            models.Index(fields=["status", "valid_until"], name="prov_reg_status_until_idx"),
            # the back office's queue, oldest first: a page is the first rows of this index
            models.Index(
                fields=["status_changed_at", "id"],
                condition=Q(status__in=[status.value for status in PENDING_STATUSES]),
                name="prov_reg_pending_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=False, valid_until__gt=F("valid_from")),
                name="prov_reg_until_after_from",
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^DV\.[OA][0-9]{6}$"), name="prov_reg_number_format"
            ),
            models.CheckConstraint(
                condition=Q(service="opleiding", number__startswith="DV.O")
                | Q(service="advies", number__startswith="DV.A"),
                name="prov_reg_number_service",
            ),
            models.CheckConstraint(
                condition=~Q(service="advies", basis="sectorfonds"), name="prov_reg_no_sector_fund_advies"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["G", "G/V"])
                | Q(valid_from__isnull=False, valid_until__isnull=False),
                name="prov_reg_valid_has_dates",
            ),
            # one open registration per service for the registered office, and per service per department
            models.UniqueConstraint(
                fields=["provider", "service"],
                condition=Q(department__isnull=True, status__in=OPEN_STATUSES),
                name="prov_reg_one_open_office",
            ),
            models.UniqueConstraint(
                fields=["department", "service"],
                condition=Q(department__isnull=False, status__in=OPEN_STATUSES),
                name="prov_reg_one_open_department",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def level(self) -> str:
        """The "Type" column: ``MZ`` (registered office) or ``DEP`` (department)."""
        return Level.DEPARTMENT if self.department_id else Level.REGISTERED_OFFICE

    @property
    def holder_name(self) -> str:
        """The "Dienstverlener" column: the department's name, else the provider's legal name."""
        return self.department.name if self.department_id and self.department else self.provider.legal_name

    def is_valid_on(self, day: date) -> bool:
        return (
            self.status in VALID_STATUSES
            and self.valid_from is not None
            and self.valid_until is not None
            and self.valid_from <= day < self.valid_until
        )

    @property
    def can_extend(self) -> bool:
        """ "verlengen": a G registration, before its expiry date."""
        return self.status == RegistrationStatus.APPROVED

    @property
    def can_renew(self) -> bool:
        """ "hernieuwen": an L registration."""
        return self.status == RegistrationStatus.EXPIRED


class RegistrationEvent(models.Model):
    """The history of a registration: every status change, who, when, why (the audit has the full record)."""

    registration = models.ForeignKey(
        Registration, verbose_name=_("registratie"), on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(_("van"), max_length=3, choices=RegistrationStatus.choices, blank=True)
    to_status = models.CharField(_("naar"), max_length=3, choices=RegistrationStatus.choices)
    action = models.CharField(_("actie"), max_length=40)
    at = models.DateTimeField(_("op"))
    actor_label = models.CharField(_("door"), max_length=200)
    reason = models.TextField(_("reden"), blank=True)
    valid_from = models.DateField(_("geldig vanaf"), null=True, blank=True)
    valid_until = models.DateField(_("vervaldag"), null=True, blank=True)

    class Meta:
        verbose_name = _("statuswijziging van een registratie")
        verbose_name_plural = _("statuswijzigingen van registraties")
        ordering = ["registration", "at", "id"]

    def __str__(self) -> str:
        return f"{self.registration_id}: {self.from_status or '-'} → {self.to_status}"


# --- audit reports (RULES.md §4: approval needs a passing audit against the kmop-norm) ---------------------


class AuditBody(models.TextChoices):
    """The audit bodies appointed from 1 February 2024 for five years (research/domain.md)."""

    BQA = "bqa", "Belgian Quality Association (BQA)"
    BRAND_COMPLIANCE = "brand-compliance", "Brand Compliance"
    BUREAU_VERITAS = "bureau-veritas", "Bureau Veritas"
    CERTUP = "certup", "CertUp"
    DNV = "dnv", "Det Norske Veritas (DNV)"
    KIWA = "kiwa", "Kiwa Belgium"
    LRQA = "lrqa", "Lloyd's Register (LRQA)"
    VINCOTTE = "vincotte", "Vinçotte"


class Score(models.TextChoices):
    """A score of an indicator: B beperkt, G gedeeltelijk, T toereikend, V volkomen."""

    B = "B", _("B: beperkt")
    G = "G", _("G: gedeeltelijk")
    T = "T", _("T: toereikend")
    V = "V", _("V: volkomen")


#: scores that pass (decision: an indicator passes when both its scores are at least toereikend)
PASSING_SCORES = frozenset({Score.T, Score.V})


class Indicator(models.TextChoices):
    """The indicators of the kmop-norm the audit scores (research/domain.md, "General conditions")."""

    ACTIVITY = "activiteit", _("Omschrijving van de activiteiten")
    EXPERIENCE = "ervaring", _("Aantoonbare ervaring")
    SATISFACTION = "tevredenheid", _("Meting van de klantentevredenheid")
    COMPETENCES = "competenties", _("Inzet van de juiste competenties")
    KNOWLEDGE = "kennis", _("Kennis van de kmo-portefeuille")
    INTEGRITY = "integriteit", _("Integriteit")


#: a starter's audit exempts experience and client satisfaction (the starter track, research/domain.md)
STARTER_EXEMPT = frozenset({Indicator.EXPERIENCE, Indicator.SATISFACTION})


class AuditReport(models.Model):
    """The result of an audit of a private provider's request, entered by staff from the audit body's report.
    It counts for the request during which it was entered (``entered_at`` after the registration's
    ``status_changed_at``); a new report replaces an earlier one of the same request."""

    registration = models.ForeignKey(
        Registration, verbose_name=_("registratie"), on_delete=models.PROTECT, related_name="audit_reports"
    )
    audit_body = models.CharField(_("auditbureau"), max_length=20, choices=AuditBody.choices)
    audit_date = models.DateField(_("datum van de audit"))
    starter = models.BooleanField(_("startersaudit"), default=False)
    passed = models.BooleanField(_("geslaagd"))
    remark = models.TextField(_("opmerking"), blank=True)
    entered_at = models.DateTimeField(_("ingevoerd op"), default=timezone.now)
    entered_by = models.CharField(_("ingevoerd door"), max_length=200)

    class Meta:
        verbose_name = _("auditrapport")
        verbose_name_plural = _("auditrapporten")
        ordering = ["-entered_at", "-id"]
        indexes = [models.Index(fields=["registration", "entered_at"], name="prov_audit_reg_idx")]

    def __str__(self) -> str:
        return f"{self.registration_id} {self.audit_body} {self.audit_date}"


class AuditScore(models.Model):
    """One indicator of a report: the score of the described method and of its practice."""

    report = models.ForeignKey(
        AuditReport, verbose_name=_("auditrapport"), on_delete=models.CASCADE, related_name="scores"
    )
    indicator = models.CharField(_("indicator"), max_length=20, choices=Indicator.choices)
    method = models.CharField(_("score beschreven methode"), max_length=1, choices=Score.choices)
    practice = models.CharField(
        _("score aantoonbaarheid in de praktijk"), max_length=1, choices=Score.choices
    )

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="prov_audit_score_uniq"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.method}/{self.practice}"

    @property
    def passed(self) -> bool:
        return self.method in PASSING_SCORES and self.practice in PASSING_SCORES
