"""importer_lines.compact_lines: the text files' numbers compacted and last dates checked whole chunks at a
time, never accepting a chunk that the line-by-line path would refuse (it returns None for the caller to
take that path)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import given, settings
from hypothesis import strategies as st

from kmop.registers import importer_fast, importer_lines
from kmop.registers.importer_fast import SHAPES
from kmop.registers.importer_lines import compact_lines
from kmop.registers.importer_tables import TABLES
from tests.registers.kbo_files import B1, E1, E2, S1

E1_COMPACT = E1.replace(".", "")
TABLES_BY_NAME = {table.name: table for table in TABLES}


def compacted(lines: list[str], last_date: bool | None = None) -> tuple[bytes, int] | None:
    data = "".join(f"{line}\n" for line in lines).encode()
    return compact_lines(data, data.translate(SHAPES), last_date)


def test_the_official_forms_are_compacted_and_the_rest_of_each_line_kept() -> None:
    lines = [
        f'"{E1}","2","001","N.V. Punt, en komma"',
        f'"{S1}","2","001","Vestiging"',
        f'"{E1_COMPACT}","2","001","Compact"',
        f'"{E2}","2","001",""',
    ]
    expected = [
        f'"{E1_COMPACT}","2","001","N.V. Punt, en komma"',
        f'"{S1.replace(".", "")}","2","001","Vestiging"',
        f'"{E1_COMPACT}","2","001","Compact"',
        f'"{E2.replace(".", "")}","2","001",""',
    ]
    assert compacted(lines) == ("".join(f"{line}\n" for line in expected).encode(), 4)


def test_any_other_first_field_leaves_the_chunk_to_the_line_by_line_path() -> None:
    valid = f'"{E2}","2","001","Goed"'
    for first in [
        E1,  # unquoted
        f'"{E1_COMPACT[:3]}.{E1_COMPACT[3:]}"',  # dots elsewhere (the rules allow them; that path decides)
        f'"{E1_COMPACT[:9]}"',  # nine digits
        f'"{E1_COMPACT}1"',  # eleven
        f'" {E1}"',
        f'"{E1.replace("0", "٠", 1)}"',  # a digit beyond ASCII
    ]:
        assert compacted([valid, f'{first},"2","001","Fout"']) is None, first
    # The first digit and the check digits are SQL's (a branch's id has an establishment number's form).
    assert compacted([valid, f'"{B1}","2","001","Bijhuis"']) is not None
    assert compacted([valid, '"1"']) is None  # a line shorter than a number
    assert compacted([valid, ""]) is None  # a blank line
    assert compact_lines(f"{valid}\r\n".encode(), f"{valid}\r\n".encode().translate(SHAPES), None) is None


def test_the_last_date() -> None:
    def dated(*ends: str, required: bool = False) -> tuple[bytes, int] | None:
        return compacted([f'"{E1}","REGO","Kerk, straat"{end}' for end in ends], required)

    assert dated(",31-12-2024", ',"31-12-2024"', ",", ',""') is not None
    assert dated(",31-12-2024", ',"31-12-2024"', required=True) is not None
    assert dated(",31-12-2024", ",", required=True) is None
    assert dated(',""', required=True) is None
    for wrong in [
        ",2024-12-31",
        ",1-2-2024",
        ', "31-12-2024"',
        ",31-12-2024x",
        ',"31-12-2024',
        ",31/12/2024",
    ]:
        assert dated(",31-12-2024", wrong) is None, wrong
    # Impossible dates of the right form are PostgreSQL's to refuse (the date column), as for the other files.
    assert dated(",31-02-2024") is not None


class _Copy:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data


class _Cursor:
    """What direct_copy needs of a psycopg cursor: a COPY that keeps the bytes, and its row count."""

    def __init__(self) -> None:
        self.copied = _Copy()
        self.rowcount = -1

    @contextmanager
    def copy(self, sql: str) -> Iterator[_Copy]:
        yield self.copied
        self.rowcount = bytes(self.copied.data).count(b"\n")


def copied(table: str, data: bytes, *, bulk: bool) -> bytes | None:
    """The bytes direct_copy sends to COPY for a text file's lines (header already read), or None when it
    refuses them (NotFast: the caller then takes the Python path)."""
    cursor = _Cursor()
    try:
        importer_fast.direct_copy(cursor, io.BytesIO(data), TABLES_BY_NAME[table], "t", {}, bulk=bulk)
    except importer_fast.NotFast:
        return None
    return bytes(cursor.copied.data)


first_fields = st.sampled_from(
    [
        '"0200.065.765"',
        '"2.000.000.339"',
        '"0200065765"',
        '"0200.06.5765"',
        "0200.065.765",
        '"02000657651"',
        '"',
    ]
)
text_fields = st.lists(st.sampled_from(['"a"', '"b.c"', '"d,e"', '""', "", "x", '"1"', "a.b"]), max_size=11)
last_fields = st.sampled_from(
    ["", '""', "31-12-2024", '"29-02-2024"', "2024-12-31", '"1-2-2024"', '"x"', "x"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["address", "denomination"]),
    st.lists(st.tuples(first_fields, text_fields, last_fields), min_size=1, max_size=6),
)
def test_whole_chunks_send_what_the_line_by_line_path_sends(
    table: str, rows: list[tuple[str, list[str], str]]
) -> None:
    """direct_copy with whole chunks (importer_lines) and line by line: the same bytes to COPY, or a
    refusal by the line-by-line path (then the chunk path must not accept either: a chunk it leaves falls
    back to that path). Only possible dates: a date's calendar is PostgreSQL's on the chunk path."""
    data = "".join(",".join([first, *fields, last]) + "\n" for first, fields, last in rows).encode()
    assert copied(table, data, bulk=True) == copied(table, data, bulk=False)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="qnx", max_size=40))
def test_the_array_quote_scan_answers_as_the_substring_scan(classes: str) -> None:
    data = classes.encode()
    assert importer_lines.quotes_differ(data) == importer_fast.quotes_differ(data)


def test_the_array_quote_scan_on_the_known_cases() -> None:
    for classes, differs in [
        ("nqxxqn", False),
        ("nqxqqxqn", False),  # a doubled quote inside a quoted value
        ("nqxqxn", True),  # text after a closing quote
        ("nqqxn", True),  # an empty quoted value, then text
        ("nxqqqxn", True),  # an odd run of quotes inside text
        ("nqqqxqn", False),  # a quoted value that starts with a doubled quote
        ("nqqqqxqn", True),  # an empty quoted value, a quote, then text
        ("", False),
        ("q", False),
    ]:
        assert importer_lines.quotes_differ(classes.encode()) is differs, classes
        assert importer_fast.quotes_differ(classes.encode()) is differs, classes
