"""The synthetic population and its extracts: deterministic, valid numbers, realistic shares, exact format."""

from __future__ import annotations

import csv
import hashlib
import io
import random
import re
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from stdnum.be import iban as be_iban
from stdnum.be import ssn, vat

from kmop.registers import numbers
from kmop.registers.synthetic import (
    DATA_DIR,
    KBO_FILES,
    KBO_HEADERS,
    NATURAL_PERSON_SHARE,
    EnterpriseRecord,
    Population,
    nace_2025_mapping,
    parse_scale,
    read_kbo_codes,
    read_municipalities,
)
from kmop.registers.synthetic_extract import (
    FUNCTIONS_HEADER,
    PERSONS_HEADER,
    plan_update,
    sorted_lines,
    write_full_extract,
    write_update_extract,
)

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"
KBO_SAMPLE = SAMPLES / "stevenn_NewAgeKBO" / "KboOpenData_0147_2025_10_12_Update"
ZIPCODE_PROVINCE = SAMPLES / "JB-Analytica_kbo-open-data" / "zipcode_province.csv"
DATE = re.compile(r"\d{2}-\d{2}-\d{4}")
SAMPLE_SIZE = 20_000


@pytest.fixture(scope="module")
def population() -> Population:
    return Population(seed=7, size=SAMPLE_SIZE)


@pytest.fixture(scope="module")
def records(population: Population) -> list[EnterpriseRecord]:
    return list(population)


def _rows(lines: list[str]) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(lines))))


# --- determinism --------------------------------------------------------------------------------------


def test_same_seed_same_rows() -> None:
    a = Population(seed=3, size=500)
    b = Population(seed=3, size=500)
    for index in (0, 1, 17, 250, 499):
        ra, rb = a.enterprise(index), b.enterprise(index)
        assert ra.lines == rb.lines
        assert ra.functions == rb.functions
        assert ra.persons == rb.persons
    # random access gives what the stream gives
    streamed = list(a.iter_range(240, 260))
    assert [r.lines for r in streamed] == [b.enterprise(i).lines for i in range(240, 260)]


def test_another_seed_other_rows() -> None:
    a = [r.lines["denomination"] for r in Population(seed=1, size=200).iter_range(0, 50)]
    b = [r.lines["denomination"] for r in Population(seed=2, size=200).iter_range(0, 50)]
    assert a != b


def test_parse_scale() -> None:
    assert parse_scale("demo") > 0
    assert parse_scale("2000000") == 2_000_000
    assert parse_scale("2_000") == 2000
    for wrong in ("0", "2000001", "many", "-5"):
        with pytest.raises(ValueError, match="scale"):
            parse_scale(wrong)


# --- numbers ------------------------------------------------------------------------------------------


def test_every_number_is_valid_and_unique(records: list[EnterpriseRecord]) -> None:
    enterprises: set[str] = set()
    establishments: set[str] = set()
    branches: set[str] = set()
    persons: dict[str, str] = {}
    for record in records:
        assert vat.validate(record.number) == record.number
        assert numbers.format_enterprise_number(record.number) == record.display
        assert record.number[:2] in {"02", "03", "04", "05", "06", "07", "08", "10"}
        enterprises.add(record.number)
        for est in record.establishments:
            assert numbers.validate_establishment_number(est).startswith("2")
            assert est[:3] != "2.9"  # left for the demo organisations
            establishments.add(est)
        for branch in record.branches:
            assert vat.checksum(branch.replace(".", "")) == 0
            branches.add(branch)
        for person in record.persons:
            assert ssn.validate(person.national_number) == person.national_number
            assert ssn.get_birth_date(person.national_number) == person.birth_date
            assert ssn.get_gender(person.national_number) == person.sex
            assert person.national_number[6:9] not in {"997", "998"}  # left for the demo persons
            assert persons.setdefault(person.national_number, person.first_name) == person.first_name
    assert len(enterprises) == len(records)
    assert len(establishments) == sum(len(r.establishments) for r in records)
    assert len(branches) == sum(len(r.branches) for r in records)
    assert len(persons) == sum(len(r.persons) for r in records)  # a person is listed by one enterprise only
    bis = sum(1 for n in persons if ssn.guess_type(n) == "bis")
    assert 0.01 < bis / len(persons) < 0.06


def test_new_enterprises_have_fresh_numbers(population: Population, records: list[EnterpriseRecord]) -> None:
    base = {r.number for r in records}
    new = [population.enterprise(i) for i in range(population.size, population.size + 300)]
    assert all(r.number.startswith("10") for r in new)
    assert not base & {r.number for r in new}
    assert all((population.snapshot_date - r.start_date).days < 30 for r in new)


def test_ibans_are_valid_with_real_bank_codes(population: Population) -> None:
    rng = random.Random(5)
    ibans = [population.random_iban(rng) for _ in range(2000)]
    assert all(be_iban.validate(i) == i for i in ibans)
    assert all(numbers.validate_iban(i) for i in ibans)
    assert all(be_iban.to_bic(i) for i in ibans)
    assert all(numbers.validate_belgian_iban(i) == i for i in ibans)
    assert len({i[4:7] for i in ibans}) > 50


def test_enterprises_have_valid_belgian_ibans(population: Population) -> None:
    ibans = [population.enterprise_iban(i, account) for i in range(500) for account in (0, 1)]
    assert all(be_iban.is_valid(i) for i in ibans)
    assert all(numbers.validate_belgian_iban(i) == i for i in ibans)
    assert len(set(ibans)) == len(ibans)
    # deterministic, and drawn apart from the enterprise's rows (which stay as they were)
    again = Population(seed=population.seed, size=population.size)
    assert [again.enterprise_iban(i) for i in range(20)] == ibans[:40:2]
    assert again.enterprise(3).lines == population.enterprise(3).lines
    with pytest.raises(ValueError, match="outside"):
        population.enterprise_iban(0, 32)


def test_adults_only(records: list[EnterpriseRecord]) -> None:
    births = {p.national_number: p.birth_date for r in records for p in r.persons}
    checked = 0
    for record in records:
        for function in record.functions:
            birth = births.get(function.person_number)
            if birth is not None:
                assert (function.start_date - birth).days >= 18 * 365
                checked += 1
            assert function.end_date is None or function.end_date >= function.start_date
    assert checked > len(records)


# --- proportions --------------------------------------------------------------------------------------


def test_proportions(records: list[EnterpriseRecord]) -> None:
    n = len(records)
    natural = sum(1 for r in records if r.type_of_enterprise == "1")
    assert abs(natural / n - NATURAL_PERSON_SHARE) < 0.03
    regions = Counter(r.region for r in records)
    assert abs(regions["VLG"] / n - 0.58) < 0.03
    assert abs(regions["BRU"] / n - 0.12) < 0.02
    assert abs(regions["WAL"] / n - 0.30) < 0.03
    one_range = sum(1 for r in records if r.number.startswith("1"))
    assert 0.10 < one_range / n < 0.18

    forms = Counter(r.juridical_form for r in records if r.type_of_enterprise == "2")
    assert all(r.juridical_form == "" for r in records if r.type_of_enterprise == "1")
    assert forms.most_common(1)[0][0] == "610"
    legal = sum(forms.values())
    for form in ("014", "612", "011", "706", "017", "070"):
        assert forms[form] > 0.003 * legal, form
    assert 0.10 < forms["017"] / legal < 0.25
    known = {code for cat, code, _, _ in read_kbo_codes() if cat == "JuridicalForm"}
    assert set(forms) <= known

    divisions = Counter(r.main_nace[:2] for r in records if r.kind in ("natural", "company"))
    assert divisions.most_common(1)[0][0] == "43"  # specialised construction leads
    establishments = sum(len(r.establishments) for r in records)
    assert 0.7 < establishments / n < 1.2


def test_flemish_postcodes_follow_the_rules(records: list[EnterpriseRecord]) -> None:
    for record in records[:5000]:
        if record.kind == "foreign":
            continue
        flemish = 1500 <= int(record.seat.zipcode) <= 3999 or 8000 <= int(record.seat.zipcode) <= 9999
        assert flemish == (record.region == "VLG"), record.seat
        brussels = 1000 <= int(record.seat.zipcode) <= 1299
        assert brussels == (record.region == "BRU"), record.seat


@pytest.mark.skipif(
    not ZIPCODE_PROVINCE.exists(), reason="shared/samples/JB-Analytica_kbo-open-data is absent"
)
def test_postcode_regions_agree_with_an_independent_table() -> None:
    with ZIPCODE_PROVINCE.open(encoding="utf-8") as f:
        ranges = [(int(r["zip_from"]), int(r["zip_to"]), r["region_en"]) for r in csv.DictReader(f)]
    names = {"Flanders": "VLG", "Wallonia": "WAL", "Brussels-Capital Region": "BRU"}
    municipalities = read_municipalities()
    assert len(municipalities) > 1000
    for m in municipalities:
        region = next(names[region] for low, high, region in ranges if low <= int(m.zipcode) <= high)
        assert region == m.region, m


# --- the rows -----------------------------------------------------------------------------------------


def test_rows_have_the_kbo_shape(records: list[EnterpriseRecord]) -> None:
    codes = {(cat, code) for cat, code, _, _ in read_kbo_codes()}
    columns = {name: len(next(csv.reader([KBO_HEADERS[name]]))) for name in KBO_FILES}
    seen: Counter[str] = Counter()
    for record in records[:3000]:
        for name in KBO_FILES:
            for row in _rows(record.lines[name]):
                assert len(row) == columns[name], (name, row)
                seen[name] += 1
        for row in _rows(record.lines["enterprise"]):
            assert row[1:3] == ["AC", "000"]
            assert DATE.fullmatch(row[6])
            assert ("TypeOfEnterprise", row[3]) in codes
            assert row[4] == "" or ("JuridicalForm", row[4]) in codes
        for row in _rows(record.lines["denomination"]):
            assert ("TypeOfDenomination", row[2]) in codes
            assert ("Language", row[1]) in codes
            assert row[3].strip()
        for row in _rows(record.lines["address"]):
            assert ("TypeOfAddress", row[1]) in codes
            assert all((row[4], row[5], row[7], row[9])), row
        for row in _rows(record.lines["contact"]):
            assert ("EntityContact", row[1]) in codes
            assert ("ContactType", row[2]) in codes
        for row in _rows(record.lines["activity"]):
            assert ("ActivityGroup", row[1]) in codes
            assert (f"Nace{row[2]}", row[3]) in codes, row
            assert ("Classification", row[4]) in codes
        assert (
            sum(
                1
                for row in _rows(record.lines["denomination"])
                if row[0] == record.display and row[2] == "001"
            )
            == 1
        )
    assert seen["activity"] > seen["address"] > 0
    assert seen["contact"] > 0


def test_functions_and_persons(records: list[EnterpriseRecord]) -> None:
    persons = {p.national_number for r in records for p in r.persons}
    function_codes = {row["Code"] for row in csv.DictReader((DATA_DIR / "legal_function_codes.csv").open())}
    codes: Counter[str] = Counter()
    for record in records:
        assert record.functions, record.display  # every enterprise has someone who holds a function
        for function in record.functions:
            assert function.enterprise_number == record.number
            assert function.person_number in persons  # every holder is in the national register
            assert function.function_code in function_codes
            codes[function.function_code] += 1
        keys = [(f.person_number, f.function_code, f.start_date) for f in record.functions]
        assert len(keys) == len(set(keys))
        if record.type_of_enterprise == "1":
            (holder,) = [f for f in record.functions if f.function_code == "NP001"]
            person = next(p for p in record.persons if p.national_number == holder.person_number)
            assert record.name == f"{person.last_name}, {person.first_name}"
    assert {"NP001", "10002", "10006", "10007"} <= set(codes)
    shared = Counter(f.person_number for r in records for f in r.functions if f.function_code != "NP001")
    assert any(count > 1 for count in shared.values())  # some persons direct more than one enterprise


def test_nace_mapping_file_is_up_to_date() -> None:
    with (DATA_DIR / "nace2008_2025.csv").open(encoding="utf-8") as f:
        stored = {r["Nace2008"]: (r["Nace2025"], r["Match"]) for r in csv.DictReader(f)}
    assert stored == nace_2025_mapping(read_kbo_codes())
    assert "47640" not in stored or stored["47640"][0] != "47640"  # 47640 means toys in NACE 2025


@pytest.mark.skipif(not KBO_SAMPLE.is_dir(), reason="shared/samples/stevenn_NewAgeKBO is absent")
def test_code_table_is_the_official_one() -> None:
    ours = hashlib.sha256((DATA_DIR / "kbo_code.csv").read_bytes()).hexdigest()
    assert ours == hashlib.sha256((KBO_SAMPLE / "code.csv").read_bytes()).hexdigest()


# --- extracts -----------------------------------------------------------------------------------------


def compact(number: str) -> str:
    return number.replace(".", "")


def _zip_text(path: Path, member: str) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read(member).decode("utf-8")


def test_full_extract(tmp_path: Path) -> None:
    population = Population(seed=11, size=400)
    out = tmp_path / "full.zip"
    result = write_full_extract(
        out, population, number=5, functions_csv=tmp_path / "f.csv", persons_csv=tmp_path / "p.csv"
    )
    with zipfile.ZipFile(out) as z:
        assert z.testzip() is None
        assert sorted(z.namelist()) == sorted(["meta.csv", "code.csv", *(f"{n}.csv" for n in KBO_FILES)])
        for name in KBO_FILES:
            text = z.read(f"{name}.csv").decode("utf-8")
            assert text.startswith(KBO_HEADERS[name])
            assert text.count("\n") == result.row_counts[f"{name}.csv"] + 1
            assert "\r" not in text
        assert z.read("code.csv") == (DATA_DIR / "kbo_code.csv").read_bytes()
    meta = dict(csv.reader(io.StringIO(_zip_text(out, "meta.csv"))))
    assert meta["ExtractType"] == "full"
    assert meta["ExtractNumber"] == "5"
    assert DATE.fullmatch(meta["SnapshotDate"])
    assert re.fullmatch(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}", meta["ExtractTimestamp"])
    assert result.row_counts["enterprise.csv"] == 400
    enterprises = list(csv.reader(io.StringIO(_zip_text(out, "enterprise.csv"))))[1:]
    assert [row[0] for row in enterprises] == sorted(population.enterprise(i).display for i in range(400))
    # As the official files: every member in the order of its key, an entity's own lines in their order.
    for name in KBO_FILES:
        rows = list(csv.reader(io.StringIO(_zip_text(out, f"{name}.csv"))))[1:]
        assert [compact(row[0]) for row in rows] == sorted(compact(row[0]) for row in rows)
    activities = list(csv.reader(io.StringIO(_zip_text(out, "activity.csv"))))[1:]
    record = population.enterprise(7)
    own = [line for line in record.lines["activity"] if line.startswith(f'"{record.display}",')]
    assert [",".join(f'"{v}"' for v in row) + "\n" for row in activities if row[0] == record.display] == own
    # the quoting of the real files: texts quoted, dates and empty values not
    natural = next(line for line in _zip_text(out, "enterprise.csv").splitlines() if '","1",' in line)
    assert re.fullmatch(r'"\d{4}\.\d{3}\.\d{3}","AC","000","1",,,\d{2}-\d{2}-\d{4}', natural)
    functions = (tmp_path / "f.csv").read_text(encoding="utf-8")
    assert functions.startswith(FUNCTIONS_HEADER)
    assert functions.count("\n") == result.functions + 1
    assert (tmp_path / "p.csv").read_text(encoding="utf-8").startswith(PERSONS_HEADER)


@pytest.mark.skipif(not KBO_SAMPLE.is_dir(), reason="shared/samples/stevenn_NewAgeKBO is absent")
def test_headers_are_those_of_the_real_extract() -> None:
    for name in KBO_FILES:
        real = (KBO_SAMPLE / f"{name}_insert.csv").read_text(encoding="utf-8").splitlines()[0] + "\n"
        assert real == KBO_HEADERS[name]
    assert (KBO_SAMPLE / "meta.csv").read_text(encoding="utf-8").splitlines()[0] + "\n" == KBO_HEADERS["meta"]


def test_sorted_lines_merge_runs_in_order(tmp_path: Path) -> None:
    """More lines than one run: sorted runs on disk, merged; equal keys keep the order of writing."""
    rng = random.Random(3)
    lines = [f'"{rng.randrange(50):04d}","{i}"\n'.encode() for i in range(1_000)]
    parts = [tmp_path / "a.csv", tmp_path / "b.csv"]
    parts[0].write_bytes(b"".join(lines[:600]))
    parts[1].write_bytes(b"".join(lines[600:]))
    runs = tmp_path / "runs"
    runs.mkdir()
    merged = list(sorted_lines(parts, runs, run_lines=70))
    assert merged == sorted(lines, key=lambda line: line.split(b",")[0])
    assert list(runs.iterdir()) == []


def test_same_population_same_bytes_whatever_the_processes(tmp_path: Path) -> None:
    population = Population(seed=4, size=20_000)
    one = write_full_extract(tmp_path / "a.zip", population, jobs=1)
    two = write_full_extract(tmp_path / "b.zip", population, jobs=2)
    assert one.row_counts == two.row_counts
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def _apply(full: Path, update: Path) -> dict[str, list[list[str]]]:
    """Apply an update to a full extract the way RULES.md §7 says: every delete, then every insert."""
    state = {}
    with zipfile.ZipFile(full) as zf, zipfile.ZipFile(update) as zu:
        for name in KBO_FILES:
            rows = list(csv.reader(io.StringIO(zf.read(f"{name}.csv").decode())))[1:]
            deleted = {
                r[0] for r in list(csv.reader(io.StringIO(zu.read(f"{name}_delete.csv").decode())))[1:]
            }
            inserted = list(csv.reader(io.StringIO(zu.read(f"{name}_insert.csv").decode())))[1:]
            state[name] = [r for r in rows if r[0] not in deleted] + inserted
    return state


def test_update_extract_applies_on_its_full_extract(tmp_path: Path) -> None:
    population = Population(seed=9, size=3000)
    full, update = tmp_path / "full.zip", tmp_path / "update.zip"
    write_full_extract(full, population, number=1)
    result = write_update_extract(update, population, number=2)
    meta = dict(csv.reader(io.StringIO(_zip_text(update, "meta.csv"))))
    assert (meta["ExtractType"], meta["ExtractNumber"]) == ("update", "2")
    with zipfile.ZipFile(update) as z:
        assert sorted(z.namelist()) == sorted(
            ["meta.csv", "code.csv"] + [f"{n}_{k}.csv" for n in KBO_FILES for k in ("delete", "insert")]
        )

    plan = plan_update(population, 2)
    assert plan == plan_update(Population(seed=9, size=3000), 2)  # deterministic
    touched = len(plan.stopped) + len(plan.changed) + len(plan.new)
    assert 0.005 * 3000 <= touched <= 0.02 * 3000

    state = _apply(full, update)
    numbers_after = {r[0] for r in state["enterprise"]}
    stopped = {population.enterprise(i).display for i in plan.stopped}
    new = {population.enterprise(i).display for i in plan.new}
    assert numbers_after == ({population.enterprise(i).display for i in range(3000)} - stopped) | new
    assert len(state["enterprise"]) == len(numbers_after)  # no enterprise twice
    # nothing of a stopped enterprise is left, in any file
    gone = {n for i in plan.stopped for n in population.enterprise(i).entity_numbers}
    for name in KBO_FILES:
        assert not {r[0] for r in state[name]} & gone, name
    # every establishment belongs to an enterprise that exists
    assert {r[2] for r in state["establishment"]} <= numbers_after
    # a changed enterprise changed
    for index, kind in plan.changed:
        record = population.enterprise(index)
        if kind == "name" and record.type_of_enterprise == "2":
            name = next(r[3] for r in state["denomination"] if r[0] == record.display and r[2] == "001")
            assert name != record.name
    assert result.row_counts["enterprise_insert.csv"] >= len(plan.new)


# --- the command --------------------------------------------------------------------------------------


def test_make_kbo_extract_command(tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("make_kbo_extract", str(tmp_path / "x.zip"), "--scale", "150", "--seed", "3", stdout=out)
    assert "enterprise.csv" in out.getvalue()
    assert _zip_text(tmp_path / "x.zip", "enterprise.csv").count("\n") == 151
    call_command(
        "make_kbo_extract", str(tmp_path / "u.zip"), "--scale", "150", "--seed", "3", "--update", stdout=out
    )
    meta = dict(csv.reader(io.StringIO(_zip_text(tmp_path / "u.zip", "meta.csv"))))
    assert meta["ExtractNumber"] == "2"
    with pytest.raises(CommandError, match="scale"):
        call_command("make_kbo_extract", str(tmp_path / "y.zip"), "--scale", "3000000")


def test_make_kbo_extract_demo_has_the_demo_enterprises(tmp_path: Path) -> None:
    from kmop.demo.personas import ORGANISATIONS

    call_command("make_kbo_extract", str(tmp_path / "d.zip"), "--scale", "demo", stdout=io.StringIO())
    enterprises = _zip_text(tmp_path / "d.zip", "enterprise.csv")
    for organisation in ORGANISATIONS:
        if organisation.is_enterprise:
            assert f'"{numbers.format_enterprise_number(organisation.code)}"' in enterprises
