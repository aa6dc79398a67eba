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


_IDENTIFIER_ATTRS = {
    "class": "input",
    "autocomplete": "username",
    "spellcheck": "false",
    "autocapitalize": "none",
}


class CredentialsForm(forms.Form):
    """CSAM's first step: username (or national/BIS number) and password."""

    identifier = forms.CharField(
        label=_("Gebruikersnaam of rijksregisternummer"),
        help_text=_("De gebruikersnaam die u koos, of uw rijksregisternummer of BIS-nummer"),
        max_length=64,
        widget=forms.TextInput(attrs=_IDENTIFIER_ATTRS),
        error_messages={"required": _("Vul uw gebruikersnaam of rijksregisternummer in")},
    )
    password = forms.CharField(
        label=_("Wachtwoord"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "input", "autocomplete": "current-password"}),
        error_messages={"required": _("Vul uw wachtwoord in")},
    )


class TotpLoginForm(CredentialsForm):
    code = forms.CharField(
        label=_("Beveiligingscode"),
        help_text=_("De 6 cijfers die de app nu toont"),
        max_length=10,
        widget=forms.TextInput(attrs=_CODE_ATTRS),
        error_messages={"required": _("Vul de beveiligingscode uit de app in")},
    )


class SmsCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Beveiligingscode"),
        help_text=_("De 6 cijfers uit de sms"),
        max_length=10,
        widget=forms.TextInput(attrs=_CODE_ATTRS),
        error_messages={"required": _("Vul de beveiligingscode uit de sms in")},
    )


class MobileNumberForm(forms.Form):
    number = forms.CharField(
        label=_("Gsm-nummer"),
        help_text=_("Bijvoorbeeld 0470 12 34 56, of met landcode: +32 470 12 34 56"),
        max_length=30,
        widget=forms.TextInput(attrs={"class": "input", "autocomplete": "tel", "inputmode": "tel"}),
        error_messages={"required": _("Vul uw gsm-nummer in")},
    )

    def clean_number(self) -> str:
        from kmop.acm.sms import normalise_mobile

        number = normalise_mobile(self.cleaned_data["number"])
        if number is None:
            raise forms.ValidationError(
                _("Vul een geldig gsm-nummer in, zoals 0470 12 34 56 of +32 470 12 34 56"), code="invalid"
            )
        return number


class PasswordSetForm(forms.Form):
    """Gebruikersnaam en wachtwoord instellen (after an eID/itsme login)."""

    username = forms.CharField(
        label=_("Gebruikersnaam"),
        help_text=_(
            "3 tot 64 letters, cijfers, punten, koppeltekens of liggende streepjes, met minstens één letter"
        ),
        max_length=64,
        widget=forms.TextInput(attrs=_IDENTIFIER_ATTRS),
        error_messages={"required": _("Kies een gebruikersnaam")},
    )
    password1 = forms.CharField(
        label=_("Wachtwoord"),
        help_text=_("Minstens 12 tekens. Een zin van een paar woorden is sterk en goed te onthouden."),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "input", "autocomplete": "new-password"}),
        error_messages={"required": _("Kies een wachtwoord")},
    )
    password2 = forms.CharField(
        label=_("Herhaal het wachtwoord"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"class": "input", "autocomplete": "new-password"}),
        error_messages={"required": _("Herhaal het wachtwoord")},
    )

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user

    def clean_username(self) -> str:
        from kmop.acm import passwords

        username = passwords.normalise_username(self.cleaned_data["username"])
        if not passwords.valid_username(username):
            raise forms.ValidationError(
                _(
                    "Een gebruikersnaam heeft 3 tot 64 letters, cijfers, punten, koppeltekens of liggende "
                    "streepjes, met minstens één letter"
                ),
                code="invalid",
            )
        if passwords.username_taken(username, self.user):  # type: ignore[arg-type]
            raise forms.ValidationError(
                _("Deze gebruikersnaam is al in gebruik. Kies een andere."), code="taken"
            )
        return username

    def clean(self) -> dict[str, object]:
        from kmop.acm import passwords

        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error(
                "password2",
                forms.ValidationError(_("De twee wachtwoorden zijn niet gelijk"), code="mismatch"),
            )
        elif first:
            try:
                passwords.validate(self.user, str(first))  # type: ignore[arg-type]
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data
