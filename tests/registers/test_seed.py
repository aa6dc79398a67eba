"""kmop seed, and generated extracts through the real KBO importer (full, then its update)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from kmop.demo.personas import ORGANISATIONS, PERSONS, personas_with_register_data
from kmop.registers import importer
from kmop.registers.models import (
    Activity,
    Address,
    Contact,
    Denomination,
    Enterprise,
    Establishment,
    LegalFunction,
    LegalFunctionCode,
    NationalRegisterPerson,
)
from kmop.registers.synthetic import DEMO_SCALE, Population
from kmop.registers.synthetic_extract import plan_update, write_full_extract, write_update_extract
from kmop.registers.synthetic_seed import REGISTERS_STEPS, seed_steps

pytestmark = pytest.mark.django_db(transaction=True)


def _counts() -> dict[str, int]:
    models: list[Any] = [
        Enterprise,
        Establishment,
        Denomination,
        Address,
        Contact,
        Activity,
        NationalRegisterPerson,
        LegalFunction,
        LegalFunctionCode,
    ]
    return {m.__name__: m.objects.count() for m in models}


def _member_rows(path: Path, member: str) -> int:
    with zipfile.ZipFile(path) as z:
        return z.read(member).decode("utf-8").count("\n") - 1


def test_a_generated_extract_passes_the_importer(tmp_path: Path) -> None:
    out = tmp_path / "full.zip"
    result = write_full_extract(out, Population(seed=5, size=600))
    extract = importer.import_extract(out)
    assert extract.extract_type == "full"
    assert Enterprise.objects.count() == result.row_counts["enterprise.csv"] == 600
    assert Establishment.objects.count() == result.row_counts["establishment.csv"]
    assert Denomination.objects.count() == result.row_counts["denomination.csv"]
    assert Address.objects.count() == result.row_counts["address.csv"]
    assert Contact.objects.count() == result.row_counts["contact.csv"]
    assert Activity.objects.count() == result.row_counts["activity.csv"]


def test_the_update_applies_on_top_of_its_full_extract(tmp_path: Path) -> None:
    population = Population(seed=6, size=2000)
    full, update = tmp_path / "full.zip", tmp_path / "update.zip"
    write_full_extract(full, population, number=1)
    write_update_extract(update, population, number=2)
    importer.import_extract(full)
    extract = importer.import_extract(update)  # in sequence: no force needed
    assert (extract.extract_type, extract.extract_number, extract.forced) == ("update", 2, False)

    plan = plan_update(population, 2)
    expected = {population.enterprise(i).number for i in range(2000)}
    expected -= {population.enterprise(i).number for i in plan.stopped}
    expected |= {population.enterprise(i).number for i in plan.new}
    assert set(Enterprise.objects.values_list("pk", flat=True)) == expected
    for index in plan.stopped:
        record = population.enterprise(index)
        numbers = [n.replace(".", "") for n in record.entity_numbers]
        assert not Denomination.objects.filter(entity_number__in=numbers).exists()
        assert not Establishment.objects.filter(enterprise_id=record.number).exists()
    for index in plan.new:
        record = population.enterprise(index)
        assert Denomination.objects.filter(entity_number=record.number, denomination=record.name).exists()
    for index, kind in plan.changed:
        record = population.enterprise(index)
        if kind == "name" and record.type_of_enterprise == "2":
            names = Denomination.objects.filter(entity_number=record.number, type_of_denomination="001")
            assert names.count() == 1
            assert names.get().denomination != record.name
    # the rows of an update are the update's
    with zipfile.ZipFile(update) as z:
        inserted = list(csv.reader(io.StringIO(z.read("enterprise_insert.csv").decode())))[1:]
    assert len(inserted) == _member_rows(update, "enterprise_insert.csv")


def test_seed_demo_is_idempotent(tmp_path: Path) -> None:
    with override_settings(VAR_DIR=tmp_path):
        call_command("seed", "--scale", "demo", "--jobs", "1", stdout=io.StringIO())
        first = _counts()
        functions = sorted(LegalFunction.objects.values_list("enterprise_id", "person_number", "function_id"))
        out = io.StringIO()
        call_command("seed", "--scale", "demo", "--jobs", "1", stdout=out)
    assert "Seed klaar: enterprises " in out.getvalue()
    # the generated functions are synthetic: one summary event per seed, no event per function
    from kmop.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="legal_function.load").count() == 2
    assert not AuditEvent.objects.filter(action="legal_function.create").exists()
    assert _counts() == first
    assert (
        sorted(LegalFunction.objects.values_list("enterprise_id", "person_number", "function_id"))
        == functions
    )
    demo_enterprises = [o.code for o in ORGANISATIONS if o.is_enterprise]
    assert first["Enterprise"] == DEMO_SCALE + len(demo_enterprises)
    assert Enterprise.objects.filter(pk__in=demo_enterprises).count() == len(demo_enterprises)
    assert NationalRegisterPerson.objects.filter(pk__in=[p.national_number for p in PERSONS]).count() == len(
        PERSONS
    )
    assert LegalFunction.objects.filter(
        enterprise_id="0912345673", person_number="79051499882", function_id="10002"
    ).exists()
    assert first["LegalFunction"] > DEMO_SCALE
    # every holder of a function is in the national register
    holders = set(LegalFunction.objects.values_list("person_number", flat=True))
    assert holders <= set(NationalRegisterPerson.objects.values_list("pk", flat=True))
    assert not list(tmp_path.iterdir())  # the temporary extract is gone
    personas = personas_with_register_data()
    assert all(p["in_register"] for p in personas)
    assert all(p["organisation_in_register"] for p in personas if p["organisation_is_enterprise"])
    sofie = next(p for p in personas if p["key"] == "legal_representative")
    assert sofie["organisation_name"] == "Houtatelier Verhaeghe"
    assert sofie["functions"] == ["Bestuurder"]


def test_seed_a_number_of_enterprises_replaces_the_demo(tmp_path: Path) -> None:
    with override_settings(VAR_DIR=tmp_path):
        call_command("seed", "--scale", "demo", "--jobs", "1", stdout=io.StringIO())
        call_command("seed", "--scale", "250", "--seed", "2", "--jobs", "1", stdout=io.StringIO())
    assert Enterprise.objects.count() == 250
    assert not Enterprise.objects.filter(pk="0912345673").exists()
    assert not NationalRegisterPerson.objects.filter(pk="79051499882").exists()
    assert not LegalFunction.objects.filter(enterprise_id="0912345673").exists()


def test_seed_steps_and_refusals(tmp_path: Path) -> None:
    assert [s.name for s in seed_steps()[: len(REGISTERS_STEPS)]] == [
        "kbo",
        "function_codes",
        "national_register",
        "legal_functions",
    ]
    out = io.StringIO()
    call_command("seed", "--list", stdout=out)
    assert out.getvalue().split()[:4] == ["kbo", "function_codes", "national_register", "legal_functions"]
    with pytest.raises(CommandError, match="scale"):
        call_command("seed", "--scale", "lots")
    with override_settings(PRODUCTION=True), pytest.raises(CommandError, match="geweigerd in productie"):
        call_command("seed", "--scale", "demo")
    assert not Enterprise.objects.exists()
