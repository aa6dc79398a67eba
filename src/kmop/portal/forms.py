"""The portal's own forms: login and password, sign-up, the registered office, departments, establishments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    login = forms.CharField(
        label=_("Login"), max_length=60, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Paswoord"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def put_error(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal (an ``IdmError``, ``ProviderError``, ``ProjectError``) at its field."""
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, " ".join(error.messages))


def legal_form_choices() -> list[tuple[str, str | Promise]]:
    from kmop.registers.models import KboCode

    rows = KboCode.objects.filter(category="JuridicalForm", language="NL").order_by("description")
    return [
        ("", _("Zoals in de KBO")),
        *((code, f"{text} ({code})") for code, text in rows.values_list("code", "description")),
    ]


class AddressForm(forms.Form):
    street = forms.CharField(label=_("Straat"), max_length=200)
    house_number = forms.CharField(label=_("Huisnummer"), max_length=20)
    box = forms.CharField(label=_("Bus"), max_length=20, required=False)
    postcode = forms.CharField(label=_("Postcode"), max_length=10)
    municipality = forms.CharField(label=_("Gemeente"), max_length=200)


class ProviderDataForm(AddressForm):
    """The data of the sign-up (seed 004 §1), also "wijzigen" of the registered office."""

    legal_name = forms.CharField(label=_("Maatschappelijke naam"), max_length=320)
    legal_form = forms.ChoiceField(label=_("Rechtsvorm"), required=False)
    country = forms.CharField(
        label=_("Land"), max_length=2, initial="BE", help_text=_("ISO-landcode, bv. BE of DE.")
    )
    contact_name = forms.CharField(label=_("Contactpersoon"), max_length=200)
    contact_email = forms.EmailField(
        label=_("E-mailadres"),
        help_text=_("Hierop ontvangt u de mails van de kmo-portefeuille, ook uw login en paswoord."),
    )
    contact_phone = forms.CharField(label=_("Telefoonnummer"), max_length=30, required=False)
    website = forms.CharField(label=_("Website"), max_length=200, required=False)
    iban = forms.CharField(
        label=_("Rekeningnummer (IBAN) voor de betaling"),
        max_length=42,
        help_text=_("Bv. BE71 0961 2345 6769."),
    )
    bic = forms.CharField(label=_("BIC"), max_length=11, required=False)
    fields_of_expertise = forms.CharField(
        label=_("Vakgebieden waarin u actief bent"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    presentation = forms.CharField(
        label=_("Voorstelling van u als dienstverlener"),
        max_length=8000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    field_order = [
        "legal_name",
        "legal_form",
        "street",
        "house_number",
        "box",
        "postcode",
        "municipality",
        "country",
        "contact_name",
        "contact_email",
        "contact_phone",
        "website",
        "iban",
        "bic",
        "fields_of_expertise",
        "presentation",
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        legal_form = self.fields["legal_form"]
        assert isinstance(legal_form, forms.ChoiceField)
        legal_form.choices = legal_form_choices()


#: the languages of the provider's mails, each named in its own language (as a language switcher does)
MAIL_LANGUAGE_CHOICES = [("nl", "Nederlands"), ("en", "English")]


class LanguageSelect(forms.Select):
    """A select of languages whose options say which language their name is in (``lang``)."""

    def create_option(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(*args, **kwargs)
        option["attrs"]["lang"] = option["value"]
        return option


class OfficeForm(ProviderDataForm):
    """ "Maatschappelijke zetel wijzigen": the sign-up's data and the language of the provider's mails (set at
    the sign-up to the page's language). A post without the language keeps the current one."""

    language = forms.ChoiceField(
        label=_("Taal van de e-mails"), choices=MAIL_LANGUAGE_CHOICES, required=False, widget=LanguageSelect
    )

    field_order = [
        *ProviderDataForm.field_order[: ProviderDataForm.field_order.index("contact_email") + 1],
        "language",
        *ProviderDataForm.field_order[ProviderDataForm.field_order.index("contact_email") + 1 :],
    ]

    def clean_language(self) -> str:
        return str(self.cleaned_data.get("language") or self.initial.get("language") or "nl")


class SignUpForm(ProviderDataForm):
    enterprise_number = forms.CharField(
        label=_("Ondernemingsnummer"), max_length=20, help_text=_("Zoals in de KBO, bv. 0123.456.749.")
    )

    field_order = ["legal_name", "enterprise_number", *ProviderDataForm.field_order[1:]]


class PasswordForgottenForm(forms.Form):
    enterprise_number = forms.CharField(label=_("Ondernemingsnummer"), max_length=20)
    email = forms.EmailField(
        label=_("E-mailadres"), help_text=_("Het adres waarop u de mails van de kmo-portefeuille ontvangt.")
    )


class NewPasswordForm(forms.Form):
    new_password = forms.CharField(
        label=_("Nieuw paswoord"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("Verifieer nieuw paswoord"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", _("De twee nieuwe paswoorden zijn niet gelijk."))
        return data


class CredentialsForm(forms.Form):
    """ "Maatschappelijke zetel: wijzig login" (every field required: "* verplicht veld")."""

    new_login = forms.CharField(label=_("Nieuwe login*"), max_length=60)
    old_password = forms.CharField(
        label=_("Oud paswoord*"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password = forms.CharField(
        label=_("Nieuw paswoord*"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        label=_("Verifieer nieuw paswoord*"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class DepartmentForm(AddressForm):
    name = forms.CharField(label=_("Naam"), max_length=200)
    contact_name = forms.CharField(label=_("Contactpersoon"), max_length=200)
    contact_email = forms.EmailField(label=_("E-mailadres"))
    contact_phone = forms.CharField(label=_("Telefoonnummer"), max_length=30, required=False)
    iban = forms.CharField(
        label=_("Rekeningnummer (IBAN)"),
        max_length=42,
        help_text=_("De betalingen van de projecten van dit departement gaan naar deze rekening."),
    )
    bic = forms.CharField(label=_("BIC"), max_length=11, required=False)

    field_order = ["name", "contact_name", "contact_email", "contact_phone", "iban", "bic"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("street", "house_number", "postcode", "municipality"):
            self.fields[name].required = False


class NewDepartmentForm(DepartmentForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_(
            "Een korte, unieke code binnen uw organisatie, bv. ACADEMIE (zichtbaar in het Gebruikersbeheer)."
        ),
    )

    field_order = ["name", "code", *DepartmentForm.field_order[1:]]


class EstablishmentForm(AddressForm):
    name = forms.CharField(label=_("Naam"), max_length=200, required=False, help_text=_("Bv. Campus Gent."))
    country = forms.CharField(label=_("Land"), max_length=2, initial="BE")

    field_order = ["name", "street", "house_number", "box", "postcode", "municipality", "country"]
