"""Import KBO Open Data extracts (full or update, zipped or unzipped) into the register tables.

    import_extract(path, force=False, progress=False, actor=None) -> KboExtract

One extract is one transaction: it is applied completely or not at all, and an error names the file, the
line and the column (:class:`~kmop.registers.errors.ImportFileError`). Every file is streamed in constant
memory: rows are validated one by one (numbers with python-stdnum, dates, codes against the code.csv of the
same extract) and handed to the database in batches (PostgreSQL ``COPY``, SQLite ``executemany``).

- Full extract: empties the KBO tables and the code table and loads them again (indexes dropped during the
  load and rebuilt after it).
- Update extract: applies every ``<table>_delete.csv`` (keys only), then every ``<table>_insert.csv``.
  Enterprises, establishments and branches upsert on their number; for denominations, addresses, contacts
  and activities the rows of an entity in an insert file are that entity's complete set, so its existing
  rows are deleted first. Importing the same extract twice leaves the same rows.
- Sequence: an update must have the number following the last imported extract (or be that last update
  again), and needs an imported full extract first; a full extract must not have a lower number than the
  last imported extract. ``force=True`` overrides and is recorded.

See docs/decisions/0002-kbo-import.md for the choices.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kmop.audit.services import Actor, audit_record
from kmop.registers import importer_fast
from kmop.registers.errors import ImportFileError
from kmop.registers.importer_db import STAGE, BadValue, DuplicateKey, Loader, loader_for
from kmop.registers.importer_source import ExtractSource, scan
from kmop.registers.importer_tables import (
    CODE_TABLE,
    META_HEADER,
    TABLES,
    Batch,
    BatchChecker,
    CodeSets,
    TableSpec,
    iso_date,
    physical_lines,
    row_problem,
)
from kmop.registers.models import KboCode, KboExtract

__all__ = ["ExtractSequenceError", "ImportFileError", "import_extract"]

logger = logging.getLogger(__name__)

#: Rows per batch handed to the database (bounded memory: one batch at a time).
BATCH_ROWS = 5000


class ExtractSequenceError(ImportFileError):
    """An extract out of sequence: an update that does not follow the last extract (or comes before any full
    extract), or a full extract older than the last one; ``force=True`` overrides."""


@dataclass
class Meta:
    """meta.csv"""

    snapshot_date: datetime.date
    extract_timestamp: datetime.datetime | None
    extract_type: str
    extract_number: int
    version: str
    number_line: int
    label: str
    values: dict[str, tuple[str, int]] = field(default_factory=dict)


def import_extract(
    path: Path, *, force: bool = False, progress: bool = False, actor: Actor | None = None
) -> KboExtract:
    """Import one KBO Open Data extract (a ``.zip`` or an unzipped folder); returns the recorded extract.

    Raises ImportFileError (nothing changed) when a file is wrong, and its subclass ExtractSequenceError
    when the extract is out of sequence and ``force`` is not given. ``actor`` is recorded in the audit event
    (default ``Actor.system("import_kbo")``).
    """
    if actor is None:
        actor = Actor.system("import_kbo")
    started = time.perf_counter()
    path = Path(path)
    with ExtractSource(path) as source:
        source.require(["meta.csv"])
        meta = _read_meta(source)
        full = meta.extract_type == KboExtract.ExtractType.FULL
        if full:
            names = [f"{table.name}.csv" for table in TABLES]
        else:
            names = [f"{table.name}_{part}.csv" for part in ("delete", "insert") for table in TABLES]
        source.require(["code.csv", *names])

        parallel = full and importer_fast.parallel_possible(connection)
        if parallel:
            # Two imports must not share the shadow tables (released in the finally below).
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [importer_fast.ADVISORY_LOCK])
        try:
            if parallel:
                _check_sequence(meta, force=force)  # before the long load; again in the transaction
            shadows = importer_fast.load_shadows(connection, path, source, progress) if parallel else None
            return _apply(path, source, meta, full, started, force, progress, actor, shadows)
        finally:
            if parallel:
                with connection.cursor() as cursor:
                    importer_fast.drop_shadows(cursor)
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [importer_fast.ADVISORY_LOCK])


def _apply(
    path: Path,
    source: ExtractSource,
    meta: Meta,
    full: bool,
    started: float,
    force: bool,
    progress: bool,
    actor: Actor,
    shadows: importer_fast.Shadows | None,
) -> KboExtract:
    """The extract's one transaction (see import_extract); ``shadows``: the data files already loaded in
    parallel into shadow tables (importer_fast.load_shadows), swapped in here."""
    with transaction.atomic():
        loader = loader_for(connection)
        loader.begin(KboExtract._meta.db_table)
        forced = _check_sequence(meta, force=force)
        counts: dict[str, int] = {}
        importer = _Importer(source, loader, progress)
        code_digest = source.digest("code.csv")
        codes = None if full else _unchanged_codes(code_digest)
        if full and shadows is None:
            loader.empty([KboCode._meta.db_table, *(table.db_table for table in TABLES)])
        elif codes is None:
            loader.empty([KboCode._meta.db_table])
        if codes is None:
            codes = importer.load_codes(counts)
        else:
            logger.info("code.csv: the same as the previous extract's, the code table stays")
        if full:
            swapped: dict[str, int] | None = None
            if shadows is not None and codes == shadows.codes:
                try:
                    with transaction.atomic():
                        swapped = importer_fast.swap_in(loader, shadows)
                except Exception as error:  # the per-file path below decides
                    logger.info("no swap (%s: %s)", type(error).__name__, error)
            if swapped is not None:
                counts.update(swapped)
            else:
                if shadows is not None:
                    loader.empty([table.db_table for table in TABLES])
                for table in TABLES:
                    name = f"{table.name}.csv"
                    try:
                        with loader.bulk_load(table.db_table):
                            counts[name] = importer.load_full(name, table, codes)
                    except DuplicateKey as rebuilt:  # found when the primary key is rebuilt
                        raise importer.duplicate_error(name, table, rebuilt.key) from None
        else:
            for table in TABLES:
                key = table.key_spec()
                name = f"{table.name}_delete.csv"
                counts[name] = importer.load_stage(name, key, codes)
                loader.delete_staged(table.db_table, table.key_column)
                loader.remember_deleted(table.db_table, table.key_column)
            for table in TABLES:
                name = f"{table.name}_insert.csv"
                counts[name] = importer.load_stage(name, table, codes)
                if table.upsert:
                    duplicate = loader.stage_duplicate(table.key_column)
                    if duplicate is not None:
                        raise importer.duplicate_error(name, table, duplicate)
                    loader.upsert_staged(table.db_table, table.columns, table.key_column)
                else:
                    # An entity's rows are replaced by those of the insert file: the keys of the delete file
                    # have none left.
                    loader.delete_staged(table.db_table, table.key_column, except_deleted=True)
                    loader.insert_staged(table.db_table, table.columns)
            loader.drop_stage()
            loader.forget_deleted([table.db_table for table in TABLES])

        extract = KboExtract.objects.create(
            extract_number=meta.extract_number,
            extract_type=meta.extract_type,
            snapshot_date=meta.snapshot_date,
            extract_timestamp=meta.extract_timestamp,
            version=meta.version,
            source=str(path)[-500:],
            forced=forced,
            row_counts=counts,
            seconds=round(time.perf_counter() - started, 3),
            code_digest=code_digest,
        )
        audit_record(
            actor=actor,
            action="kbo.import",
            object_type="KboExtract",
            object_id=str(extract.pk),
            after={
                "extract_number": extract.extract_number,
                "extract_type": extract.extract_type,
                "snapshot_date": extract.snapshot_date.isoformat(),
                "source": path.name,
                "forced": forced,
                "row_counts": counts,
            },
        )
    return extract


def _unchanged_codes(digest: str) -> CodeSets | None:
    """An update's code.csv byte for byte the previous extract's (its SHA-256): the code table, loaded from
    that same file, stays as it is (rewriting its ~21,000 rows was a tenth of a national update) and gives the
    codes that check the data files. None when it changed, or nothing was recorded."""
    previous = KboExtract.objects.values_list("code_digest", flat=True).first()
    if not previous or previous != digest:
        return None
    codes: dict[str, set[str]] = {}
    for category, code in KboCode.objects.values_list("category", "code").iterator(chunk_size=5000):
        codes.setdefault(category, set()).add(code)
    return {category: frozenset(values) for category, values in codes.items()} or None


# --- meta.csv and the sequence ----------------------------------------------------------------------


def _read_meta(source: ExtractSource) -> Meta:
    label = source.label("meta.csv")
    values: dict[str, tuple[str, int]] = {}
    with source.rows("meta.csv", META_HEADER) as stream, stream.translating_errors():
        for row in stream.reader:
            if len(row) != 2:
                raise ImportFileError(
                    _("Verwacht %(expected)d kolommen, gevonden %(found)d.")
                    % {"expected": 2, "found": len(row)},
                    file=label,
                    line=stream.line,
                )
            if row[0] in values:
                raise ImportFileError(
                    _("Variabele %(name)s komt twee keer voor (al op regel %(first)d).")
                    % {"name": row[0], "first": values[row[0]][1]},
                    file=label,
                    line=stream.line,
                    column="Variable",
                )
            values[row[0]] = (row[1], stream.line)

    def required(name: str) -> tuple[str, int]:
        if name not in values or not values[name][0]:
            raise ImportFileError(_("Variabele %(name)s ontbreekt.") % {"name": name}, file=label)
        return values[name]

    def wrong(line: int, message: str) -> ImportFileError:
        return ImportFileError(message, file=label, line=line, column="Value")

    raw_type, type_line = required("ExtractType")
    extract_type = raw_type.lower()
    if extract_type not in KboExtract.ExtractType.values:
        raise wrong(
            type_line, _("Onbekend ExtractType %(value)r (verwacht full of update).") % {"value": raw_type}
        )
    raw_number, number_line = required("ExtractNumber")
    if not raw_number.isdigit() or not raw_number.isascii():
        raise wrong(number_line, _("Ongeldig ExtractNumber %(value)r.") % {"value": raw_number})
    raw_snapshot, snapshot_line = required("SnapshotDate")
    snapshot = iso_date(raw_snapshot)
    if snapshot is None:
        raise wrong(
            snapshot_line, _("Ongeldige datum %(value)r (verwacht dd-mm-jjjj).") % {"value": raw_snapshot}
        )
    timestamp: datetime.datetime | None = None
    if "ExtractTimestamp" in values and values["ExtractTimestamp"][0]:
        raw_timestamp, timestamp_line = values["ExtractTimestamp"]
        try:
            naive = datetime.datetime.strptime(raw_timestamp, "%d-%m-%Y %H:%M:%S")
        except ValueError:
            raise wrong(
                timestamp_line,
                _("Ongeldig tijdstip %(value)r (verwacht dd-mm-jjjj uu:mm:ss).") % {"value": raw_timestamp},
            ) from None
        # The KBO publishes Belgian local time.
        timestamp = timezone.make_aware(naive, timezone.get_default_timezone())
    version = values.get("Version", ("", 0))[0]
    if len(version) > KboExtract._meta.get_field("version").max_length:  # type: ignore[operator]
        raise wrong(values["Version"][1], _("Waarde te lang: %(value)r.") % {"value": version})
    return Meta(
        snapshot_date=datetime.date.fromisoformat(snapshot),
        extract_timestamp=timestamp,
        extract_type=extract_type,
        extract_number=int(raw_number),
        version=version,
        number_line=number_line,
        label=label,
        values=values,
    )


def _check_sequence(meta: Meta, *, force: bool) -> bool:
    """Whether the import is forced: True when the sequence rule refused it and ``force`` overrode it."""
    problem = ""
    if meta.extract_type == KboExtract.ExtractType.FULL:
        # A full extract replaces everything: any number from the last one on (the same one again too),
        # but not an older one.
        last = KboExtract.objects.order_by("-id").first()
        if last is not None and meta.extract_number < last.extract_number:
            problem = _(
                "Volledig extract %(number)d is ouder dan het laatst geïmporteerde extract %(last)d "
                "(gebruik --force om het toch te importeren)."
            ) % {"number": meta.extract_number, "last": last.extract_number}
    elif not KboExtract.objects.filter(extract_type=KboExtract.ExtractType.FULL).exists():
        problem = _(
            "Er is nog geen volledig extract geïmporteerd: importeer eerst een volledig extract "
            "(of gebruik --force)."
        )
    else:
        last = KboExtract.objects.order_by("-id").first()
        assert last is not None
        again = (
            meta.extract_number == last.extract_number and last.extract_type == KboExtract.ExtractType.UPDATE
        )
        if meta.extract_number != last.extract_number + 1 and not again:
            problem = _(
                "Update-extract %(number)d volgt niet op het laatst geïmporteerde extract %(last)d "
                "(verwacht %(expected)d; gebruik --force om het toch te importeren)."
            ) % {
                "number": meta.extract_number,
                "last": last.extract_number,
                "expected": last.extract_number + 1,
            }
    if not problem:
        return False
    if force:
        return True
    raise ExtractSequenceError(problem, file=meta.label, line=meta.number_line, column="Value")


# --- loading files ----------------------------------------------------------------------------------


class _Importer:
    def __init__(self, source: ExtractSource, loader: Loader, progress: bool) -> None:
        self.source = source
        self.loader = loader
        self.progress = progress

    def load_codes(self, counts: dict[str, int]) -> CodeSets:
        """code.csv → KboCode (replaced), and the codes per category for validating the data files."""
        name = "code.csv"
        codes: dict[str, set[str]] = {}
        seen: dict[tuple[str, str, str], int] = {}  # bounded by the code table, not by the register

        def each_batch(batch: Batch, first_line: int, label: str) -> None:
            line = first_line
            for row in batch:
                key = (row[0], row[1], row[2])
                if key in seen:
                    raise ImportFileError(
                        _("Dubbele code %(category)s %(code)s (%(language)s) (al op regel %(first)d).")
                        % {"category": row[0], "code": row[1], "language": row[2], "first": seen[key]},
                        file=label,
                        line=line,
                        column="Code",
                    )
                seen[key] = line
                codes.setdefault(row[0], set()).add(row[1])
                line += physical_lines(row)

        counts[name] = self.load(name, CODE_TABLE, {}, CODE_TABLE.db_table, each_batch)
        return {category: frozenset(values) for category, values in codes.items()}

    def load_full(self, name: str, table: TableSpec, codes: CodeSets) -> int:
        """One data file of a full extract into its emptied final table (indexes dropped by the caller).

        PostgreSQL first tries the fast path (importer_fast.py: COPY of the raw bytes into a staging table,
        validation and conversion in SQL) inside a savepoint; if anything is wrong with the file, or goes
        wrong at all, it rolls back to the savepoint and the Python path below loads the file or names the
        exact file, line and column.
        """
        if self.loader.vendor == "postgresql":
            try:
                with transaction.atomic():
                    count = importer_fast.fast_load(
                        self.loader, self.source, name, table, codes, progress=self.progress
                    )
            except Exception as error:  # any failure: the Python path decides
                logger.info("%s: Python path (%s: %s)", name, type(error).__name__, error)
            else:
                logger.info("%s: fast path, %d rows", name, count)
                return count
        return self.load(name, table, codes, table.db_table)

    def load_stage(self, name: str, table: TableSpec, codes: CodeSets) -> int:
        """One file of an update extract into a new staging table (``STAGE``).

        PostgreSQL first tries the COPY of the full extract's parallel path (importer_fast.stage_copy) in
        a savepoint; when the file is not entirely right, or anything goes wrong, the Python path below
        loads it or names the file, line and column.
        """
        if self.loader.vendor == "postgresql":
            try:
                with transaction.atomic():
                    self.loader.create_stage(table.db_table, table.columns)
                    count = importer_fast.stage_copy(self.loader, self.source, name, table, codes)
            except Exception as error:  # any failure: the Python path decides
                logger.info("%s: Python path (%s: %s)", name, type(error).__name__, error)
            else:
                logger.info("%s: fast path, %d rows", name, count)
                return count
        self.loader.create_stage(table.db_table, table.columns)
        return self.load(name, table, codes, STAGE)

    def load(
        self,
        name: str,
        table: TableSpec,
        codes: CodeSets,
        target: str,
        each_batch: Callable[[Batch, int, str], None] | None = None,
    ) -> int:
        """Validate every row of one file and load it into ``target``; returns the number of rows.

        The hot loop: a batch of rows is read by the csv module (list(islice(...)), in C), validated by the
        table's BatchChecker (C-level map/set chains) and sent to the database.
        """
        checker = BatchChecker(table, codes)
        count = 0
        try:
            with (
                self.source.rows(name, table.header, progress=self.progress) as stream,
                self.loader.sink(target, table.columns, table.nullable, checker) as send,
                stream.translating_errors(),
            ):
                reader = stream.reader
                while True:
                    before = reader.line_num
                    batch = list(islice(reader, BATCH_ROWS))
                    if not batch:
                        break
                    if not checker(batch):
                        raise _batch_error(table, batch, before + 1, stream.label, codes)
                    if each_batch is not None:
                        each_batch(batch, before + 1, stream.label)
                    send(batch)
                    count += len(batch)
                    stream.progress()
        except DuplicateKey as duplicate:
            raise self.duplicate_error(name, table, duplicate.key) from None
        except BadValue as bad:
            raise self.bad_value_error(name, table, bad) from None
        return count

    def duplicate_error(self, name: str, table: TableSpec, key: str) -> ImportFileError:
        """A key twice in one file: stream the file again to find both lines."""
        label = self.source.label(name)
        index = table.fields.index(table.key_field)
        column = table.header[index]
        lines: list[tuple[int, str]] = []

        def visit(row: list[str], line: int) -> bool:
            if len(row) > index and row[index].replace(".", "") == key:
                lines.append((line, row[index]))
            return len(lines) == 2

        scan(self.source, name, table.header, visit)
        if len(lines) < 2:  # pragma: no cover - the database saw it twice
            return ImportFileError(_("Dubbele sleutel %(key)s.") % {"key": key}, file=label, column=column)
        return ImportFileError(
            _("Dubbele sleutel %(key)s (al op regel %(first)d).")
            % {"key": lines[1][1], "first": lines[0][0]},
            file=label,
            line=lines[1][0],
            column=column,
        )

    def bad_value_error(self, name: str, table: TableSpec, bad: BadValue) -> ImportFileError:
        """A value the database refused in the bad.row-th data row: stream the file again for its line."""
        label = self.source.label(name)
        column = table.header[table.columns.index(bad.column)] if bad.column in table.columns else None
        if bad.row is None:
            return ImportFileError(bad.message, file=label, column=column)
        rows = 0
        found: int | None = None

        def visit(row: list[str], line: int) -> bool:
            nonlocal rows, found
            rows += 1
            if rows == bad.row:
                found = line
                return True
            return False

        scan(self.source, name, table.header, visit)
        return ImportFileError(bad.message, file=label, line=found, column=column)


def _batch_error(
    table: TableSpec, batch: Batch, first_line: int, label: str, codes: CodeSets
) -> ImportFileError:
    """The error for a refused batch: its first wrong row, checked column by column."""
    line = first_line
    for row in batch:
        problem = row_problem(table, row, codes)
        if problem is not None:
            message, column = problem
            return ImportFileError(message, file=label, line=line, column=column)
        line += physical_lines(row)
    return ImportFileError(_("Ongeldige regel."), file=label, line=first_line)  # pragma: no cover
