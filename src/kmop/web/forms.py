from django import forms
from django.utils.translation import gettext_lazy as _

from kmop.registers.numbers import ValidationError as NumberError
from kmop.registers.numbers import format_enterprise_number, validate_enterprise_number


class ExampleQuestionForm(forms.Form):
    """The question page of the component gallery (demo mode): one field, shown with its errors."""

    enterprise_number = forms.CharField(
        label=_("Ondernemingsnummer"),
        help_text=_("10 cijfers, bijvoorbeeld 0123.456.749"),
        max_length=20,
        error_messages={"required": _("Vul het ondernemingsnummer in")},
        widget=forms.TextInput(attrs={"class": "input input--width-10", "autocomplete": "off"}),
    )

    def clean_enterprise_number(self) -> str:
        value: str = self.cleaned_data["enterprise_number"]
        try:
            number = validate_enterprise_number(value)
        except NumberError:
            raise forms.ValidationError(
                _("Vul een geldig ondernemingsnummer in, zoals 0123.456.749"), code="invalid"
            ) from None
        return format_enterprise_number(number)
