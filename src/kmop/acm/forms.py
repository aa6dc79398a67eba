from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kmop.registers.national_register import InvalidNationalNumber, PersonRecord, lookup


class SimulatorForm(forms.Form):
    """The demo simulator of eID/itsme: a demo person (button) or a typed national/BIS number."""

    person = forms.CharField(required=False, widget=forms.HiddenInput)
    national_number = forms.CharField(
        label=_("Rijksregisternummer of BIS-nummer"),
        help_text=_("11 cijfers, bijvoorbeeld 79.05.14-998.82"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"class": "input input--width-10", "autocomplete": "off", "inputmode": "numeric"}
        ),
    )

    def __init__(self, *args: object, persons: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.persons = persons  # demo person key -> national number (those in the register)
        self.record: PersonRecord | None = None

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        key = data.get("person") or ""
        typed = (data.get("national_number") or "").strip()
        if key:
            if key not in self.persons:
                raise forms.ValidationError(_("Deze demopersoon bestaat niet."), code="unknown_person")
            number = self.persons[key]
        elif typed:
            number = typed
        else:
            self.add_error(
                "national_number",
                forms.ValidationError(
                    _("Kies een demopersoon of vul een rijksregisternummer of BIS-nummer in"), code="required"
                ),
            )
            return data
        try:
            record = lookup(number)
        except InvalidNationalNumber:
            self.add_error(
                "national_number",
                forms.ValidationError(
                    _("Vul een geldig rijksregisternummer of BIS-nummer in, zoals 79.05.14-998.82"),
                    code="invalid",
                ),
            )
            return data
        if record is None:
            self.add_error(
                "national_number",
                forms.ValidationError(
                    _("Er staat geen persoon met dit nummer in het rijksregister van de demo"), code="unknown"
                ),
            )
            return data
        self.record = record
        return data


class ActAsForm(forms.Form):
    """Aanmelden als": one of the person's options (never anything else: checked against the list)."""

    organisation = forms.ChoiceField(
        label=_("Organisatie"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Kies de organisatie waarvoor u wilt werken"),
            "invalid_choice": _("U kunt niet aanmelden voor deze organisatie"),
        },
    )

    def __init__(self, *args: object, choices: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["organisation"].choices = choices  # type: ignore[attr-defined]


_CODE_ATTRS = {
    "class": "input input--width-10",
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "spellcheck": "false",
}


class TotpEnrolForm(forms.Form):
    code = forms.CharField(
        label=_("Beveiligingscode"),
        help_text=_("De 6 cijfers die de app nu toont"),
        max_length=10,
        widget=forms.TextInput(attrs=_CODE_ATTRS),
        error_messages={"required": _("Vul de beveiligingscode uit de app in")},
    )


class TotpLoginForm(forms.Form):
    national_number = forms.CharField(
        label=_("Rijksregisternummer of BIS-nummer"),
        help_text=_("11 cijfers, bijvoorbeeld 79.05.14-998.82"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"class": "input input--width-10", "autocomplete": "username", "inputmode": "numeric"}
        ),
        error_messages={"required": _("Vul uw rijksregisternummer of BIS-nummer in")},
    )
    code = forms.CharField(
        label=_("Beveiligingscode"),
        help_text=_("De 6 cijfers die de app nu toont"),
        max_length=10,
        widget=forms.TextInput(attrs=_CODE_ATTRS),
        error_messages={"required": _("Vul de beveiligingscode uit de app in")},
    )
