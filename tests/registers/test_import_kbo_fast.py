"""The PostgreSQL fast path of full KBO imports (importer_fast.py): taken when the files are right, and
the same result as the Python path (rows or the exact error) whatever the files hold.

The error tests of test_import_kbo.py run through the fast path too when DATABASE_URL is PostgreSQL.
"""

from __future__ import annotations

import datetime
import random
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from kmop.registers import importer_fast
from kmop.registers.errors import ImportFileError
from kmop.registers.importer import _Importer, import_extract
from kmop.registers.importer_fast import CLASSES, quotes_differ, sql_date_valid, sql_number_valid
from kmop.registers.importer_tables import iso_date, numbers_valid
from kmop.registers.models import Denomination
from tests.registers import kbo_files
from tests.registers.kbo_files import E1, E2, S1, csv_text, full
from tests.registers.test_import_kbo import NUMBER_KINDS, number_samples, snapshot

pytestmark = pytest.mark.django_db(transaction=True)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the fast path is PostgreSQL only"
)


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Which files took the fast path (and loaded) and which the Python path."""
    taken: dict[str, list[str]] = {"fast": [], "fast_failed": [], "python": []}
    fast_load = importer_fast.fast_load
    load = _Importer.load

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


@postgresql_only
def test_a_valid_full_extract_takes_the_fast_path(tmp_path: Path, paths: dict[str, list[str]]) -> None:
    import_extract(full(bom=True).write(tmp_path))
    assert sorted(paths["fast"]) == sorted(DATA_FILES)
    assert paths["python"] == ["code.csv"]  # small, and its codes are needed in Python
    assert paths["fast_failed"] == []


@postgresql_only
def test_a_broken_file_falls_back_to_the_python_path(tmp_path: Path, paths: dict[str, list[str]]) -> None:
    import_extract(full().write(tmp_path / "ok"))
    tables = kbo_files.base_tables()
    tables["establishment"].append((S1, "31-02-2020", E1))
    with pytest.raises(ImportFileError) as caught:
        import_extract(full(number=2, tables=tables).write(tmp_path / "bad"))
    assert caught.value.column == "StartDate"
    assert "establishment.csv" in paths["fast_failed"]
    assert paths["python"][-1] == "establishment.csv"


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


@postgresql_only
@pytest.mark.parametrize("case", list(TRICKY), ids=list(TRICKY))
def test_fast_path_gives_the_python_paths_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    extract = full(raw={"denomination.csv": TRICKY[case]})
    fast = outcome(extract.write(tmp_path / "fast"))
    with monkeypatch.context() as patch:

        def no_fast_path(*args: Any, **kwargs: Any) -> int:
            raise importer_fast.NotFast("disabled by the test")

        patch.setattr(importer_fast, "fast_load", no_fast_path)
        Denomination.objects.all().delete()
        python = outcome(extract.write(tmp_path / "python"))
    if fast[0] == "ok":
        # Same rows; the recorded extracts differ (two imports) but not the register.
        assert python[0] == "ok", python
        assert {k: v for k, v in fast[1].items() if k not in ("extracts", "audit")} == {
            k: v for k, v in python[1].items() if k not in ("extracts", "audit")
        }
    else:
        assert fast == python


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
