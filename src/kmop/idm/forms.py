"""Forms of the Gebruikersbeheer screens (seeds 000 and 003). They check the shape of the input; the rules
(maximum periods, who may do what) are the services', whose refusals the views put back on the fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kmop.idm.models import WorkRelation
from kmop.registers.national_register import InvalidNationalNumber, PersonRecord, lookup

DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
REASON_MAX = 500


def _text(width: str = "", **attrs: str) -> forms.TextInput:
    classes = "input" + (f" input--width-{width}" if width else "")
    return forms.TextInput(attrs={"class": classes, **attrs})


def date_field(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(
            format="%d/%m/%Y", attrs={"class": "input input--width-10", "autocomplete": "off"}
        ),
        error_messages={
            "required": _("Vul een datum in (dd/mm/jjjj)."),
            "invalid": _("Vul een geldige datum in, zoals 26/06/2028 (dd/mm/jjjj)."),
        },
    )


def reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reden"),
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"class": "textarea", "rows": 3}),
    )


# --- Voeg gebruiker toe ---------------------------------------------------------------------------------


class PersonNumberForm(forms.Form):
    """Stap 1 van 3: Geef Identificatienummer op."""

    number = forms.CharField(
        label=_("Rijksregisternummer / BIS-registernummer"),
        help_text=_(
            "De naam, voornaam, geboortedatum en geslacht van de gebruiker worden opgehaald uit het "
            "rijksregister."
        ),
        max_length=20,
        widget=_text("10", inputmode="numeric", autocomplete="off"),
        error_messages={"required": _("Vul een rijksregisternummer of BIS-nummer in.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.record: PersonRecord | None = None

    def clean_number(self) -> str:
        number: str = self.cleaned_data["number"].strip()
        try:
            record = lookup(number)
        except InvalidNationalNumber:
            raise forms.ValidationError(
                _(
                    "%(value)s is geen geldig rijksregisternummer of BIS-nummer (11 cijfers, bv. "
                    "79.05.14-998.82)."
                ),
                code="invalid_number",
                params={"value": number},
            ) from None
        if record is None:
            raise forms.ValidationError(
                _("Er is geen persoon met nummer %(value)s in het rijksregister."),
                code="person_not_found",
                params={"value": number},
            )
        self.record = record
        return record.national_number


class PersonDetailsForm(forms.Form):
    """Stap 2 van 3: Geef details (naam, voornaam, geboortedatum, geslacht: uit het rijksregister)."""

    call_name = forms.CharField(label=_("Roepnaam"), required=False, max_length=200, widget=_text("20"))
    initials = forms.CharField(label=_("Initialen"), required=False, max_length=20, widget=_text("10"))
    email = forms.EmailField(
        label=_("E-mailadres"),
        required=False,
        widget=_text(autocomplete="off"),
        error_messages={"invalid": _("Vul een geldig e-mailadres in.")},
    )
    phone = forms.CharField(
        label=_("Telefoonnummer (bv. +3212345678)"),
        required=False,
        max_length=20,
        widget=_text("20", autocomplete="off", inputmode="tel"),
    )
    reason = reason_field()


class ConfirmForm(forms.Form):
    """The last step of a wizard: nothing more to ask."""


# --- Koppel gebruiker aan organisatie -----------------------------------------------------------------


class OrganisationForm(forms.Form):
    """Stap 1 van 3: Selecteer organisatie (from the organisations I administer)."""

    organisation = forms.ChoiceField(
        label=_("Organisatie"),
        help_text=_("Selecteer uit lijst."),
        widget=forms.Select(attrs={"class": "select"}),
        error_messages={
            "required": _("Selecteer een organisatie."),
            "invalid_choice": _("U beheert deze organisatie niet."),
        },
    )

    def __init__(self, *args: Any, choices: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Selecteer uit lijst")), *list(choices)]


class WorkRelationDetailsForm(forms.Form):
    """Stap 2 van 3: Werkrelatie details."""

    category = forms.ChoiceField(
        label=_("Categorie"),
        choices=WorkRelation.Category.choices,
        widget=forms.Select(attrs={"class": "select"}),
        error_messages={"required": _("Kies een categorie.")},
    )
    begin_date = date_field(_("Begindatum (dd/mm/jjjj)"))
    end_date = date_field(_("Einddatum (dd/mm/jjjj)"))
    phone = forms.CharField(
        label=_("Telefoonnummer (bv. +3212345678)"),
        max_length=20,
        widget=_text("20", autocomplete="off", inputmode="tel"),
        error_messages={"required": _("Vul een telefoonnummer in (bv. +3212345678).")},
    )
    email = forms.EmailField(
        label=_("E-mailadres"),
        widget=_text(autocomplete="off"),
        error_messages={
            "required": _("Vul een e-mailadres in."),
            "invalid": _("Vul een geldig e-mailadres in."),
        },
    )
    reason = reason_field()

    def __init__(self, *args: Any, government: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["end_date"].help_text = _("Maximumperiode = 10 jaar; je kan dit aanpassen.")
        if not government:
            field = self.fields["category"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [
                c for c in WorkRelation.Category.choices if c[0] != WorkRelation.Category.CIVIL_SERVANT
            ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        begin, end = data.get("begin_date"), data.get("end_date")
        if begin and end and end < begin:
            self.add_error("end_date", _("De einddatum ligt voor de begindatum."))
        return data


class WorkRelationEditForm(forms.Form):
    """Bewerk werkrelatie: categorie, telefoonnummer, e-mailadres."""

    category = WorkRelationDetailsForm.base_fields["category"]
    phone = WorkRelationDetailsForm.base_fields["phone"]
    email = WorkRelationDetailsForm.base_fields["email"]
    reason = reason_field()


# --- Ken gebruikersrecht toe --------------------------------------------------------------------------


class RightForm(forms.Form):
    """Stap 1 van 3: Selecteer gebruikersrecht."""

    right = forms.ChoiceField(
        label=_("Gebruikersrecht"),
        help_text=_("Selecteer uit lijst."),
        widget=forms.Select(attrs={"class": "select"}),
        error_messages={
            "required": _("Selecteer een gebruikersrecht."),
            "invalid_choice": _("Dit gebruikersrecht kan hier niet toegekend worden."),
        },
    )

    def __init__(self, *args: Any, choices: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["right"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Selecteer uit lijst")), *list(choices)]


class GrantDetailsForm(forms.Form):
    """Stap 2 van 3: begin, einde, profiel (of departementen)."""

    begin_date = date_field(_("Begindatum (dd/mm/jjjj)"))
    end_date = date_field(_("Einddatum (dd/mm/jjjj)"))
    context_values = forms.MultipleChoiceField(
        label=_("Profiel"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("%(value)s is hier geen keuze.")},
    )
    reason = reason_field()

    def __init__(
        self,
        *args: Any,
        context_label: Any = "",
        choices: Sequence[tuple[str, str]] = (),
        max_label: Any = "",
        context_noun: Any = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.context_noun = context_noun or context_label
        field = self.fields["context_values"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = list(choices)
        if context_label:
            field.label = context_label
        else:
            del self.fields["context_values"]
        self.fields["end_date"].help_text = _("Maximumperiode = %(period)s; je kan dit aanpassen.") % {
            "period": max_label
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        begin, end = data.get("begin_date"), data.get("end_date")
        if begin and end and end < begin:
            self.add_error("end_date", _("De einddatum ligt voor de begindatum."))
        if "context_values" in self.fields and "context_values" in data and not data["context_values"]:
            self.add_error(
                "context_values",
                _("Selecteer minstens één %(what)s.") % {"what": str(self.context_noun).lower()},
            )
        return data


# --- Verlengen, pauzeren, beëindigen, verwijderen ----------------------------------------------------


class ExtendForm(forms.Form):
    """Pas zelf de einddatum aan of kies voor een automatische verlenging (de maximumtermijn)."""

    OWN, MAXIMUM = "eigen", "maximum"

    mode = forms.ChoiceField(
        label=_("Nieuwe einddatum"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Kies een einddatum of de maximumtermijn.")},
    )
    end_date = date_field(_("Einddatum (dd/mm/jjjj)"), required=False)
    reason = reason_field()

    def __init__(self, *args: Any, max_label: Any = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["mode"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            (self.MAXIMUM, _("De maximumtermijn van %(period)s wordt toegekend.") % {"period": max_label}),
            (
                self.OWN,
                _(
                    "Je kan zelf de einddatum kiezen maar die mag de maximumtermijn van %(period)s niet "
                    "overschrijden."
                )
                % {"period": max_label},
            ),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("mode") == self.OWN and not data.get("end_date") and "end_date" not in self.errors:
            self.add_error("end_date", _("Vul de nieuwe einddatum in (dd/mm/jjjj)."))
        if data.get("mode") == self.MAXIMUM:
            data["end_date"] = None
        return data


class ReasonForm(forms.Form):
    """The confirmation of an action that takes a reason (pauzeren, hervatten, beëindigen, verwijderen)."""

    reason = reason_field()


# --- Toekenning opzoeken ------------------------------------------------------------------------------


class GrantSearchForm(forms.Form):
    """Zoek gebruikersrecht toekenning (GET)."""

    organisation = forms.CharField(
        label=_("Organisatie"),
        required=False,
        max_length=20,
        help_text=_("Ondernemingsnummer of organisatiecode"),
        widget=_text("10", autocomplete="off"),
    )
    right = forms.ChoiceField(
        label=_("Gebruikersrecht"), required=False, widget=forms.Select(attrs={"class": "select"})
    )
    begin_from = date_field(_("Begindatum vanaf"), required=False)
    begin_until = date_field(_("Begindatum tot en met"), required=False)
    end_from = date_field(_("Einddatum vanaf"), required=False)
    end_until = date_field(_("Einddatum tot en met"), required=False)
    person = forms.CharField(
        label=_("Persoon"),
        required=False,
        max_length=100,
        help_text=_("Naam of rijksregisternummer"),
        widget=_text("20", autocomplete="off"),
    )
    include_ended = forms.BooleanField(label=_("Ook beëindigde toekenningen"), required=False)

    def __init__(self, *args: Any, rights: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["right"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("Alle gebruikersrechten")), *list(rights)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for start, stop in (("begin_from", "begin_until"), ("end_from", "end_until")):
            if data.get(start) and data.get(stop) and data[stop] < data[start]:
                self.add_error(stop, _("Deze datum ligt voor de datum 'vanaf'."))
        return data
