"""The form of "Zoek een dienstverlener" (public, GET): name, service, field of expertise or theme,
municipality or postcode, and a distance from that place."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kmop.eloket.forms import StyledForm
from kmop.providers.models import Service
from kmop.registers.geo import Point, postcode_point, postcodes_of_municipality

#: the largest distance one may ask (Belgium is about 280 km across)
MAX_DISTANCE_KM = 300
_POSTCODE = re.compile(r"^\d{4}$")
_LEADING_POSTCODE = re.compile(r"^(\d+)\s+\D")


@dataclass(frozen=True)
class Criteria:
    """What the search asks of ``kmop.providers.selectors.search_providers``."""

    name: str = ""
    service: str = ""
    field: str = ""
    postcode: str = ""
    municipality: str = ""
    centre: Point | None = None
    km: float | None = None

    @property
    def empty(self) -> bool:
        return not (self.name or self.service or self.field or self.postcode or self.municipality)


class SearchForm(StyledForm):
    naam = forms.CharField(
        label=_("Naam van de dienstverlener"),
        required=False,
        max_length=100,
        help_text=_("Een deel van de naam is genoeg."),
        error_messages={
            "max_length": _("Geef hoogstens %(limit_value)d tekens voor de naam."),
            "null_characters_not_allowed": _("Gebruik alleen letters, cijfers en leestekens."),
        },
    )
    dienst = forms.ChoiceField(
        label=_("Dienst"),
        required=False,
        choices=[("", _("Opleiding en advies")), *Service.choices],
        error_messages={"invalid_choice": _("Kies opleiding, advies of beide.")},
    )
    vakgebied = forms.CharField(
        label=_("Vakgebied of thema"),
        required=False,
        max_length=100,
        help_text=_("Bijvoorbeeld digitalisering of boekhouding."),
        error_messages={
            "max_length": _("Geef hoogstens %(limit_value)d tekens voor het vakgebied."),
            "null_characters_not_allowed": _("Gebruik alleen letters, cijfers en leestekens."),
        },
    )
    plaats = forms.CharField(
        label=_("Gemeente of postcode"),
        required=False,
        max_length=100,
        help_text=_("Van een vestiging van de dienstverlener, bijvoorbeeld Gent of 9000."),
        error_messages={
            "max_length": _("Geef hoogstens %(limit_value)d tekens voor de gemeente."),
            "null_characters_not_allowed": _("Gebruik alleen letters, cijfers en leestekens."),
        },
    )
    afstand = forms.DecimalField(
        label=_("Binnen een afstand van (km)"),
        required=False,
        min_value=Decimal("0.1"),
        max_value=Decimal(MAX_DISTANCE_KM),
        decimal_places=1,
        localize=True,
        help_text=_("Van de gemeente of postcode hierboven; de dichtstbijzijnde eerst."),
        error_messages={
            "invalid": _("Geef de afstand in km als een getal, bijvoorbeeld 20."),
            "min_value": _("De afstand moet groter zijn dan 0 km."),
            "max_value": _("De afstand is hoogstens %(limit_value)s km."),
            "max_decimal_places": _("Geef de afstand in km met hoogstens één cijfer na de komma."),
        },
    )

    def __init__(self, *args: Any, themes: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.themes = themes or []
        self.fields["vakgebied"].widget.attrs["list"] = "themes"
        self.fields["plaats"].widget.attrs["autocomplete"] = "postal-code"
        self.fields["afstand"].widget.attrs.update({"inputmode": "decimal", "class": "input input--width-10"})

    def clean_naam(self) -> str:
        return " ".join(self.cleaned_data["naam"].split())

    def clean_vakgebied(self) -> str:
        return " ".join(self.cleaned_data["vakgebied"].split())

    def clean_plaats(self) -> str:
        """A postcode (``9000``, also ``9000 Gent``) or the name of a municipality."""
        value = " ".join(self.cleaned_data["plaats"].split())
        compact = value.replace(" ", "")
        leading = _LEADING_POSTCODE.match(value)
        if compact.isdigit() or leading:
            code = leading.group(1) if leading else compact
            if not _POSTCODE.match(code):
                raise forms.ValidationError(
                    _("Een Belgische postcode heeft 4 cijfers, bijvoorbeeld 9000."), code="postcode_format"
                )
            if postcode_point(code) is None:
                raise forms.ValidationError(
                    _("De postcode %(postcode)s bestaat niet in België."),
                    code="postcode_unknown",
                    params={"postcode": code},
                )
            return code
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        place = data.get("plaats", "")
        km = data.get("afstand")
        if km is not None and "plaats" not in self.errors:
            if not place:
                self.add_error(
                    "afstand",
                    forms.ValidationError(
                        _("Geef ook de gemeente of postcode van waaruit u zoekt."),
                        code="distance_without_place",
                    ),
                )
            elif not _POSTCODE.match(place) and not postcodes_of_municipality(place):
                self.add_error(
                    "plaats",
                    forms.ValidationError(
                        _("Geen Belgische gemeente met de naam %(name)s: geef een postcode."),
                        code="municipality_unknown",
                        params={"name": place},
                    ),
                )
        return data

    def criteria(self) -> Criteria:
        """The criteria of a valid form (call after ``is_valid()``)."""
        data = self.cleaned_data
        place = data.get("plaats", "")
        postcode = place if _POSTCODE.match(place) else ""
        municipality = "" if postcode else place
        km = data.get("afstand")
        if km is None:
            return Criteria(
                name=data.get("naam", ""),
                service=data.get("dienst", ""),
                field=data.get("vakgebied", ""),
                postcode=postcode,
                municipality=municipality,
            )
        return Criteria(
            name=data.get("naam", ""),
            service=data.get("dienst", ""),
            field=data.get("vakgebied", ""),
            postcode=postcode,
            municipality=municipality,
            centre=place_point(place),
            km=float(km),
        )


def place_point(place: str) -> Point | None:
    """The point of a postcode, or of a municipality (the mean of its postcodes' points)."""
    if _POSTCODE.match(place):
        return postcode_point(place)
    points = [p for p in (postcode_point(code) for code in postcodes_of_municipality(place)) if p]
    if not points:
        return None
    return Point(
        sum(p.latitude for p in points) / len(points), sum(p.longitude for p in points) / len(points)
    )
