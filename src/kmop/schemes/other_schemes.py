"""The other schemes of the framework (RULES.md §5): Ecologiepremie Plus and the corona hinderpremie.

Same tables, loader, admin and audit as the kmo-portefeuille; only their parameters document differs, so each
kind has its parser here (registered in ``data.PARAMETER_PARSERS``) and its frozen terms.
``services.period_on`` gives a ``PeriodSnapshot`` of any scheme; ``ecology_premium`` and ``corona_premium``
compute from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from django.utils.translation import gettext as _

from kmop.schemes.errors import SchemeDataError
from kmop.schemes.regime import _decimal, _int

ECOLOGIEPREMIE_PLUS = "ecologiepremie-plus"
CORONA_HINDERPREMIE = "corona-hinderpremie"

ECO_CLASSES = ("A", "B", "C", "D")
#: Ecologiepremie Plus distinguishes kmo (KO and MO together) from large enterprises (GO).
ECO_SIZE_GROUPS = ("kmo", "go")


@dataclass(frozen=True)
class PeriodSnapshot:
    """The parameters of any scheme valid on one day (``terms`` is the parsed document of its kind)."""

    scheme: str
    kind: str
    on: date
    valid_from: date
    valid_to: date | None
    label_nl: str
    label_en: str
    source: str
    data_version: int
    terms: Any


@dataclass(frozen=True)
class EcologyTerms:
    """Rates per investment category, ecology class (A–D) and size group (kmo/go); a cap over some years."""

    rates: Mapping[str, Mapping[str, Mapping[str, Decimal]]]
    cap: Decimal
    cap_years: int

    def rate(self, category: str, eco_class: str, size_class: str) -> Decimal | None:
        group = "go" if size_class == "GO" else "kmo"
        by_class = self.rates.get(category)
        if by_class is None or eco_class not in by_class:
            return None
        return by_class[eco_class].get(group)


@dataclass(frozen=True)
class CoronaTerms:
    """A fixed amount for a mandatory closure plus a daily amount per closure day from ``daily_from``; one
    application per enterprise, filed between ``application_from`` and ``application_to``."""

    fixed_amount: Decimal
    daily_amount: Decimal
    daily_from: date
    application_from: date
    application_to: date


def parse_ecology_parameters(raw: Any) -> EcologyTerms:
    errors: list[str] = []
    if not isinstance(raw, dict):
        raise SchemeDataError(_("De parameters moeten een JSON-object zijn."))
    for key in sorted(set(raw) - {"rates", "cap", "cap_years"}):
        errors.append(_("Onbekende parameter: %(key)s.") % {"key": key})
    rates: dict[str, Mapping[str, Mapping[str, Decimal]]] = {}
    raw_rates = raw.get("rates")
    if not isinstance(raw_rates, dict) or not raw_rates:
        errors.append(_("rates: per investeringscategorie de percentages per ecoklasse."))
        raw_rates = {}
    for category, classes in raw_rates.items():
        if not isinstance(classes, dict) or set(classes) != set(ECO_CLASSES):
            errors.append(_("rates.%(cat)s: de ecoklassen A, B, C en D zijn nodig.") % {"cat": category})
            continue
        by_class = {}
        for eco_class, groups in classes.items():
            if not isinstance(groups, dict) or set(groups) != set(ECO_SIZE_GROUPS):
                errors.append(
                    _("rates.%(cat)s.%(cls)s: een percentage voor kmo en go.")
                    % {"cat": category, "cls": eco_class}
                )
                continue
            by_class[eco_class] = MappingProxyType(
                {
                    g: _decimal(v, f"rates.{category}.{eco_class}.{g}", errors, fraction=True)
                    for g, v in groups.items()
                }
            )
        rates[category] = MappingProxyType(by_class)
    cap = _decimal(raw.get("cap"), "cap", errors)
    years = _int(raw.get("cap_years"), "cap_years", errors)
    if errors:
        raise SchemeDataError(errors)
    return EcologyTerms(rates=MappingProxyType(rates), cap=cap, cap_years=years)


def _iso(value: Any, where: str, errors: list[str]) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.append(
            _("%(where)s: '%(value)s' is geen datum (JJJJ-MM-DD).") % {"where": where, "value": value}
        )
        return date.min


def parse_corona_parameters(raw: Any) -> CoronaTerms:
    errors: list[str] = []
    if not isinstance(raw, dict):
        raise SchemeDataError(_("De parameters moeten een JSON-object zijn."))
    allowed = {"fixed_amount", "daily_amount", "daily_from", "application_from", "application_to"}
    for key in sorted(set(raw) - allowed):
        errors.append(_("Onbekende parameter: %(key)s.") % {"key": key})
    for key in sorted(allowed - set(raw)):
        errors.append(_("Ontbrekende parameter: %(key)s.") % {"key": key})
    terms = CoronaTerms(
        fixed_amount=_decimal(raw.get("fixed_amount"), "fixed_amount", errors),
        daily_amount=_decimal(raw.get("daily_amount"), "daily_amount", errors),
        daily_from=_iso(raw.get("daily_from"), "daily_from", errors),
        application_from=_iso(raw.get("application_from"), "application_from", errors),
        application_to=_iso(raw.get("application_to"), "application_to", errors),
    )
    if not errors and terms.application_to < terms.application_from:
        errors.append(_("application_to ligt voor application_from."))
    if errors:
        raise SchemeDataError(errors)
    return terms
