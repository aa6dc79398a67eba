"""The PostgreSQL fast path of full KBO imports (importer_fast.py): taken when the files are right, and
the same result as the Python path (rows or the exact error) whatever the files hold.

The error tests of test_import_kbo.py run through the fast path too when DATABASE_URL is PostgreSQL.
"""

from __future__ import annotations

import datetime
import os
import random
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from kmop.registers import importer_fast
from kmop.registers.errors import ImportFileError
from kmop.registers.importer import _Importer, import_extract
from kmop.registers.importer_fast import (
    CLASSES,
    SHAPES,
    quotes_differ,
    shape_valid,
    sql_date_valid,
    sql_int_number_valid,
    sql_number_valid,
)
from kmop.registers.importer_tables import TABLES, iso_date, numbers_valid
from kmop.registers.models import (
    Activity,
    Address,
    Branch,
    Contact,
    Denomination,
    Enterprise,
    Establishment,
)
from tests.registers import kbo_files
from tests.registers.kbo_files import B1, E1, E2, S1, csv_text, full, update
from tests.registers.test_import_kbo import NUMBER_KINDS, number_samples, snapshot

pytestmark = pytest.mark.django_db(transaction=True)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path is PostgreSQL only"
)


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Which files took the fast path (and loaded) and which the Python path; "parallel": "loaded" or
    "failed" per full extract that tried the parallel path (shadow tables), "swapped" when swapped in."""
    taken: dict[str, list[str]] = {"fast": [], "fast_failed": [], "python": [], "parallel": []}
    fast_load = importer_fast.fast_load
    load = _Importer.load
    load_shadows = importer_fast.load_shadows
    swap_in = importer_fast.swap_in

    def spy_shadows(*args: Any, **kwargs: Any) -> Any:
        shadows = load_shadows(*args, **kwargs)
        taken["parallel"].append("failed" if shadows is None else "loaded")
        return shadows

    def spy_swap(*args: Any, **kwargs: Any) -> Any:
        counts = swap_in(*args, **kwargs)
        taken["parallel"].append("swapped")
        return counts

    monkeypatch.setattr(importer_fast, "load_shadows", spy_shadows)
    monkeypatch.setattr(importer_fast, "swap_in", spy_swap)

    def spy_fast(*args: Any, **kwargs: Any) -> int:
        name = args[2]
        try:
            count = fast_load(*args, **kwargs)
        except Exception:
            taken["fast_failed"].append(name)
            raise
        taken["fast"].append(name)
        return count

    def spy_load(self: _Importer, name: str, *args: Any, **kwargs: Any) -> int:
        taken["python"].append(name)
        return load(self, name, *args, **kwargs)

    monkeypatch.setattr(importer_fast, "fast_load", spy_fast)
    monkeypatch.setattr(_Importer, "load", spy_load)
    return taken


DATA_FILES = [f"{t}.csv" for t in kbo_files.DATA_TABLES]


@pytest.fixture
def per_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """No parallel load into shadow tables: the per-file path (fast path, then Python)."""
    monkeypatch.setattr(importer_fast, "parallel_possible", lambda connection: False)


def shadow_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'kbo\\_new\\_%%'")
        return [row[0] for row in cursor.fetchall()]


@postgresql_only
def test_a_valid_full_extract_takes_the_parallel_path(tmp_path: Path, paths: dict[str, list[str]]) -> None:
    import_extract(full().write(tmp_path / "one"))
    first = snapshot()
    import_extract(full(number=2, bom=True, newline="\r\n").write(tmp_path / "two"))
    assert paths["parallel"] == ["loaded", "swapped", "loaded", "swapped"]
    assert paths["fast"] == paths["fast_failed"] == []
    assert paths["python"] == ["code.csv", "code.csv"]  # the code table is loaded in the transaction
    assert shadow_tables() == []
    again = snapshot()
    assert {k: v for k, v in again.items() if k not in ("extracts", "audit")} == {
        k: v for k, v in first.items() if k not in ("extracts", "audit")
    }
    # The identity sequences, cached by the thousand during the COPY, are swapped in as Django made them,
    # and go on past the loaded keys.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.sequencename, s.cache_size, s.last_value, "
            "(SELECT max(id) FROM registers_activity) FROM pg_sequences s "
            "WHERE s.sequencename LIKE 'registers\\_%%\\_id\\_seq'"
        )
        sequences = {name: (cache, last, top) for name, cache, last, top in cursor.fetchall()}
    assert "registers_activity_id_seq" in sequences
    assert {cache for cache, _, _ in sequences.values()} == {1}
    _, last, top = sequences["registers_activity_id_seq"]
    assert last >= top


@postgresql_only
def test_a_valid_full_extract_takes_the_fast_path(
    tmp_path: Path, paths: dict[str, list[str]], per_file: None
) -> None:
    import_extract(full(bom=True).write(tmp_path))
    assert sorted(paths["fast"]) == sorted(DATA_FILES)
    assert paths["python"] == ["code.csv"]  # small, and its codes are needed in Python
    assert paths["fast_failed"] == []
    assert paths["parallel"] == []


@postgresql_only
def test_a_broken_file_falls_back_to_the_python_path(tmp_path: Path, paths: dict[str, list[str]]) -> None:
    import_extract(full().write(tmp_path / "ok"))
    tables = kbo_files.base_tables()
    tables["establishment"].append((S1, "31-02-2020", E1))
    with pytest.raises(ImportFileError) as caught:
        import_extract(full(number=2, tables=tables).write(tmp_path / "bad"))
    assert caught.value.column == "StartDate"
    assert paths["parallel"] == ["loaded", "swapped", "failed"]
    assert "establishment.csv" in paths["fast_failed"]
    assert paths["python"][-1] == "establishment.csv"
    assert shadow_tables() == []


def test_the_update_path_and_sqlite_never_take_the_fast_path(
    tmp_path: Path, paths: dict[str, list[str]]
) -> None:
    import_extract(full().write(tmp_path / "full"))
    fast = list(paths["fast"])
    import_extract(kbo_files.update().write(tmp_path / "update"))
    assert paths["fast"] == fast
    if connection.vendor != "postgresql":
        assert fast == []


# --- the same result as the Python path --------------------------------------------------------------

DENOMINATION = kbo_files.HEADERS["denomination"]
HEAD = csv_text(DENOMINATION, [(E1, "2", "001", "Goed")])

#: denomination.csv contents, good and bad, where the two CSV readers or the two validations could differ.
TRICKY: dict[str, str | bytes] = {
    "doubled quotes": HEAD + f'"{E2}","2","001","Vereniging ""De Toekomst"""\n',
    "only a quote": HEAD + f'"{E2}","2","001",""""\n',
    "comma and doubled quote": HEAD + f'"{E2}","2","001","a,""b"""\n',
    "text after a closing quote": HEAD + f'"{E2}","2","001","Slecht" afgesloten\n',
    "text after an empty quoted value": HEAD + f'"{E2}","2","001","" afgesloten\n',
    "quote inside an unquoted value": HEAD + f'"{E2}","2","001",Een "citaat" hier\n',
    "space before a quote": HEAD + f'"{E2}","2","001", "Spatie"\n',
    "odd run of quotes": HEAD + f'"{E2}","2","001","a""" b"\n',
    "end-of-data marker": HEAD + "\\.\n" + f'"{E2}","2","001","Na"\n',
    "backslash dot in a value": HEAD + f'"{E2}","2","001","a\\.b"\n',
    "blank line": HEAD + "\n" + f'"{E2}","2","001","Na"\n',
    "too many columns": HEAD + f'"{E2}","2","001","Na","x"\n',
    "unterminated quote": HEAD + f'"{E2}","2","001","Open\n',
    "NUL byte": HEAD + f'"{E2}","2","001","a\x00b"\n',
    "not UTF-8": HEAD.encode() + f'"{E2}","2","001","Caf'.encode() + b'\xe9"\n',
    "CRLF and line breaks": csv_text(
        DENOMINATION, [(E1, "2", "001", "a\r\nb"), (E2, "2", "001", "c\nd")], newline="\r\n"
    ),
    "all-zero number": HEAD + '"0000.000.000","2","001","Nul"\n',
    "all-zero number, establishment form": HEAD + '"0.000.000.000","2","001","Nul"\n',
    "compact number": HEAD + f'"{E2.replace(".", "")}","2","001","Compact"\n',
    "odd dots": HEAD + f'"{E2.replace(".", "")[:3]}.{E2.replace(".", "")[3:]}","2","001","Punt"\n',
    "empty required value": HEAD + f'"{E2}","2","001",""\n',
    "unquoted empty required value": HEAD + f'"{E2}","2","001",\n',
    "too long": HEAD + f'"{E2}","2","001","{"x" * 321}"\n',
    "longest": HEAD + f'"{E2}","2","001","{"é" * 320}"\n',
    "unknown code": HEAD + f'"{E2}","7","001","Na"\n',
    "header only": csv_text(DENOMINATION, []),
    "wrong header": '"EntityNumber","Language","Type","Denomination"\n',
    "header without line end": csv_text(DENOMINATION, []).rstrip("\n"),
    "no line end at the end": HEAD + f'"{E2}","2","001","Laatste"',
}


def outcome(path: Path) -> Any:
    try:
        import_extract(path)
    except ImportFileError as error:
        return ("error", str(error), error.line, error.column)
    return ("ok", snapshot())


def python_outcome(extract: kbo_files.Extract, path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The outcome of the Python path alone (no parallel load, no per-file fast path)."""
    with monkeypatch.context() as patch:

        def no_fast_path(*args: Any, **kwargs: Any) -> int:
            raise importer_fast.NotFast("disabled by the test")

        patch.setattr(importer_fast, "fast_load", no_fast_path)
        patch.setattr(importer_fast, "stage_copy", no_fast_path)
        patch.setattr(importer_fast, "parallel_possible", lambda connection: False)
        for model in (Denomination, Enterprise, Establishment, Address, Activity, Contact, Branch):
            model.objects.all().delete()
        return outcome(extract.write(path))


def assert_same_outcome(fast: Any, python: Any) -> None:
    """The same rows, or the same error (file, line, column); the recorded extracts and audit events differ
    (two imports), not the register."""
    if fast[0] == "ok":
        assert python[0] == "ok", python
        assert {k: v for k, v in fast[1].items() if k not in ("extracts", "audit")} == {
            k: v for k, v in python[1].items() if k not in ("extracts", "audit")
        }
    else:
        assert fast == python


@postgresql_only
@pytest.mark.parametrize("mode", ["parallel", "parallel, whole chunks", "per file"])
@pytest.mark.parametrize("case", list(TRICKY), ids=list(TRICKY))
def test_fast_path_gives_the_python_paths_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, mode: str
) -> None:
    extract = full(raw={"denomination.csv": TRICKY[case]})
    with monkeypatch.context() as patch:
        if mode == "per file":
            patch.setattr(importer_fast, "parallel_possible", lambda connection: False)
        if mode == "parallel, whole chunks":  # importer_lines, as for a large file
            patch.setattr(importer_fast, "BULK_FROM", 0)
        fast = outcome(extract.write(tmp_path / "fast"))
    python = python_outcome(extract, tmp_path / "python", monkeypatch)
    assert_same_outcome(fast, python)


# --- the SQL rules are the Python rules ---------------------------------------------------------------


def _sql_values(expression: str, values: list[str]) -> dict[str, bool]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v, {expression.replace('{v}', 'v')} FROM unnest(%s::text[]) AS t(v)", [values]
        )
        return {value: bool(valid) for value, valid in cursor.fetchall()}


@postgresql_only
def test_sql_number_rules_agree_with_stdnum_and_python() -> None:
    """sql_number_valid accepts exactly what python-stdnum and the first-digit rule accept (and so what
    numbers_valid accepts), 0000000000 and the other edge cases included."""
    samples = number_samples()
    samples += ["9.000.006.626", "9000006626", "8.000.006.626", "1.234.567.890"]
    samples = sorted(set(samples))
    for kind in NUMBER_KINDS:
        expression = sql_number_valid("replace({v}, '.', '')", kind)
        sql = _sql_values(expression, samples)
        assert sql == {value: kbo_files.stdnum_number_valid(value, kind) for value in samples}, kind
        assert sql == {value: numbers_valid([value], kind) for value in samples}, kind
    zeros = _sql_values(
        sql_number_valid("replace({v}, '.', '')", "entity"), ["0000.000.000", "0.000.000.000"]
    )
    assert zeros == {"0000.000.000": False, "0.000.000.000": False}


@postgresql_only
def test_an_all_zero_number_leaves_the_fast_path(tmp_path: Path, paths: dict[str, list[str]]) -> None:
    tables = kbo_files.base_tables()
    tables["enterprise"].append(("0000.000.000", "AC", "000", "1", "", "", "01-01-2020"))
    before = snapshot()
    with pytest.raises(ImportFileError) as caught:
        import_extract(full(tables=tables).write(tmp_path))
    assert caught.value.file.endswith("enterprise.csv")
    assert (caught.value.line, caught.value.column) == (5, "EnterpriseNumber")
    assert paths["fast_failed"] == ["enterprise.csv"]
    assert paths["python"][-1] == "enterprise.csv"
    assert snapshot() == before


@postgresql_only
def test_sql_date_rules_agree_with_python() -> None:
    rnd = random.Random(7)
    samples = [
        f"{rnd.randrange(100):02d}-{rnd.randrange(100):02d}-{rnd.randrange(10000):04d}" for _ in range(20000)
    ]
    day = datetime.date(1, 1, 1)
    samples += [(day + datetime.timedelta(days=n)).strftime("%d-%m-%Y") for n in range(0, 3_652_000, 997)]
    samples += [
        "29-02-1900",
        "29-02-2000",
        "29-02-2024",
        "29-02-2023",
        "31-04-2021",
        "00-01-2020",
        "01-00-2020",
    ]
    samples += [
        "01-01-0000",
        "01-13-2020",
        "1-1-2020",
        "01/01/2020",
        "2020-01-01",
        "",
        "01-01-20201",
        "٠١-٠١-٢٠٢٠",
    ]
    samples += ["01-01-2020 ", " 01-01-2020", "aa-bb-cccc", "31-12-9999"]
    samples = sorted(set(samples))
    sql = _sql_values(sql_date_valid("{v}"), samples)
    assert sql == {value: iso_date(value) is not None for value in samples}


@pytest.mark.parametrize(
    ("text", "differs"),
    [
        (b'"a","b"\n', False),
        (b'"a ""b"" c",d\n', False),
        (b'"""a""",""""\n', False),
        (b'"a" b\n', True),
        (b'"" b\n', True),
        (b'a"b\n', True),
        (b' "a"\n', True),
        (b'"a""" b"\n', True),
        (b'"a,""b"\n', True),  # well formed, but refused: the Python path loads it
    ],
)
def test_quote_scan(text: bytes, differs: bool) -> None:
    assert quotes_differ(b"n" + text.translate(CLASSES) + b"n") == differs


# --- the parallel path: files without text (whole-line shapes) and dates ----------------------------------

ENTERPRISE = kbo_files.HEADERS["enterprise"]
ESTABLISHMENT = kbo_files.HEADERS["establishment"]
ACTIVITY = kbo_files.HEADERS["activity"]
ADDRESS = kbo_files.HEADERS["address"]
E1_COMPACT = E1.replace(".", "")
TABLES_BY_NAME = {table.name: table for table in TABLES}
E2_COMPACT = E2.replace(".", "")


def _enterprise(*rows: str) -> str:
    return csv_text(ENTERPRISE, [(E1, "AC", "000", "2", "014", "", "01-02-2003")]) + "".join(rows)


def _activity(*rows: str) -> str:
    return csv_text(ACTIVITY, [(E1, "001", "2008", "47110", "MAIN")]) + "".join(rows)


#: (file, content): where the parallel path reads lines itself (shapes, dates, compaction), good and bad.
RIGID: dict[str, tuple[str, str]] = {
    "ISO date": ("enterprise.csv", _enterprise(f'"{E2}","AC","000","1",,,2025-09-15\n')),
    "short date": ("enterprise.csv", _enterprise(f'"{E2}","AC","000","1",,,1-9-2025\n')),
    "impossible date": ("enterprise.csv", _enterprise(f'"{E2}","AC","000","1",,,31-02-2025\n')),
    "year zero": ("enterprise.csv", _enterprise(f'"{E2}","AC","000","1",,,01-01-0000\n')),
    "quoted date": ("enterprise.csv", _enterprise(f'"{E2}","AC","000","1",,,"15-09-2025"\n')),
    "empty required date": ("enterprise.csv", _enterprise(f'"{E2}","AC","000","1",,,\n')),
    "date with spaces": ("enterprise.csv", _enterprise(f'"{E2}","AC","000","1",,, 15-09-2025\n')),
    "code with a dot": ("enterprise.csv", _enterprise(f'"{E2}","A.C","000","1",,,15-09-2025\n')),
    "unknown code": ("enterprise.csv", _enterprise(f'"{E2}","XX","000","1",,,15-09-2025\n')),
    "unquoted codes": ("enterprise.csv", _enterprise(f'"{E2}",AC,000,1,,,15-09-2025\n')),
    "quoted empty code": ("enterprise.csv", _enterprise(f'"{E2}","AC","000","1","","",15-09-2025\n')),
    "empty required code": ("enterprise.csv", _enterprise(f'"{E2}","","000","1",,,15-09-2025\n')),
    "compact number": ("enterprise.csv", _enterprise(f'"{E2_COMPACT}","AC","000","1",,,15-09-2025\n')),
    "wrong check digits": ("enterprise.csv", _enterprise('"0200.000.001","AC","000","1",,,15-09-2025\n')),
    "establishment number as enterprise": (
        "enterprise.csv",
        _enterprise(f'"{S1}","AC","000","1",,,15-09-2025\n'),
    ),
    "number with a sign": ("enterprise.csv", _enterprise('"+200.000.001","AC","000","1",,,15-09-2025\n')),
    "number with a space": ("enterprise.csv", _enterprise('" 200000001","AC","000","1",,,15-09-2025\n')),
    "eleven digits": ("enterprise.csv", _enterprise('"02000000011","AC","000","1",,,15-09-2025\n')),
    "all zeros": ("enterprise.csv", _enterprise('"0000.000.000","AC","000","1",,,15-09-2025\n')),
    "extra column": ("enterprise.csv", _enterprise(f'"{E2}","AC","000","1",,,15-09-2025,"x"\n')),
    "missing column": ("enterprise.csv", _enterprise(f'"{E2}","AC","000","1",,15-09-2025\n')),
    # Files without text skip the quote scan: their line shapes allow a quote only around a whole field.
    "text after a closing quote": ("enterprise.csv", _enterprise(f'"{E2}","AC"x,"000","1",,,15-09-2025\n')),
    "quote inside an unquoted code": ("enterprise.csv", _enterprise(f'"{E2}",A"C,"000","1",,,15-09-2025\n')),
    "doubled quote in a code": ("enterprise.csv", _enterprise(f'"{E2}","A""C","000","1",,,15-09-2025\n')),
    "quoted empty then text": ("enterprise.csv", _enterprise(f'"{E2}",""AC,"000","1",,,15-09-2025\n')),
    "quotes across a line end": ("activity.csv", _activity(f'"{E2}","001","2008","47110","MAIN\n"\n')),
    "quoted comma in a code": ("enterprise.csv", _enterprise(f'"{E2}","A,C","000","1",,,15-09-2025\n')),
    "duplicate key": ("enterprise.csv", _enterprise(f'"{E1_COMPACT}","AC","000","1",,,15-09-2025\n')),
    "no line end at the end": ("enterprise.csv", _enterprise(f'"{E2}","AC","000","1",,,15-09-2025')),
    "CRLF": (
        "enterprise.csv",
        csv_text(ENTERPRISE, [(E1, "AC", "000", "2", "014", "", "01-02-2003")], newline="\r\n"),
    ),
    "establishment: date second": (
        "establishment.csv",
        csv_text(ESTABLISHMENT, [(S1, "01-03-2003", E1)]) + f'"{kbo_files.S2}",2003-03-01,"{E2}"\n',
    ),
    "establishment: enterprise number wrong": (
        "establishment.csv",
        csv_text(ESTABLISHMENT, [(S1, "01-03-2003", E1)]) + f'"{kbo_files.S2}",01-03-2003,"0200.000.001"\n',
    ),
    "activity: NACE code of another version": (
        "activity.csv",
        _activity(f'"{E2}","001","2003","47110","MAIN"\n'),
    ),
    "activity: unknown NACE version": ("activity.csv", _activity(f'"{E2}","001","2009","47110","MAIN"\n')),
    "activity: unknown activity group": ("activity.csv", _activity(f'"{E2}","099","2008","47110","MAIN"\n')),
    "activity: unknown classification": ("activity.csv", _activity(f'"{E2}","001","2008","47110","XXXX"\n')),
    "activity: empty classification": ("activity.csv", _activity(f'"{E2}","001","2008","47110",""\n')),
    "activity: a code with a letter beyond ASCII": (
        "activity.csv",
        _activity(f'"{E2}","001","2008","47110","MAİN"\n'),
    ),
    "activity: unquoted codes": ("activity.csv", _activity(f'"{E2}",001,2008,47110,MAIN\n')),
    "activity: unquoted number, unknown code": (
        "activity.csv",
        _activity(f'{E2},"001","2008","47110","XXXX"\n'),
    ),
    "activity: unquoted number, valid codes": (
        "activity.csv",
        _activity(f'{E2},"001","2008","47110","SECO"\n'),
    ),
    "activity: CRLF": (
        "activity.csv",
        csv_text(
            ACTIVITY,
            [(E1, "001", "2008", "47110", "MAIN"), (E2, "001", "2008", "47110", "SECO")],
            newline="\r\n",
        ),
    ),
    "activity: a code with a dot": ("activity.csv", _activity(f'"{E2}","001","2008","4.7110","MAIN"\n')),
    "activity: odd dots in the number": (
        "activity.csv",
        _activity(f'"{E2_COMPACT[:3]}.{E2_COMPACT[3:]}","001","2008","47110","MAIN"\n'),
    ),
    "activity: a dot after the codes": ("activity.csv", _activity(f'"{E2}","001","2008","47110","MAIN".\n')),
    "activity: branch id": ("activity.csv", _activity(f'"{B1}","001","2008","47110","MAIN"\n')),
    "address: ISO date at the end": (
        "address.csv",
        csv_text(ADDRESS, [])
        + f'"{E1}","REGO",,,"9000","Gent","Gand","Kerkstraat","Kerkstraat","12",,"",2024-12-31\n',
    ),
    "address: date and a comma in the text": (
        "address.csv",
        csv_text(ADDRESS, [])
        + f'"{E1}","REGO",,,"9000","Gent","Gand","Kerk, straat","Kerkstraat","12",,"a,b",31-12-2024\n',
    ),
    "address: quoted empty date": (
        "address.csv",
        csv_text(ADDRESS, []) + f'"{E1}","REGO",,,"9000","Gent","Gand","Kerk","Kerk","12",,"",""\n',
    ),
    "address: dots in the text, entity number of a branch": (
        "address.csv",
        csv_text(ADDRESS, []) + f'"{B1}","REGO",,,"9000","St.-Amands","St.-Amands","A.B.C.","x","1.2",,"",\n',
    ),
    "address: establishment, quoted date": (
        "address.csv",
        csv_text(ADDRESS, []) + f'"{S1}","BAET",,,"9000","Gent","Gand","Kerk","Kerk","12",,"","31-12-2024"\n',
    ),
    "address: impossible date": (
        "address.csv",
        csv_text(ADDRESS, []) + f'"{E1}","REGO",,,"9000","Gent","Gand","Kerk","Kerk","12",,"",30-02-2024\n',
    ),
    "address: wrong check digits": (
        "address.csv",
        csv_text(ADDRESS, []) + '"0200.000.001","REGO",,,"9000","Gent","Gand","Kerk","Kerk","12",,"",\n',
    ),
    "address: odd dots": (
        "address.csv",
        csv_text(ADDRESS, [])
        + f'"{E1_COMPACT[:3]}.{E1_COMPACT[3:]}","REGO",,,"9000","Gent","Gand","Kerk","Kerk","12",,"",\n',
    ),
    "address: CRLF": (
        "address.csv",
        csv_text(
            ADDRESS,
            [(E1, "REGO", "", "", "9000", "Gent", "Gand", "Kerk", "Kerk", "12", "", "", "")],
            newline="\r\n",
        ),
    ),
    "address: text after the date": (
        "address.csv",
        csv_text(ADDRESS, []) + f'"{E1}","REGO",,,"9000","Gent","Gand","Kerk","Kerk","12",,"x,01-01-2020"\n',
    ),
}


@postgresql_only
@pytest.mark.parametrize("bulk", [False, True], ids=["lines", "whole chunks"])
@pytest.mark.parametrize("case", list(RIGID), ids=list(RIGID))
def test_parallel_path_gives_the_python_paths_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str, bulk: bool
) -> None:
    name, content = RIGID[case]
    extract = full(raw={name: content})
    with monkeypatch.context() as patch:
        if bulk:  # importer_lines for the text files, as for a large file
            patch.setattr(importer_fast, "BULK_FROM", 0)
        parallel = outcome(extract.write(tmp_path / "parallel"))
    assert shadow_tables() == []
    python = python_outcome(extract, tmp_path / "python", monkeypatch)
    assert_same_outcome(parallel, python)


@postgresql_only
def test_the_text_files_of_a_large_extract_are_compacted_whole_chunks_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: dict[str, list[str]]
) -> None:
    from kmop.registers import importer_lines

    taken: list[bool] = []
    compact_lines = importer_lines.compact_lines

    def spy(data: bytes, shaped: bytes, last_date: bool | None) -> tuple[bytes, int] | None:
        result = compact_lines(data, shaped, last_date)
        taken.append(result is not None)
        return result

    monkeypatch.setattr(importer_lines, "compact_lines", spy)
    monkeypatch.setattr(importer_fast, "BULK_FROM", 0)
    import_extract(full().write(tmp_path / "chunks"))
    chunks = snapshot()
    assert paths["parallel"] == ["loaded", "swapped"]
    assert taken == [True, True, True]  # address, contact, denomination: one chunk each
    monkeypatch.setattr(importer_fast, "BULK_FROM", 1 << 40)
    import_extract(full().write(tmp_path / "lines"), force=True)
    assert len(taken) == 3
    assert {k: v for k, v in snapshot().items() if k not in ("extracts", "audit")} == {
        k: v for k, v in chunks.items() if k not in ("extracts", "audit")
    }


@postgresql_only
def test_activity_lines_take_no_shape_each_when_their_numbers_are_official(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: dict[str, list[str]]
) -> None:
    """activity.csv with quoted numbers in their official forms: its lines are counted, not shaped one by
    one (``numbered_tuples``); the other files without text still are."""
    shaped: set[str] = set()
    shape_valid = importer_fast.shape_valid

    def spy(shape: bytes, table: Any) -> bool:
        shaped.add(table.name)
        return shape_valid(shape, table)

    monkeypatch.setattr(importer_fast, "shape_valid", spy)
    import_extract(full().write(tmp_path))
    assert paths["parallel"] == ["loaded", "swapped"]
    assert "enterprise" in shaped
    assert "activity" not in shaped
    assert Activity.objects.count() > 0


@postgresql_only
def test_the_sorted_array_delete_deletes_what_the_join_deletes() -> None:
    """PostgresLoader.delete_staged (the keys as one array) against Loader.delete_staged (IN a subquery):
    duplicate and unknown keys, the keys already deleted left out, an empty stage."""
    from django.db import transaction

    from kmop.registers.importer_db import Loader, PostgresLoader

    def run(delete: Any) -> list[tuple[int, list[str]]]:
        results = []
        with transaction.atomic():
            for number in ("0200000142", "0200000241", "0200000340"):
                for name in ("a", "b"):
                    Denomination.objects.create(
                        entity_number=number, language="2", type_of_denomination="001", denomination=name
                    )
            loader = PostgresLoader(connection)
            steps: list[tuple[list[str], bool]] = [
                (["0200000142", "0200000142", "0999999999"], False),
                (["0200000142", "0200000241"], True),
                ([], False),
            ]
            for keys, except_deleted in steps:
                loader.create_stage(Denomination._meta.db_table, ["entity_number"])
                for key in keys:
                    loader.execute("INSERT INTO kbo_stage (entity_number) VALUES (%s)", [key])
                deleted = delete(
                    loader, Denomination._meta.db_table, "entity_number", except_deleted=except_deleted
                )
                if not except_deleted and keys:
                    loader.remember_deleted(Denomination._meta.db_table, "entity_number")
                left = sorted(Denomination.objects.values_list("entity_number", flat=True))
                results.append((deleted, left))
            loader.drop_stage()
            loader.forget_deleted([Denomination._meta.db_table])
            transaction.set_rollback(True)
        return results

    array = run(PostgresLoader.delete_staged)
    assert array == run(Loader.delete_staged)
    assert array[0] == (2, ["0200000241", "0200000241", "0200000340", "0200000340"])
    assert array[1] == (2, ["0200000340", "0200000340"])
    assert array[2] == (0, ["0200000340", "0200000340"])


@postgresql_only
def test_activity_codes_are_checked_on_their_tuples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: dict[str, list[str]]
) -> None:
    """The activities' codes are checked in Python, once per distinct tuple, and not again in SQL."""
    scans: dict[str, bool] = {}
    validation_sql = importer_fast.validation_sql

    def spy(table: Any, relation: str, codes: Any, *, codes_checked: bool = False) -> tuple[str, list[Any]]:
        scans[table.name] = codes_checked
        return validation_sql(table, relation, codes, codes_checked=codes_checked)

    monkeypatch.setattr(importer_fast, "validation_sql", spy)
    import_extract(full().write(tmp_path))
    assert paths["parallel"] == ["loaded", "swapped"]
    assert scans["activity"] is True
    assert scans["enterprise"] is False  # dates among its codes: the SQL scan
    sql, _ = validation_sql(TABLES_BY_NAME["activity"], "t", {}, codes_checked=True)
    assert "ANY" not in sql
    assert "mod(" in sql  # the numbers are still checked in SQL


def test_code_tuples() -> None:
    assert [t.name for t in TABLES if importer_fast.CodeTuples.possible(t)] == ["activity"]
    assert not importer_fast.CodeTuples.possible(TABLES_BY_NAME["activity"].key_spec())
    table = TABLES_BY_NAME["activity"]
    codes = {
        "ActivityGroup": frozenset({"001"}),
        "Classification": frozenset({"MAIN"}),
        "Nace2008": frozenset({"47110"}),
    }
    tuples = importer_fast.CodeTuples(table, codes)
    tuples.shape(b'"9999.999.999","999","9999","99999","aaaa"')
    assert tuples.active
    tuples.check([b'"0200000142","001","2008","47110","MAIN"', b'"0200000142",001,2008,47110,MAIN\r'])
    assert len(tuples.known) == 2
    for wrong in (b'"001","2025","47110","MAIN"', b'"001","2008","47110",""', b'"002","2008","47110","MAIN"'):
        with pytest.raises(importer_fast.NotFast):
            tuples.check([b'"0200000142",' + wrong])
    tuples.shape(b'9999999999,"999","9999","99999","aaaa"')
    assert not tuples.active  # an unquoted number: the tuples cannot be cut off, SQL checks the codes


def _update_outcome(
    tmp_path: Path, extract: kbo_files.Extract, monkeypatch: pytest.MonkeyPatch, python: bool
) -> Any:
    """A full extract, then ``extract`` (an update) through the staging COPY or the Python path alone."""
    from kmop.registers.models import KboExtract

    KboExtract.objects.all().delete()
    import_extract(full().write(tmp_path / "full"))
    with monkeypatch.context() as patch:
        if python:

            def no_fast_path(*args: Any, **kwargs: Any) -> int:
                raise importer_fast.NotFast("disabled by the test")

            patch.setattr(importer_fast, "stage_copy", no_fast_path)
        return outcome(extract.write(tmp_path / "update"))


@postgresql_only
@pytest.mark.parametrize("case", list(RIGID), ids=list(RIGID))
def test_update_files_through_the_staging_copy_give_the_python_paths_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """The insert files of an update take the full extract's COPY and checks: the same rows or the same
    error as the Python path, for every tricky content of the parallel path."""
    name, content = RIGID[case]
    extract = update(raw={name.replace(".csv", "_insert.csv"): content})
    fast = _update_outcome(tmp_path / "fast", extract, monkeypatch, python=False)
    python = _update_outcome(tmp_path / "python", extract, monkeypatch, python=True)
    assert_same_outcome(fast, python)


@postgresql_only
def test_a_valid_update_takes_the_staging_copy(tmp_path: Path, paths: dict[str, list[str]]) -> None:
    import_extract(full().write(tmp_path / "full"))
    paths["python"].clear()
    import_extract(
        update(
            deletes={"enterprise": [E2], "denomination": [E2], "activity": [E2]},
            tables={
                "denomination": [(E1, "2", "001", 'Janssens, "De Smid" NV')],
                "activity": [(E1, "001", "2008", "47110", "SECO")],
            },
        ).write(tmp_path / "update")
    )
    # every data file, delete and insert, took the staging COPY; code.csv, the full extract's, is not reloaded
    assert paths["python"] == []
    assert list(
        Denomination.objects.filter(entity_number=E1_COMPACT).values_list("denomination", flat=True)
    ) == ['Janssens, "De Smid" NV']


@postgresql_only
def test_a_failed_parallel_load_changes_nothing(tmp_path: Path, paths: dict[str, list[str]]) -> None:
    import_extract(full().write(tmp_path / "ok"))
    before = snapshot()
    extract = full(number=2, raw={"activity.csv": RIGID["activity: unknown NACE version"][1]})
    with pytest.raises(ImportFileError) as caught:
        import_extract(extract.write(tmp_path / "bad"))
    assert (caught.value.line, caught.value.column) == (3, "NaceVersion")
    assert paths["parallel"] == ["loaded", "swapped", "failed"]
    assert snapshot() == before
    assert shadow_tables() == []


def test_line_shapes() -> None:
    table = next(t for t in TABLES if t.name == "enterprise")

    def shape(line: str) -> bytes:
        return line.encode().translate(SHAPES)

    assert shape_valid(shape(f'"{E1}","AC","000","2","014",,01-02-2003'), table)
    assert shape_valid(shape(f'{E1_COMPACT},AC,000,2,"014","",01-02-2003\r'), table)
    assert not shape_valid(shape(f'"{E1}","A.C","000","2","014",,01-02-2003'), table)
    assert not shape_valid(shape(f'"{E1}","AC","000","2","014",,2003-02-01'), table)
    assert not shape_valid(shape(f'"{E1}","AC","000","2","014",,'), table)
    assert not shape_valid(shape(f'"{E1}x","AC","000","2","014",,01-02-2003'), table)
    assert not shape_valid(shape(f'"{E1}","A""C","000","2","014",,01-02-2003'), table)
    assert not shape_valid(shape(f'"{E1}","AC","000","2","014",,01-02-2003,'), table)
    assert not shape_valid(shape("٠١٢٣٤٥٦٧٨٩,AC,000,2,014,,01-02-2003"), table)


@postgresql_only
def test_sql_int_number_rules_agree_with_stdnum() -> None:
    """The integer form of the number rules (numbers of ten ASCII digits, as the shape check ensures)."""
    samples = sorted({s.replace(".", "") for s in number_samples()} | {"9000006626", "0000000000"})
    samples = [s for s in samples if len(s) == 10 and s.isdigit() and s.isascii()]
    for kind in NUMBER_KINDS:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT v, {sql_int_number_valid('n', kind)} FROM (SELECT v, v::int8 AS n "
                "FROM unnest(%s::text[]) AS t(v)) AS s",
                [samples],
            )
            sql = {value: bool(valid) for value, valid in cursor.fetchall()}
        assert sql == {value: kbo_files.stdnum_number_valid(value, kind) for value in samples}, kind


@postgresql_only
def test_the_loaders_compress_the_wal_only_where_the_role_may() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SHOW wal_compression")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'wal_compression'")
        lz4 = bool(cursor.fetchone()[0])
        assert importer_fast.compress_wal(cursor) is lz4  # the test database's role is a superuser
        cursor.execute("SHOW wal_compression")
        assert cursor.fetchone()[0] == ("lz4" if lz4 else before)
        cursor.execute("RESET wal_compression")
        role = f"kmop_test_no_settings_{os.getpid()}"
        cursor.execute(f"CREATE ROLE {role}")  # rolled back with the test's transaction
        cursor.execute(f"SET ROLE {role}")
        assert importer_fast.compress_wal(cursor) is False
        cursor.execute("SHOW wal_compression")
        assert cursor.fetchone()[0] == before
        cursor.execute("RESET ROLE")
