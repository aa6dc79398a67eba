"""The versioned data files: loaded by the migration, reloadable, and refused (nothing changed) when periods
overlap, a started period would change, or a parameter is invalid."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.schemes import services
from kmop.schemes.data import DATA_DIR, parse_file, read_data_file, sync_scheme_data
from kmop.schemes.errors import SchemeDataError
from kmop.schemes.models import ExcludedService, LegalFormRule, NaceRule, RegimePeriod, Scheme
from kmop.schemes.services import regime_on

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("tests")
TODAY = date(2026, 3, 10)


def _file() -> dict[str, Any]:
    return copy.deepcopy(read_data_file(DATA_DIR / "kmo-portefeuille.json"))


def _state() -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for model in (RegimePeriod, ExcludedService, LegalFormRule, NaceRule):
        rows.extend(
            (model.__name__, *r)
            for r in model.objects.values_list("pk", "valid_from", "valid_to", "data_version")
        )
    rows.extend(RegimePeriod.objects.values_list("pk", "parameters"))
    return sorted(rows, key=repr)


def _sync(data: dict[str, Any]) -> list[Any]:
    return sync_scheme_data(services._models(), data, today=TODAY)


def test_the_migration_loaded_every_regime_and_list() -> None:
    scheme = Scheme.objects.get(pk="kmo-portefeuille")
    assert scheme.data_version == 1
    starts = list(RegimePeriod.objects.filter(scheme=scheme).values_list("valid_from", flat=True))
    assert starts == [
        date(2016, 4, 1),
        date(2019, 12, 1),
        date(2020, 1, 1),
        date(2021, 9, 13),
        date(2023, 1, 1),
        date(2026, 2, 1),
    ]
    assert ExcludedService.objects.filter(valid_from=date(2020, 7, 1)).count() >= 16
    assert LegalFormRule.objects.filter(code__in=["NP", "610", "014"], accepted=True).count() == 3
    assert not LegalFormRule.objects.filter(code="017").exists()
    assert set(NaceRule.objects.values_list("prefix", flat=True)) >= {"01", "02", "03"}


def test_reloading_the_same_file_changes_nothing() -> None:
    before = _state()
    assert services.scheme_data_load(actor=SYSTEM) == 0
    assert _state() == before
    assert not AuditEvent.objects.filter(action="schemes.data_load").exists()


def test_overlapping_periods_in_a_file_are_refused() -> None:
    data = _file()
    data["periods"][1]["valid_from"] = "2019-11-30"  # overlaps the last day of the 2016 period
    before = _state()
    with pytest.raises(SchemeDataError) as error:
        _sync(data)
    assert "Overlappende periodes" in str(error.value)
    assert "2019-11-30" in str(error.value)
    assert _state() == before


def test_a_new_period_overlapping_the_running_one_is_refused_then_accepted_once_it_ends() -> None:
    data = _file()
    data["data_version"] = 2
    new = copy.deepcopy(data["periods"][-1])
    new["valid_from"] = "2027-01-01"
    new["parameters"]["size_classes"]["KO"]["rate"] = "0.25"
    data["periods"].append(new)
    before = _state()
    with pytest.raises(SchemeDataError) as error:
        _sync(data)
    assert "2026-02-01 tot …" in str(error.value)
    assert _state() == before

    data["periods"][-2]["valid_to"] = "2026-12-31"
    changes = _sync(data)
    assert {label for label, _b, _a in changes} >= {
        "period:kmo-portefeuille:2027-01-01",
        "period:kmo-portefeuille:2026-02-01",
    }
    services.clear_cache()
    assert regime_on(date(2026, 12, 31)).rate("KO", "opleiding", "innovatie") == D("0.30")
    assert regime_on(date(2027, 1, 1)).rate("KO", "opleiding", "innovatie") == D("0.25")
    assert Scheme.objects.get(pk="kmo-portefeuille").data_version == 2


def test_a_started_period_cannot_change() -> None:
    data = _file()
    data["data_version"] = 2
    data["periods"][0]["parameters"]["size_classes"]["KO"]["rate"] = "0.50"
    before = _state()
    with pytest.raises(SchemeDataError) as error:
        _sync(data)
    assert "al van kracht sinds 2016-04-01" in str(error.value)
    assert _state() == before


def test_a_started_period_cannot_end_in_the_past() -> None:
    data = _file()
    data["periods"][-1]["valid_to"] = "2026-03-09"
    with pytest.raises(SchemeDataError) as error:
        _sync(data)
    assert "verleden" in str(error.value)


def test_a_period_that_has_not_started_may_still_change() -> None:
    data = _file()
    data["data_version"] = 2
    data["periods"][-1]["valid_to"] = "2026-12-31"
    future = copy.deepcopy(data["periods"][-1])
    future.update(valid_from="2027-01-01", valid_to=None)
    data["periods"].append(future)
    _sync(data)
    data["data_version"] = 3
    data["periods"][-1]["parameters"]["filing_window_days"] = 30
    (change,) = _sync(data)
    assert change[0] == "period:kmo-portefeuille:2027-01-01"
    services.clear_cache()
    assert regime_on(date(2027, 2, 1)).filing_window_days == 30


def test_an_older_file_is_refused() -> None:
    data = _file()
    Scheme.objects.filter(pk="kmo-portefeuille").update(data_version=5)
    with pytest.raises(SchemeDataError) as error:
        _sync(data)
    assert "versie 5" in str(error.value)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("size_classes", "KO", "rate"), "0.3x", "is geen bedrag"),
        (("size_classes", "KO", "rate"), "30", "breuk tussen 0 en 1"),
        (("size_classes", "KO", "yearly_cap"), "7500.001", "twee decimalen"),
        (("size_classes", "XL"), {"rate": "0.1", "yearly_cap": "1.00"}, "onbekende ondernemingsgrootte XL"),
        (("services", "coaching"), {"minimum": "1.00", "themes": None}, "onbekende dienst coaching"),
        (("filing_window_days",), -1, "positief geheel getal"),
        (
            ("rate_rules",),
            [{"targets": ["astrologie"], "services": ["opleiding"], "rates": {"KO": "0.5"}}],
            "astrologie",
        ),
        (("bogus",), 1, "Onbekende parameter: bogus"),
    ],
)
def test_invalid_parameters_are_refused_with_their_place(
    path: tuple[str, ...], value: Any, message: str
) -> None:
    data = _file()
    target = data["periods"][-1]["parameters"]
    if target["themes"] == "@themes-2023":
        target["themes"] = data["theme_sets"]["themes-2023"]
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(SchemeDataError) as error:
        parse_file(data)
    assert message in str(error.value)
    assert "periods[5]" in str(error.value)


def test_rows_entered_by_staff_stay_when_the_file_is_loaded_again() -> None:
    ExcludedService.objects.create(
        scheme_id="kmo-portefeuille",
        code="pendelen",
        label_nl="Pendelen",
        keywords=["pendelen"],
        valid_from=date(2026, 4, 1),
    )
    _sync(_file())
    assert ExcludedService.objects.filter(code="pendelen").exists()


def test_the_data_files_are_valid_json_with_a_version(tmp_path: Path) -> None:
    for path in DATA_DIR.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data["data_version"], int)
        parse_file(data)
