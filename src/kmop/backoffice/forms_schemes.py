"""The back office's scheme configuration forms (issue 6 §2): they check the shape of the input (a Dutch
message at the field); ``kmop.schemes.services`` judges the rest (start at the earliest tomorrow, no overlap,
a started row keeps its values, the parameters document) and its ``SchemeError`` is put on the field it names.

A kmo-portefeuille period's parameters are edited as fields (percentages, amounts, days); its structure — the
themes, the services' allowed themes, the targets of the raised rates — is taken over from the period the new
one is based on. Other schemes' parameters are a JSON document, checked by their parser.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kmop.schemes.errors import SchemeDataError
from kmop.schemes.models import ExcludedService, LegalFormRule, NaceRule
from kmop.schemes.regime import SERVICE_LABELS, SIZE_CLASS_LABELS, KmopTerms, parse_parameters

DATE_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]
#: a date further ahead is a typo (31/12/9999)
MAX_YEARS_AHEAD = 10
HUNDRED = Decimal(100)


def date_field(label: Any, *, required: bool = True, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_FORMATS,
        help_text=help_text,
        widget=forms.TextInput(attrs={"class": "input input--width-10", "autocomplete": "off"}),
        error_messages={
            "required": _("Geef een datum als dd/mm/jjjj."),
            "invalid": _("Geef de datum als dd/mm/jjjj, bijvoorbeeld 01/07/2025."),
        },
    )


def _not_too_far(day: date | None) -> date | None:
    if day is not None and day > timezone.localdate() + timedelta(days=366 * MAX_YEARS_AHEAD):
        raise forms.ValidationError(
            _("Kies een datum binnen %(years)s jaar na vandaag."),
            code="too_far",
            params={"years": MAX_YEARS_AHEAD},
        )
    return day


def reason_field() -> forms.CharField:
    return forms.CharField(
        label=_("Reden van de wijziging"),
        help_text=_("Verplicht; komt met uw naam en het tijdstip in de historiek (audit)."),
        max_length=2000,
        widget=forms.Textarea(attrs={"class": "textarea", "rows": 3}),
        error_messages={
            "required": _("Geef de reden van de wijziging."),
            "max_length": _("De reden is te lang (ten hoogste 2000 tekens)."),
        },
    )


class ReasonMixin:
    cleaned_data: dict[str, Any]

    def clean_reason(self) -> str:
        reason = " ".join(self.cleaned_data["reason"].split())
        if not reason:
            raise forms.ValidationError(_("Geef de reden van de wijziging."), code="required")
        return reason


class PeriodDatesMixin:
    """``valid_from``/``valid_to`` within reach and in order (a period's form and a list row's form)."""

    cleaned_data: dict[str, Any]

    def clean_valid_from(self) -> date | None:
        return _not_too_far(self.cleaned_data.get("valid_from"))

    def clean_valid_to(self) -> date | None:
        return _not_too_far(self.cleaned_data.get("valid_to"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # type: ignore[misc]
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("De einddatum ligt voor de begindatum."))  # type: ignore[attr-defined]
        return data


class LenientDecimalField(forms.DecimalField):
    """A number as staff type it: 7500, 7500,00, 7.500,00, 7500.00, "€ 7 500" or "30 %"."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = "".join(value.replace("€", "").replace("%", "").split())
            if "," in value:
                value = value.replace(".", "").replace(",", ".")
        return super().to_python(value)


def _percent_field(label: Any) -> forms.DecimalField:
    return LenientDecimalField(
        label=label,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        widget=forms.TextInput(attrs={"class": "input input--width-10", "inputmode": "decimal"}),
        error_messages={
            "required": _("Geef een percentage tussen 0 en 100."),
            "invalid": _("Geef een percentage tussen 0 en 100, bijvoorbeeld 30."),
            "min_value": _("Geef een percentage tussen 0 en 100."),
            "max_value": _("Geef een percentage tussen 0 en 100."),
            "max_decimal_places": _("Een percentage heeft ten hoogste twee decimalen."),
            "max_digits": _("Geef een percentage tussen 0 en 100."),
        },
    )


def _amount_field(label: Any) -> forms.DecimalField:
    return LenientDecimalField(
        label=label,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"class": "input input--width-10", "inputmode": "decimal"}),
        error_messages={
            "required": _("Geef een bedrag in euro, bijvoorbeeld 7500."),
            "invalid": _("Geef een bedrag in euro, bijvoorbeeld 7500 of 7500,00."),
            "min_value": _("Een bedrag kan niet negatief zijn."),
            "max_decimal_places": _("Een bedrag heeft ten hoogste twee decimalen."),
            "max_digits": _("Dit bedrag is te groot."),
            "max_whole_digits": _("Dit bedrag is te groot."),
        },
    )


def _days_field(label: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=366,
        widget=forms.TextInput(attrs={"class": "input input--width-10", "inputmode": "numeric"}),
        error_messages={
            "required": _("Geef een aantal dagen (0 tot 366)."),
            "invalid": _("Geef een geheel aantal dagen (0 tot 366)."),
            "min_value": _("Geef een aantal dagen (0 tot 366)."),
            "max_value": _("Geef een aantal dagen (0 tot 366)."),
        },
    )


def target_label(terms: KmopTerms | None, target: str) -> str:
    """ "digitalisering/cybersecurity" → "Digitalisering – Cybersecurity" (the code when not found)."""
    theme_code, _sep, sub_code = target.partition("/")
    theme = next((t for t in terms.themes if t.code == theme_code), None) if terms else None
    if theme is None:
        return target
    sub = theme.subtheme(sub_code) if sub_code else None
    return f"{theme.label} – {sub.label}" if sub else theme.label


def _rate_text(percent: Decimal) -> str:
    """30 → "0.30", 12.5 → "0.125": the fraction as the data files write it."""
    fraction = (percent / HUNDRED).normalize()
    exponent = fraction.as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{fraction:.{places}f}"


def _percent(value: Any) -> Decimal:
    """ "0.30" → 30, "0.125" → 12.5 (the field shows a percentage)."""
    percent = Decimal(str(value)) * HUNDRED
    return percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else percent.normalize()


class PeriodForm(PeriodDatesMixin, ReasonMixin, forms.Form):
    """The dates, labels and reason of a new period (the parameters are in the subclasses)."""

    valid_from = date_field(
        _("Geldig vanaf"),
        help_text=_(
            "dd/mm/jjjj; ten vroegste morgen: wat tot vandaag ingediend werd, blijft onder de regels van "
            "toen."
        ),
    )
    valid_to = date_field(
        _("Geldig tot en met (niet verplicht)"),
        required=False,
        help_text=_("Leeg: tot het einde van de periode die ze vervangt (of zonder einde)."),
    )
    end_current = forms.BooleanField(
        label=_("De periode die op de begindatum loopt, eindigt de dag voordien"),
        required=False,
        initial=True,
    )
    label_nl = forms.CharField(
        label=_("Omschrijving (NL)"),
        max_length=200,
        widget=forms.TextInput(attrs={"class": "input"}),
        error_messages={"required": _("Geef een omschrijving van de periode.")},
    )
    label_en = forms.CharField(
        label=_("Omschrijving (EN, niet verplicht)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"class": "input"}),
    )
    source = forms.CharField(
        label=_("Bron (niet verplicht)"),
        help_text=_("Bijvoorbeeld het besluit of de webpagina van VLAIO."),
        required=False,
        max_length=2000,
        widget=forms.TextInput(attrs={"class": "input"}),
    )
    reason = reason_field()

    def __init__(self, *args: Any, base_parameters: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base_parameters = copy.deepcopy(base_parameters)

    def parameters(self) -> Any:
        raise NotImplementedError


class KmopPeriodForm(PeriodForm):
    """The kmo-portefeuille's parameters as fields, on the structure of the base period."""

    theme_required = forms.BooleanField(label=_("Een thema is verplicht"), required=False)
    filing_window_days = _days_field(_("Indientermijn (kalenderdagen na de startdatum)"))
    deposit_days = _days_field(_("Termijn voor de eigen bijdrage (dagen na de aanvraag)"))

    def __init__(self, *args: Any, base_parameters: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, base_parameters=base_parameters, **kwargs)
        base = self.base_parameters or {}
        self.size_fields: list[tuple[str, str, str]] = []
        for size in base.get("size_classes") or {}:
            label = SIZE_CLASS_LABELS.get(size, size)
            rate, cap = f"size_{size}_rate", f"size_{size}_cap"
            self.fields[rate] = _percent_field(_("Steunpercentage %(size)s (%%)") % {"size": label})
            self.fields[cap] = _amount_field(_("Jaarplafond %(size)s (euro)") % {"size": label})
            self.size_fields.append((size, rate, cap))
        self.service_fields: list[tuple[str, str]] = []
        for service in base.get("services") or {}:
            name = f"service_{service}_minimum"
            label = SERVICE_LABELS.get(service, service)
            self.fields[name] = _amount_field(
                _("Minimumbedrag %(service)s (euro, excl. btw)") % {"service": label}
            )
            self.service_fields.append((service, name))
        try:
            terms: KmopTerms | None = parse_parameters(base)
        except SchemeDataError:
            terms = None
        self.rule_fields: list[tuple[int, str, str]] = []
        for i, rule in enumerate(base.get("rate_rules") or []):
            targets = ", ".join(target_label(terms, t) for t in rule.get("targets") or [])
            for size in rule.get("rates") or {}:
                name = f"rule_{i}_{size}"
                self.fields[name] = _percent_field(
                    _("Verhoogd steunpercentage %(size)s voor %(targets)s (%%)")
                    % {"size": SIZE_CLASS_LABELS.get(size, size), "targets": targets}
                )
                self.rule_fields.append((i, size, name))
        # the order on the page: dates, parameters, texts, reason
        order = ["valid_from", "valid_to", "end_current"]
        order += [n for _s, rate, cap in self.size_fields for n in (rate, cap)]
        order += [n for _s, n in self.service_fields] + [n for _i, _s, n in self.rule_fields]
        order += [
            "theme_required",
            "filing_window_days",
            "deposit_days",
            "label_nl",
            "label_en",
            "source",
            "reason",
        ]
        self.order_fields(order)
        if not self.is_bound:
            self.initial.update(self.initial_from(base))

    def initial_from(self, base: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "theme_required": bool(base.get("theme_required")),
            "filing_window_days": base.get("filing_window_days"),
            "deposit_days": base.get("deposit_days"),
        }
        for size, rate, cap in self.size_fields:
            terms = base["size_classes"][size]
            initial[rate] = _percent(terms["rate"])
            initial[cap] = Decimal(str(terms["yearly_cap"]))
        for service, name in self.service_fields:
            initial[name] = Decimal(str(base["services"][service]["minimum"]))
        for i, size, name in self.rule_fields:
            initial[name] = _percent(base["rate_rules"][i]["rates"][size])
        return initial

    def parameters(self) -> dict[str, Any]:
        """The base period's document with the values of the fields."""
        data = self.cleaned_data
        document = copy.deepcopy(self.base_parameters)
        for size, rate, cap in self.size_fields:
            document["size_classes"][size] = {
                "rate": _rate_text(data[rate]),
                "yearly_cap": f"{data[cap]:.2f}",
            }
        for service, name in self.service_fields:
            document["services"][service]["minimum"] = f"{data[name]:.2f}"
        for i, size, name in self.rule_fields:
            document["rate_rules"][i]["rates"][size] = _rate_text(data[name])
        document["theme_required"] = data["theme_required"]
        document["filing_window_days"] = data["filing_window_days"]
        document["deposit_days"] = data["deposit_days"]
        return document


class JsonPeriodForm(PeriodForm):
    """Another scheme's parameters: a JSON document, checked by the scheme's parser in the service."""

    parameters_json = forms.CharField(
        label=_("Parameters (JSON)"),
        help_text=_(
            "Het volledige parameterdocument van de periode, zoals in het gegevensbestand; het wordt "
            "gecontroleerd "
            "voor het bewaard wordt."
        ),
        max_length=100_000,
        widget=forms.Textarea(attrs={"class": "textarea textarea--code", "rows": 16, "spellcheck": "false"}),
        error_messages={"required": _("Geef de parameters als JSON-object.")},
    )

    def __init__(self, *args: Any, base_parameters: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, base_parameters=base_parameters, **kwargs)
        self.order_fields(
            [
                "valid_from",
                "valid_to",
                "end_current",
                "parameters_json",
                "label_nl",
                "label_en",
                "source",
                "reason",
            ]
        )
        if not self.is_bound and base_parameters is not None:
            self.initial["parameters_json"] = json.dumps(base_parameters, indent=2, ensure_ascii=False)

    def clean_parameters_json(self) -> Any:
        text = self.cleaned_data["parameters_json"]
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("Dit is geen geldige JSON: %(problem)s op regel %(line)s, kolom %(column)s."),
                code="json",
                params={"problem": error.msg, "line": error.lineno, "column": error.colno},
            ) from None
        except RecursionError:  # nested deeper than the parser goes
            raise forms.ValidationError(_("De parameters zijn te diep genest."), code="json") from None
        if "\\u0000" in text or "\x00" in text:  # PostgreSQL's jsonb refuses the NUL character
            raise forms.ValidationError(_("De parameters mogen geen NUL-teken bevatten."), code="json")
        if not isinstance(document, dict):
            raise forms.ValidationError(_("De parameters moeten een JSON-object zijn ({ … })."), code="json")
        return document

    def parameters(self) -> Any:
        return self.cleaned_data["parameters_json"]


class EndRowForm(ReasonMixin, forms.Form):
    valid_to = date_field(
        _("Geldig tot en met"),
        help_text=_(
            "dd/mm/jjjj; ten vroegste vandaag. Wat tot die dag ingediend wordt, blijft onder deze regel."
        ),
    )
    reason = reason_field()

    def clean_valid_to(self) -> date | None:
        day = _not_too_far(self.cleaned_data.get("valid_to"))
        today = timezone.localdate()
        if day is not None and day < today:
            raise forms.ValidationError(
                _("Een einddatum ligt ten vroegste vandaag (%(today)s)."),
                code="retroactive",
                params={"today": f"{today:%d/%m/%Y}"},
            )
        return day


class RemoveRowForm(ReasonMixin, forms.Form):
    """Remove a row that has not started. For a period that directly follows another (the one it ended when
    it was added: ``services.period_before``), whether that period gets the removed one's end date back."""

    restore_previous = forms.BooleanField(required=False, initial=True)
    reason = reason_field()

    def __init__(self, *args: Any, row: Any = None, previous: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if previous is None:
            del self.fields["restore_previous"]
            return
        field = self.fields["restore_previous"]
        field.label = _("De vorige periode (%(name)s, vanaf %(start)s) loopt verder") % {
            "name": previous.label_nl or str(previous),
            "start": f"{previous.valid_from:%d/%m/%Y}",
        }
        restored = (
            _("tot en met %(end)s") % {"end": f"{row.valid_to:%d/%m/%Y}"}
            if row.valid_to is not None
            else str(_("zonder einde"))
        )
        field.help_text = _(
            "Ze eindigt nu op %(end)s, de dag voor deze periode begint. Aangevinkt loopt ze weer "
            "%(restored)s, zoals voor deze periode werd toegevoegd; niet aangevinkt blijft haar einddatum "
            "staan."
        ) % {"end": f"{previous.valid_to:%d/%m/%Y}", "restored": restored}


class DatedRowForm(PeriodDatesMixin, ReasonMixin, forms.ModelForm):
    """A new row of a dated list (from a later date; the service checks the rest)."""

    valid_from = date_field(_("Geldig vanaf"), help_text=_("dd/mm/jjjj; ten vroegste morgen."))
    valid_to = date_field(
        _("Geldig tot en met (niet verplicht)"), required=False, help_text=_("Leeg: geen einde.")
    )
    reason = reason_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.TextInput) and name not in ("valid_from", "valid_to"):
                field.widget.attrs.setdefault("class", "input")
        self.fields["source"].widget = forms.TextInput(attrs={"class": "input"})
        self.fields["source"].label = _("Bron (niet verplicht)")

    def validate_unique(self) -> None:
        """The service checks overlaps (with a clearer message) under the scheme's lock."""


class ExcludedServiceForm(DatedRowForm):
    keywords_text = forms.CharField(
        label=_("Trefwoorden"),
        help_text=_(
            "Eén woord of woordgroep per regel; een project waarvan de titel er een bevat (als heel woord), "
            "wordt geweigerd."
        ),
        max_length=5000,
        widget=forms.Textarea(attrs={"class": "textarea", "rows": 4}),
        error_messages={"required": _("Geef minstens één trefwoord.")},
    )

    class Meta:
        model = ExcludedService
        fields = ("code", "label_nl", "label_en", "valid_from", "valid_to", "source")
        error_messages = {
            "code": {
                "required": _("Geef een code (kleine letters, cijfers en koppeltekens)."),
                "invalid": _(
                    "Een code bestaat uit kleine letters, cijfers en koppeltekens, bijvoorbeeld "
                    "'boekhouding'."
                ),
            },
            "label_nl": {"required": _("Geef een omschrijving van de uitgesloten dienst.")},
        }

    field_order = (
        "code",
        "label_nl",
        "label_en",
        "keywords_text",
        "valid_from",
        "valid_to",
        "source",
        "reason",
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", code):
            raise forms.ValidationError(
                _(
                    "Een code bestaat uit kleine letters, cijfers en koppeltekens, bijvoorbeeld "
                    "'boekhouding'."
                ),
                code="invalid",
            )
        return code

    def clean_keywords_text(self) -> list[str]:
        words: list[str] = []
        for line in self.cleaned_data["keywords_text"].splitlines():
            word = " ".join(line.split())
            if word and word.casefold() not in (w.casefold() for w in words):
                words.append(word)
        if not words:
            raise forms.ValidationError(_("Geef minstens één trefwoord."), code="required")
        if any(len(w) > 100 for w in words):
            raise forms.ValidationError(_("Een trefwoord is ten hoogste 100 tekens lang."), code="too_long")
        return words

    def row(self) -> ExcludedService:
        row: ExcludedService = self.instance
        row.keywords = self.cleaned_data["keywords_text"]
        return row


class NaceRuleForm(DatedRowForm):
    class Meta:
        model = NaceRule
        fields = ("prefix", "accepted", "note", "valid_from", "valid_to", "source")
        labels = {"accepted": _("Aanvaard (een uitzondering binnen een uitgesloten prefix)")}
        help_texts = {
            "prefix": _(
                "2 tot 5 cijfers van de NACE-BEL-code, bijvoorbeeld 01 of 0161. Niet aangevinkt: "
                "de activiteiten met deze prefix komen niet in aanmerking. De langste overeenkomende prefix "
                "beslist."
            )
        }
        error_messages = {"prefix": {"required": _("Geef een NACE-prefix van 2 tot 5 cijfers.")}}

    def clean_prefix(self) -> str:
        prefix = "".join(self.cleaned_data["prefix"].split()).replace(".", "")
        if not re.fullmatch(r"[0-9]{2,5}", prefix):
            raise forms.ValidationError(
                _("Een NACE-prefix bestaat uit 2 tot 5 cijfers, bijvoorbeeld 01 of 0161."), code="invalid"
            )
        return prefix

    def row(self) -> NaceRule:
        return self.instance


class LegalFormRuleForm(DatedRowForm):
    class Meta:
        model = LegalFormRule
        fields = ("code", "label_nl", "accepted", "valid_from", "valid_to", "source")
        labels = {"accepted": _("Aanvaard")}
        help_texts = {"code": _("De KBO-code (JuridicalForm, 3 cijfers) of NP voor een natuurlijk persoon.")}
        error_messages = {
            "code": {"required": _("Geef de KBO-code van de rechtsvorm (3 cijfers) of NP.")},
            "label_nl": {"required": _("Geef de omschrijving van de rechtsvorm.")},
        }

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        if code != "NP" and not re.fullmatch(r"[0-9]{3}", code):
            raise forms.ValidationError(
                _("Een rechtsvormcode bestaat uit 3 cijfers (KBO), of is NP voor een natuurlijk persoon."),
                code="invalid",
            )
        return code

    def row(self) -> LegalFormRule:
        return self.instance
