"""Write a synthetic population as KBO Open Data extracts (full and update zip files).

A zip member can only be written while no other member is open, but one enterprise has rows in every
file. So the rows go to one plain temporary file per member first (one pass over the population, in
constant memory, optionally split over processes by ranges of enterprises), and each member is then
sorted by its key, as the official files are, and streamed into the zip in turn
(docs/decisions/0003-synthetic-data.md).
"""

from __future__ import annotations

import contextlib
import heapq
import os
import random
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import IO

from kmop.registers.synthetic import (
    DATA_DIR,
    KBO_DELETE_HEADERS,
    KBO_FILES,
    KBO_HEADERS,
    EnterpriseBuilder,
    EnterpriseRecord,
    LegalFunctionRow,
    PersonRow,
    Population,
    format_enterprise,
    kbo_date,
    q,
)

FUNCTIONS_HEADER = '"EnterpriseNumber","PersonNumber","FunctionCode","StartDate","EndDate"\n'
PERSONS_HEADER = '"NationalNumber","LastName","FirstName","BirthDate","Sex"\n'
EXTRACT_VERSION = "1.0.0"
#: Share of the enterprises an update extract touches: stopped, changed, new.
UPDATE_STOPPED = 0.002
UPDATE_CHANGED = 0.006
UPDATE_NEW = 0.002
_BUFFER = 1 << 20


@dataclass
class ExtractResult:
    path: Path
    extract_type: str
    number: int
    snapshot_date: date
    row_counts: dict[str, int] = field(default_factory=dict)  # member → data rows (without the header)
    functions: int = 0
    persons: int = 0
    seconds: float = 0.0

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size


def extract_file_name(number: int, snapshot: date, extract_type: str) -> str:
    """The official name, e.g. ``KboOpenData_0147_2025_10_Full.zip``."""
    kind = "Full" if extract_type == "full" else "Update"
    if kind == "Full":
        return f"KboOpenData_{number:04d}_{snapshot.year}_{snapshot.month:02d}_Full.zip"
    return f"KboOpenData_{number:04d}_{snapshot.year}_{snapshot.month:02d}_{snapshot.day:02d}_Update.zip"


def function_line(row: LegalFunctionRow) -> str:
    end = kbo_date(row.end_date) if row.end_date else ""
    return (
        f'"{format_enterprise(row.enterprise_number)}","{row.person_number}","{row.function_code}",'
        f"{kbo_date(row.start_date)},{end}\n"
    )


def person_line(row: PersonRow) -> str:
    names = f"{q(row.last_name)},{q(row.first_name)}"
    return f'"{row.national_number}",{names},{kbo_date(row.birth_date)},"{row.sex}"\n'


def _meta_lines(snapshot: date, extract_type: str, number: int) -> str:
    stamp = datetime.combine(snapshot + timedelta(days=1), datetime.min.time()).replace(
        hour=6, minute=12, second=7
    )
    rows = [
        ("SnapshotDate", kbo_date(snapshot)),
        ("ExtractTimestamp", f"{kbo_date(stamp.date())} {stamp:%H:%M:%S}"),
        ("ExtractType", extract_type),
        ("ExtractNumber", str(number)),
        ("Version", EXTRACT_VERSION),
    ]
    return KBO_HEADERS["meta"] + "".join(f"{q(k)},{q(v)}\n" for k, v in rows)


class _ZipWriter:
    """Members with a fixed timestamp (the snapshot), so the same population gives the same bytes."""

    def __init__(self, path: Path, *, snapshot: date, store: bool) -> None:
        self.path = path
        self.compression = zipfile.ZIP_STORED if store else zipfile.ZIP_DEFLATED
        self.zip = zipfile.ZipFile(
            path, "w", compression=self.compression, compresslevel=None if store else 1
        )
        self.date_time = (snapshot.year, snapshot.month, snapshot.day, 6, 0, 0)

    def open(self, name: str, *, large: bool = False) -> IO[bytes]:
        info = zipfile.ZipInfo(name, date_time=self.date_time)
        info.compress_type = self.compression
        info.external_attr = 0o644 << 16
        if self.compression == zipfile.ZIP_DEFLATED:
            info.compress_level = 1  # type: ignore[attr-defined]  # Python ≥ 3.13; older ones read _compresslevel
            info._compresslevel = 1  # type: ignore[attr-defined]
        return self.zip.open(info, "w", force_zip64=large)

    def write_text(self, name: str, text: str) -> None:
        with self.open(name) as f:
            f.write(text.encode("utf-8"))

    def write_sorted(self, name: str, header: str, parts: Sequence[Path], runs: Path) -> None:
        """The lines of ``parts`` as one member, ordered by their first field (see :func:`sorted_lines`)."""
        large = sum(p.stat().st_size for p in parts) > (1 << 30)
        with self.open(name, large=large) as f:
            f.write(header.encode("utf-8"))
            f.writelines(sorted_lines(parts, runs))

    def close(self) -> None:
        self.zip.close()


# --- the order of the official files ---------------------------------------------------------------------
#
# The official extracts list each file's lines by their key, the first field (the entity, enterprise or
# establishment number, or the branch id; shared/samples: every file of the real update extract), and an
# entity's own lines in their order. A population is generated enterprise by enterprise, with numbers drawn
# at random, so the lines are sorted afterwards, in bounded memory: sorted runs of RUN_LINES lines in
# temporary files, then merged.

#: Lines sorted in memory at a time (about 80 MB for the activities).
RUN_LINES = 1_000_000


def _key(line: bytes) -> bytes:
    """A line's first field as written: the numbers of one kind have one format, so bytes order them."""
    return line[: line.find(b",")]


def _run(lines: list[bytes]) -> list[bytes]:
    return sorted(lines, key=_key)  # stable: an entity's lines keep their order


def sorted_lines(parts: Sequence[Path], runs: Path, run_lines: int = RUN_LINES) -> Iterator[bytes]:
    """The lines of the files ``parts`` ordered by their first field, equal keys in their order."""
    files: list[Path] = []
    batch: list[bytes] = []

    def spill() -> None:
        path = runs / f"run{len(files):04d}"
        with path.open("wb", buffering=_BUFFER) as out:
            out.writelines(_run(batch))
        files.append(path)
        batch.clear()

    for part in parts:
        with part.open("rb", buffering=_BUFFER) as src:
            for line in src:
                batch.append(line)
                if len(batch) >= run_lines:
                    spill()
    if not files:
        yield from _run(batch)
        return
    if batch:
        spill()
    with contextlib.ExitStack() as stack:
        readers = [stack.enter_context(path.open("rb", buffering=_BUFFER)) for path in files]
        yield from heapq.merge(*readers, key=_key)  # equal keys: the earlier run first
    for path in files:
        path.unlink()


# --- full extract -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _PartJob:
    seed: int
    size: int
    snapshot: date
    start: int
    stop: int
    directory: str
    progress: bool


def _open_part(directory: Path, name: str) -> IO[str]:
    return (directory / f"{name}.csv").open("w", encoding="utf-8", newline="", buffering=_BUFFER)


def _write_records(records: Iterable[EnterpriseRecord], directory: Path) -> dict[str, int]:
    """Append the rows of ``records`` to one file per member in ``directory``; returns the row counts."""
    directory.mkdir(parents=True, exist_ok=True)
    names = (*KBO_FILES, "functions", "persons")
    files = {name: _open_part(directory, name) for name in names}
    counts = dict.fromkeys(names, 0)
    try:
        kbo = [(name, files[name]) for name in KBO_FILES]
        functions, persons = files["functions"], files["persons"]
        for record in records:
            lines = record.lines
            for name, f in kbo:
                rows = lines[name]
                if rows:
                    f.write("".join(rows))
                    counts[name] += len(rows)
            for row in record.functions:
                functions.write(function_line(row))
            for person in record.persons:
                persons.write(person_line(person))
            counts["functions"] += len(record.functions)
            counts["persons"] += len(record.persons)
    finally:
        for f in files.values():
            f.close()
    return counts


def _write_part(job: _PartJob) -> dict[str, int]:
    population = Population(seed=job.seed, size=job.size, snapshot_date=job.snapshot)
    records: Iterable[EnterpriseRecord] = population.iter_range(job.start, job.stop)
    if job.progress:
        from tqdm import tqdm

        records = tqdm(records, total=job.stop - job.start, unit=" enterprises", mininterval=1.0)
    return _write_records(records, Path(job.directory))


def write_full_extract(
    out: Path,
    population: Population,
    *,
    number: int = 1,
    extra: Sequence[EnterpriseRecord] = (),
    store: bool = False,
    functions_csv: Path | None = None,
    persons_csv: Path | None = None,
    jobs: int = 1,
    progress: bool = False,
) -> ExtractResult:
    """Write ``population`` (and the ``extra`` records, e.g. the named demo organisations) as a full extract.

    ``functions_csv``/``persons_csv``: also write the legal functions (our CSV, docs/functions-csv.md) and the
    persons of the national register of the same population.
    """
    started = time.monotonic()
    out.parent.mkdir(parents=True, exist_ok=True)
    jobs = max(1, min(jobs, population.size // 10_000 or 1))
    with tempfile.TemporaryDirectory(dir=out.parent, prefix=".kbo-extract-") as tmp:
        tmpdir = Path(tmp)
        bounds = [population.size * k // jobs for k in range(jobs + 1)]
        parts = [
            _PartJob(
                population.seed,
                population.size,
                population.snapshot_date,
                bounds[k],
                bounds[k + 1],
                str(tmpdir / f"part{k:02d}"),
                progress and k == 0,
            )
            for k in range(jobs)
        ]
        if jobs == 1:
            counts = [_write_part(parts[0])]
        else:
            with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
                counts = list(pool.map(_write_part, parts))
        directories = [Path(part.directory) for part in parts]
        if extra:
            counts.append(_write_records(extra, tmpdir / "extra"))
            directories.append(tmpdir / "extra")
        totals = {name: sum(c[name] for c in counts) for name in counts[0]}

        result = ExtractResult(out, "full", number, population.snapshot_date)
        writer = _ZipWriter(out, snapshot=population.snapshot_date, store=store)
        try:
            writer.write_text("meta.csv", _meta_lines(population.snapshot_date, "full", number))
            writer.write_text("code.csv", (DATA_DIR / "kbo_code.csv").read_text(encoding="utf-8"))
            result.row_counts["meta.csv"] = 5
            result.row_counts["code.csv"] = _count_code_rows()
            for name in KBO_FILES:
                member_parts = [d / f"{name}.csv" for d in directories]
                writer.write_sorted(f"{name}.csv", KBO_HEADERS[name], member_parts, tmpdir)
                result.row_counts[f"{name}.csv"] = totals[name]
        finally:
            writer.close()
        for target, name, header in (
            (functions_csv, "functions", FUNCTIONS_HEADER),
            (persons_csv, "persons", PERSONS_HEADER),
        ):
            if target is not None:
                _concatenate(target, header, [d / f"{name}.csv" for d in directories])
        result.functions = totals["functions"]
        result.persons = totals["persons"]
    result.seconds = time.monotonic() - started
    return result


def _count_code_rows() -> int:
    with (DATA_DIR / "kbo_code.csv").open(encoding="utf-8") as f:
        return sum(1 for _ in f) - 1


def _concatenate(target: Path, header: str, parts: Sequence[Path]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        out.write(header.encode("utf-8"))
        for part in parts:
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, _BUFFER)


# --- update extract -----------------------------------------------------------------------------------


@dataclass
class UpdatePlan:
    """Which enterprises an update extract touches (a pure function of the population and its number)."""

    stopped: list[int]
    changed: list[tuple[int, str]]  # (index, "name" | "address" | "activity" | "form")
    new: list[int]


def plan_update(population: Population, number: int) -> UpdatePlan:
    size = population.size
    rng = random.Random(f"kmop-update:{population.seed}:{size}:{number}")
    n_stopped = max(1, round(size * UPDATE_STOPPED))
    n_changed = max(1, round(size * UPDATE_CHANGED))
    n_new = max(1, round(size * UPDATE_NEW))
    touched = rng.sample(range(size), min(size, n_stopped + n_changed))
    kinds = ("name", "address", "activity", "form")
    changed = [(index, kinds[rng.randrange(len(kinds))]) for index in touched[n_stopped:]]
    new = list(range(size, min(size + n_new, population.capacity)))
    return UpdatePlan(stopped=sorted(touched[:n_stopped]), changed=sorted(changed), new=new)


def _entity_of(line: str) -> str:
    """The first field (the key) of a KBO line."""
    return line[1 : line.index('"', 1)]


def _update_record(
    population: Population, record: EnterpriseRecord, kind: str, number: int
) -> dict[str, tuple[list[str], list[str]]]:
    """The deletes (keys) and inserts (lines) per file that change ``record`` in ``kind``."""
    rng = random.Random(f"kmop-change:{population.seed}:{record.index}:{number}")
    builder = EnterpriseBuilder(population, rng, record.index)
    display = record.display
    own = {name: [line for line in record.lines[name] if _entity_of(line) == display] for name in KBO_FILES}
    if kind == "form" and not record.juridical_form_cac:
        kind = "name"
    if kind == "address" and (
        record.kind == "foreign" or (record.type_of_enterprise == "1" and not record.establishments)
    ):
        kind = "activity"
    if kind == "activity" and not own["activity"]:
        kind = "name"
    changes: dict[str, tuple[list[str], list[str]]] = {}
    if kind == "form":
        # the statutes were adapted to the WVV: the old form goes, the new one stays
        (line,) = own["enterprise"]
        fields = line.rstrip("\n").split(",")
        fields[4], fields[5] = f'"{record.juridical_form_cac}"', ""
        changes["enterprise"] = ([display], [",".join(fields) + "\n"])
    elif kind == "name":
        if record.type_of_enterprise == "1":
            # a natural person's name does not change: the commercial name does
            new_name = (
                builder.pick(population.pools.brands)
                + " "
                + builder.pick(("Shop", "Studio", "Service", "& Co"))
            )
            lines = [line for line in own["denomination"] if '","003",' not in line]
            lines.append(f'"{display}","{record.language}","003",{q(new_name)}\n')
        else:
            new_name = builder.company_name(
                record.juridical_form, record.kind, record.language, record.main_nace, record.seat
            )
            if new_name == record.name:
                new_name = f"{new_name} {builder.pick(('Group', 'Services', 'Invest', 'Plus'))}"
            lines = [line for line in own["denomination"] if '","001",' not in line]
            lines.insert(0, f'"{display}","{record.language}","001",{q(new_name)}\n')
        changes["denomination"] = ([display], lines)
    elif kind == "address":
        m = builder._municipality(record.region)
        if record.type_of_enterprise == "1":
            entity = record.establishments[0]
            changes["address"] = ([entity], [builder.address_line(entity, "BAET", m, m.region)])
        else:
            changes["address"] = ([display], [builder.address_line(display, "REGO", m, m.region)])
    else:
        nace_kind = (
            "nonprofit" if record.kind == "nonprofit" else "vme" if record.kind == "vme" else "commercial"
        )
        main = builder.nace(nace_kind)
        seconds = builder.secondary_nace(main, nace_kind)
        lines = builder.activity_lines(display, "001", main, seconds, False)
        if any('","006",' in line for line in own["activity"]):
            lines += builder.activity_lines(display, "006", main, [], False)
        changes["activity"] = ([display], lines)
    return changes


def write_update_extract(
    out: Path,
    population: Population,
    *,
    number: int,
    store: bool = False,
    functions_csv: Path | None = None,
    persons_csv: Path | None = None,
) -> ExtractResult:
    """Write update extract ``number`` on top of the full extract ``number - 1`` of ``population``.

    About 1 % of the enterprises change: some are stopped (their every row is deleted), some get another
    name, address, activities or (older forms) their form under the WVV, and some new enterprises start.
    The snapshot is the day after the full extract's.
    """
    started = time.monotonic()
    plan = plan_update(population, number)
    snapshot = population.snapshot_date + timedelta(days=1)
    deletes: dict[str, set[str]] = {name: set() for name in KBO_FILES}
    inserts: dict[str, list[str]] = {name: [] for name in KBO_FILES}
    functions: list[LegalFunctionRow] = []
    persons: list[PersonRow] = []

    for index in plan.stopped:
        record = population.enterprise(index)
        for name in KBO_FILES:
            deletes[name].update(_entity_of(line) for line in record.lines[name])
    for index, kind in plan.changed:
        record = population.enterprise(index)
        for name, (keys, lines) in _update_record(population, record, kind, number).items():
            deletes[name].update(keys)
            inserts[name].extend(lines)
    for index in plan.new:
        record = population.enterprise(index)
        for name in KBO_FILES:
            inserts[name].extend(record.lines[name])
        functions.extend(record.functions)
        persons.extend(record.persons)

    result = ExtractResult(out, "update", number, snapshot)
    out.parent.mkdir(parents=True, exist_ok=True)
    writer = _ZipWriter(out, snapshot=snapshot, store=store)
    try:
        writer.write_text("meta.csv", _meta_lines(snapshot, "update", number))
        writer.write_text("code.csv", (DATA_DIR / "kbo_code.csv").read_text(encoding="utf-8"))
        result.row_counts["meta.csv"] = 5
        result.row_counts["code.csv"] = _count_code_rows()
        for name in KBO_FILES:
            keys = sorted(deletes[name])
            writer.write_text(
                f"{name}_delete.csv", KBO_DELETE_HEADERS[name] + "".join(f'"{k}"\n' for k in keys)
            )
            rows = sorted(inserts[name], key=_entity_of)
            writer.write_text(f"{name}_insert.csv", KBO_HEADERS[name] + "".join(rows))
            result.row_counts[f"{name}_delete.csv"] = len(keys)
            result.row_counts[f"{name}_insert.csv"] = len(rows)
    finally:
        writer.close()
    if functions_csv is not None:
        functions_csv.write_text(FUNCTIONS_HEADER + "".join(map(function_line, functions)), encoding="utf-8")
    if persons_csv is not None:
        persons_csv.write_text(PERSONS_HEADER + "".join(map(person_line, persons)), encoding="utf-8")
    result.functions = len(functions)
    result.persons = len(persons)
    result.seconds = time.monotonic() - started
    return result


def default_jobs() -> int:
    return max(1, min(4, os.cpu_count() or 1))
