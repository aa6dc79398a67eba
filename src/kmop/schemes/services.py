"""The scheme framework's API (docs/decisions/0010-scheme-framework.md).

For the e-loket and the back office:

* ``regime_on(day, scheme)`` → the ``Regime`` (frozen snapshot) valid on that day; ``SchemeError``
  (``NoRegime``) when no period covers it. Every calculation asks for the regime of the application date.
* ``calculate(regime, ...)`` → ``Calculation``: subsidy and own contribution in exact cents.
* ``check_application(regime, ...)`` → the list of ``Refusal`` (empty: acceptable), each with a stable
``code``
  and a Dutch message naming the rule and its numbers.
* ``eligibility(enterprise_number, on)`` → ``Eligibility`` from the KBO register (RULES.md §1).
* ``themes_on(day, scheme)`` → the themes and sub-themes of that day (for select boxes).

For staff: ``scheme_data_load`` (the data files), ``dated_row_save`` / ``dated_row_delete`` (admin edits with
a required reason, audited; a started row only gets an end date; overlaps refused), ``period_add`` (a new
period from a later date that ends the one it replaces) and ``dated_row_end`` (the back office's screens).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from kmop.audit.services import Actor, audit_record
from kmop.schemes import data as scheme_data
from kmop.schemes.errors import NoRegime, SchemeDataError, SchemeError, UnknownScheme
from kmop.schemes.models import (
    DatedRow,
    ExcludedService,
    LegalFormRule,
    NaceRule,
    RegimePeriod,
    Scheme,
)
from kmop.schemes.other_schemes import CoronaTerms, EcologyTerms, PeriodSnapshot
from kmop.schemes.regime import (
    CENT,
    KMO_PORTEFEUILLE,
    NATURAL_PERSON,
    SERVICE_LABELS,
    ExcludedServiceRule,
    Regime,
    Theme,
    parse_parameters,
)
from kmop.schemes.regime import NaceRule as NaceRuleValue

__all__ = [
    "Calculation",
    "Eligibility",
    "EligibilityCheck",
    "Refusal",
    "calculate",
    "check_application",
    "clear_cache",
    "corona_premium",
    "dated_row_delete",
    "dated_row_end",
    "dated_row_save",
    "ecology_premium",
    "eligibility",
    "period_add",
    "period_before",
    "period_on",
    "regime_on",
    "scheme_data_load",
    "themes_on",
]


def _day(d: date) -> str:
    return date_format(d, "j F Y")


def _eur(amount: Decimal) -> str:
    return "€ " + number_format(amount, 2, force_grouping=True)


def _service_label(service: str) -> str:
    return str(SERVICE_LABELS.get(service, service))


# --- the regime of a day --------------------------------------------------------------------------------

_cache: dict[tuple[str, date], Regime] = {}
_cache_lock = threading.Lock()
_CACHE_SIZE = 512


def clear_cache() -> None:
    """Forget the cached snapshots of this process (called on every change of a scheme table)."""
    with _cache_lock:
        _cache.clear()


def _valid_on(day: date) -> Q:
    return Q(valid_from__lte=day) & (Q(valid_to__isnull=True) | Q(valid_to__gte=day))


def regime_on(day: date, scheme: str = KMO_PORTEFEUILLE) -> Regime:
    """The rules of ``scheme`` valid on ``day`` (an application date), as an immutable ``Regime``.

    Raises ``UnknownScheme`` for a scheme that is not loaded and ``NoRegime`` (a ``SchemeError``) when no
    period covers the day, e.g. before 1 April 2016 for the kmo-portefeuille.

    Snapshots of today and earlier days are cached per process: staff changes only take effect from tomorrow
    (``dated_row_save``), so those days never change; any change in this process clears the cache anyway.
    """
    key = (scheme, day)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    regime = _build_regime(day, scheme)
    if day <= timezone.localdate():
        with _cache_lock:
            if len(_cache) >= _CACHE_SIZE:
                _cache.clear()
            _cache[key] = regime
    return regime


def _build_regime(day: date, scheme_code: str) -> Regime:
    scheme = Scheme.objects.filter(code=scheme_code).first()
    if scheme is None:
        raise UnknownScheme(_("De steunmaatregel %(scheme)s bestaat niet."), scheme=scheme_code)
    if scheme.kind != KMO_PORTEFEUILLE:
        raise SchemeError(
            _("%(scheme)s heeft een andere soort parameters: vraag ze op met period_on."),
            code="wrong_kind",
            scheme=scheme.name_nl,
        )
    period = _period(scheme, day)
    terms = parse_parameters(period.parameters)
    excluded = tuple(
        ExcludedServiceRule(e.code, e.label_nl, e.label_en, tuple(e.keywords))
        for e in ExcludedService.objects.filter(_valid_on(day), scheme=scheme).order_by("code")
    )
    legal_forms = {
        f.code: f.label_nl
        for f in LegalFormRule.objects.filter(_valid_on(day), scheme=scheme, accepted=True).order_by("code")
    }
    nace = tuple(
        NaceRuleValue(n.prefix, n.accepted, n.note)
        for n in NaceRule.objects.filter(_valid_on(day), scheme=scheme).order_by("prefix")
    )
    return Regime(
        scheme=scheme.code,
        on=day,
        valid_from=period.valid_from,
        valid_to=period.valid_to,
        label_nl=period.label_nl,
        label_en=period.label_en,
        source=period.source,
        data_version=period.data_version,
        terms=terms,
        excluded_services=excluded,
        accepted_legal_forms=MappingProxyType(legal_forms),
        nace_rules=nace,
    )


def _period(scheme: Scheme, day: date) -> RegimePeriod:
    period = RegimePeriod.objects.filter(_valid_on(day), scheme=scheme).first()
    if period is None:
        raise NoRegime(
            _("Op %(day)s gold er geen regeling voor %(scheme)s."),
            day=_day(day),
            scheme=scheme.name_nl,
        )
    return period


def period_on(day: date, scheme: str) -> PeriodSnapshot:
    """The parameters of any scheme (of any kind) valid on ``day``: a frozen ``PeriodSnapshot`` whose
    ``terms`` are the parsed document of the scheme's kind (``KmopTerms``, ``EcologyTerms``,
    ``CoronaTerms``). Raises ``UnknownScheme`` or ``NoRegime`` like ``regime_on``."""
    found = Scheme.objects.filter(code=scheme).first()
    if found is None:
        raise UnknownScheme(_("De steunmaatregel %(scheme)s bestaat niet."), scheme=scheme)
    period = _period(found, day)
    parser = scheme_data.PARAMETER_PARSERS[found.kind]
    return PeriodSnapshot(
        scheme=found.code,
        kind=found.kind,
        on=day,
        valid_from=period.valid_from,
        valid_to=period.valid_to,
        label_nl=period.label_nl,
        label_en=period.label_en,
        source=period.source,
        data_version=period.data_version,
        terms=parser(period.parameters),
    )


def ecology_premium(
    period: PeriodSnapshot,
    *,
    category: str,
    eco_class: str,
    size_class: str,
    amount: Decimal,
    cap_left: Decimal,
) -> Calculation:
    """Ecologiepremie Plus for an investment of ``amount`` (the eligible extra cost, excluding installation)
    in a technology of ``category`` and ``eco_class`` (A–D) by an enterprise of ``size_class`` (KO, MO or GO:
    large enterprises are allowed here), limited to ``cap_left`` of the cap over three years. Rounded up to
    the cent like the kmo-portefeuille. Raises ``SchemeError`` for an unknown category or class."""
    terms = period.terms
    if not isinstance(terms, EcologyTerms):
        raise SchemeError(_("Dit is geen periode van de Ecologiepremie Plus."), code="wrong_kind")
    if size_class not in ("KO", "MO", "GO"):
        raise SchemeError(
            _("Onbekende ondernemingsgrootte %(size)s."), code="unknown_size_class", size=size_class
        )
    rate = terms.rate(category, eco_class, size_class)
    if rate is None:
        raise SchemeError(
            _("De investeringscategorie %(category)s of ecoklasse %(eco)s bestaat niet."),
            code="unknown_category",
            category=category,
            eco=eco_class,
        )
    return _split(rate, _money(amount, _("Het bedrag")), _money(cap_left, _("Het resterende plafond")))


def corona_premium(
    period: PeriodSnapshot, *, closure_start: date, closure_end: date, application_date: date
) -> tuple[Decimal, list[Refusal]]:
    """The corona hinderpremie for a mandatory closure from ``closure_start`` to ``closure_end`` (inclusive):
    the fixed amount plus the daily amount for each closure day from ``daily_from``. Returns the premium and
    the refusals (filed outside the application window, dates the wrong way round); a refused application
    gets 0."""
    terms = period.terms
    if not isinstance(terms, CoronaTerms):
        raise SchemeError(_("Dit is geen periode van de corona-hinderpremie."), code="wrong_kind")
    refusals = []
    if not terms.application_from <= application_date <= terms.application_to:
        refusals.append(
            Refusal(
                "outside_application_window",
                _("De aanvraag moest ingediend worden tussen %(start)s en %(end)s.")
                % {"start": _day(terms.application_from), "end": _day(terms.application_to)},
            )
        )
    if closure_end < closure_start:
        refusals.append(Refusal("invalid_dates", _("Het einde van de sluiting ligt voor het begin.")))
    if refusals:
        return Decimal("0.00"), refusals
    first_daily = max(closure_start, terms.daily_from)
    days = max(0, (closure_end - first_daily).days + 1)
    return terms.fixed_amount + terms.daily_amount * days, []


def themes_on(day: date, scheme: str = KMO_PORTEFEUILLE) -> tuple[Theme, ...]:
    """The themes (each with its sub-themes, ``label_nl``/``label_en``/``label``) of the regime valid on
    ``day``; empty before the themes existed (before 13 September 2021 for the kmo-portefeuille)."""
    return regime_on(day, scheme).themes


# --- calculation ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calculation:
    """The money of one application, in exact cents.

    ``subsidy`` = ``rate`` × ``amount`` rounded up to the cent (in the enterprise's favour), limited to
    ``cap_left``; ``own_contribution`` = ``amount`` − ``subsidy``; ``capped`` tells whether the cap limited
    it.
    """

    amount: Decimal
    rate: Decimal
    uncapped_subsidy: Decimal
    subsidy: Decimal
    own_contribution: Decimal
    cap_left: Decimal
    capped: bool

    @property
    def cap_left_after(self) -> Decimal:
        return self.cap_left - self.subsidy


def _money(value: Decimal | int | str, what: str) -> Decimal:
    try:
        amount = Decimal(value) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError, TypeError):
        raise SchemeError(_("%(what)s is geen bedrag."), code="invalid_amount", what=what) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(CENT):
        raise SchemeError(
            _("%(what)s moet een positief bedrag in euro met ten hoogste twee decimalen zijn."),
            code="invalid_amount",
            what=what,
        )
    return amount.quantize(CENT)


def calculate(
    regime: Regime,
    *,
    size_class: str,
    service: str,
    theme: str | None,
    subtheme: str | None = None,
    amount: Decimal,
    cap_left: Decimal,
) -> Calculation:
    """Subsidy and own contribution of a project of ``amount`` (excluding VAT) with ``cap_left`` of the
    enterprise's yearly cap unused (RULES.md §2). Raises ``SchemeError`` for an invalid amount or a size
    class/service the regime does not support (``check_application`` gives the reasons first)."""
    amount = _money(amount, _("Het bedrag"))
    cap_left = _money(cap_left, _("Het resterende plafond"))
    return _split(regime.rate(size_class, service, theme, subtheme), amount, cap_left)


def _split(rate: Decimal, amount: Decimal, cap_left: Decimal) -> Calculation:
    uncapped = min((rate * amount).quantize(CENT, rounding=ROUND_CEILING), amount)
    subsidy = min(uncapped, cap_left)
    return Calculation(
        amount=amount,
        rate=rate,
        uncapped_subsidy=uncapped,
        subsidy=subsidy,
        own_contribution=amount - subsidy,
        cap_left=cap_left,
        capped=subsidy < uncapped,
    )


# --- checks of an application -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a rule refuses: a stable ``code`` (for programs and tests), a message in the active language with
    the rule's numbers, and those numbers in ``params``."""

    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


REFUSAL_CODES = (
    "invalid_amount",
    "large_enterprise",
    "unknown_size_class",
    "service_not_in_regime",
    "theme_missing",
    "theme_not_in_regime",
    "subtheme_missing",
    "below_minimum",
    "outside_filing_window",
    "application_before_regime",
    "excluded_service",
    "legal_form_not_accepted",
    "nace_not_accepted",
    "nace_unknown",
)


def _theme_refusals(regime: Regime, service: str, theme: str | None, subtheme: str | None) -> list[Refusal]:
    since = _day(regime.valid_from)
    if not theme:
        if regime.theme_required:
            return [
                Refusal(
                    "theme_missing",
                    _(
                        "Vanaf %(since)s komt enkel opleiding of advies binnen een van de thema's in "
                        "aanmerking: kies een thema."
                    )
                    % {"since": since},
                    {"since": regime.valid_from},
                )
            ]
        if subtheme:
            return [
                Refusal("theme_not_in_regime", _("Een subthema hoort bij een thema: kies eerst het thema."))
            ]
        return []
    found = regime.theme(theme)
    if found is None:
        if not regime.themes:
            message = _("In de regeling die gold op %(day)s bestonden er nog geen thema's.") % {
                "day": _day(regime.on)
            }
        else:
            message = _("Het thema '%(theme)s' komt niet in aanmerking in de regeling vanaf %(since)s.") % {
                "theme": theme,
                "since": since,
            }
        return [Refusal("theme_not_in_regime", message, {"theme": theme, "since": regime.valid_from})]
    if subtheme:
        if found.subtheme(subtheme) is None:
            return [
                Refusal(
                    "theme_not_in_regime",
                    _("Het subthema '%(subtheme)s' hoort niet bij het thema %(theme)s.")
                    % {"subtheme": subtheme, "theme": found.label},
                    {"theme": theme, "subtheme": subtheme},
                )
            ]
    elif found.subthemes and regime.theme_required:
        return [
            Refusal(
                "subtheme_missing",
                _("Kies een subthema van het thema %(theme)s.") % {"theme": found.label},
                {"theme": theme},
            )
        ]
    return []


def check_application(
    regime: Regime,
    *,
    service: str,
    theme: str | None,
    subtheme: str | None = None,
    amount: Decimal,
    start_date: date,
    application_date: date,
    size_class: str,
    legal_form_code: str | None,
    nace_code: str | None,
    title: str = "",
) -> list[Refusal]:
    """Every rule of the regime an application breaks (an empty list: the rules allow it).

    ``regime`` must be ``regime_on(application_date)``. ``legal_form_code`` is the KBO JuridicalForm code or
    ``"NP"`` for a natural person; ``title`` (the training's or advice's name and description) is matched
    against the excluded services. Checks that need other data (the provider's registration, related
    enterprises, the cap used) belong to the caller. Messages are in the active language (gettext).
    """
    refusals: list[Refusal] = []
    if not regime.valid_from <= application_date <= (regime.valid_to or application_date):
        refusals.append(
            Refusal(
                "application_before_regime",
                _(
                    "De aanvraag van %(day)s valt buiten de regeling van %(start)s: vraag de regeling van "
                    "de aanvraagdatum op."
                )
                % {"day": _day(application_date), "start": _day(regime.valid_from)},
            )
        )
    # the enterprise
    if size_class == "GO":
        refusals.append(
            Refusal(
                "large_enterprise",
                _("Een grote onderneming komt niet in aanmerking voor de kmo-portefeuille."),
            )
        )
    elif size_class not in regime.size_classes:
        refusals.append(
            Refusal(
                "unknown_size_class",
                _("De ondernemingsgrootte '%(size)s' bestaat niet: kies klein (KO) of middelgroot (MO).")
                % {"size": size_class},
            )
        )
    code = legal_form_code or ""
    if not regime.legal_form_accepted(code):
        refusals.append(
            Refusal(
                "legal_form_not_accepted",
                _(
                    "De rechtsvorm van de onderneming (%(code)s) komt niet in aanmerking: enkel natuurlijke "
                    "personen "
                    "en handelsvennootschappen met rechtspersoonlijkheid (zoals nv, bv, cv, vof, commv) "
                    "komen in "
                    "aanmerking, geen vzw, maatschap of tijdelijke of stille handelsvennootschap."
                )
                % {"code": code or "?"},
                {"legal_form_code": code},
            )
        )
    if not nace_code:
        refusals.append(
            Refusal(
                "nace_unknown",
                _("De hoofdactiviteit (NACE-code) van de onderneming is niet gekend: vul ze aan."),
            )
        )
    elif not regime.nace_accepted(nace_code):
        refusals.append(
            Refusal(
                "nace_not_accepted",
                _(
                    "De hoofdactiviteit %(nace)s komt niet in aanmerking (onder meer de primaire sector, "
                    "land- en "
                    "tuinbouw, bosbouw en visserij, en het openbaar bestuur zijn uitgesloten)."
                )
                % {"nace": nace_code},
                {"nace_code": nace_code},
            )
        )
    # the service and its theme
    if service not in regime.services:
        refusals.append(
            Refusal(
                "service_not_in_regime",
                _("De dienst '%(service)s' komt niet in aanmerking in de regeling vanaf %(since)s.")
                % {"service": service, "since": _day(regime.valid_from)},
                {"service": service},
            )
        )
    else:
        theme_refusals = _theme_refusals(regime, service, theme, subtheme)
        refusals.extend(theme_refusals)
        if not theme_refusals and not regime.service_allows(service, theme, subtheme):
            refusals.append(
                Refusal(
                    "service_not_in_regime",
                    _("Vanaf %(since)s komt %(service)s enkel nog in aanmerking voor: %(themes)s.")
                    % {
                        "since": _day(regime.valid_from),
                        "service": _service_label(service),
                        "themes": regime.allowed_targets_label(service),
                    },
                    {"service": service, "since": regime.valid_from},
                )
            )
        try:
            value = _money(amount, _("Het bedrag"))
        except SchemeError as e:
            refusals.append(Refusal("invalid_amount", str(e)))
        else:
            minimum = regime.minimum(service)
            if value <= 0 or value < minimum:
                refusals.append(
                    Refusal(
                        "below_minimum",
                        _(
                            "Het projectbedrag (%(amount)s exclusief btw) moet voor %(service)s minstens "
                            "%(minimum)s zijn."
                        )
                        % {
                            "amount": _eur(value),
                            "service": _service_label(service),
                            "minimum": _eur(minimum),
                        },
                        {"amount": value, "minimum": minimum},
                    )
                )
    # the filing window
    deadline = regime.filing_deadline(start_date)
    if application_date > deadline:
        refusals.append(
            Refusal(
                "outside_filing_window",
                _(
                    "De aanvraag moet ten laatste %(days)s kalenderdagen na de startdatum (%(start)s) "
                    "ingediend "
                    "worden, dus uiterlijk op %(deadline)s."
                )
                % {"days": regime.filing_window_days, "start": _day(start_date), "deadline": _day(deadline)},
                {"days": regime.filing_window_days, "start_date": start_date, "deadline": deadline},
            )
        )
    excluded = regime.excluded_service_for(title) if title else None
    if excluded is not None:
        refusals.append(
            Refusal(
                "excluded_service",
                _("%(service)s komt niet in aanmerking voor steun (uitgesloten dienst).")
                % {"service": excluded.label},
                {"excluded_service": excluded.code},
            )
        )
    return refusals


# --- eligibility of an enterprise (RULES.md §1) -----------------------------------------------------------


@dataclass(frozen=True)
class EligibilityCheck:
    """One criterion: ``ok`` True/False, or ``None`` when the register does not tell (to be completed)."""

    code: str
    ok: bool | None
    message: str


@dataclass(frozen=True)
class Eligibility:
    """The register's answer for one enterprise on one day (RULES.md §1). The size class is declared by the
    user and checked in ``check_application``, so it is not part of this."""

    enterprise_number: str
    on: date
    checks: tuple[EligibilityCheck, ...]
    legal_form_code: str | None = None
    main_nace_codes: tuple[str, ...] = ()
    flemish_postcodes: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        return all(c.ok is True for c in self.checks)

    @property
    def refusals(self) -> list[Refusal]:
        """The failed criteria (``ok`` False) as refusals."""
        return [Refusal(c.code, c.message) for c in self.checks if c.ok is False]

    @property
    def missing(self) -> list[EligibilityCheck]:
        """The criteria the register cannot decide (e.g. no main activity known): to be completed."""
        return [c for c in self.checks if c.ok is None]

    def check(self, code: str) -> EligibilityCheck | None:
        return next((c for c in self.checks if c.code == code), None)


FLEMISH_POSTCODES = ((1500, 3999), (8000, 9999))

#: KBO JuridicalSituation codes of an enterprise that stopped or is being wound up (dissolution, liquidation,
#: end by merger or split, bankruptcy, cancelled file): not active for the scheme. A reorganisation (030, 031,
#: 040–043, 091) or shares in one hand (020) leaves the enterprise active.
STOPPED_SITUATIONS = frozenset(
    {
        "006",
        "010",
        "011",
        "012",
        "013",
        "014",
        "015",
        "016",
        "017",
        "018",
        "019",
        "021",
        "022",
        "023",
        "024",
        "025",
        "026",
        "048",
        "049",
        "050",
        "051",
        "052",
        "053",
        "111",
        "112",
        "999",
    }
)


def is_flemish_postcode(zipcode: str | None) -> bool:
    """Postcodes 1500–3999 and 8000–9999 are in the Flemish Region (RULES.md §1)."""
    if not zipcode or not zipcode.strip().isdigit() or len(zipcode.strip()) != 4:
        return False
    number = int(zipcode)
    return any(low <= number <= high for low, high in FLEMISH_POSTCODES)


def _main_nace(enterprise_number: str) -> tuple[str, ...]:
    from kmop.registers.models import Activity

    rows = list(
        Activity.objects.filter(entity_number=enterprise_number, classification="MAIN").values_list(
            "nace_version", "nace_code"
        )
    )
    if not rows:
        return ()
    newest = max(version for version, _code in rows)
    return tuple(sorted({code for version, code in rows if version == newest}))


def eligibility(
    enterprise_number: str, on: date, *, scheme: str = KMO_PORTEFEUILLE, nace_code: str | None = None
) -> Eligibility:
    """Check an enterprise against RULES.md §1 with the KBO register and the regime valid ``on``:

    ``registered`` (known in the KBO), ``active`` (status AC, no dissolution/bankruptcy), ``legal_form``
    (the accepted-forms table; a natural person is ``NP``), ``flemish_establishment`` (an establishment
    unit, or else the registered office, with a postcode 1500–3999 or 8000–9999) and ``main_activity``
    (the newest NACE version's main activity; ``nace_code`` is the activity the user declared when the
    register has none). Each check has a Dutch reason. Raises ``SchemeError`` for an invalid number.
    """
    from kmop.registers.models import Address, Enterprise
    from kmop.registers.numbers import format_enterprise_number, validate_enterprise_number

    try:
        number = validate_enterprise_number(enterprise_number)
    except Exception:
        raise SchemeError(
            _("'%(number)s' is geen geldig ondernemingsnummer."),
            code="invalid_number",
            number=enterprise_number,
        ) from None
    display = format_enterprise_number(number)
    regime = regime_on(on, scheme)
    enterprise = Enterprise.objects.filter(pk=number).first()
    if enterprise is None:
        return Eligibility(
            number,
            on,
            (
                EligibilityCheck(
                    "registered",
                    False,
                    _(
                        "De onderneming %(number)s is niet (meer) actief ingeschreven in de Kruispuntbank "
                        "van Ondernemingen."
                    )
                    % {"number": display},
                ),
            ),
        )
    checks = [
        EligibilityCheck(
            "registered",
            True,
            _("De onderneming %(number)s is ingeschreven in de Kruispuntbank van Ondernemingen.")
            % {"number": display},
        )
    ]
    stopped = enterprise.juridical_situation in STOPPED_SITUATIONS
    if enterprise.status != "AC" or stopped:
        checks.append(
            EligibilityCheck(
                "active",
                False,
                _(
                    "De onderneming is niet actief in de KBO (status %(status)s, rechtstoestand "
                    "%(situation)s)."
                )
                % {"status": enterprise.status, "situation": enterprise.juridical_situation},
            )
        )
    else:
        checks.append(EligibilityCheck("active", True, _("De onderneming is actief in de KBO.")))

    form = (
        NATURAL_PERSON
        if enterprise.is_natural_person
        else (enterprise.juridical_form_cac or enterprise.juridical_form)
    )
    if regime.legal_form_accepted(form):
        checks.append(
            EligibilityCheck(
                "legal_form",
                True,
                _("De rechtsvorm komt in aanmerking: %(label)s.")
                % {"label": regime.accepted_legal_forms[form or ""]},
            )
        )
    else:
        checks.append(
            EligibilityCheck(
                "legal_form",
                False,
                _(
                    "De rechtsvorm (KBO-code %(code)s) komt niet in aanmerking: enkel natuurlijke personen "
                    "en "
                    "handelsvennootschappen met rechtspersoonlijkheid komen in aanmerking, geen vzw, "
                    "maatschap, "
                    "feitelijke vereniging of tijdelijke of stille handelsvennootschap."
                )
                % {"code": form or "?"},
            )
        )

    establishments = list(enterprise.establishments.values_list("establishment_number", flat=True))
    addresses = Address.objects.filter(entity_number__in=[number, *establishments]).filter(
        Q(date_striking_off__isnull=True) | Q(date_striking_off__gt=on)
    )
    flemish = sorted({a.zipcode or "" for a in addresses if is_flemish_postcode(a.zipcode)})
    if flemish:
        checks.append(
            EligibilityCheck(
                "flemish_establishment",
                True,
                _("De onderneming heeft een vestiging in het Vlaamse Gewest (postcode %(postcodes)s).")
                % {"postcodes": ", ".join(flemish)},
            )
        )
    else:
        checks.append(
            EligibilityCheck(
                "flemish_establishment",
                False,
                _(
                    "De onderneming heeft geen vestiging in het Vlaamse Gewest (postcodes 1500–3999 en "
                    "8000–9999) "
                    "volgens de KBO."
                ),
            )
        )

    main = _main_nace(number)
    codes = main or ((nace_code,) if nace_code else ())
    if not codes:
        checks.append(
            EligibilityCheck(
                "main_activity",
                None,
                _("De hoofdactiviteit (NACE-code) is niet gekend in de KBO: vul ze aan."),
            )
        )
    elif any(regime.nace_accepted(c) for c in codes):
        accepted = next(c for c in codes if regime.nace_accepted(c))
        checks.append(
            EligibilityCheck(
                "main_activity",
                True,
                _("De hoofdactiviteit %(nace)s komt in aanmerking.") % {"nace": accepted},
            )
        )
    else:
        checks.append(
            EligibilityCheck(
                "main_activity",
                False,
                _(
                    "De hoofdactiviteit %(nace)s komt niet in aanmerking (onder meer de primaire sector, "
                    "land- en "
                    "tuinbouw, bosbouw en visserij, en het openbaar bestuur zijn uitgesloten)."
                )
                % {"nace": ", ".join(codes)},
            )
        )
    return Eligibility(number, on, tuple(checks), form, codes, tuple(flemish))


# --- staff: loading the data files, editing dated rows ----------------------------------------------------


def _models() -> scheme_data.Models:
    return scheme_data.Models(Scheme, RegimePeriod, ExcludedService, LegalFormRule, NaceRule)


def scheme_data_load(*, actor: Actor, paths: Iterable[Any] | None = None, reason: str = "") -> int:
    """Load the data files (all of ``schemes/data``) into the tables, audited per change; returns the number
    of changes. ``SchemeDataError`` (nothing changed) for invalid, overlapping or changed-after-start data."""
    count = 0
    with transaction.atomic():
        for path in paths or scheme_data.data_files():
            data = scheme_data.read_data_file(path)
            for label, before, after in scheme_data.sync_scheme_data(_models(), data):
                audit_record(
                    actor=actor,
                    action="schemes.data_load",
                    object_type="schemes.data",
                    object_id=label,
                    before=_jsonable(before),
                    after=_jsonable(after),
                    reason=reason
                    or f"data file {getattr(path, 'name', path)} version {data['data_version']}",
                )
                count += 1
    clear_cache()
    return count


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


_EDITABLE = {
    RegimePeriod: ("label_nl", "label_en", "source", "parameters"),
    ExcludedService: ("code", "label_nl", "label_en", "keywords", "source"),
    LegalFormRule: ("code", "label_nl", "accepted", "source"),
    NaceRule: ("prefix", "accepted", "note", "source"),
}
#: what may still change on a row that has started (its texts; never what decides a judgement)
_TEXT_FIELDS = ("label_nl", "label_en", "source", "note")


def row_snapshot(row: DatedRow) -> dict[str, Any]:
    snap: dict[str, Any] = {"scheme": row.scheme_id}
    for name in _EDITABLE[type(row)]:
        snap[name] = _jsonable(getattr(row, name))
    snap["valid_from"] = row.valid_from.isoformat() if row.valid_from else None
    snap["valid_to"] = row.valid_to.isoformat() if row.valid_to else None
    return snap


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise SchemeError(_("Geef de reden van de wijziging."), field="reason", code="reason_required")
    return reason


def validate_dated_row(row: DatedRow, *, before: dict[str, Any] | None, today: date | None = None) -> None:
    """The rules of a staff edit (raises ``SchemeError`` with ``field``):

    * a new row starts at the earliest tomorrow (what was filed until today keeps its rules);
    * a row that has started keeps its values; only its texts and its end date may change, the end date never
      before today;
    * the end date is not before the start date; rows of the same key never overlap;
    * the parameters of a period are a valid document (``regime.parse_parameters``).
    """
    today = today or timezone.localdate()
    model: Any = type(row)
    if row.valid_to is not None and row.valid_to < row.valid_from:
        raise SchemeError(_("De einddatum ligt voor de begindatum."), field="valid_to", code="dates")
    if before is None:
        if row.valid_from <= today:
            raise SchemeError(
                _(
                    "Een nieuwe periode begint ten vroegste morgen (%(tomorrow)s): wat tot vandaag "
                    "ingediend werd, "
                    "blijft onder de regels van toen."
                ),
                field="valid_from",
                code="retroactive",
                tomorrow=_day(date.fromordinal(today.toordinal() + 1)),
            )
    else:
        started_on = date.fromisoformat(before["valid_from"])
        if started_on <= today:
            after = row_snapshot(row)
            changed = [
                name
                for name in (*_EDITABLE[model], "valid_from")
                if name not in _TEXT_FIELDS and after.get(name) != before.get(name)
            ]
            if changed:
                raise SchemeError(
                    _(
                        "Deze periode is van kracht sinds %(start)s: %(fields)s kan niet meer wijzigen, want "
                        "aanvragen van toen blijven onder deze regels. Geef de periode een einddatum en "
                        "voeg een "
                        "nieuwe periode toe vanaf een latere datum."
                    ),
                    field=changed[0] if changed[0] in _EDITABLE[model] else "valid_from",
                    code="immutable",
                    start=_day(started_on),
                    fields=", ".join(changed),
                )
            old_end = before.get("valid_to")
            new_end = row.valid_to.isoformat() if row.valid_to else None
            if new_end != old_end and row.valid_to is not None and row.valid_to < today:
                raise SchemeError(
                    _("Een lopende periode kan ten vroegste vandaag (%(today)s) eindigen."),
                    field="valid_to",
                    code="retroactive",
                    today=_day(today),
                )
            if new_end != old_end and old_end is not None and date.fromisoformat(old_end) < today:
                raise SchemeError(
                    _("Deze periode is al afgelopen en kan niet meer wijzigen; voeg een nieuwe periode toe."),
                    field="valid_to",
                    code="immutable",
                )
        elif row.valid_from <= today:
            raise SchemeError(
                _("Een periode begint ten vroegste morgen (%(tomorrow)s)."),
                field="valid_from",
                code="retroactive",
                tomorrow=_day(date.fromordinal(today.toordinal() + 1)),
            )
    if isinstance(row, RegimePeriod):
        scheme = Scheme.objects.filter(code=row.scheme_id).first()
        parser = scheme_data.PARAMETER_PARSERS.get(scheme.kind if scheme else "", parse_parameters)
        try:
            parser(row.parameters)
        except SchemeDataError as e:
            raise SchemeError(e.messages, field="parameters", code="parameters") from None
    key = {name: getattr(row, name) for name in model.overlap_key}
    others = model.objects.filter(scheme_id=row.scheme_id, **key).exclude(pk=row.pk)
    end = row.valid_to
    clash = others.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=row.valid_from))
    if end is not None:
        clash = clash.filter(valid_from__lte=end)
    other = clash.order_by("valid_from").first()
    if other is not None:
        raise SchemeError(
            _(
                "Deze periode overlapt met de periode van %(start)s tot %(end)s. Een periode moet eindigen "
                "voor de "
                "volgende begint: geef eerst de lopende periode een einddatum."
            ),
            field="valid_from",
            code="overlap",
            start=_day(other.valid_from),
            end=_day(other.valid_to) if other.valid_to else "…",
        )


def _object_id(row: DatedRow) -> str:
    return f"{row.key_label()}:{row.valid_from.isoformat()}"


def dated_row_save(*, actor: Actor, row: DatedRow, reason: str) -> DatedRow:
    """Create or change a scheme row (a period, an excluded service, a legal form, a NACE rule) as staff: the
    rules of ``validate_dated_row``, a required reason, one audit event with before/after. The scheme is
    locked for the check, so two edits cannot together create an overlap."""
    reason = _require_reason(reason)
    model: Any = type(row)
    with transaction.atomic():
        Scheme.objects.select_for_update().filter(code=row.scheme_id).first()
        before = None
        if row.pk is not None:
            current = model.objects.select_for_update().get(pk=row.pk)
            before = row_snapshot(current)
        validate_dated_row(row, before=before)
        if before is not None and row_snapshot(row) == before:
            return row  # nothing changed: nothing to save or record
        if before is None:
            row.data_version = 0
        row.save()
        audit_record(
            actor=actor,
            action=f"schemes.{model._meta.model_name}.{'create' if before is None else 'update'}",
            object_type=f"schemes.{model._meta.model_name}",
            object_id=_object_id(row),
            before=before,
            after=row_snapshot(row),
            reason=reason,
        )
    clear_cache()
    return row


def period_before(row: DatedRow) -> RegimePeriod | None:
    """The period of the same scheme that ends the day before ``row`` (a period) starts: the one that
    ``period_add`` ended when it added ``row``. None for other rows, or when there is no such period."""
    if not isinstance(row, RegimePeriod):
        return None
    day_before = date.fromordinal(row.valid_from.toordinal() - 1)
    return RegimePeriod.objects.filter(scheme_id=row.scheme_id, valid_to=day_before).first()


def dated_row_delete(*, actor: Actor, row: DatedRow, reason: str, restore_previous: bool = False) -> None:
    """Remove a row that has not started yet (a started one only gets an end date), audited with a reason.

    With ``restore_previous`` and a period, the period before it (``period_before``) gets the removed
    period's end date back (open when it was open), as if the removed period had never been added; that
    change is audited with the same reason, in the same transaction."""
    reason = _require_reason(reason)
    model: Any = type(row)
    with transaction.atomic():
        Scheme.objects.select_for_update().filter(code=row.scheme_id).first()
        current = model.objects.select_for_update().filter(pk=row.pk).first()
        if current is None:
            raise SchemeError(_("Deze regel werd intussen verwijderd. Bekijk de lijst opnieuw."), code="gone")
        if current.valid_from <= timezone.localdate():
            raise SchemeError(
                _(
                    "Deze periode is al van kracht (sinds %(start)s) en kan niet verwijderd worden: geef ze "
                    "een einddatum."
                ),
                code="immutable",
                start=_day(current.valid_from),
            )
        before = row_snapshot(current)
        current.delete()
        audit_record(
            actor=actor,
            action=f"schemes.{model._meta.model_name}.delete",
            object_type=f"schemes.{model._meta.model_name}",
            object_id=_object_id(row),
            before=before,
            after=None,
            reason=reason,
        )
        previous = period_before(current) if restore_previous else None
        if previous is not None:
            previous = RegimePeriod.objects.select_for_update().get(pk=previous.pk)
            previous.valid_to = current.valid_to
            dated_row_save(actor=actor, row=previous, reason=reason)
    clear_cache()


def dated_row_end(*, actor: Actor, row: DatedRow, valid_to: date, reason: str) -> DatedRow:
    """Give a row (a period, an excluded service, a legal form, a NACE rule) the end date ``valid_to``: never
    before today for a row that has started, never before its start; audited with the reason
    (``dated_row_save``'s rules and lock)."""
    model: Any = type(row)
    with transaction.atomic():
        Scheme.objects.select_for_update().filter(code=row.scheme_id).first()
        current = model.objects.select_for_update().filter(pk=row.pk).first()
        if current is None:
            raise SchemeError(_("Deze regel werd intussen verwijderd. Bekijk de lijst opnieuw."), code="gone")
        current.valid_to = valid_to
        return dated_row_save(actor=actor, row=current, reason=reason)


def period_add(
    *,
    actor: Actor,
    scheme: str,
    valid_from: date,
    parameters: Any,
    label_nl: str,
    reason: str,
    label_en: str = "",
    source: str = "",
    valid_to: date | None = None,
    end_current: bool = True,
) -> RegimePeriod:
    """A new period of ``scheme`` from ``valid_from`` (at the earliest tomorrow) with ``parameters``, in one
    transaction with the scheme locked, each change audited with the reason.

    With ``end_current`` the period that covers ``valid_from`` (and started before it) ends the day before,
    and the new period takes over the rest of it: without ``valid_to`` it ends when the replaced period ended
    (open when that one was open). A period that has started keeps its parameters, so what was filed until
    then stays under its rules (docs/decisions/0010-scheme-framework.md). Raises ``SchemeError`` with
    ``field`` (``valid_from`` for a start in the past or an overlap, ``parameters`` for an invalid document);
    nothing is changed then."""
    reason = _require_reason(reason)
    today = timezone.localdate()
    if valid_from <= today:
        raise SchemeError(
            _(
                "Een nieuwe periode begint ten vroegste morgen (%(tomorrow)s): wat tot vandaag ingediend "
                "werd, blijft onder de regels van toen."
            ),
            field="valid_from",
            code="retroactive",
            tomorrow=_day(date.fromordinal(today.toordinal() + 1)),
        )
    with transaction.atomic():
        found = Scheme.objects.select_for_update().filter(code=scheme).first()
        if found is None:
            raise UnknownScheme(_("De steunmaatregel %(scheme)s bestaat niet."), scheme=scheme)
        if end_current:
            current = (
                RegimePeriod.objects.select_for_update()
                .filter(_valid_on(valid_from), scheme=found, valid_from__lt=valid_from)
                .first()
            )
            if current is not None:
                if valid_to is None:
                    valid_to = current.valid_to
                current.valid_to = date.fromordinal(valid_from.toordinal() - 1)
                dated_row_save(actor=actor, row=current, reason=reason)
        row = RegimePeriod(
            scheme=found,
            valid_from=valid_from,
            valid_to=valid_to,
            label_nl=label_nl,
            label_en=label_en,
            source=source,
            parameters=parameters,
        )
        dated_row_save(actor=actor, row=row, reason=reason)
    clear_cache()
    return row
