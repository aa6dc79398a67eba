"""The e-loket's forms: they check the shape of the input (a Dutch message at the field); the projects
services judge the rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as NumberError

from kmop.projects.errors import InvalidInput
from kmop.projects.models import SizeClass
from kmop.projects.services import clean_amount, clean_date
from kmop.providers.models import Service
from kmop.registers.numbers import validate_iban, validate_phone

TRAINING_TYPES = [
    ("klassikaal", _("Klassikaal")),
    ("afstandsleren", _("Afstandsleren")),
    ("individueel", _("Individueel")),
    ("conferentie", _("Conferentie of seminarie")),
]


class StyledForm(forms.Form):
    """Puts the theme's classes on the widgets (``input``, ``select``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "select")
            elif isinstance(widget, forms.CheckboxInput | forms.HiddenInput):
                continue
            elif isinstance(widget, forms.widgets.Input):
                widget.attrs.setdefault("class", "input")


class ProfileForm(StyledForm):
    """The first use: what the KBO does not give (issue 4 §2)."""

    size_class = forms.ChoiceField(
        label=_("Ondernemingsgrootte dit jaar"),
        choices=SizeClass.choices,
        help_text=_(
            "Een kleine onderneming heeft minder dan 50 werknemers en een jaaromzet of balanstotaal van "
            "ten hoogste 10 miljoen euro; een middelgrote minder dan 250 werknemers."
        ),
    )
    size_confirmed = forms.BooleanField(
        label=_("Ik bevestig de ondernemingsgrootte van mijn onderneming voor dit jaar."),
        error_messages={"required": _("Bevestig de ondernemingsgrootte.")},
    )
    iban = forms.CharField(
        label=_("Rekeningnummer (IBAN)"),
        max_length=42,
        help_text=_("Bijvoorbeeld BE71 0961 2345 6769."),
        error_messages={"required": _("Vul het rekeningnummer (IBAN) in.")},
    )
    nace_code = forms.CharField(
        label=_("Hoofdactiviteit (NACE-code)"),
        max_length=10,
        help_text=_("Bijvoorbeeld 62010."),
        error_messages={"required": _("Vul de hoofdactiviteit (NACE-code) in.")},
    )
    contact_name = forms.CharField(
        label=_("Naam contactpersoon"),
        max_length=200,
        error_messages={"required": _("Vul de naam van de contactpersoon in.")},
    )
    contact_email = forms.EmailField(
        label=_("E-mailadres contactpersoon"),
        error_messages={
            "required": _("Vul het e-mailadres van de contactpersoon in."),
            "invalid": _("Vul een geldig e-mailadres in, bijvoorbeeld naam@voorbeeld.be."),
        },
    )
    contact_phone = forms.CharField(
        label=_("Telefoonnummer contactpersoon"),
        max_length=20,
        required=False,
        help_text=_("Bijvoorbeeld +3292223344."),
    )

    def __init__(self, *args: Any, size_locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if size_locked:
            self.fields["size_class"].disabled = True
            self.fields["size_confirmed"].required = False
            self.fields["size_confirmed"].disabled = True

    def clean_iban(self) -> str:
        try:
            return validate_iban(self.cleaned_data["iban"])
        except (ValidationError, NumberError):
            raise ValidationError(
                _("Dit is geen geldig IBAN-rekeningnummer. Controleer het, bijvoorbeeld BE71 0961 2345 6769.")
            ) from None

    def clean_nace_code(self) -> str:
        code = self.cleaned_data["nace_code"].replace(".", "").strip()
        if not code.isdigit() or not 2 <= len(code) <= 7:
            raise ValidationError(_("Een NACE-code bestaat uit cijfers, bijvoorbeeld 62010."))
        return code

    def clean_contact_phone(self) -> str:
        phone = self.cleaned_data["contact_phone"].strip()
        try:
            return validate_phone(phone) if phone else ""
        except NumberError:
            raise ValidationError(_("Vul een geldig telefoonnummer in, bijvoorbeeld +3292223344.")) from None


class ServiceForm(StyledForm):
    """Step 1: opleiding or advies and the provider (by registration number or by search)."""

    service = forms.ChoiceField(
        label=_("Soort dienst"),
        choices=Service.choices,
        error_messages={"required": _("Kies opleiding of advies.")},
    )
    registration = forms.CharField(
        label=_("Registratienummer van de dienstverlener"),
        max_length=20,
        required=False,
        help_text=_("Bijvoorbeeld DV.O218724. Kent u het niet? Zoek de dienstverlener op naam."),
    )
    query = forms.CharField(
        label=_("Dienstverlener zoeken (naam of ondernemingsnummer)"), max_length=100, required=False
    )


class ProjectForm(StyledForm):
    """Step 2: the project itself."""

    theme = forms.ChoiceField(label=_("Thema"), required=False)
    training_type = forms.ChoiceField(
        label=_("Soort opleiding"),
        required=False,
        choices=[("", _("— (advies)")), *TRAINING_TYPES],
    )
    title = forms.CharField(
        label=_("Titel van de opleiding of het advies"),
        max_length=300,
        error_messages={"required": _("Geef de titel van de opleiding of het advies.")},
    )
    start_date = forms.CharField(
        label=_("Startdatum"),
        help_text=_("Bijvoorbeeld 31/01/2026."),
        error_messages={"required": _("Vul de startdatum in.")},
    )
    hours = forms.DecimalField(
        label=_("Aantal uren"),
        min_value=Decimal("0.01"),
        max_value=Decimal("10000"),
        decimal_places=2,
        max_digits=7,
        localize=True,
        error_messages={
            "required": _("Vul het aantal uren in."),
            "invalid": _("Vul het aantal uren in als een getal, bijvoorbeeld 16."),
            "min_value": _("Het aantal uren moet groter zijn dan 0."),
            "max_value": _("Het aantal uren is ten hoogste 10000."),
            "max_decimal_places": _("Het aantal uren heeft ten hoogste twee decimalen."),
            "max_digits": _("Het aantal uren is ten hoogste 10000."),
        },
    )
    amount = forms.CharField(
        label=_("Projectbedrag exclusief btw (euro)"),
        max_length=30,
        help_text=_("Bijvoorbeeld 1250,00."),
        error_messages={"required": _("Vul het projectbedrag exclusief btw in.")},
    )
    participants = forms.IntegerField(
        label=_("Aantal deelnemers"),
        min_value=1,
        max_value=100000,
        initial=1,
        error_messages={
            "required": _("Vul het aantal deelnemers in."),
            "invalid": _("Vul het aantal deelnemers in als een geheel getal."),
            "min_value": _("Er is ten minste 1 deelnemer."),
            "max_value": _("Het aantal deelnemers is ten hoogste 100000."),
        },
    )

    def __init__(self, *args: Any, themes: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— kies een thema —")), *(themes or [])]
        theme = self.fields["theme"]
        assert isinstance(theme, forms.ChoiceField)
        theme.choices = choices
        self.fields["theme"].required = bool(themes)
        self.fields["theme"].error_messages["required"] = _("Kies een thema.")

    def clean_amount(self) -> Decimal:
        try:
            return clean_amount(self.cleaned_data["amount"])
        except InvalidInput as e:
            raise ValidationError(e.messages) from None

    def clean_start_date(self) -> date:
        value = self.cleaned_data["start_date"]
        try:
            day = clean_date(value, field_name="start_date")
        except InvalidInput as e:
            raise ValidationError(e.messages) from None
        if not date(2000, 1, 1) <= day <= date(2100, 12, 31):
            raise ValidationError(_("Deze startdatum is onmogelijk: controleer het jaar."))
        return day


class DeclarationForm(StyledForm):
    declaration = forms.BooleanField(
        label=_(
            "Ik verklaar op erewoord dat de gegevens van deze aanvraag juist en volledig zijn en dat mijn "
            "onderneming voldoet aan de voorwaarden van de kmo-portefeuille."
        ),
        error_messages={"required": _("Bevestig de verklaring op erewoord.")},
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
