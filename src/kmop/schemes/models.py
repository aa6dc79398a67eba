"""The scheme tables: schemes, their periods (regimes) and the dated lists (excluded services, accepted legal
forms, NACE rules).

Every row is valid from ``valid_from`` to ``valid_to`` (inclusive; ``None`` = open-ended). Rows of the same
key (a scheme's periods; one excluded service, legal form or NACE prefix of a scheme) never overlap, and a row
that has started is immutable except for ending it (``valid_to``, never before today): a change of the rules
is a new row from a later date, so a project is always judged by the rules of its application date
(docs/decisions/0010-scheme-framework.md). The services enforce this; the database adds a check of the dates.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Scheme(models.Model):
    """A steunmaatregel: ``kmo-portefeuille``, ``ecologiepremie-plus``, ``corona-hinderpremie``."""

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    kind = models.CharField(
        _("soort"), max_length=40, help_text=_("bepaalt hoe de parameters gelezen worden")
    )
    name_nl = models.CharField(_("naam (NL)"), max_length=200)
    name_en = models.CharField(_("naam (EN)"), max_length=200)
    data_version = models.PositiveIntegerField(_("versie van het gegevensbestand"), default=0)

    class Meta:
        verbose_name = _("steunmaatregel")
        verbose_name_plural = _("steunmaatregelen")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_nl


class DatedRow(models.Model):
    """A row valid from ``valid_from`` to ``valid_to`` (inclusive) for one scheme."""

    #: the fields that, with the scheme, identify the rows that may not overlap
    overlap_key: ClassVar[tuple[str, ...]] = ()

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, verbose_name=_("steunmaatregel"))
    valid_from = models.DateField(_("geldig vanaf"))
    valid_to = models.DateField(
        _("geldig tot en met"), null=True, blank=True, help_text=_("leeg: geen einde")
    )
    data_version = models.PositiveIntegerField(
        _("versie gegevensbestand"), default=0, help_text=_("0: ingevoerd door een medewerker")
    )
    source = models.TextField(_("bron"), blank=True)
    created_at = models.DateTimeField(_("aangemaakt op"), auto_now_add=True)

    class Meta:
        abstract = True

    def key(self) -> dict[str, Any]:
        return {"scheme_id": self.scheme_id, **{name: getattr(self, name) for name in self.overlap_key}}

    def key_label(self) -> str:
        return ":".join([str(self.scheme_id), *(str(getattr(self, name)) for name in self.overlap_key)])


def _dates_check(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")), name=name
    )


class RegimePeriod(DatedRow):
    """The parameters of a scheme for one period: one JSON document, checked by
    ``regime.parse_parameters``."""

    overlap_key = ()

    label_nl = models.CharField(_("omschrijving (NL)"), max_length=200)
    label_en = models.CharField(_("omschrijving (EN)"), max_length=200, blank=True)
    parameters = models.JSONField(_("parameters"))

    class Meta:
        verbose_name = _("regeling (periode)")
        verbose_name_plural = _("regelingen (periodes)")
        ordering = ["scheme", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "valid_from"], name="schemes_period_unique_start"),
            _dates_check("schemes_period_dates"),
        ]

    def __str__(self) -> str:
        end = self.valid_to.isoformat() if self.valid_to else "…"
        return f"{self.scheme_id} {self.valid_from.isoformat()} – {end}"


class ExcludedService(DatedRow):
    """A service that gets no support (RULES.md §2), recognised by keywords in the project's title."""

    overlap_key = ("code",)

    code = models.SlugField(_("code"), max_length=60)
    label_nl = models.CharField(_("omschrijving (NL)"), max_length=300)
    label_en = models.CharField(_("omschrijving (EN)"), max_length=300, blank=True)
    keywords = models.JSONField(
        _("trefwoorden"), default=list, help_text=_("een lijst woorden of woordgroepen")
    )

    class Meta:
        verbose_name = _("uitgesloten dienst")
        verbose_name_plural = _("uitgesloten diensten")
        ordering = ["scheme", "code", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "code", "valid_from"], name="schemes_excluded_unique_start"
            ),
            _dates_check("schemes_excluded_dates"),
        ]

    def __str__(self) -> str:
        return self.label_nl


class LegalFormRule(DatedRow):
    """A KBO JuridicalForm code (or ``NP`` for a natural person) accepted by the scheme."""

    overlap_key = ("code",)

    code = models.CharField(
        _("rechtsvormcode"), max_length=3, help_text=_("KBO JuridicalForm; NP = natuurlijk persoon")
    )
    label_nl = models.CharField(_("omschrijving"), max_length=300)
    accepted = models.BooleanField(_("aanvaard"), default=True)

    class Meta:
        verbose_name = _("rechtsvorm")
        verbose_name_plural = _("rechtsvormen")
        ordering = ["scheme", "code", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "code", "valid_from"], name="schemes_legalform_unique_start"
            ),
            _dates_check("schemes_legalform_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label_nl}"


class NaceRule(DatedRow):
    """A NACE-BEL prefix excluded (or, as an exception inside an excluded one, accepted): the longest matching
    prefix decides; a code without a matching rule is accepted."""

    overlap_key = ("prefix",)

    prefix = models.CharField(_("NACE-prefix"), max_length=5, help_text=_("cijfers, bijvoorbeeld 01 of 0161"))
    accepted = models.BooleanField(_("aanvaard"), default=False)
    note = models.CharField(_("toelichting"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("NACE-regel")
        verbose_name_plural = _("NACE-regels")
        ordering = ["scheme", "prefix", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "prefix", "valid_from"], name="schemes_nace_unique_start"
            ),
            _dates_check("schemes_nace_dates"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix} ({'+' if self.accepted else '-'})"


DATED_MODELS: tuple[type[DatedRow], ...] = (RegimePeriod, ExcludedService, LegalFormRule, NaceRule)
