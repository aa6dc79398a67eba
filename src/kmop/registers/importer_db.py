"""The database side of the KBO importer: bulk loading and set-based merging, per backend.

PostgreSQL: ``COPY ... FROM STDIN`` (text format, ``NULL ''``) fed with batches of already validated rows
joined into COPY text in C (``"\\t".join``), so Python does no per-value formatting. SQLite:
``executemany`` in batches. Both load either straight into the final tables (full extract, after emptying
them) or into temporary staging tables that are then merged with plain SQL (update extract).

Loaders raise :class:`DuplicateKey` when a key occurs twice and :class:`BadValue` when the database refuses
a value the validation let through; the importer turns both into an ImportFileError with the line, which it
finds by streaming the file again (the error path only).
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError
from django.db.backends.base.base import BaseDatabaseWrapper

from kmop.registers.importer_tables import BatchChecker

logger = logging.getLogger(__name__)

Sink = Callable[[list[list[str]]], None]

STAGE = "kbo_stage"


class DuplicateKey(Exception):
    """A key occurs twice in one file."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class BadValue(Exception):
    """The database refused a value: the ``row``-th data row of the file (1-based), a column, a message."""

    def __init__(self, row: int | None, column: str | None, message: str) -> None:
        super().__init__(message)
        self.row = row
        self.column = column
        self.message = message


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _deleted(table: str) -> str:
    """The temporary table of the keys an update extract deleted from ``table``."""
    return _quote(f"kbo_deleted_{table}")


def _columns(columns: Sequence[str]) -> str:
    return ", ".join(_quote(c) for c in columns)


class Loader:
    """What the importer needs from a database; one instance per import, inside its transaction."""

    vendor = ""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        self.connection = connection

    # -- plain SQL ----------------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return int(cursor.rowcount)

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
            return tuple(row) if row is not None else None

    # -- to be provided per backend -----------------------------------------------------------------

    def begin(self, lock_table: str) -> None:
        """At the start of the transaction: serialise concurrent imports, session settings."""

    def empty(self, tables: Sequence[str]) -> None:
        raise NotImplementedError

    @contextmanager
    def sink(
        self, table: str, columns: Sequence[str], nullable: Sequence[bool], checker: BatchChecker
    ) -> Iterator[Sink]:
        """A function that loads batches of valid rows (as read from the file) into ``table``."""
        raise NotImplementedError
        yield  # pragma: no cover

    @contextmanager
    def bulk_load(self, table: str) -> Iterator[None]:
        """Around loading an emptied table: drop its secondary indexes, recreate them afterwards."""
        yield

    # -- staging and merging (the same SQL on both backends) ----------------------------------------

    def create_stage(self, table: str, columns: Sequence[str]) -> str:
        self.drop_stage()
        self.execute(
            f"CREATE TEMPORARY TABLE {STAGE} AS SELECT {_columns(columns)} FROM {_quote(table)} WHERE 1 = 0"
        )
        return STAGE

    def drop_stage(self) -> None:
        self.execute(f"DROP TABLE IF EXISTS {STAGE}")

    def stage_duplicate(self, key: str) -> str | None:
        row = self.fetchone(
            f"SELECT {_quote(key)} FROM {STAGE} GROUP BY {_quote(key)} HAVING COUNT(*) > 1 LIMIT 1"
        )
        return None if row is None else str(row[0])

    def delete_staged(self, table: str, key: str, *, except_deleted: bool = False) -> int:
        """Delete the rows of ``table`` whose key is in the staging table; ``except_deleted``: not the keys
        already deleted (:meth:`remember_deleted`), which have no rows left to find."""
        keys = f"SELECT {_quote(key)} FROM {STAGE}"
        if except_deleted:
            keys += f" EXCEPT SELECT {_quote(key)} FROM {_deleted(table)}"
        return self.execute(f"DELETE FROM {_quote(table)} WHERE {_quote(key)} IN ({keys})")

    def remember_deleted(self, table: str, key: str) -> None:
        """Keep the staged keys, just deleted from ``table``, for ``delete_staged(except_deleted=True)``."""
        self.execute(f"DROP TABLE IF EXISTS {_deleted(table)}")
        keys = f"SELECT DISTINCT {_quote(key)} FROM {STAGE}"
        self.execute(f"CREATE TEMPORARY TABLE {_deleted(table)} AS {keys}")

    def forget_deleted(self, tables: Sequence[str]) -> None:
        for table in tables:
            self.execute(f"DROP TABLE IF EXISTS {_deleted(table)}")

    def insert_staged(self, table: str, columns: Sequence[str]) -> int:
        cols = _columns(columns)
        return self.execute(f"INSERT INTO {_quote(table)} ({cols}) SELECT {cols} FROM {STAGE}")

    def upsert_staged(self, table: str, columns: Sequence[str], key: str) -> int:
        cols = _columns(columns)
        updates = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in columns if c != key)
        # "WHERE true": SQLite needs it to parse ON CONFLICT after INSERT ... SELECT.
        return self.execute(
            f"INSERT INTO {_quote(table)} ({cols}) SELECT {cols} FROM {STAGE} WHERE true "
            f"ON CONFLICT ({_quote(key)}) DO UPDATE SET {updates}"
        )


# --- PostgreSQL -----------------------------------------------------------------------------------

_KEY_DETAIL = re.compile(r"Key \((?P<columns>[^)]*)\)=\((?P<key>.*)\) (?:already exists|is duplicated)")
_COPY_CONTEXT = re.compile(r"COPY \S+, line (?P<line>\d+)(?:, column (?P<column>\w+))?")


class PostgresLoader(Loader):
    vendor = "postgresql"

    #: Also drop and re-add the primary key around a full load (an index built by sorting is faster than
    #: one maintained row by row). docs/decisions/0002-kbo-import.md.
    drop_primary_keys = True

    def _raw(self) -> Any:
        self.connection.ensure_connection()
        return self.connection.connection

    def begin(self, lock_table: str) -> None:
        self.execute(f"LOCK TABLE {_quote(lock_table)} IN EXCLUSIVE MODE")
        # The files' dates (dd-mm-yyyy, validated before) go to COPY as they are.
        self.execute("SET LOCAL datestyle = 'ISO, DMY'")

    def empty(self, tables: Sequence[str]) -> None:
        self.execute(f"TRUNCATE {', '.join(_quote(t) for t in tables)}")

    def delete_staged(self, table: str, key: str, *, except_deleted: bool = False) -> int:
        """As :meth:`Loader.delete_staged`, with the keys as one array scanned by the key's index (which
        sorts it and takes the keys in index order) instead of a join that probes them in a hash table's
        order. An update's keys are scattered over the whole table; in order, the index pages and the heap
        pages (a full import loads in key order) are visited once each, in order: the national update's
        denomination deletes read 16,402 pages instead of 25,712 (EXPLAIN (ANALYZE, BUFFERS), after a
        checkpoint). Its effect on the update's time was within the run-to-run spread. The planner cannot
        see the array's size: a very large catch-up update still takes the index, one descent per key."""
        keys = f"SELECT {_quote(key)} FROM {STAGE}"
        if except_deleted:
            keys += f" EXCEPT SELECT {_quote(key)} FROM {_deleted(table)}"
        return self.execute(f"DELETE FROM {_quote(table)} WHERE {_quote(key)} = ANY(ARRAY({keys}))")

    @contextmanager
    def sink(
        self, table: str, columns: Sequence[str], nullable: Sequence[bool], checker: BatchChecker
    ) -> Iterator[Sink]:
        import psycopg

        tabs = len(columns) - 1
        join = "\t".join
        dots_only_in_numbers = checker.dots_only_in_numbers
        prepare = checker.prepare

        def escape(value: str) -> str:
            return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

        sql = f"COPY {_quote(table)} ({_columns(columns)}) FROM STDIN (NULL '')"
        try:
            with self._raw().cursor() as cursor, cursor.copy(sql) as copy:
                write = copy.write

                def send(batch: list[list[str]]) -> None:
                    rows = len(batch)
                    if dots_only_in_numbers:
                        # Numbers, codes and dates only, and only the numbers hold dots: compact them all
                        # with one replace over the COPY text.
                        data = "\n".join(map(join, batch)).replace(".", "")
                    else:
                        prepare(batch, compact=True, iso_dates=False)
                        data = "\n".join(map(join, batch))
                    # Does any value need a COPY escape (tab, line break, backslash)? Four scans in C.
                    if (
                        data.count("\t") != tabs * rows
                        or data.count("\n") != rows - 1
                        or "\\" in data
                        or "\r" in data
                    ):
                        if dots_only_in_numbers:
                            prepare(batch, compact=True, iso_dates=False)
                        data = "\n".join(join(map(escape, row)) for row in batch)
                    write(data)
                    write("\n")

                yield send
        except psycopg.errors.UniqueViolation as error:
            raise DuplicateKey(_detail_key(error)) from error
        except psycopg.errors.DataError as error:
            raise _bad_value(error) from error

    @contextmanager
    def bulk_load(self, table: str) -> Iterator[None]:
        import psycopg

        indexes = self.fetch_indexes(table)
        for name, _definition, constraint in indexes:
            if constraint:
                self.execute(f"ALTER TABLE {_quote(table)} DROP CONSTRAINT {_quote(name)}")
            else:
                self.execute(f"DROP INDEX {_quote(name)}")
        yield
        # A bigger sort memory for the index builds, for this transaction only.
        self.execute("SET LOCAL maintenance_work_mem = '256MB'")
        started = time.perf_counter()
        try:
            for name, definition, constraint in indexes:
                if constraint:
                    self.execute(f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}")
                else:
                    self.execute(definition)
        except (psycopg.errors.UniqueViolation, IntegrityError) as error:
            # Through Django's cursor the psycopg error is the cause of an IntegrityError.
            cause = error.__cause__
            raise DuplicateKey(_detail_key(cause if isinstance(cause, Exception) else error)) from error
        logger.info("%s: %d indexes rebuilt in %.1f s", table, len(indexes), time.perf_counter() - started)

    def fetch_indexes(self, table: str) -> list[tuple[str, str, bool]]:
        """The indexes to drop around a full load: (name, definition, is a constraint).

        Secondary indexes always; the primary key too when ``drop_primary_keys``. Other constraints
        (unique, exclusion) stay.
        """
        with self.connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT i.relname, pg_get_indexdef(x.indexrelid), c.conname, pg_get_constraintdef(c.oid),
                       c.contype
                FROM pg_index x
                JOIN pg_class i ON i.oid = x.indexrelid
                LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
                WHERE x.indrelid = %s::regclass
                ORDER BY x.indisprimary DESC, i.relname
                """,
                [table],
            )
            rows = cursor.fetchall()
        result: list[tuple[str, str, bool]] = []
        for index_name, index_def, con_name, con_def, con_type in rows:
            if con_name is None:
                result.append((index_name, index_def, False))
            elif con_type == "p" and self.drop_primary_keys:
                result.append((con_name, con_def, True))
        return result


def _detail_key(error: Exception) -> str:
    detail = getattr(getattr(error, "diag", None), "message_detail", None) or ""
    match = _KEY_DETAIL.search(detail)
    return match.group("key") if match else ""


def _bad_value(error: Exception) -> BadValue:
    diag = getattr(error, "diag", None)
    context = getattr(diag, "context", None) or ""
    message = getattr(diag, "message_primary", None) or str(error)
    match = _COPY_CONTEXT.search(context)
    if not match:
        return BadValue(None, None, message)
    return BadValue(int(match.group("line")), match.group("column"), message)


# --- SQLite ---------------------------------------------------------------------------------------


class SqliteLoader(Loader):
    vendor = "sqlite"

    def _raw(self) -> sqlite3.Connection:
        self.connection.ensure_connection()
        raw = self.connection.connection
        assert isinstance(raw, sqlite3.Connection)
        return raw

    def empty(self, tables: Sequence[str]) -> None:
        for table in tables:
            self.execute(f"DELETE FROM {_quote(table)}")

    @contextmanager
    def sink(
        self, table: str, columns: Sequence[str], nullable: Sequence[bool], checker: BatchChecker
    ) -> Iterator[Sink]:
        raw = self._raw()
        prepare = checker.prepare
        values = ", ".join("NULLIF(?, '')" if null else "?" for null in nullable)
        sql = f"INSERT INTO {_quote(table)} ({_columns(columns)}) VALUES ({values})"
        executemany = raw.executemany

        def send(batch: list[list[str]]) -> None:
            prepare(batch, compact=True, iso_dates=True)
            # A savepoint per batch, so that a duplicate key can be pinned down row by row.
            raw.execute("SAVEPOINT kbo_batch")
            try:
                executemany(sql, batch)
            except sqlite3.IntegrityError:
                raw.execute("ROLLBACK TO kbo_batch")
                for row in batch:
                    try:
                        raw.execute(sql, row)
                    except sqlite3.IntegrityError as error:
                        if "UNIQUE" in str(error):
                            raise DuplicateKey(row[0]) from error
                        raise
                raise
            finally:
                raw.execute("RELEASE kbo_batch")

        yield send

    @contextmanager
    def bulk_load(self, table: str) -> Iterator[None]:
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master "
                "WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [table],
            )
            indexes = [(str(name), str(sql)) for name, sql in cursor.fetchall()]
        for name, _sql in indexes:
            self.execute(f"DROP INDEX {_quote(name)}")
        yield
        for _name, sql in indexes:
            self.execute(sql)


def loader_for(connection: BaseDatabaseWrapper) -> Loader:
    if connection.vendor == "postgresql":
        return PostgresLoader(connection)
    if connection.vendor == "sqlite":
        return SqliteLoader(connection)
    raise NotImplementedError(f"KBO import: no loader for {connection.vendor}")
