"""The forms of the portal's registration pages (seed 004, 2.1): the steps of "Aanvraag registratie" and the
fields of the declaration of honour. They check the shape of the input with a Dutch message at the field;
``kmop.providers.services.registration_request`` judges the request when it is confirmed ("Bevestig")."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kmop.eloket.forms import StyledForm
from kmop.providers.models import BASES_BY_SERVICE, Basis, Level, ProviderDepartment, Service


class LevelForm(StyledForm):
    """Stap 1: "Geef aan voor wie u deze registratie aanvraagt": the registered office or a department."""

    level = forms.ChoiceField(
        label=_("Geef aan voor wie u deze registratie aanvraagt"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Kies de maatschappelijke zetel of een departement."),
            "invalid_choice": _("Kies de maatschappelijke zetel of een departement."),
        },
    )
    department = forms.TypedChoiceField(
        label=_("Departement"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Enkel als u een registratie voor een departement aanvraagt."),
        error_messages={"invalid_choice": _("Kies een departement uit de lijst.")},
    )

    def __init__(
        self, *args: Any, departments: list[ProviderDepartment], office_allowed: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.departments = {d.pk: d for d in departments}
        level = self.fields["level"]
        department = self.fields["department"]
        assert isinstance(level, forms.ChoiceField)
        assert isinstance(department, forms.ChoiceField)
        choices = []
        if office_allowed:
            choices.append((Level.REGISTERED_OFFICE.value, Level.REGISTERED_OFFICE.label))
        if departments:
            choices.append((Level.DEPARTMENT.value, Level.DEPARTMENT.label))
        level.choices = choices
        department.choices = [("", _("Kies een departement")), *((str(d.pk), d.name) for d in departments)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("level") == Level.DEPARTMENT:
            department_id = data.get("department")
            if department_id is None or department_id not in self.departments:
                self.add_error("department", _("Kies het departement waarvoor u de registratie aanvraagt."))
        else:
            data["department"] = None
        return data


class ServiceForm(StyledForm):
    """Stap 2: "Duid aan voor welke dienst u een registratie wilt aanvragen."."""

    service = forms.ChoiceField(
        label=_("Duid aan voor welke dienst u een registratie wilt aanvragen."),
        choices=Service.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Kies de dienst: opleiding of advies."),
            "invalid_choice": _("Kies de dienst: opleiding of advies."),
        },
    )


class BasisForm(StyledForm):
    """Stap 3: "Mijn organisatie is een:" — the choice limited by the service (``BASES_BY_SERVICE``)."""

    basis = forms.ChoiceField(
        label=_("Mijn organisatie is een:"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Kies de basis van de registratie."),
            "invalid_choice": _("Kies een van de mogelijkheden voor deze dienst."),
        },
    )

    def __init__(self, *args: Any, service: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        basis = self.fields["basis"]
        assert isinstance(basis, forms.ChoiceField)
        basis.choices = [(value, Basis(value).label) for value in BASES_BY_SERVICE[service]]


NAME_FUNCTION_MAX = 200


class DeclarationForm(StyledForm):
    """Stap 4: the fields printed on the declaration of honour (optional: they may be written by hand)."""

    datum = forms.CharField(
        label=_("Datum"),
        required=False,
        max_length=10,
        help_text=_("Bijvoorbeeld 10/03/2025. Leeg: u vult de datum met de hand in."),
        error_messages={"max_length": _("Geef de datum als dd/mm/jjjj, bijvoorbeeld 10/03/2025.")},
    )
    naam_functie = forms.CharField(
        label=_("Naam + Functie"),
        required=False,
        max_length=NAME_FUNCTION_MAX,
        help_text=_("Bijvoorbeeld: Sofie Verhaeghe, zaakvoerder. Leeg: u vult dit met de hand in."),
        error_messages={"max_length": _("Naam en functie zijn te lang (ten hoogste 200 tekens).")},
    )

    def clean_datum(self) -> date | None:
        text = (self.cleaned_data.get("datum") or "").strip()
        if not text:
            return None
        for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
            try:
                return datetime.strptime(text, pattern).date()
            except ValueError:
                continue
        raise ValidationError(_("Geef de datum als dd/mm/jjjj, bijvoorbeeld 10/03/2025."))

    def clean_naam_functie(self) -> str:
        return " ".join((self.cleaned_data.get("naam_functie") or "").split())
