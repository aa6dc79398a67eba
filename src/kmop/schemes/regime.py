"""A regime: the parameters of one scheme for one period, as an immutable snapshot.

The parameters of a period are stored as one JSON document (``RegimePeriod.parameters``); ``parse_parameters``
validates such a document (for the data loader and for staff edits in the admin alike) and ``Regime`` is the
frozen, typed view on it plus the dated lists valid on the asked day (excluded services, legal forms, NACE
rules). Nothing here touches the database: ``services.regime_on`` builds a ``Regime``.

Money is ``Decimal``; rates are fractions (``Decimal("0.30")`` = 30 %).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kmop.schemes.errors import SchemeDataError, SchemeError

KMO_PORTEFEUILLE = "kmo-portefeuille"

#: Size classes of the EU SME definition (RULES.md §1): KO small, MO medium, GO large.
SIZE_CLASSES = ("KO", "MO", "GO")
#: The services of the kmo-portefeuille.
SERVICES = ("opleiding", "advies")
#: Labels for screens and messages (the codes stay Dutch: they are the scheme's own words).
SIZE_CLASS_LABELS = {
    "KO": gettext_lazy("kleine onderneming"),
    "MO": gettext_lazy("middelgrote onderneming"),
    "GO": gettext_lazy("grote onderneming"),
}
SERVICE_LABELS = {"opleiding": gettext_lazy("opleiding"), "advies": gettext_lazy("advies")}

#: Pseudo legal-form code of a natural-person enterprise (KBO gives it no JuridicalForm).
NATURAL_PERSON = "NP"

CENT = Decimal("0.01")


def _label(nl: str, en: str) -> str:
    return en if (get_language() or "nl").startswith("en") and en else nl


@dataclass(frozen=True)
class Subtheme:
    code: str
    label_nl: str
    label_en: str

    @property
    def label(self) -> str:
        """The label in the active language."""
        return _label(self.label_nl, self.label_en)


@dataclass(frozen=True)
class Theme:
    code: str
    label_nl: str
    label_en: str
    subthemes: tuple[Subtheme, ...] = ()

    @property
    def label(self) -> str:
        """The label in the active language."""
        return _label(self.label_nl, self.label_en)

    def subtheme(self, code: str | None) -> Subtheme | None:
        return next((s for s in self.subthemes if s.code == code), None)


@dataclass(frozen=True)
class SizeClassTerms:
    rate: Decimal
    yearly_cap: Decimal


@dataclass(frozen=True)
class ServiceTerms:
    code: str
    minimum: Decimal
    #: ``None``: every theme of the regime; else the only allowed targets ("theme" or "theme/subtheme").
    themes: tuple[str, ...] | None


@dataclass(frozen=True)
class RateRule:
    """A raised rate for some themes (targets "theme" or "theme/subtheme") and services."""

    targets: tuple[str, ...]
    services: frozenset[str]
    rates: Mapping[str, Decimal]


@dataclass(frozen=True)
class ExcludedServiceRule:
    code: str
    label_nl: str
    label_en: str
    keywords: tuple[str, ...]

    @property
    def label(self) -> str:
        return _label(self.label_nl, self.label_en)


@dataclass(frozen=True)
class NaceRule:
    prefix: str
    accepted: bool
    note: str = ""


@dataclass(frozen=True)
class KmopTerms:
    """The parsed parameters document of a kmo-portefeuille period."""

    size_classes: Mapping[str, SizeClassTerms]
    services: Mapping[str, ServiceTerms]
    themes: tuple[Theme, ...]
    theme_required: bool
    rate_rules: tuple[RateRule, ...]
    filing_window_days: int
    deposit_days: int


def _target_matches(target: str, theme: str | None, subtheme: str | None) -> bool:
    if theme is None:
        return False
    if "/" in target:
        t, s = target.split("/", 1)
        return t == theme and s == subtheme
    return target == theme


@dataclass(frozen=True)
class Regime:
    """The rules of one scheme valid on one day (``on``): immutable; built by ``services.regime_on``.

    ``valid_from``/``valid_to`` are the period's bounds (``valid_to`` ``None``: open-ended); ``data_version``
    the version of the data file (or 0 for a period entered by staff) it came from.
    """

    scheme: str
    on: date
    valid_from: date
    valid_to: date | None
    label_nl: str
    label_en: str
    source: str
    data_version: int
    terms: KmopTerms
    excluded_services: tuple[ExcludedServiceRule, ...] = ()
    accepted_legal_forms: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    nace_rules: tuple[NaceRule, ...] = ()

    # --- reading ---------------------------------------------------------------------------------------

    @property
    def label(self) -> str:
        return _label(self.label_nl, self.label_en)

    @property
    def size_classes(self) -> tuple[str, ...]:
        """The eligible size classes (GO is not among them for the kmo-portefeuille)."""
        return tuple(self.terms.size_classes)

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(self.terms.services)

    @property
    def themes(self) -> tuple[Theme, ...]:
        return self.terms.themes

    @property
    def theme_required(self) -> bool:
        return self.terms.theme_required

    @property
    def filing_window_days(self) -> int:
        return self.terms.filing_window_days

    @property
    def deposit_days(self) -> int:
        return self.terms.deposit_days

    def theme(self, code: str | None) -> Theme | None:
        return next((t for t in self.terms.themes if t.code == code), None)

    def _size(self, size_class: str) -> SizeClassTerms:
        terms = self.terms.size_classes.get(size_class)
        if terms is None:
            raise SchemeError(
                _("De ondernemingsgrootte %(size)s komt niet in aanmerking voor %(scheme)s."),
                code="size_class_not_eligible",
                size=size_class,
                scheme=self.scheme,
            )
        return terms

    def _service(self, service: str) -> ServiceTerms:
        terms = self.terms.services.get(service)
        if terms is None:
            raise SchemeError(
                _("De dienst %(service)s bestaat niet in deze regeling."),
                code="service_not_in_regime",
                service=service,
            )
        return terms

    def rate(
        self, size_class: str, service: str, theme_code: str | None, subtheme_code: str | None = None
    ) -> Decimal:
        """The support rate (a fraction) for this size class, service and theme; raises ``SchemeError`` for a
        size class (GO) or service the regime does not know. Does not check that the theme is allowed (that is
        ``check_application``'s): an unknown theme simply gets the base rate."""
        base = self._size(size_class).rate
        self._service(service)
        for rule in self.terms.rate_rules:
            if (
                service in rule.services
                and size_class in rule.rates
                and any(_target_matches(t, theme_code, subtheme_code) for t in rule.targets)
            ):
                return rule.rates[size_class]
        return base

    def yearly_cap(self, size_class: str) -> Decimal:
        """The most subsidy an enterprise of this size class gets in one calendar year."""
        return self._size(size_class).yearly_cap

    def minimum(self, service: str) -> Decimal:
        """The minimum project amount (excluding VAT) for this service."""
        return self._service(service).minimum

    def filing_deadline(self, start_date: date) -> date:
        """The last day an application for a service starting on ``start_date`` can be filed."""
        return start_date + timedelta(days=self.terms.filing_window_days)

    def deposit_deadline(self, application_date: date) -> date:
        """The last day to deposit the own contribution of an application filed on ``application_date``."""
        return application_date + timedelta(days=self.terms.deposit_days)

    def service_allows(self, service: str, theme: str | None, subtheme: str | None) -> bool:
        terms = self.terms.services.get(service)
        if terms is None:
            return False
        if terms.themes is None:
            return True
        return any(_target_matches(t, theme, subtheme) for t in terms.themes)

    def allowed_targets_label(self, service: str) -> str:
        """The themes a restricted service allows, as labels ("Digitalisering – Cybersecurity")."""
        terms = self.terms.services.get(service)
        if terms is None or terms.themes is None:
            return ""
        labels = []
        for target in terms.themes:
            theme_code, _sep, sub_code = target.partition("/")
            theme = self.theme(theme_code)
            if theme is None:
                labels.append(target)
                continue
            sub = theme.subtheme(sub_code) if sub_code else None
            labels.append(f"{theme.label} – {sub.label}" if sub else theme.label)
        return ", ".join(labels)

    def legal_form_accepted(self, code: str | None) -> bool:
        return bool(code) and code in self.accepted_legal_forms

    def nace_accepted(self, nace_code: str) -> bool:
        """The longest matching prefix rule decides; without a matching rule a code is accepted."""
        digits = "".join(ch for ch in nace_code if ch.isdigit())
        if not digits:
            return False
        best: NaceRule | None = None
        for rule in self.nace_rules:
            if digits.startswith(rule.prefix) and (best is None or len(rule.prefix) > len(best.prefix)):
                best = rule
        return True if best is None else best.accepted

    def excluded_service_for(self, text: str) -> ExcludedServiceRule | None:
        """The excluded service whose keyword occurs (as whole words, case-insensitive) in ``text``."""
        words = _words(text)
        if not words:
            return None
        haystack = f" {' '.join(words)} "
        for rule in self.excluded_services:
            for keyword in rule.keywords:
                needle = " ".join(_words(keyword))
                if needle and f" {needle} " in haystack:
                    return rule
        return None


def _words(text: str) -> list[str]:
    cleaned = "".join(ch if ch.isalnum() or ch == "-" else " " for ch in text.casefold())
    return cleaned.split()


# --- parsing and validating a parameters document ---------------------------------------------------------


def _decimal(value: Any, where: str, errors: list[str], *, fraction: bool = False) -> Decimal:
    try:
        if isinstance(value, float | bool):
            raise InvalidOperation
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.append(
            _("%(where)s: '%(value)s' is geen bedrag of percentage.") % {"where": where, "value": value}
        )
        return Decimal(0)
    if not number.is_finite() or number < 0:
        errors.append(
            _("%(where)s: '%(value)s' moet een positief getal zijn.") % {"where": where, "value": value}
        )
        return Decimal(0)
    if fraction and number > 1:
        errors.append(
            _(
                "%(where)s: een steunpercentage is een breuk tussen 0 en 1 (bijvoorbeeld 0.30), niet "
                "%(value)s."
            )
            % {"where": where, "value": value}
        )
    if not fraction and number != number.quantize(CENT):
        errors.append(_("%(where)s: een bedrag heeft ten hoogste twee decimalen.") % {"where": where})
    return number


def _int(value: Any, where: str, errors: list[str]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.append(_("%(where)s: moet een positief geheel getal zijn.") % {"where": where})
        return 0
    return value


def _themes(raw: Any, errors: list[str]) -> tuple[Theme, ...]:
    if not isinstance(raw, list):
        errors.append(_("themes: moet een lijst zijn."))
        return ()
    themes = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict) or not entry.get("code") or not entry.get("label_nl"):
            errors.append(_("themes[%(i)s]: code en label_nl zijn verplicht.") % {"i": i})
            continue
        code = str(entry["code"])
        if code in seen:
            errors.append(_("themes: het thema %(code)s staat er twee keer in.") % {"code": code})
        seen.add(code)
        subs = []
        sub_seen: set[str] = set()
        for j, sub in enumerate(entry.get("subthemes") or []):
            if not isinstance(sub, dict) or not sub.get("code") or not sub.get("label_nl"):
                errors.append(
                    _("themes[%(i)s].subthemes[%(j)s]: code en label_nl zijn verplicht.") % {"i": i, "j": j}
                )
                continue
            if sub["code"] in sub_seen:
                errors.append(
                    _("themes: het subthema %(code)s staat er twee keer in.") % {"code": sub["code"]}
                )
            sub_seen.add(sub["code"])
            subs.append(Subtheme(str(sub["code"]), str(sub["label_nl"]), str(sub.get("label_en") or "")))
        themes.append(Theme(code, str(entry["label_nl"]), str(entry.get("label_en") or ""), tuple(subs)))
    return tuple(themes)


def _check_target(target: Any, themes: tuple[Theme, ...], where: str, errors: list[str]) -> str:
    if not isinstance(target, str) or not target:
        errors.append(_("%(where)s: een thema is een tekst 'thema' of 'thema/subthema'.") % {"where": where})
        return ""
    theme_code, _sep, sub_code = target.partition("/")
    theme = next((t for t in themes if t.code == theme_code), None)
    if theme is None or (sub_code and theme.subtheme(sub_code) is None):
        errors.append(
            _("%(where)s: het thema %(target)s staat niet in de thema's van deze periode.")
            % {"where": where, "target": target}
        )
    return target


def expand_theme_sets(parameters: dict[str, Any], theme_sets: Mapping[str, Any]) -> dict[str, Any]:
    """Replace a ``"themes": "@name"`` reference of a data file by the named theme set (the stored document is
    self-contained)."""
    themes = parameters.get("themes")
    if isinstance(themes, str) and themes.startswith("@"):
        name = themes[1:]
        if name not in theme_sets:
            raise SchemeDataError(_("De themalijst %(name)s bestaat niet in het bestand."), name=name)
        return {**parameters, "themes": theme_sets[name]}
    return parameters


def parse_parameters(raw: Any) -> KmopTerms:
    """Validate a kmo-portefeuille parameters document; raises ``SchemeDataError`` with every problem
    found."""
    errors: list[str] = []
    if not isinstance(raw, dict):
        raise SchemeDataError(_("De parameters moeten een JSON-object zijn."))
    allowed = {
        "size_classes",
        "services",
        "themes",
        "theme_required",
        "rate_rules",
        "filing_window_days",
        "deposit_days",
    }
    for key in sorted(set(raw) - allowed):
        errors.append(_("Onbekende parameter: %(key)s.") % {"key": key})
    for key in sorted(allowed - set(raw)):
        errors.append(_("Ontbrekende parameter: %(key)s.") % {"key": key})
    themes = _themes(raw.get("themes", []), errors)

    sizes: dict[str, SizeClassTerms] = {}
    raw_sizes = raw.get("size_classes")
    if not isinstance(raw_sizes, dict) or not raw_sizes:
        errors.append(_("size_classes: minstens één ondernemingsgrootte (KO, MO) is nodig."))
        raw_sizes = {}
    for size, terms in raw_sizes.items():
        if size not in SIZE_CLASSES:
            errors.append(_("size_classes: onbekende ondernemingsgrootte %(size)s.") % {"size": size})
            continue
        if not isinstance(terms, dict):
            errors.append(_("size_classes.%(size)s: moet rate en yearly_cap hebben.") % {"size": size})
            continue
        sizes[size] = SizeClassTerms(
            rate=_decimal(terms.get("rate"), f"size_classes.{size}.rate", errors, fraction=True),
            yearly_cap=_decimal(terms.get("yearly_cap"), f"size_classes.{size}.yearly_cap", errors),
        )

    services: dict[str, ServiceTerms] = {}
    raw_services = raw.get("services")
    if not isinstance(raw_services, dict) or not raw_services:
        errors.append(_("services: minstens één dienst (opleiding, advies) is nodig."))
        raw_services = {}
    for code, terms in raw_services.items():
        if code not in SERVICES:
            errors.append(_("services: onbekende dienst %(service)s.") % {"service": code})
            continue
        if not isinstance(terms, dict):
            errors.append(_("services.%(service)s: moet minimum en themes hebben.") % {"service": code})
            continue
        targets = terms.get("themes")
        if targets is not None:
            if not isinstance(targets, list) or not targets:
                errors.append(
                    _("services.%(service)s.themes: null of een lijst thema's.") % {"service": code}
                )
                targets = []
            targets = tuple(_check_target(t, themes, f"services.{code}.themes", errors) for t in targets)
        services[code] = ServiceTerms(
            code=code,
            minimum=_decimal(terms.get("minimum"), f"services.{code}.minimum", errors),
            themes=targets,
        )

    rules = []
    raw_rules = raw.get("rate_rules", [])
    if not isinstance(raw_rules, list):
        errors.append(_("rate_rules: moet een lijst zijn."))
        raw_rules = []
    for i, rule in enumerate(raw_rules):
        where = f"rate_rules[{i}]"
        if not isinstance(rule, dict) or not rule.get("targets") or not rule.get("rates"):
            errors.append(_("%(where)s: targets, services en rates zijn verplicht.") % {"where": where})
            continue
        targets = tuple(_check_target(t, themes, where, errors) for t in rule["targets"])
        rule_services = frozenset(rule.get("services") or SERVICES)
        for service in rule_services - set(SERVICES):
            errors.append(
                _("%(where)s: onbekende dienst %(service)s.") % {"where": where, "service": service}
            )
        rates = {}
        for size, value in dict(rule["rates"]).items():
            if size not in sizes:
                errors.append(
                    _("%(where)s: de ondernemingsgrootte %(size)s heeft geen basispercentage.")
                    % {"where": where, "size": size}
                )
            rates[size] = _decimal(value, f"{where}.rates.{size}", errors, fraction=True)
        rules.append(RateRule(targets=targets, services=rule_services, rates=MappingProxyType(rates)))

    theme_required = raw.get("theme_required", False)
    if not isinstance(theme_required, bool):
        errors.append(_("theme_required: true of false."))
        theme_required = False
    if theme_required and not themes:
        errors.append(_("theme_required: een verplicht thema vraagt een lijst thema's."))
    window = _int(raw.get("filing_window_days"), "filing_window_days", errors)
    deposit = _int(raw.get("deposit_days"), "deposit_days", errors)
    if errors:
        raise SchemeDataError(errors)
    return KmopTerms(
        size_classes=MappingProxyType(sizes),
        services=MappingProxyType(services),
        themes=themes,
        theme_required=theme_required,
        rate_rules=tuple(rules),
        filing_window_days=window,
        deposit_days=deposit,
    )
