"""Reads on the registers (KBO, legal functions, national register)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from kmop.registers.models import Address, Denomination, Enterprise, KboCode, LegalFunction
from kmop.registers.numbers import format_enterprise_number

#: TypeOfDenomination: the name (001), not an abbreviation (002) or a commercial name (003).
NAME = "001"
#: Denomination languages in order of preference for a Dutch-speaking user: NL, unknown, FR, DE, EN.
_LANGUAGE_PREFERENCE = ("2", "0", "1", "3", "4")


def enterprise_name(enterprise_number: str) -> str | None:
    """The name (type 001) of an enterprise (10 digits), preferably Dutch; None when it is not in the KBO."""
    return enterprise_names([enterprise_number]).get(enterprise_number)


def enterprise_names(enterprise_numbers: Iterable[str]) -> dict[str, str]:
    """The names (type 001) of enterprises (10 digits), preferably Dutch, in one query.

    Enterprises that are not in the KBO are not in the result.
    """
    by_enterprise: dict[str, dict[str, str]] = {}
    rows = Denomination.objects.filter(
        entity_number__in=set(enterprise_numbers), type_of_denomination=NAME
    ).values_list("entity_number", "language", "denomination")
    for number, language, denomination in rows:
        by_enterprise.setdefault(number, {}).setdefault(language, denomination)
    return {number: _preferred(names) for number, names in by_enterprise.items()}


def _preferred(names: dict[str, str]) -> str:
    for language in _LANGUAGE_PREFERENCE:
        if language in names:
            return names[language]
    return next(iter(names.values()))


def current_legal_functions(
    *, enterprise_number: str | None = None, person_number: str | None = None, on: date | None = None
) -> QuerySet[LegalFunction]:
    """The legal functions held on day ``on`` (today), of an enterprise and/or a person.

    Without either number: all of them (filter further, e.g. ``enterprise_id__in``).
    """
    day = on or timezone.localdate()
    functions = LegalFunction.objects.select_related("function").filter(start_date__lte=day)
    functions = functions.exclude(end_date__lt=day)
    if enterprise_number is not None:
        functions = functions.filter(enterprise_id=enterprise_number)
    if person_number is not None:
        functions = functions.filter(person_number=person_number)
    return functions.order_by("enterprise_id", "function_id", "start_date")


def legal_representatives(enterprise_number: str, *, on: date | None = None) -> QuerySet[LegalFunction]:
    """Who represents the enterprise on day ``on`` (today): current functions whose kind represents."""
    return current_legal_functions(enterprise_number=enterprise_number, on=on).filter(
        function__represents=True
    )


@dataclass(frozen=True)
class EnterpriseIdentity:
    """An enterprise as the KBO knows it (the ondernemingsfoto's identity); empty fields and
    ``in_register=False`` when the KBO does not know the number."""

    enterprise_number: str
    display_number: str
    name: str
    legal_form: str
    registered_office: str
    establishments: int
    in_register: bool


def enterprise_identity(enterprise_number: str, *, fallback_name: str = "") -> EnterpriseIdentity:
    """Name, legal form (Dutch description of the KBO code), registered office (the REGO address) and the
    number of establishments of an enterprise."""
    code = enterprise_number
    display = format_enterprise_number(code) if len(code) == 10 and code.isdigit() else code
    enterprise = Enterprise.objects.filter(pk=code).first()
    if enterprise is None:
        return EnterpriseIdentity(code, display, fallback_name, "", "", 0, in_register=False)
    form_code = enterprise.juridical_form_cac or enterprise.juridical_form or ""
    legal_form = ""
    if form_code:
        rows = dict(
            KboCode.objects.filter(category="JuridicalForm", code=form_code).values_list(
                "language", "description"
            )
        )
        legal_form = rows.get("NL") or next(iter(rows.values()), form_code)
    elif enterprise.is_natural_person:
        legal_form = "natuurlijk persoon"
    address = Address.objects.filter(entity_number=code, type_of_address="REGO").first()
    office = ""
    if address is not None:
        street = " ".join(p for p in (address.street_nl, address.house_number) if p)
        if address.box:
            street = f"{street} bus {address.box}"
        town = " ".join(p for p in (address.zipcode, address.municipality_nl) if p)
        office = ", ".join(p for p in (street, town) if p)
    return EnterpriseIdentity(
        enterprise_number=code,
        display_number=display,
        name=enterprise_name(code) or fallback_name,
        legal_form=legal_form,
        registered_office=office,
        establishments=enterprise.establishments.count(),
        in_register=True,
    )
