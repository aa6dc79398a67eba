"""The PostgreSQL fast paths for the data files of a FULL extract: PostgreSQL parses and validates.

First choice (see "full extract in parallel, into shadow tables" below): ``load_shadows`` loads every data
file in parallel, straight into typed shadow tables, and ``swap_in`` swaps them in within the importer's
transaction. When that fails for any reason, the importer loads file by file, each first with:

    fast_load(loader, source, name, table, codes, progress=False) -> rows loaded

1. The header line is read and checked in Python; the rest of the member's raw bytes is streamed in 1 MiB
   chunks into ``COPY kbo_fast_stage FROM STDIN (FORMAT csv)``: a temporary table of text columns (no WAL),
   parsed by PostgreSQL's C CSV parser. Each chunk is also scanned in C (``bytes.translate`` and substring
   tests) for the quote patterns where PostgreSQL's CSV reading differs from the csv module's
   ``strict=True`` one (see :func:`quotes_differ`).
2. One ``INSERT INTO <final table> SELECT <compacted numbers, dates, NULLs> FROM kbo_fast_stage WHERE
   <every column valid>``: the same rules as the Python checks (importer_tables.py), written in SQL (numbers
   with their check digits, real dates, codes against the code.csv of the extract, text lengths, required
   values). The final table was emptied and its indexes dropped by the caller (``Loader.bulk_load``), which
   rebuilds them afterwards (a duplicate key is found there, as on the Python path).
3. When the INSERT took fewer rows than the COPY, or anything at all goes wrong (a malformed line, a wrong
   column count, bytes that are not UTF-8, a damaged zip member), :class:`NotFast` or the error propagates;
   the caller rolls back to a savepoint and runs the Python path on that file, which names the file, line and
   column exactly as before. So the fast path never decides what is wrong, only that all is right.
"""

from __future__ import annotations

import csv
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.db.backends.base.base import BaseDatabaseWrapper
from tqdm import tqdm

from kmop.registers.importer_source import ExtractSource
from kmop.registers.importer_tables import _NUMBER_KINDS, NACE_VERSIONS, Check, CodeSets, TableSpec

if TYPE_CHECKING:
    from kmop.registers.importer_db import Loader

logger = logging.getLogger(__name__)

CHUNK = 1 << 20
#: Members from this size on have their text lines tried whole chunks at a time (``importer_lines``; for a
#: smaller one, such as an update's, importing NumPy would cost more than it saves).
BULK_FROM = 16 << 20
FAST_STAGE = "kbo_fast_stage"
#: The header line is read by itself (bounded).
HEADER_LIMIT = 1 << 16
UTF8_BOM = b"\xef\xbb\xbf"


class NotFast(Exception):
    """This file does not take the fast path; the Python path decides (loads it or names the error)."""


# --- the quote scan ----------------------------------------------------------------------------------
#
# PostgreSQL toggles quoting at every double quote, wherever it is in a field; the csv module (strict) only
# opens quoting at the start of a field and refuses anything but a delimiter or a line end after a closing
# quote. They read a line the same way when every quote opens a field, closes one (followed by a comma or a
# line end) or is doubled inside a quoted field. With every byte mapped to a class (q quote, n a separator:
# comma or line end, x anything else), a file where they differ has one of: an odd run of quotes between two
# x (a closing quote followed by text, or a quote inside an unquoted value), or an even run of quotes that
# starts a field and is followed by text (``,"" text``). Doubled quotes inside text (``"a ""b"" c"``) are
# x qq x: fine. The scan may refuse a well-formed file in rare cases (``"a,""b"``): that file then takes the
# Python path. One case it cannot see: an unquoted value with a doubled quote inside (``,a""b,``: csv reads
# a""b, PostgreSQL ab); the KBO quotes every text value.
CLASSES = bytes(ord("q") if b == ord('"') else ord("n") if b in b",\r\n" else ord("x") for b in range(256))
DIFFERENT_QUOTES = re.compile(rb"xq(?:qq)*x|n(?:qq)+x")


def quotes_differ(classes: bytes) -> bool:
    """Whether bytes (already mapped with CLASSES) hold a quote that PostgreSQL and csv read differently."""
    # Two substring scans (C speed) decide nearly every chunk; the regular expression only runs on the rare
    # chunk with a run of three quotes.
    if b"xqx" in classes or b"nqqx" in classes:
        return True
    return b"qqq" in classes and DIFFERENT_QUOTES.search(classes) is not None


# --- validation in SQL (the rules of importer_tables.py) ---------------------------------------------


def _digits(expr: str, length: int) -> str:
    return f"(length({expr}) = {length} AND translate({expr}, '0123456789', '') = '')"


def sql_number_valid(compact: str, kind: str) -> str:
    """SQL: the compacted (dots removed) text ``compact`` is a valid number of that kind.

    The same as importer_tables.numbers_valid: ten ASCII digits, the first digit of the kind, and for
    enterprise and establishment numbers (and entity numbers not starting with 9) the check digits,
    (first 8 digits + last 2) mod 97 = 0, as stdnum.be.vat.checksum, and not 0000000000 (which passes the
    check digits but not stdnum.be.vat.validate: ``int(number) <= 0``).
    """
    first = {
        "enterprise": "'0', '1'",
        "establishment": "'2', '3', '4', '5', '6', '7', '8'",
        "branch": "'9'",
        "entity": "",
    }[kind]
    checksum = (
        f"({compact} <> '0000000000' "
        f"AND mod(substr({compact}, 1, 8)::int + substr({compact}, 9, 2)::int, 97) = 0)"
    )
    if kind == "branch":
        rule = "true"
    elif kind == "entity":
        rule = f"(left({compact}, 1) = '9' OR {checksum})"
    else:
        rule = checksum
    if first:
        rule = f"left({compact}, 1) IN ({first}) AND {rule}"
    return f"(CASE WHEN {_digits(compact, 10)} THEN {rule} ELSE false END)"


def sql_date_valid(expr: str) -> str:
    """SQL: ``expr`` is a real date written dd-mm-yyyy (importer_tables.iso_date is not None)."""
    day, month, year = (f"substr({expr}, {start}, {size})::int" for start, size in ((1, 2), (4, 2), (7, 4)))
    leap = f"(mod({year}, 4) = 0 AND mod({year}, 100) <> 0 OR mod({year}, 400) = 0)"
    last_day = (
        f"CASE WHEN {month} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END "
        f"WHEN {month} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
    )
    form = (
        f"(length({expr}) = 10 AND substr({expr}, 3, 1) = '-' AND substr({expr}, 6, 1) = '-' "
        f"AND translate({expr}, '0123456789', '') = '--')"
    )
    real = f"{year} >= 1 AND {month} BETWEEN 1 AND 12 AND {day} BETWEEN 1 AND {last_day}"
    return f"(CASE WHEN {form} THEN {real} ELSE false END)"


def _column_sql(
    check: Check, value: str, compact: str, nace_version: str | None, codes: CodeSets, params: list[Any]
) -> tuple[str, str]:
    """(validity condition, value to insert) for one column; array parameters are appended to params."""
    kind = check.kind
    if kind in _NUMBER_KINDS:
        valid, insert = sql_number_valid(compact, kind), f"NULLIF({compact}, '')"
    elif kind == "date":
        valid, insert = sql_date_valid(value), f"NULLIF({value}, '')::date"
    elif kind == "code":
        params.append(sorted(codes.get(check.category, ())))
        valid, insert = f"{value} = ANY(%s::text[])", f"NULLIF({value}, '')"
    elif kind == "nace_version":
        versions = ", ".join(f"'{v}'" for v in NACE_VERSIONS)
        valid, insert = f"{value} IN ({versions})", value
    elif kind == "nace_code":
        assert nace_version is not None
        whens = []
        for version in NACE_VERSIONS:
            params.append(sorted(codes.get(f"Nace{version}", ())))
            whens.append(f"WHEN '{version}' THEN {value} = ANY(%s::text[])")
        valid, insert = f"(CASE {nace_version} {' '.join(whens)} ELSE false END)", f"NULLIF({value}, '')"
    else:  # text
        valid = f"length({value}) <= {check.max_length}" if check.max_length else "true"
        insert = f"NULLIF({value}, '')"
    if check.required:
        return f"({value} <> '' AND {valid})", insert
    return f"({value} = '' OR {valid})", insert


def insert_sql(table: TableSpec, codes: CodeSets) -> tuple[str, list[Any]]:
    """The INSERT ... SELECT from the staging table that keeps only valid rows, and its parameters."""
    params: list[Any] = []
    stage_columns = [f"c{i}" for i in range(len(table.header))]
    # Numbers compacted once per row (OFFSET 0 keeps the subquery from being flattened into the outer query,
    # which would repeat the replace() in every use).
    inner = []
    for column, check in zip(stage_columns, table.checks, strict=True):
        inner.append(column)
        if check.kind in _NUMBER_KINDS:
            inner.append(f"replace({column}, '.', '') AS {column}_n")
    nace_version = stage_columns[table.header.index("NaceVersion")] if "NaceVersion" in table.header else None
    conditions, values = [], []
    for column, check in zip(stage_columns, table.checks, strict=True):
        valid, insert = _column_sql(check, column, f"{column}_n", nace_version, codes, params)
        conditions.append(valid)
        values.append(insert)
    columns = ", ".join(f'"{c}"' for c in table.columns)
    sql = (
        f'INSERT INTO "{table.db_table}" ({columns}) SELECT {", ".join(values)} '
        f"FROM (SELECT {', '.join(inner)} FROM {FAST_STAGE} OFFSET 0) AS s WHERE {' AND '.join(conditions)}"
    )
    return sql, params


# --- loading -----------------------------------------------------------------------------------------


def _check_header(line: bytes, header: Sequence[str]) -> None:
    if line.startswith(UTF8_BOM):
        line = line[len(UTF8_BOM) :]
    if not line.endswith(b"\n"):
        raise NotFast("no complete header line")
    try:
        first = next(csv.reader([line.decode("utf-8")], strict=True), None)
    except (UnicodeDecodeError, csv.Error) as error:
        raise NotFast(f"header: {error}") from error
    if first is None or tuple(first) != tuple(header):
        raise NotFast("wrong header")


def fast_load(
    loader: Loader,
    source: ExtractSource,
    name: str,
    table: TableSpec,
    codes: CodeSets,
    *,
    progress: bool = False,
) -> int:
    """Load one data file of a full extract into its (emptied, unindexed) final table; see the module doc.

    Raises NotFast (or whatever went wrong) when the file is not entirely valid: the caller must then roll
    back to a savepoint taken before, and use the Python path.
    """
    raw = loader._raw()  # type: ignore[attr-defined]
    width = len(table.header)
    stage_columns = ", ".join(f"c{i}" for i in range(width))
    loader.execute(f"DROP TABLE IF EXISTS {FAST_STAGE}")
    loader.execute(f"CREATE TEMPORARY TABLE {FAST_STAGE} ({', '.join(f'c{i} text' for i in range(width))})")
    copy_sql = f"COPY {FAST_STAGE} FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({stage_columns}))"
    bar = tqdm(
        total=source.size(name), desc=name, unit="B", unit_scale=True, leave=False, disable=not progress
    )
    try:
        with source.open_binary(name) as binary:
            line = binary.readline(HEADER_LIMIT)
            _check_header(line, table.header)
            bar.update(len(line))
            with raw.cursor() as cursor:
                with cursor.copy(copy_sql) as copy:
                    previous = b"n"  # the data starts at the start of a line
                    last = b"\n"
                    while chunk := binary.read(CHUNK):
                        classes = previous + chunk.translate(CLASSES)
                        if quotes_differ(classes):
                            raise NotFast("quotes that PostgreSQL and the csv module read differently")
                        if b"\\." in last + chunk[:1] or b"\\." in chunk:
                            raise NotFast("a \\. (the end-of-data marker of COPY)")
                        copy.write(chunk)
                        bar.update(len(chunk))
                        # The tail from the last byte that is not a quote: a run of quotes across chunks.
                        tail = max(classes.rfind(b"x"), classes.rfind(b"n"))
                        previous = classes[max(tail, 0) :]
                        last = chunk[-1:]
                    if quotes_differ(previous + b"n"):
                        raise NotFast("quotes that PostgreSQL and the csv module read differently")
                staged = int(cursor.rowcount)
    finally:
        bar.close()
    sql, params = insert_sql(table, codes)
    with raw.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = int(cursor.rowcount)
    loader.execute(f"DROP TABLE {FAST_STAGE}")
    if inserted != staged:
        raise NotFast(f"{staged - inserted} invalid rows")
    return inserted


# --- full extract in parallel, into shadow tables ------------------------------------------------------
#
# docs/decisions/0002-kbo-import.md, "Parallel shadow tables". Each data file is loaded by one of
# PARALLEL_LOADERS threads, each with its own database connection, into a new table ``kbo_new_<table>``
# (the final table's columns, no indexes): one COPY of the file's bytes straight into the typed columns,
# the values checked on the way (Python: dates; SQL afterwards: numbers and codes), then the indexes built
# and the shadow committed. Readers see none of it. When every file is in, one short transaction (the
# importer's) swaps the shadows in by DROP + RENAME, with the code table, the KboExtract row and the audit
# event: the register changes in one atomic step. On any failure the shadows are dropped and the importer
# runs the per-file path (above), which loads the extract or names the file, line and column.

PARALLEL_LOADERS = 2
SHADOW_PREFIX = "kbo_new_"
#: Sort memory of the index builds of one loader (a session setting of its own connection).
INDEX_MEMORY = "1GB"
#: Identity values a loader takes from the shadow's sequence at a time during its COPY.
IDENTITY_CACHE = 10_000
#: One advisory lock key for the whole import (two imports must not share the shadow tables).
ADVISORY_LOCK = 0x6B626F  # "kbo"


def shadow_name(db_table: str) -> str:
    return f"{SHADOW_PREFIX}{db_table}"


def _temporary_index_name(name: str) -> str:
    return f"{SHADOW_PREFIX}{name}"[:63]


def unquote(field: bytes) -> bytes | None:
    """The value of a CSV field without line breaks or commas: ``"abc"`` or ``abc``; None when it holds
    quotes in any other way (the file then takes another path)."""
    quotes = field.count(b'"')
    if quotes == 0:
        return field
    if quotes == 2 and len(field) >= 2 and field[:1] == b'"' and field[-1:] == b'"':
        return field[1:-1]
    return None


class _DateFields:
    """Extracts one date column's raw field from every line of a chunk and checks each distinct value once.

    The date must be the last column (``rpartition``) or have only number, code and date columns before it
    (``split`` with a limit): a field found this way that is not exactly a date sends the file to the
    per-file path, so a misread field (a comma inside quotes) can only refuse, never accept.
    """

    def __init__(self, index: int, width: int, required: bool) -> None:
        self.index = index
        self.last = index == width - 1
        self.required = required
        self.known: set[bytes] = set()

    def check(self, lines: list[bytes]) -> None:
        from itertools import repeat
        from operator import itemgetter

        from kmop.registers.importer_tables import CACHE_LIMIT, iso_date

        if self.last:
            fields = set(map(itemgetter(2), map(bytes.rpartition, lines, repeat(b","))))
        else:
            parts = map(bytes.split, lines, repeat(b","), repeat(self.index + 1))
            fields = {p[self.index] if len(p) > self.index else b"\x00" for p in parts}
        new = fields - self.known
        for raw in new:
            value = unquote(raw.removesuffix(b"\r"))
            if value is None:
                raise NotFast(f"date field {raw!r}")
            if value == b"":
                if self.required:
                    raise NotFast("a required date is empty")
                continue
            if not value.isascii() or iso_date(value.decode("ascii")) is None:
                raise NotFast(f"date {value!r}")
        if len(self.known) + len(new) > CACHE_LIMIT:
            self.known = set()
        self.known |= new


#: Every byte mapped to its shape: digits 9, the CSV punctuation and - . \r \n themselves, the rest a.
SHAPES = bytes(
    ord("9") if chr(b).isdigit() and b < 128 else b if b in b'",.-\r\n' else ord("a") for b in range(256)
)
_NUMBER_SHAPES = frozenset({b"9999999999", b'"9999999999"'})
_DATE_SHAPES = frozenset({b"99-99-9999", b'"99-99-9999"'})


def shape_valid(shape: bytes, table: TableSpec) -> bool:
    """Whether a line's shape (its bytes mapped with SHAPES) has every field of the table's form: numbers of
    ten digits (dots anywhere, as the rules allow), dates dd-mm-yyyy (or empty when not required), codes
    without dots or stray quotes. Only for tables without text columns (a comma is always a separator
    there)."""
    fields = shape.removesuffix(b"\r").split(b",")
    if len(fields) != len(table.checks):
        return False
    for value, check in zip(fields, table.checks, strict=True):
        if check.kind in _NUMBER_KINDS:
            if value.replace(b".", b"") not in _NUMBER_SHAPES:
                return False
        elif check.kind == "date":
            if value not in _DATE_SHAPES and (check.required or value not in (b"", b'""')):
                return False
        elif b"." in value or unquote(value) is None:  # the dots are removed from the whole line
            return False
    return True


#: The compact quoted number and its comma at the start of every line of a file with numbers and codes only.
_NUMBER_FIELD = b'"9999999999",'
_CODE_KINDS = frozenset({"code", "nace_version", "nace_code"})


class CodeTuples:
    """The codes of a file whose lines are a number and codes only (activity.csv), checked in Python on the
    distinct tuples of codes (about 6,000 in 10 M lines) instead of row by row in SQL.

    Once a chunk is compacted and its line shapes are known, every line is ``"dddddddddd",`` followed by
    its codes when every shape starts with a quoted number: the tuples are the lines from byte 13 on. A
    file with another number form (unquoted) turns :attr:`active` off, and the SQL scan checks the codes
    as before. A wrong code raises NotFast: the per-file path then names the line and column.
    """

    def __init__(self, table: TableSpec, codes: CodeSets) -> None:
        self.checks = table.checks[1:]
        self.codes = codes
        self.version = next((i for i, c in enumerate(self.checks) if c.kind == "nace_version"), None)
        self.known: set[bytes] = set()
        self.active = True

    @staticmethod
    def possible(table: TableSpec) -> bool:
        """A number, then codes only (at least one)."""
        number, *rest = table.checks
        return number.kind in _NUMBER_KINDS and bool(rest) and all(c.kind in _CODE_KINDS for c in rest)

    def shape(self, shape: bytes) -> None:
        """A new line shape of the file (SHAPES): the tuples can only be cut off after a quoted number."""
        if not shape.replace(b".", b"").startswith(_NUMBER_FIELD):
            self.active = False

    def check(self, lines: list[bytes]) -> None:
        """Compacted lines whose shapes were all seen by :meth:`shape`."""
        from operator import itemgetter

        from kmop.registers.importer_tables import CACHE_LIMIT

        new = set(map(itemgetter(slice(len(_NUMBER_FIELD), None)), lines)) - self.known
        for codes in new:
            if not self._valid(codes):
                raise NotFast(f"codes {codes!r}")
        if len(self.known) + len(new) > CACHE_LIMIT:
            self.known = set()
        self.known |= new

    def _valid(self, line: bytes) -> bool:
        fields = line.removesuffix(b"\r").split(b",")
        if len(fields) != len(self.checks):
            return False
        values: list[str] = []
        for raw in fields:
            unquoted = unquote(raw)
            if unquoted is None or not unquoted.isascii():
                return False
            values.append(unquoted.decode("ascii"))
        for value, check in zip(values, self.checks, strict=True):
            if value == "":
                if check.required:
                    return False
                continue
            if check.kind == "code":
                valid = value in self.codes.get(check.category, ())
            elif check.kind == "nace_version":
                valid = value in NACE_VERSIONS
            else:  # nace_code, of the line's version
                version = values[self.version] if self.version is not None else ""
                valid = version in NACE_VERSIONS and value in self.codes.get(f"Nace{version}", ())
            if not valid:
                return False
        return True


def sql_int_number_valid(n: str, kind: str) -> str:
    """SQL: ``n``, a number of ten ASCII digits as an int8, is valid for its kind (the rules of
    sql_number_valid: the first digit is a range of n; the check digits (first 8 + last 2) mod 97 = 0 are
    (n / 100 + n mod 100) mod 97 = 0; 0000000000 is refused)."""
    checksum = f"({n} <> 0 AND mod({n} / 100 + mod({n}, 100), 97) = 0)"
    return {
        "enterprise": f"({n} < 2000000000 AND {checksum})",
        "establishment": f"({n} >= 2000000000 AND {n} < 9000000000 AND {checksum})",
        "branch": f"({n} >= 9000000000)",
        "entity": f"({n} >= 9000000000 OR {checksum})",
    }[kind]


def validation_sql(
    table: TableSpec, relation: str, codes: CodeSets, *, codes_checked: bool = False
) -> tuple[str, list[Any]]:
    """One scan of a loaded shadow table: how many rows have a wrong number or code.

    Numbers are stored compact and are ten ASCII digits (the shape check of direct_copy), so the rules of
    sql_number_valid reduce to integer arithmetic on ``n = number::int8``: the first digit is a range of n,
    and the check digits are (n / 100 + n % 100) % 97 = 0 (the first 8 digits plus the last 2). Codes are
    compared with ``= ANY(array)``, which PostgreSQL evaluates with a hash table for a constant array.
    ``codes_checked``: the codes were checked in Python on the way (:class:`CodeTuples`).
    """
    params: list[Any] = []
    inner: list[str] = []
    conditions: list[str] = []
    for index, check in enumerate(table.checks):
        column = f'"{table.columns[index]}"'
        kind = check.kind
        if kind in _NUMBER_KINDS:
            n = f"n{index}"
            inner.append(f"{column}::int8 AS {n}")
            conditions.append(sql_int_number_valid(n, kind))
            continue
        inner.append(column)
        if codes_checked and kind in _CODE_KINDS:
            continue
        if kind == "code":
            params.append(sorted(codes.get(check.category, ())))
            valid = f"{column} = ANY(%s::text[])"
        elif kind == "nace_version":
            valid = f"{column} IN ({', '.join(repr(v) for v in NACE_VERSIONS)})"
        elif kind == "nace_code":
            version = f'"{table.columns[table.header.index("NaceVersion")]}"'
            whens = []
            for v in NACE_VERSIONS:
                params.append(sorted(codes.get(f"Nace{v}", ())))
                whens.append(f"WHEN '{v}' THEN {column} = ANY(%s::text[])")
            valid = f"(CASE {version} {' '.join(whens)} ELSE false END)"
        else:
            continue  # text (length and required: the column) and dates (the shape or _DateFields)
        if check.required:
            conditions.append(f"coalesce({valid}, false)")
        else:
            conditions.append(f"({column} IS NULL OR {valid})")
    if not conditions:
        return "SELECT 0", params
    # OFFSET 0: the casts are computed once per row, not once per use.
    sql = (
        f"SELECT count(*) FROM (SELECT {', '.join(inner)} FROM {relation} OFFSET 0) AS s "
        f"WHERE NOT ({' AND '.join(conditions)})"
    )
    return sql, params


def direct_copy(
    cursor: Any,
    binary: IO[bytes],
    table: TableSpec,
    relation: str,
    codes: CodeSets,
    stop: Any = None,
    bar: Any = None,
    tuples: CodeTuples | None = None,
    freeze: bool = True,
    bulk: bool = False,
) -> tuple[int, int]:
    """COPY one member (header already read) straight into ``relation``; returns (rows copied, lines).

    ``tuples``: a file of numbers and codes only, whose codes are checked on the way. ``bulk``: a large
    member, whose text lines are first tried whole chunks at a time (``importer_lines``)."""
    from itertools import chain, repeat
    from operator import itemgetter

    from kmop.registers.importer_tables import BatchChecker

    width = len(table.header)
    columns = ", ".join(f'"{c}"' for c in table.columns)
    text = any(c.kind == "text" for c in table.checks)
    dots_only = BatchChecker(table, codes).dots_only_in_numbers
    number_columns = [i for i, c in enumerate(table.checks) if c.kind in _NUMBER_KINDS]
    if text and number_columns != [0]:
        raise NotFast("a number after a text column")
    if not text and not dots_only:
        raise NotFast("codes with dots")
    # Tables with text: the dates are read from the line (last column, or before any text).
    dates = [_DateFields(i, width, c.required) for i, c in enumerate(table.checks) if c.kind == "date"]
    if text and any(not d.last and any(c.kind == "text" for c in table.checks[: d.index]) for d in dates):
        raise NotFast("a date column after a text column")
    number_check = table.checks[0] if text else None
    # The text files' numbers and last dates, whole chunks at a time (NumPy, imported for large files only).
    bulk_lines: Callable[[bytes, bytes, bool | None], tuple[bytes, int] | None] | None = None
    differ = quotes_differ
    last_date = dates[0].required if len(dates) == 1 and dates[0].last else None
    if bulk and text and (not dates or last_date is not None):
        from kmop.registers import importer_lines

        bulk_lines = importer_lines.compact_lines
        differ = importer_lines.quotes_differ
    shapes: set[bytes] = set()
    first, rest = itemgetter(0), itemgetter(2)

    def check_shapes(found: set[bytes]) -> None:
        new = found - shapes
        for shape in new:
            if number_check is not None:
                if shape.replace(b".", b"") not in _NUMBER_SHAPES:
                    raise NotFast(f"number shape {shape!r}")
            elif not shape_valid(shape, table):
                raise NotFast(f"line shape {shape!r}")
            elif tuples is not None:
                tuples.shape(shape)
        shapes.update(new)

    def split(data: bytes) -> list[bytes]:
        lines = data.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        return lines

    def numbered_tuples(data: bytes) -> tuple[bytes, int] | None:
        """A file of a number and codes (activity.csv): when every line starts with a quoted number in one
        of its official forms and no other byte is a dot, the rest of each compacted line is its codes,
        which the code tuples check exactly, and no line needs a shape of its own. None otherwise."""
        assert tuples is not None
        shaped = b"\n" + data.translate(SHAPES)
        count = data.count(b"\n")
        enterprise = shaped.count(b'\n"9999.999.999",')
        establishment = shaped.count(b'\n"9.999.999.999",')
        plain = shaped.count(b'\n"9999999999",')
        if (
            enterprise + establishment + plain != count
            or data.count(b".") != 2 * enterprise + 3 * establishment
        ):
            return None
        compact = data.replace(b".", b"")
        tuples.check(split(compact))
        return compact, count

    def prepared(data: bytes) -> tuple[bytes, int]:
        """Complete lines, checked (shapes, dates) and with the numbers compacted; and how many lines."""
        if not text:
            if tuples is not None and tuples.active:
                done = numbered_tuples(data)
                if done is not None:
                    return done
            # Numbers, codes and dates only: the shape of every line (few distinct ones) says that each
            # number has ten digits and each date the form dd-mm-yyyy (PostgreSQL refuses an impossible
            # one), and only the numbers hold dots: compact them all at once.
            shaped = split(data.translate(SHAPES))
            check_shapes(set(shaped))
            compact = data.replace(b".", b"")
            if tuples is not None and tuples.active:
                tuples.check(split(compact))
            return compact, len(shaped)
        if bulk_lines is not None:
            done = bulk_lines(data, data.translate(SHAPES), last_date)
            if done is not None:
                return done
        lines = split(data)
        for date in dates:
            date.check(lines)
        # The number is the first field of every line: its shape, and its dots removed. The first fields are
        # joined once, so that shapes and dots are each one pass in C over them, not a call per line.
        parts = list(map(bytes.partition, lines, repeat(b",")))
        if not parts:
            return b"", 0
        numbers = b"\n".join(map(first, parts))
        check_shapes(set(numbers.translate(SHAPES).split(b"\n")))
        compacted = numbers.replace(b".", b"").split(b"\n")
        joined = b"".join(chain.from_iterable(zip(compacted, repeat(b","), map(rest, parts), repeat(b"\n"))))
        return joined, len(lines)

    lines = 0
    # FREEZE: the rows are written frozen and the pages all-visible (the table is new in this
    # transaction, and nobody sees it before the swap), so no reader rewrites them later for hint bits.
    options = "FORMAT csv, FREEZE" if freeze else "FORMAT csv"
    copy_sql = f"COPY {relation} ({columns}) FROM STDIN ({options}, FORCE_NULL ({columns}))"
    with cursor.copy(copy_sql) as copy:
        previous = b"n"
        last = b"\n"
        carry = b""
        while chunk := binary.read(CHUNK):
            if stop is not None and stop.is_set():
                raise NotFast("stopped: another file failed")
            # Files without text: the line shapes allow a quote only around a whole field, so PostgreSQL and
            # the csv module read them alike without the quote scan.
            if text:
                classes = previous + chunk.translate(CLASSES)
                if differ(classes):
                    raise NotFast("quotes that PostgreSQL and the csv module read differently")
                tail = max(classes.rfind(b"x"), classes.rfind(b"n"))
                previous = classes[max(tail, 0) :]
            # The end-of-data marker of COPY: only text can hold it (a backslash gives any other field a
            # shape that check_shapes refuses); one byte is looked for first (memchr), then the pair.
            if text and (b"\\." in last + chunk[:1] or (b"\\" in chunk and b"\\." in chunk)):
                raise NotFast("a \\. (the end-of-data marker of COPY)")
            last = chunk[-1:]
            if bar is not None:
                bar.update(len(chunk))
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            carry = data[cut:]
            if cut:
                ready, count = prepared(data[:cut])
                lines += count
                copy.write(ready)
        if text and differ(previous + b"n"):
            raise NotFast("quotes that PostgreSQL and the csv module read differently")
        if carry:
            ready, count = prepared(carry + b"\n")
            lines += count
            copy.write(ready)
    return int(cursor.rowcount), lines


def copy_checked(
    cursor: Any,
    source: ExtractSource,
    name: str,
    table: TableSpec,
    relation: str,
    codes: CodeSets,
    *,
    stop: Any = None,
    bar: Any = None,
    freeze: bool = True,
) -> tuple[int, float]:
    """One member into ``relation`` by direct_copy, then the SQL scan of its numbers and codes; returns
    (rows, seconds of the scan). Raises NotFast when anything in the file is not right."""
    with source.open_binary(name) as binary:
        _check_header(binary.readline(HEADER_LIMIT), table.header)
        tuples = CodeTuples(table, codes) if CodeTuples.possible(table) else None
        copied, lines = direct_copy(
            cursor,
            binary,
            table,
            relation,
            codes,
            stop,
            bar,
            tuples=tuples,
            freeze=freeze,
            bulk=source.size(name) >= BULK_FROM,
        )
    if copied != lines:
        raise NotFast(f"{lines} lines but {copied} rows (a value with a line break)")
    started = time.perf_counter()
    sql, params = validation_sql(table, relation, codes, codes_checked=tuples is not None and tuples.active)
    cursor.execute(sql, params)
    wrong = cursor.fetchone()[0]
    if wrong:
        raise NotFast(f"{wrong} rows with a wrong number or code")
    return copied, time.perf_counter() - started


def stage_copy(loader: Loader, source: ExtractSource, name: str, table: TableSpec, codes: CodeSets) -> int:
    """One file of an update extract into the (new, empty) staging table of ``Loader.create_stage``, by the
    parallel path's COPY and checks (copy_checked); returns the rows.

    The staging table gets the NOT NULL of the final table's columns, so a required value that is empty
    is refused as in a shadow table. Raises NotFast (or whatever went wrong) when the file is not entirely
    right: the caller rolls back to a savepoint and takes the Python path, which names the line.
    """
    from kmop.registers.importer_db import STAGE

    raw = loader._raw()  # type: ignore[attr-defined]
    with raw.cursor() as cursor:
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnotnull "
            "AND attnum > 0 AND NOT attisdropped",
            [table.db_table],
        )
        required = {row[0] for row in cursor.fetchall()} & set(table.columns)
        for column in sorted(required):
            cursor.execute(f'ALTER TABLE {STAGE} ALTER COLUMN "{column}" SET NOT NULL')
        # (Not FREEZE: the staging table was created in an enclosing transaction level, which it refuses.)
        copied, _ = copy_checked(cursor, source, name, table, STAGE, codes, freeze=False)
    return copied


@dataclass
class Shadow:
    """A data file loaded, checked and indexed in its shadow table (committed, not yet visible)."""

    table: TableSpec
    rows: int
    #: (name in the final table, name in the shadow, is a constraint)
    indexes: list[tuple[str, str, bool]]

    @property
    def relation(self) -> str:
        return shadow_name(self.table.db_table)


@dataclass
class Shadows:
    codes: CodeSets
    loaded: dict[str, Shadow] = field(default_factory=dict)


def parallel_possible(connection: BaseDatabaseWrapper) -> bool:
    """PostgreSQL, and not inside a transaction of the caller (the shadows are committed separately)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def read_codes(source: ExtractSource) -> CodeSets:
    """The codes of code.csv per category (no checks: the importer checks code.csv again when it loads it,
    and the shadows are only used when both readings agree)."""
    from kmop.registers.importer_tables import CODE_HEADER

    codes: dict[str, set[str]] = {}
    with source.rows("code.csv", CODE_HEADER) as stream:
        for row in stream.reader:
            codes.setdefault(row[0], set()).add(row[1])
    return {category: frozenset(values) for category, values in codes.items()}


def _index_definitions(cursor: Any, db_table: str) -> list[tuple[str, str, bool]]:
    """The final table's indexes and primary key: (name, definition, is a constraint)."""
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(x.indexrelid), c.conname, pg_get_constraintdef(c.oid), c.contype
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
        WHERE x.indrelid = %s::regclass
        ORDER BY x.indisprimary DESC, i.relname
        """,
        [db_table],
    )
    result: list[tuple[str, str, bool]] = []
    for index_name, index_def, con_name, con_def, con_type in cursor.fetchall():
        if con_name is None:
            result.append((index_name, index_def, False))
        elif con_type in ("p", "u"):
            result.append((con_name, con_def, True))
        else:
            raise NotFast(f"{db_table}: constraint {con_name} of type {con_type}")
    return result


def _identity_column(cursor: Any, relation: str) -> str | None:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attidentity <> ''", [relation]
    )
    row = cursor.fetchone()
    return row[0] if row else None


def _shadow_index_sql(relation: str, name: str, definition: str, constraint: bool) -> tuple[str, str]:
    temporary = _temporary_index_name(name)
    if constraint:
        return temporary, f'ALTER TABLE {relation} ADD CONSTRAINT "{temporary}" {definition}'
    match = re.match(r"CREATE (UNIQUE )?INDEX \S+ ON \S+ (USING .*)$", definition)
    if match is None:
        raise NotFast(f"index definition {definition!r}")
    return temporary, f'CREATE {match.group(1) or ""}INDEX "{temporary}" ON {relation} {match.group(2)}'


#: the WAL compression of the loaders' sessions (``compress_wal``)
WAL_COMPRESSION = "lz4"


def compress_wal(cursor: Any) -> bool:
    """Compress this session's full-page images in the WAL with LZ4 (``wal_compression``, PostgreSQL 15+):
    an index build writes every page of its index as one, and those of a national full extract are a fifth
    of its WAL. Measured on the 2 M extract: 1.94 → 1.56 GB of WAL, the import 34.4 → 28.8 s. Only where the
    role may set it (a superuser, or ``GRANT SET ON PARAMETER wal_compression``) and the server was built with
    LZ4; elsewhere nothing changes. Returns whether it was set."""
    cursor.execute(
        "SELECT current_setting('server_version_num')::int >= 150000 AND %s = ANY(enumvals) "
        "FROM pg_settings WHERE name = 'wal_compression'",
        [WAL_COMPRESSION],
    )
    row = cursor.fetchone()
    if not row or not row[0]:
        return False
    cursor.execute("SELECT has_parameter_privilege('wal_compression', 'SET')")
    if not cursor.fetchone()[0]:
        return False
    cursor.execute(f"SET wal_compression = {WAL_COMPRESSION}")
    return True


def _load_shadow(
    connect: Callable[[], Any],
    path: Path,
    name: str,
    table: TableSpec,
    codes: CodeSets,
    indexes: list[tuple[str, str, bool]],
    stop: threading.Event,
    progress: bool = False,
) -> Shadow:
    """One data file into its shadow table, on a connection of its own; committed only when all is right."""
    if stop.is_set():
        raise NotFast("stopped: another file failed")
    started = time.perf_counter()
    relation = shadow_name(table.db_table)
    raw = connect()
    bar = tqdm(desc=name, unit="B", unit_scale=True, leave=False, disable=not progress)
    try:
        with ExtractSource(path) as source, raw.cursor() as cursor:
            bar.total = source.size(name)
            cursor.execute("SET datestyle = 'ISO, DMY'")
            cursor.execute(f"SET maintenance_work_mem = '{INDEX_MEMORY}'")
            # The other loader keeps the second core busy: parallel index builds would only compete with it.
            cursor.execute("SET max_parallel_maintenance_workers = 0")
            compress_wal(cursor)
            cursor.execute(f"DROP TABLE IF EXISTS {relation}")
            cursor.execute(
                f'CREATE TABLE {relation} (LIKE "{table.db_table}" INCLUDING DEFAULTS INCLUDING IDENTITY '
                "INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION)"
            )
            identity = _identity_column(cursor, relation)
            if identity:
                # Each row's key comes from the shadow's own identity sequence: IDENTITY_CACHE values at a
                # time during the COPY (one sequence access per block instead of per row), 1 afterwards.
                cursor.execute(f'ALTER TABLE {relation} ALTER COLUMN "{identity}" SET CACHE {IDENTITY_CACHE}')
            copied, checks = copy_checked(cursor, source, name, table, relation, codes, stop=stop, bar=bar)
            if identity:
                cursor.execute(f'ALTER TABLE {relation} ALTER COLUMN "{identity}" SET CACHE 1')
            checked = time.perf_counter()
            built: list[tuple[str, str, bool]] = []
            for index_name, definition, constraint in indexes:
                if stop.is_set():
                    raise NotFast("stopped: another file failed")
                temporary, sql = _shadow_index_sql(relation, index_name, definition, constraint)
                cursor.execute(sql)
                built.append((index_name, temporary, constraint))
            # Statistics for the planner, from the start (an update extract deletes by entity number:
            # without them, PostgreSQL scans the whole table instead of probing the index).
            cursor.execute(f"ANALYZE {relation}")
        raw.commit()
    finally:
        bar.close()
        raw.close()  # without a commit, the shadow table is gone with the transaction
    logger.info(
        "%s: %d rows, copy %.1f s, checks %.1f s, %d indexes and analyze %.1f s",
        name,
        copied,
        checked - started - checks,
        checks,
        len(built),
        time.perf_counter() - checked,
    )
    return Shadow(table=table, rows=copied, indexes=built)


def drop_shadows(cursor: Any) -> None:
    from kmop.registers.importer_tables import TABLES

    cursor.execute(f"DROP TABLE IF EXISTS {', '.join(shadow_name(t.db_table) for t in TABLES)}")


def load_shadows(
    connection: BaseDatabaseWrapper, path: Path, source: ExtractSource, progress: bool = False
) -> Shadows | None:
    """Every data file of a full extract into its shadow table, PARALLEL_LOADERS at a time.

    None when anything at all went wrong (the shadows are then dropped, and the caller takes the per-file
    path, which names the error). The caller holds the advisory lock and drops the shadows afterwards.
    """
    from kmop.registers.importer_tables import TABLES

    try:
        codes = read_codes(source)
        with connection.cursor() as cursor:
            drop_shadows(cursor)
            definitions = {t.db_table: _index_definitions(cursor, t.db_table) for t in TABLES}
    except Exception as error:  # the per-file path decides
        logger.info("no parallel load (%s: %s)", type(error).__name__, error)
        return None
    params = connection.get_connection_params()

    def connect() -> Any:
        return connection.get_new_connection(params)

    shadows = Shadows(codes=codes)
    stop = threading.Event()
    # The largest files first, so that the loaders finish at about the same time.
    order = sorted(TABLES, key=lambda t: -source.size(f"{t.name}.csv"))
    with ThreadPoolExecutor(max_workers=PARALLEL_LOADERS, thread_name_prefix="kbo-load") as pool:
        futures = {
            pool.submit(
                _load_shadow,
                connect,
                path,
                f"{t.name}.csv",
                t,
                codes,
                definitions[t.db_table],
                stop,
                progress,
            ): t
            for t in order
        }
        failed: Exception | None = None
        for future in as_completed(futures):
            try:
                shadow = future.result()
            except Exception as error:  # any failure: the per-file path decides
                if failed is None:
                    failed = error
                    stop.set()
                continue
            shadows.loaded[f"{shadow.table.name}.csv"] = shadow
    if failed is not None:
        logger.info("parallel load failed (%s: %s)", type(failed).__name__, failed)
        with connection.cursor() as cursor:
            drop_shadows(cursor)
        return None
    return shadows


def swap_in(loader: Loader, shadows: Shadows) -> dict[str, int]:
    """In the importer's transaction: replace every KBO table by its shadow; returns rows per file."""
    from kmop.registers.importer_tables import TABLES

    counts: dict[str, int] = {}
    for table in TABLES:
        name = f"{table.name}.csv"
        shadow = shadows.loaded[name]
        live = f'"{table.db_table}"'
        loader.execute(f"DROP TABLE {live}")
        loader.execute(f'ALTER TABLE {shadow.relation} RENAME TO "{table.db_table}"')
        for index_name, temporary, constraint in shadow.indexes:
            if constraint:
                loader.execute(f'ALTER TABLE {live} RENAME CONSTRAINT "{temporary}" TO "{index_name}"')
            else:
                loader.execute(f'ALTER INDEX "{temporary}" RENAME TO "{index_name}"')
        row = loader.fetchone(
            "SELECT a.attname, pg_get_serial_sequence(%s, a.attname) FROM pg_attribute a "
            "WHERE a.attrelid = %s::regclass AND a.attidentity <> '' ",
            [table.db_table, table.db_table],
        )
        if row is not None and row[1]:
            loader.execute(f'ALTER SEQUENCE {row[1]} RENAME TO "{table.db_table}_{row[0]}_seq"')
        counts[name] = shadow.rows
    return counts
