"""The KBO register (exactly as in the KBO Open Data files) and the national register.

Numbers are stored compact (10 or 11 digits, no dots) and validated with python-stdnum on the way in
(see ``numbers.py``). The KBO tables reference each other by number without database foreign-key
constraints, as the Open Data files do: an update extract deletes and inserts per file, and the bulk
loader must be able to replace a table without cascading through the others (docs/decisions/0002).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.backends.ddl_references import Statement
from django.utils.translation import gettext_lazy as _


class NumberIndex(models.Index):
    """The one index of a number column (digits only): a plain btree index, on PostgreSQL with
    ``varchar_pattern_ops``.

    A ``db_index=True`` CharField gets two indexes on PostgreSQL (a plain one and a ``_like`` twin); the
    number columns need one, and the pattern operator class compares bytes instead of calling the
    database collation (C.UTF-8), so the index builds ~2x faster after a full KBO import. It serves
    ``=`` and ``IN`` (and ``LIKE 'prefix%'``), which is all these columns are queried with (not ranges or
    ORDER BY). SQLite: a plain index. docs/decisions/0002-kbo-import.md.
    """

    def create_sql(
        self,
        model: type[models.Model],
        schema_editor: BaseDatabaseSchemaEditor,
        using: str = "",
        **kwargs: Any,
    ) -> Statement:
        if schema_editor.connection.vendor == "postgresql" and not self.opclasses:
            pattern = models.Index(
                fields=self.fields, name=self.name, opclasses=["varchar_pattern_ops"] * len(self.fields)
            )
            return pattern.create_sql(model, schema_editor, using=using, **kwargs)
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class NumberField(models.CharField):
    """A CharField of digits (a primary key of the KBO tables): on PostgreSQL in the "C" collation.

    A digits-only value sorts the same in every collation, but the database default (C.UTF-8, a libc
    collation) makes PostgreSQL compare with strcoll and without abbreviated keys: the primary key of
    2 M enterprises builds ~2x faster in "C" after a full KBO import, and ``LIKE 'prefix%'`` can use it.
    The foreign keys to these columns follow the collation (Django alters them with the key). SQLite has
    no "C" collation (its default compares bytes already): nothing changes there.
    docs/decisions/0002-kbo-import.md.
    """

    def db_parameters(self, connection: Any) -> dict[str, Any]:
        params: dict[str, Any] = super().db_parameters(connection)
        if connection.vendor == "postgresql" and not self.db_collation:
            params["collation"] = "C"
        return params


class KboCode(models.Model):
    """code.csv: the code tables (legal forms, NACE, statuses, ...), in every language."""

    category = models.CharField(_("categorie"), max_length=40)
    code = models.CharField(_("code"), max_length=20)
    language = models.CharField(_("taal"), max_length=2)
    description = models.TextField(_("omschrijving"))

    class Meta:
        verbose_name = _("KBO-code")
        verbose_name_plural = _("KBO-codes")
        constraints = [
            models.UniqueConstraint(fields=["category", "code", "language"], name="kbo_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.code} ({self.language}): {self.description}"


class Enterprise(models.Model):
    """enterprise.csv"""

    enterprise_number = NumberField(_("ondernemingsnummer"), max_length=10, primary_key=True)
    status = models.CharField(_("status"), max_length=2)
    juridical_situation = models.CharField(_("rechtstoestand"), max_length=3)
    type_of_enterprise = models.CharField(_("type onderneming"), max_length=1)
    juridical_form = models.CharField(_("rechtsvorm"), max_length=3, null=True, blank=True)
    juridical_form_cac = models.CharField(_("rechtsvorm (WVV)"), max_length=3, null=True, blank=True)
    start_date = models.DateField(_("begindatum"))

    class Meta:
        verbose_name = _("onderneming")
        verbose_name_plural = _("ondernemingen")

    def __str__(self) -> str:
        from kmop.registers.numbers import format_enterprise_number

        return format_enterprise_number(self.enterprise_number)

    @property
    def is_natural_person(self) -> bool:
        return self.type_of_enterprise == "1"


class Establishment(models.Model):
    """establishment.csv: vestigingseenheden."""

    establishment_number = NumberField(_("vestigingseenheidsnummer"), max_length=10, primary_key=True)
    start_date = models.DateField(_("begindatum"))
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("onderneming"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_column="enterprise_number",
        related_name="establishments",
        db_index=False,  # NumberIndex in Meta.indexes
    )

    class Meta:
        verbose_name = _("vestigingseenheid")
        verbose_name_plural = _("vestigingseenheden")
        indexes = [NumberIndex(fields=["enterprise"], name="kbo_establishment_ent_idx")]

    def __str__(self) -> str:
        from kmop.registers.numbers import format_establishment_number

        return format_establishment_number(self.establishment_number)


class Branch(models.Model):
    """branch.csv: bijkantoren of foreign entities."""

    branch_id = NumberField(_("id"), max_length=20, primary_key=True)
    start_date = models.DateField(_("begindatum"))
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("onderneming"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_column="enterprise_number",
        related_name="branches",
        db_index=False,  # NumberIndex in Meta.indexes
    )

    class Meta:
        verbose_name = _("bijkantoor")
        verbose_name_plural = _("bijkantoren")
        indexes = [NumberIndex(fields=["enterprise"], name="kbo_branch_ent_idx")]

    def __str__(self) -> str:
        return self.branch_id


class Denomination(models.Model):
    """denomination.csv: names of an enterprise, establishment or branch."""

    entity_number = models.CharField(_("entiteitsnummer"), max_length=20)
    language = models.CharField(_("taal"), max_length=1)
    type_of_denomination = models.CharField(_("type benaming"), max_length=3)
    denomination = models.CharField(_("benaming"), max_length=320)

    class Meta:
        verbose_name = _("benaming")
        verbose_name_plural = _("benamingen")
        indexes = [NumberIndex(fields=["entity_number"], name="kbo_denomination_entity_idx")]

    def __str__(self) -> str:
        return self.denomination


class Address(models.Model):
    """address.csv"""

    entity_number = models.CharField(_("entiteitsnummer"), max_length=20)
    type_of_address = models.CharField(_("type adres"), max_length=4)
    country_nl = models.CharField(_("land (NL)"), max_length=100, null=True, blank=True)
    country_fr = models.CharField(_("land (FR)"), max_length=100, null=True, blank=True)
    zipcode = models.CharField(_("postcode"), max_length=20, null=True, blank=True)
    municipality_nl = models.CharField(_("gemeente (NL)"), max_length=200, null=True, blank=True)
    municipality_fr = models.CharField(_("gemeente (FR)"), max_length=200, null=True, blank=True)
    street_nl = models.CharField(_("straat (NL)"), max_length=200, null=True, blank=True)
    street_fr = models.CharField(_("straat (FR)"), max_length=200, null=True, blank=True)
    house_number = models.CharField(_("huisnummer"), max_length=22, null=True, blank=True)
    box = models.CharField(_("bus"), max_length=20, null=True, blank=True)
    extra_address_info = models.CharField(_("extra adresinfo"), max_length=300, null=True, blank=True)
    date_striking_off = models.DateField(_("datum doorhaling"), null=True, blank=True)

    class Meta:
        verbose_name = _("adres")
        verbose_name_plural = _("adressen")
        indexes = [NumberIndex(fields=["entity_number"], name="kbo_address_entity_idx")]

    def __str__(self) -> str:
        street = " ".join(p for p in (self.street_nl, self.house_number) if p)
        return f"{street}, {self.zipcode or ''} {self.municipality_nl or ''}".strip(", ")


class Contact(models.Model):
    """contact.csv: telephone, e-mail, web."""

    entity_number = models.CharField(_("entiteitsnummer"), max_length=20)
    entity_contact = models.CharField(_("entiteit"), max_length=3)
    contact_type = models.CharField(_("type contact"), max_length=5)
    value = models.CharField(_("waarde"), max_length=254)

    class Meta:
        verbose_name = _("contactgegeven")
        verbose_name_plural = _("contactgegevens")
        indexes = [NumberIndex(fields=["entity_number"], name="kbo_contact_entity_idx")]

    def __str__(self) -> str:
        return f"{self.contact_type}: {self.value}"


class Activity(models.Model):
    """activity.csv: NACE activities."""

    entity_number = models.CharField(_("entiteitsnummer"), max_length=20)
    activity_group = models.CharField(_("activiteitsgroep"), max_length=6)
    nace_version = models.CharField(_("NACE-versie"), max_length=4)
    nace_code = models.CharField(_("NACE-code"), max_length=10)
    classification = models.CharField(_("classificatie"), max_length=4)

    class Meta:
        verbose_name = _("activiteit")
        verbose_name_plural = _("activiteiten")
        indexes = [NumberIndex(fields=["entity_number"], name="kbo_activity_entity_idx")]

    def __str__(self) -> str:
        return f"Nace{self.nace_version} {self.nace_code} ({self.classification})"


class KboExtract(models.Model):
    """One imported extract (meta.csv), for the sequence check and the operator."""

    class ExtractType(models.TextChoices):
        FULL = "full", _("volledig")
        UPDATE = "update", _("update")

    extract_number = models.PositiveIntegerField(_("extractnummer"))
    extract_type = models.CharField(_("type"), max_length=10, choices=ExtractType.choices)
    snapshot_date = models.DateField(_("momentopname"))
    extract_timestamp = models.DateTimeField(_("tijdstip extract"), null=True, blank=True)
    version = models.CharField(_("versie"), max_length=20, blank=True)
    source = models.CharField(_("bron"), max_length=500)
    forced = models.BooleanField(_("volgorde geforceerd"), default=False)
    row_counts = models.JSONField(_("rijen per bestand"), default=dict)
    seconds = models.FloatField(_("duur (s)"), default=0)
    #: SHA-256 of the extract's code.csv: an update whose code.csv is the same leaves the code table as it is
    code_digest = models.CharField(_("SHA-256 van code.csv"), max_length=64, blank=True, default="")
    imported_at = models.DateTimeField(_("geïmporteerd op"), auto_now_add=True)

    class Meta:
        verbose_name = _("KBO-extract")
        verbose_name_plural = _("KBO-extracten")
        ordering = ["-imported_at", "-id"]

    def __str__(self) -> str:
        return f"{self.extract_type} {self.extract_number} ({self.snapshot_date})"


class NationalRegisterPerson(models.Model):
    """The bundled national register: one row per national number or BIS number."""

    class Sex(models.TextChoices):
        MALE = "M", _("man")
        FEMALE = "F", _("vrouw")
        UNKNOWN = "X", _("onbekend")

    national_number = models.CharField(_("rijksregister- of BIS-nummer"), max_length=11, primary_key=True)
    last_name = models.CharField(_("naam"), max_length=200)
    first_name = models.CharField(_("voornaam"), max_length=200)
    birth_date = models.DateField(_("geboortedatum"), null=True, blank=True)
    sex = models.CharField(_("geslacht"), max_length=1, choices=Sex.choices)

    class Meta:
        verbose_name = _("persoon (rijksregister)")
        verbose_name_plural = _("personen (rijksregister)")

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class LegalFunctionCode(models.Model):
    """The kinds of function in the KBO (Zaakvoerder, Bestuurder, ...), and whether they represent."""

    code = models.CharField(_("code"), max_length=5, primary_key=True)
    label_nl = models.CharField(_("omschrijving (NL)"), max_length=200)
    label_en = models.CharField(_("omschrijving (EN)"), max_length=200)
    represents = models.BooleanField(
        _("wettelijk vertegenwoordiger"),
        default=True,
        help_text=_("Een houder van deze functie vertegenwoordigt de onderneming."),
    )

    class Meta:
        verbose_name = _("functiecode")
        verbose_name_plural = _("functiecodes")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.label_nl}"


class LegalFunction(models.Model):
    """Who holds which function in an enterprise (our CSV import of the KBO 'functies')."""

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("onderneming"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_column="enterprise_number",
        related_name="legal_functions",
        db_index=False,  # the prefix of legal_function_unique serves the lookups by enterprise
    )
    person_number = models.CharField(_("rijksregister- of BIS-nummer"), max_length=11)
    function = models.ForeignKey(
        LegalFunctionCode,
        verbose_name=_("functie"),
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # a plain index in Meta.indexes (no "_like" twin on PostgreSQL)
    )
    start_date = models.DateField(_("begindatum"))
    end_date = models.DateField(_("einddatum"), null=True, blank=True)

    class Meta:
        verbose_name = _("functie (wettelijk vertegenwoordiger)")
        verbose_name_plural = _("functies (wettelijke vertegenwoordigers)")
        # Four indexes: the primary key, legal_function_unique (whose prefix serves the lookups by
        # enterprise), the person number's NumberIndex and the function code's (PROTECT checks, and reports
        # by kind of function). No "_like" twins on PostgreSQL: nothing queries these columns with LIKE.
        indexes = [
            NumberIndex(fields=["person_number"], name="legal_function_person_idx"),
            models.Index(fields=["function"], name="legal_function_code_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "person_number", "function", "start_date"], name="legal_function_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="legal_function_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        from kmop.registers.numbers import format_enterprise_number, format_national_number

        return (
            f"{self.function_id} {format_national_number(self.person_number)}"
            f" @ {format_enterprise_number(self.enterprise_id)}"
        )


class Postcode(models.Model):
    """A Belgian postcode with the municipality it belongs to and one point (WGS 84) for distances.

    One row per postcode and municipality (``data/postcodes.csv``: 1804 is in Vilvoorde and in Zemst), the
    point of the postcode's locality (``data/postcode_coordinates.csv``, ODbL; see data/NOTICE.md). Loaded by
    the migration ``0005_postcode``; read through ``kmop.registers.geo``.
    """

    code = models.CharField(_("postcode"), max_length=4)
    refnis = models.CharField(_("NIS-code van de gemeente"), max_length=5)
    municipality_nl = models.CharField(_("gemeente (Nederlands)"), max_length=100)
    municipality_fr = models.CharField(_("gemeente (Frans)"), max_length=100)
    region = models.CharField(_("gewest"), max_length=3)
    latitude = models.FloatField(_("breedtegraad"))
    longitude = models.FloatField(_("lengtegraad"))

    class Meta:
        verbose_name = _("postcode")
        verbose_name_plural = _("postcodes")
        ordering = ["code", "refnis"]
        constraints = [models.UniqueConstraint(fields=["code", "refnis"], name="reg_postcode_code_refnis")]
        indexes = [models.Index(fields=["code"], name="reg_postcode_code_idx")]

    def __str__(self) -> str:
        return f"{self.code} {self.municipality_nl}"
