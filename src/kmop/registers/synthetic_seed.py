"""``kmop seed``: realistic data in the database, as a list of seed steps.

The registers' steps generate a synthetic full KBO extract (``synthetic_extract``) in a temporary folder,
import it with the KBO importer, then load the function codes, the national-register persons and the legal
functions of the same population. ``--scale demo`` adds the named demo organisations and persons
(``kmop.demo``). Seeding replaces what an earlier seed left in these tables, so running it twice gives the
same state.

Other apps extend the seed with a module ``<app>/seed_steps.py`` that defines ``STEPS``: a list of
``SeedStep``; they run after the registers' steps, in the order of ``INSTALLED_APPS``.
"""

from __future__ import annotations

import csv
import importlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from django.apps import apps
from django.db import connection, models
from django.utils.translation import gettext as _

from kmop.audit.services import Actor
from kmop.registers.synthetic import LegalFunctionRow, PersonRow, Population


class Writer(Protocol):
    def write(self, msg: str) -> Any: ...


@dataclass
class SeedContext:
    """What the steps share: the population, the work folder, the files made by earlier steps."""

    scale: int
    demo: bool
    seed: int
    workdir: Path
    actor: Actor
    stdout: Writer
    jobs: int = 1
    progress: bool = False
    files: dict[str, Path] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def population(self) -> Population:
        return Population(seed=self.seed, size=self.scale)


@dataclass(frozen=True)
class SeedStep:
    name: str
    run: Callable[[SeedContext], None]


def _step_kbo(ctx: SeedContext) -> None:
    from kmop.registers.importer import import_extract
    from kmop.registers.synthetic_extract import write_full_extract

    population = ctx.population()
    extra = []
    if ctx.demo:
        from kmop.demo.data import demo_enterprise_records

        extra = demo_enterprise_records(population)
    extract = ctx.workdir / "KboOpenData_0001_Full.zip"
    functions = ctx.workdir / "functions.csv"
    persons = ctx.workdir / "persons.csv"
    result = write_full_extract(
        extract,
        population,
        number=1,
        extra=extra,
        functions_csv=functions,
        persons_csv=persons,
        jobs=ctx.jobs,
        progress=ctx.progress,
    )
    rows = sum(result.row_counts.values())
    ctx.stdout.write(
        "  "
        + _("extract: %(enterprises)d ondernemingen, %(rows)d rijen, %(bytes)d bytes in %(seconds).1f s")
        % {
            "enterprises": result.row_counts["enterprise.csv"],
            "rows": rows,
            "bytes": result.size_bytes,
            "seconds": result.seconds,
        }
        + "\n"
    )
    ctx.files.update(extract=extract, functions=functions, persons=persons)
    # The seed replaces the register on purpose, whatever extract was imported before it.
    imported = import_extract(extract, progress=ctx.progress, force=True, actor=ctx.actor)
    ctx.counts["enterprises"] = result.row_counts["enterprise.csv"]
    ctx.stdout.write(
        "  "
        + _("extract %(number)d geïmporteerd (%(type)s)")
        % {"number": imported.extract_number, "type": imported.extract_type}
        + "\n"
    )


def _step_function_codes(ctx: SeedContext) -> None:
    from kmop.registers.services import legal_function_codes_load

    ctx.counts["function_codes"] = legal_function_codes_load(actor=ctx.actor)


def read_persons_csv(path: Path) -> Iterator[PersonRow]:
    """The persons file that ``make_kbo_extract --persons`` writes."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for number, last, first, birth, sex in reader:
            yield PersonRow(number, last, first, _date(birth), sex)


def _date(value: str) -> date:
    day, month, year = value.split("-")
    return date(int(year), int(month), int(day))


def read_functions_csv(path: Path) -> Iterator[LegalFunctionRow]:
    """The legal functions file that ``make_kbo_extract --functions`` writes (docs/functions-csv.md)."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for enterprise, person, code, start, end in reader:
            yield LegalFunctionRow(
                enterprise.replace(".", ""), person, code, _date(start), _date(end) if end else None
            )


def _step_national_register(ctx: SeedContext) -> None:
    from kmop.registers.services import national_register_persons_load

    ctx.counts["persons"] = national_register_persons_load(  # one transaction of its own
        actor=ctx.actor, persons=read_persons_csv(ctx.files["persons"]), replace=True, reason="kmop seed"
    )


def _step_legal_functions(ctx: SeedContext) -> None:
    """The generated functions are valid by construction (tests check it): bulk-loaded, not re-validated.

    One transaction, and one audit event with the count (synthetic data: no per-function history).
    """
    from kmop.registers.services import legal_functions_load

    ctx.counts["legal_functions"] = legal_functions_load(
        actor=ctx.actor,
        functions=read_functions_csv(ctx.files["functions"]),
        replace=True,
        reason="kmop seed",
    )


REGISTERS_STEPS: list[SeedStep] = [
    SeedStep("kbo", _step_kbo),
    SeedStep("function_codes", _step_function_codes),
    SeedStep("national_register", _step_national_register),
    SeedStep("legal_functions", _step_legal_functions),
]


def seed_steps() -> list[SeedStep]:
    """The registers' steps, then ``STEPS`` of every installed app's ``seed_steps`` module."""
    steps = list(REGISTERS_STEPS)
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.seed_steps")
        except ModuleNotFoundError as e:
            if e.name != f"{config.name}.seed_steps":
                raise
            continue
        steps.extend(getattr(module, "STEPS", []))
    return steps


def run_seed(ctx: SeedContext, steps: list[SeedStep] | None = None) -> None:
    for step in steps if steps is not None else seed_steps():
        started = time.monotonic()
        ctx.stdout.write(_("seed: stap %(step)s") % {"step": step.name} + "\n")
        step.run(ctx)
        ctx.stdout.write(
            "  "
            + _("%(step)s klaar in %(seconds).1f s")
            % {"step": step.name, "seconds": time.monotonic() - started}
            + "\n"
        )


def delete_referencing(model: type[models.Model], *, keep_app: str, suffix: str = "", depth: int = 0) -> None:
    """Delete the rows of other apps' models that point at rows of ``model`` (through the lookup ``suffix``
    back to ``model``), deepest first: for a seed step that replaces its tables with raw deletes on SQLite,
    where nothing cascades (e.g. the e-loket's projects of an organisation and what points at them). Only
    rows that point at them, never whole tables; models of ``keep_app`` itself are left to the step."""
    if depth > 6:
        return
    for rel in model._meta.related_objects:
        related = rel.related_model
        if (
            rel.many_to_many
            or not isinstance(related, type)
            or not issubclass(related, models.Model)
            or related is model
            or related._meta.app_label == keep_app
        ):
            continue
        lookup = f"{rel.field.name}__{suffix}" if suffix else rel.field.name
        delete_referencing(related, keep_app=keep_app, suffix=lookup, depth=depth + 1)
        related._default_manager.filter(**{f"{lookup}__isnull": False})._raw_delete(connection.alias)


class TableWriter:
    """Rows of one table, written in batches of ``batch`` rows: ``COPY`` on PostgreSQL, ``bulk_create``
    elsewhere. Call ``flush()`` after the last ``add()``. The seed steps of every app write their scale data
    with it."""

    def __init__(self, model: type[models.Model], columns: tuple[str, ...], *, batch: int = 5000) -> None:
        self.model = model
        self.batch = batch
        # the other columns (but an automatic primary key) get their default, so that a new field with a
        # default does not break the seed
        others = [
            f
            for f in model._meta.concrete_fields
            if f.attname not in columns and not (f.primary_key and columns[0] != "id")
        ]
        self.columns = columns + tuple(f.attname for f in others)
        self.defaults = tuple(f.get_default() for f in others)
        self.rows: list[tuple[object, ...]] = []
        self.count = 0

    def add(self, row: tuple[object, ...]) -> None:
        self.rows.append(row + self.defaults)
        if len(self.rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        if connection.vendor == "postgresql":
            names = ", ".join(connection.ops.quote_name(c) for c in self.columns)
            table = connection.ops.quote_name(self.model._meta.db_table)
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in self.rows:
                    copy.write_row(row)
        else:
            self.model._default_manager.bulk_create(
                [self.model(**dict(zip(self.columns, row, strict=True))) for row in self.rows],
                batch_size=500,
            )
        self.count += len(self.rows)
        self.rows = []
