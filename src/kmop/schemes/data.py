"""The scheme parameters as data: ``data/<scheme>.json`` (versioned, ``data_version``), loaded by a migration
and by ``services.scheme_data_load`` (``kmop seed``).

``sync_scheme_data`` takes the model classes as arguments so that a data migration can pass its historical
models. It only adds rows and changes rows that have not started yet; a row that has started is immutable (its
``valid_to`` may still be set, never before today), rows entered by staff stay. Overlapping periods are
refused. Everything is checked before the first write and the whole load is one transaction: on any problem a
``SchemeDataError`` lists them all and nothing is changed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kmop.schemes.errors import SchemeDataError
from kmop.schemes.other_schemes import parse_corona_parameters, parse_ecology_parameters
from kmop.schemes.regime import expand_theme_sets, parse_parameters

DATA_DIR = Path(__file__).resolve().parent / "data"

#: How the parameters document of a period is checked, per scheme kind.
PARAMETER_PARSERS: dict[str, Callable[[Any], Any]] = {
    "kmo-portefeuille": parse_parameters,
    "ecologiepremie-plus": parse_ecology_parameters,
    "corona-hinderpremie": parse_corona_parameters,
}


def register_parser(kind: str, parser: Callable[[Any], Any]) -> None:
    PARAMETER_PARSERS[kind] = parser


def data_files() -> list[Path]:
    return sorted(DATA_DIR.glob("*.json"))


def read_data_file(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


@dataclass(frozen=True)
class Models:
    """The model classes to write to (the app's, or a migration's historical ones)."""

    scheme: Any
    period: Any
    excluded: Any
    legal_form: Any
    nace: Any


@dataclass
class Row:
    """A row the file wants: its model key, its dated bounds and its other values."""

    model: str  # period, excluded, legal_form, nace
    key: dict[str, Any]
    valid_from: date
    valid_to: date | None
    values: dict[str, Any]

    def label(self, scheme: str) -> str:
        return ":".join(
            [self.model, scheme, *(str(v) for v in self.key.values()), self.valid_from.isoformat()]
        )


def _date(value: Any, where: str, errors: list[str]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors.append(
            _("%(where)s: '%(value)s' is geen datum (JJJJ-MM-DD).") % {"where": where, "value": value}
        )
        return None


def parse_file(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[Row]]:
    """Check a data file and return its scheme and the rows it wants; raises ``SchemeDataError``."""
    errors: list[str] = []
    scheme = dict(data.get("scheme") or {})
    kind = scheme.get("kind") or scheme.get("code")
    if not scheme.get("code") or not scheme.get("name_nl"):
        raise SchemeDataError(_("Het bestand noemt geen steunmaatregel (scheme.code, scheme.name_nl)."))
    parser = PARAMETER_PARSERS.get(str(kind))
    if parser is None:
        raise SchemeDataError(_("Onbekende soort steunmaatregel: %(kind)s."), kind=kind)
    version = data.get("data_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SchemeDataError(_("Het bestand heeft geen geldig data_version (een geheel getal vanaf 1)."))
    theme_sets = data.get("theme_sets") or {}
    rows: list[Row] = []
    for i, period in enumerate(data.get("periods") or []):
        where = f"periods[{i}]"
        start = _date(period.get("valid_from"), f"{where}.valid_from", errors)
        end = _date(period.get("valid_to"), f"{where}.valid_to", errors)
        try:
            parameters = expand_theme_sets(dict(period.get("parameters") or {}), theme_sets)
            parser(parameters)
        except SchemeDataError as e:
            errors.extend(f"{where} ({period.get('valid_from')}): {m}" for m in e.messages)
            continue
        if start is None:
            errors.append(_("%(where)s: valid_from is verplicht.") % {"where": where})
            continue
        rows.append(
            Row(
                "period",
                {},
                start,
                end,
                {
                    "label_nl": str(period.get("label_nl") or ""),
                    "label_en": str(period.get("label_en") or ""),
                    "source": str(period.get("source") or ""),
                    "parameters": parameters,
                },
            )
        )

    def dated_block(name: str) -> tuple[date | None, date | None, str]:
        block = data.get(name) or {}
        return (
            _date(block.get("valid_from"), f"{name}.valid_from", errors),
            _date(block.get("valid_to"), f"{name}.valid_to", errors),
            str(block.get("source") or ""),
        )

    if "excluded_services" in data:
        start, end, source = dated_block("excluded_services")
        for entry in data["excluded_services"].get("services", []):
            keywords = entry.get("keywords") or []
            if (
                not entry.get("code")
                or not entry.get("label_nl")
                or not isinstance(keywords, list)
                or not keywords
            ):
                errors.append(
                    _("excluded_services: %(entry)s mist code, label_nl of trefwoorden.") % {"entry": entry}
                )
                continue
            if start is not None:
                values = {
                    "label_nl": entry["label_nl"],
                    "label_en": entry.get("label_en", ""),
                    "keywords": [str(k) for k in keywords],
                    "source": source,
                }
                rows.append(Row("excluded", {"code": entry["code"]}, start, end, values))
    if "legal_forms" in data:
        start, end, source = dated_block("legal_forms")
        for code, label in (data["legal_forms"].get("accepted") or {}).items():
            if not (code == "NP" or (len(code) == 3 and code.isdigit())):
                errors.append(
                    _("legal_forms: '%(code)s' is geen KBO-rechtsvormcode (3 cijfers) of NP.")
                    % {"code": code}
                )
                continue
            if start is not None:
                values = {"label_nl": str(label), "accepted": True, "source": source}
                rows.append(Row("legal_form", {"code": code}, start, end, values))
    if "nace_rules" in data:
        start, end, source = dated_block("nace_rules")
        for entry in data["nace_rules"].get("rules") or []:
            prefix = str(entry.get("prefix") or "")
            if not prefix.isdigit() or len(prefix) > 5:
                errors.append(
                    _("nace_rules: '%(prefix)s' is geen NACE-prefix (1 tot 5 cijfers).") % {"prefix": prefix}
                )
                continue
            if start is not None:
                values = {
                    "accepted": bool(entry.get("accepted", False)),
                    "note": str(entry.get("note") or ""),
                    "source": source,
                }
                rows.append(Row("nace", {"prefix": prefix}, start, end, values))
    for row in rows:
        if row.valid_to is not None and row.valid_to < row.valid_from:
            errors.append(
                _("%(row)s: de einddatum %(end)s ligt voor de begindatum.")
                % {"row": row.label(scheme["code"]), "end": row.valid_to}
            )
    errors.extend(overlap_errors([(r.model, tuple(r.key.items()), r.valid_from, r.valid_to) for r in rows]))
    if errors:
        raise SchemeDataError(errors)
    scheme["kind"] = kind
    return scheme, rows


def overlap_errors(rows: Iterable[tuple[str, tuple[Any, ...], date, date | None]]) -> list[str]:
    """Messages for every pair of rows of the same key whose periods overlap (each row: model, key, from,
    to)."""
    by_key: dict[tuple[str, tuple[Any, ...]], list[tuple[date, date | None]]] = {}
    for model, key, start, end in rows:
        by_key.setdefault((model, key), []).append((start, end))
    errors = []
    for (model, key), spans in by_key.items():
        spans.sort()
        for (a_start, a_end), (b_start, b_end) in itertools.pairwise(spans):
            if a_end is None or b_start <= a_end:
                what = " ".join([model, *(str(v) for _k, v in key)])
                errors.append(
                    _(
                        "Overlappende periodes voor %(what)s: %(a_start)s tot %(a_end)s en %(b_start)s tot "
                        "%(b_end)s. "
                        "Een periode moet eindigen voor de volgende begint."
                    )
                    % {
                        "what": what,
                        "a_start": a_start.isoformat(),
                        "a_end": a_end.isoformat() if a_end else "…",
                        "b_start": b_start.isoformat(),
                        "b_end": b_end.isoformat() if b_end else "…",
                    }
                )
    return errors


_MODEL_FIELDS = {
    "period": ("label_nl", "label_en", "source", "parameters"),
    "excluded": ("label_nl", "label_en", "keywords", "source"),
    "legal_form": ("label_nl", "accepted", "source"),
    "nace": ("accepted", "note", "source"),
}
_IMMUTABLE = {
    # the values that decide a judgement; a source or label may be corrected on a started row
    "period": ("parameters",),
    "excluded": ("keywords",),
    "legal_form": ("accepted",),
    "nace": ("accepted",),
}


def _snapshot(obj: Any, model: str) -> dict[str, Any]:
    snap = {name: getattr(obj, name) for name in _MODEL_FIELDS[model]}
    snap["valid_from"] = obj.valid_from.isoformat()
    snap["valid_to"] = obj.valid_to.isoformat() if obj.valid_to else None
    return snap


def sync_scheme_data(
    models: Models, data: Mapping[str, Any], *, today: date | None = None
) -> list[tuple[str, dict[str, Any] | None, dict[str, Any]]]:
    """Bring the tables in line with one data file (see the module docstring). Returns the changes as
    ``(label, before, after)``; raises ``SchemeDataError`` (nothing changed) on any problem."""
    today = today or timezone.localdate()
    scheme_data, rows = parse_file(data)
    version = int(data["data_version"])
    model_of = {
        "period": models.period,
        "excluded": models.excluded,
        "legal_form": models.legal_form,
        "nace": models.nace,
    }
    changes: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] = []
    errors: list[str] = []
    with transaction.atomic():
        scheme, created = models.scheme.objects.select_for_update().get_or_create(
            code=scheme_data["code"],
            defaults={
                "kind": scheme_data["kind"],
                "name_nl": scheme_data["name_nl"],
                "name_en": scheme_data.get("name_en", ""),
                "data_version": version,
            },
        )
        if created:
            changes.append((f"scheme:{scheme.code}", None, {"data_version": version}))
        elif scheme.data_version > version:
            raise SchemeDataError(
                _(
                    "De gegevens van %(scheme)s zijn al van versie %(have)s; het bestand is van versie "
                    "%(file)s."
                ),
                scheme=scheme.code,
                have=scheme.data_version,
                file=version,
            )
        for row in rows:
            model = model_of[row.model]
            label = row.label(scheme.code)
            existing = model.objects.filter(scheme=scheme, valid_from=row.valid_from, **row.key).first()
            if existing is None:
                obj = model(
                    scheme=scheme,
                    valid_from=row.valid_from,
                    valid_to=row.valid_to,
                    data_version=version,
                    **row.key,
                    **row.values,
                )
                obj.save()
                changes.append((label, None, _snapshot(obj, row.model)))
                continue
            before = _snapshot(existing, row.model)
            started = existing.valid_from <= today
            for name, value in row.values.items():
                if getattr(existing, name) != value:
                    if started and name in _IMMUTABLE[row.model]:
                        errors.append(
                            _(
                                "%(row)s is al van kracht sinds %(start)s: %(field)s kan niet meer wijzigen. "
                                "Voeg een nieuwe periode toe vanaf een latere datum."
                            )
                            % {"row": label, "start": existing.valid_from.isoformat(), "field": name}
                        )
                    setattr(existing, name, value)
            if row.valid_to is not None and row.valid_to != existing.valid_to:
                if started and row.valid_to < today:
                    errors.append(
                        _("%(row)s: de einddatum kan niet in het verleden gelegd worden (%(end)s).")
                        % {"row": label, "end": row.valid_to.isoformat()}
                    )
                existing.valid_to = row.valid_to
            after = _snapshot(existing, row.model)
            if after != before:
                existing.data_version = version
                existing.save()
                changes.append((label, before, after))
        # the rows of the tables (also those entered by staff) may not overlap
        all_rows = []
        key_fields = {"period": [], "excluded": ["code"], "legal_form": ["code"], "nace": ["prefix"]}
        for name, model in model_of.items():
            for obj in model.objects.filter(scheme=scheme):
                all_rows.append(
                    (
                        name,
                        tuple((f, getattr(obj, f)) for f in key_fields[name]),
                        obj.valid_from,
                        obj.valid_to,
                    )
                )
        errors.extend(overlap_errors(all_rows))
        if errors:
            raise SchemeDataError(errors)
        if scheme.data_version != version or created:
            scheme.data_version = version
            scheme.kind = scheme_data["kind"]
            scheme.name_nl = scheme_data["name_nl"]
            scheme.name_en = scheme_data.get("name_en", "")
            scheme.save()
    return changes
