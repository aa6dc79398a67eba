"""Forms of the BTB: appoint someone by national register or BIS number (seed 001), end an appointment."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kmop.idm.models import AdministratorAppointment
from kmop.registers.national_register import InvalidNationalNumber, PersonRecord, lookup

Level = AdministratorAppointment.Level

#: the domains of an access manager (CSAM: "een bepaalde groep ('domein') toepassingen, zoals financiën,
#: mobiliteit, etc."); ``economie`` gives the kmo-portefeuille rights, ``*`` every domain
DOMAIN_LABELS: dict[str, Any] = {
    AdministratorAppointment.DOMAIN_ECONOMY: _("Economie (o.a. kmo-portefeuille)"),
    "financien": _("Financiën"),
    "mobiliteit": _("Mobiliteit"),
    "sociale-zekerheid": _("Sociale zekerheid"),
    AdministratorAppointment.DOMAIN_ALL: _("Alle domeinen"),
}
DATE_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]

#: URL slug -> level
LEVEL_SLUGS = {
    "hoofdtoegangsbeheerder": Level.MAIN,
    "co-hoofdtoegangsbeheerder": Level.CO_MAIN,
    "toegangsbeheerder": Level.ACCESS_MANAGER,
}
SLUG_OF = {level: slug for slug, level in LEVEL_SLUGS.items()}


class AppointForm(forms.Form):
    """Who to appoint: the number (the register gives the name), the domain of an access manager, an optional
    end date and e-mail address."""

    number = forms.CharField(
        label=_("Rijksregisternummer of BIS-nummer"),
        help_text=_(
            "11 cijfers, bv. 79.05.14-998.82. Iemand die niet in België woont, heeft een BIS-nummer. De naam "
            "wordt opgehaald uit het rijksregister."
        ),
        max_length=20,
        widget=forms.TextInput(
            attrs={"class": "input input--width-10", "autocomplete": "off", "inputmode": "numeric"}
        ),
        error_messages={"required": _("Vul een rijksregisternummer of BIS-nummer in.")},
    )
    domain = forms.ChoiceField(
        label=_("Domein"),
        help_text=_("Voor de kmo-portefeuille: Economie of Alle domeinen."),
        choices=list(DOMAIN_LABELS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": _("Kies een domein."), "invalid_choice": _("Kies een domein.")},
    )
    end_date = forms.DateField(
        label=_("Einddatum (niet verplicht)"),
        help_text=_("dd/mm/jjjj. Leeg: tot u de aanstelling beëindigt."),
        required=False,
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(
            format="%d/%m/%Y", attrs={"class": "input input--width-10", "autocomplete": "off"}
        ),
        error_messages={"invalid": _("Vul een geldige datum in, zoals 26/06/2028 (dd/mm/jjjj).")},
    )
    email = forms.EmailField(
        label=_("E-mailadres (niet verplicht)"),
        help_text=_("Voor de dagelijkse herinneringen van gebruikersrechten die vervallen."),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"class": "input", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"invalid": _("Vul een geldig e-mailadres in, zoals naam@voorbeeld.be.")},
    )

    def __init__(self, *args: Any, level: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.level = level
        self.record: PersonRecord | None = None
        if level != Level.ACCESS_MANAGER:
            del self.fields["domain"]
        if level == Level.MAIN:
            del self.fields["end_date"]

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

    def clean_end_date(self) -> Any:
        end = self.cleaned_data.get("end_date")
        if end is not None and end < timezone.localdate():
            raise forms.ValidationError(_("De einddatum ligt in het verleden."), code="past")
        return end

    @property
    def domain_label(self) -> str:
        domain = self.cleaned_data.get("domain", "")
        return str(DOMAIN_LABELS.get(domain, domain))


class EndForm(forms.Form):
    reason = forms.CharField(
        label=_("Reden (niet verplicht)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"class": "textarea", "rows": 3}),
    )
