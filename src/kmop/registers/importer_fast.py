"""The PostgreSQL fast path for the data files of a FULL extract: PostgreSQL parses and validates.

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
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from kmop.registers.importer_source import ExtractSource
from kmop.registers.importer_tables import _NUMBER_KINDS, NACE_VERSIONS, Check, CodeSets, TableSpec

if TYPE_CHECKING:
    from kmop.registers.importer_db import Loader

CHUNK = 1 << 20
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
# line end) or is doubled inside a quoted field. With every byte mapped to a class (q quote, c comma, n line
# end, x anything else), a file where they differ has one of: an odd run of quotes between two x (a closing
# quote followed by text, or a quote inside an unquoted value), or an even run of quotes that starts a field
# and is followed by text (``,"" text``). Doubled quotes inside text (``"a ""b"" c"``) are x qq x: fine. The
# scan may refuse a well-formed file in rare cases (``"a,""b"``): that file then takes the Python path.
# One case it cannot see: an unquoted value with a doubled quote inside (``,a""b,``: csv reads a""b,
# PostgreSQL ab); the KBO quotes every text value.
CLASSES = bytes(
    ord("q") if b == ord('"') else ord("c") if b == ord(",") else ord("n") if b in b"\r\n" else ord("x")
    for b in range(256)
)
_DIFFERENT = re.compile(rb"xq(?:qq)*x|[cn](?:qq)+x")


def quotes_differ(classes: bytes) -> bool:
    """Whether bytes (already mapped with CLASSES) hold a quote that PostgreSQL and csv read differently."""
    if b"xqx" in classes or b"cqqx" in classes or b"nqqx" in classes:
        return True
    return b"qqq" in classes and _DIFFERENT.search(classes) is not None


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
                        tail = max(classes.rfind(b"x"), classes.rfind(b"c"), classes.rfind(b"n"))
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
