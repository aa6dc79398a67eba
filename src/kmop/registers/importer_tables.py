"""The KBO Open Data tables (headers, columns, checks) and the validation of the importer.

Rows are validated a batch at a time by a :class:`BatchChecker`: per column, one chain of C-level
``map``/``set`` operations over the whole batch (a code column is valid when the set of its values is a
subset of the codes of code.csv; a number column when every distinct number has the right form and check
digits; and so on), so that no Python bytecode runs per row. When a batch is refused, :func:`row_problem`
checks its rows one by one, in file order, with kmop.registers.numbers (python-stdnum) for the numbers, to
name the first wrong line and column. Both paths apply the same rules; the tests hold them to it.
"""

from __future__ import annotations

import datetime
import functools
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from itertools import filterfalse, repeat
from operator import itemgetter, methodcaller, mod, setitem

from django.db import models
from django.utils.translation import gettext as _

from kmop.registers import numbers
from kmop.registers.models import (
    Activity,
    Address,
    Branch,
    Contact,
    Denomination,
    Enterprise,
    Establishment,
    KboCode,
)

CodeSets = Mapping[str, frozenset[str]]
Batch = list[list[str]]

NACE_VERSIONS = ("2003", "2008", "2025")
_EMPTY: frozenset[str] = frozenset()

META_HEADER = ("Variable", "Value")
CODE_HEADER = ("Category", "Code", "Language", "Description")

#: Bound of the caches of numbers and dates already found valid (they are cleared when full).
CACHE_LIMIT = 1 << 16

# --- numbers and dates ------------------------------------------------------------------------------
#
# The check digits of enterprise and establishment numbers: stdnum.be.vat.checksum(n) == 0, i.e.
# (first 8 digits + last 2 digits) % 97 == 0. With a = first8 % 97 and b = last2, int(n) % 9700 is
# 100 * a + b, so the number is valid exactly when int(n) % 9700 is one of the 100 residues below: one
# int() and one modulo per number, both in C. The residue test also passes 0000000000 ((0 + 0) % 97 == 0),
# which stdnum.be.vat.validate refuses (int(number) <= 0): it is refused by itself. tests/registers/
# test_import_kbo.py checks the equivalence against stdnum.be.vat.is_valid on random numbers and edge cases.
_ALL_ZEROS = "0000000000"
_VALID_RESIDUES = frozenset(100 * a + b for a in range(97) for b in range(100) if (a + b) % 97 == 0)
_FIRST_DIGITS = {
    "enterprise": frozenset("01"),
    "establishment": frozenset("2345678"),
    "branch": frozenset("9"),
    "entity": frozenset("0123456789"),
}
_starts_with_9 = methodcaller("startswith", "9")


def numbers_valid(values: Collection[str], kind: str) -> bool:
    """Whether every value is a valid number of that kind (formatted with dots, or compact)."""
    if not values:
        return True
    compacts = list(map(str.replace, values, repeat("."), repeat("")))
    if set(map(len, compacts)) != {10}:
        return False
    joined = "".join(compacts)
    if not (joined.isdigit() and joined.isascii()):
        return False
    if not set(map(itemgetter(0), compacts)) <= _FIRST_DIGITS[kind]:
        return False
    if kind == "branch":
        # The KBO publishes no check-digit rule for branch ids ("not an official number"): form only.
        return True
    if _ALL_ZEROS in compacts:  # only possible for enterprise and entity numbers (first digit 0)
        return False
    checked = list(filterfalse(_starts_with_9, compacts)) if kind == "entity" else compacts
    return set(map(mod, map(int, checked), repeat(9700))) <= _VALID_RESIDUES


def number_valid(value: str, kind: str) -> bool:
    return numbers_valid((value,), kind)


@functools.lru_cache(maxsize=CACHE_LIMIT)
def iso_date(raw: str) -> str | None:
    """``dd-mm-yyyy`` → ``yyyy-mm-dd``; None for anything else or an impossible date."""
    if len(raw) != 10 or raw[2] != "-" or raw[5] != "-" or not raw.isascii():
        return None
    day, month, year = raw[0:2], raw[3:5], raw[6:10]
    if not (day.isdigit() and month.isdigit() and year.isdigit()):
        return None
    try:
        datetime.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return f"{year}-{month}-{day}"


# --- the tables -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """What a column holds: a kind, a code category, whether it may be empty, a maximum length."""

    kind: str  # enterprise, establishment, branch, entity, code, nace_version, nace_code, date, text
    category: str = ""
    required: bool = True
    max_length: int = 0


@dataclass(frozen=True)
class TableSpec:
    """One KBO table: its file, header, model and how an update applies to it."""

    name: str  # the file stem: enterprise, establishment, ...
    model: type[models.Model]
    header: tuple[str, ...]
    fields: tuple[str, ...]  # model field names, in header order
    checks: tuple[Check, ...]
    key_field: str  # the key of the ``_delete`` file (the primary key, or entity_number)
    upsert: bool  # True: rows upsert on the primary key; False: an entity's rows are its complete set

    @property
    def db_table(self) -> str:
        return self.model._meta.db_table

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(_column(self.model, name) for name in self.fields)

    @property
    def key_column(self) -> str:
        return _column(self.model, self.key_field)

    @property
    def key_header(self) -> str:
        return self.header[self.fields.index(self.key_field)]

    @property
    def nullable(self) -> tuple[bool, ...]:
        return tuple(bool(self.model._meta.get_field(name).null) for name in self.fields)

    def key_spec(self) -> TableSpec:
        """The spec of the ``_delete`` file: the key column only."""
        index = self.fields.index(self.key_field)
        return TableSpec(
            name=f"{self.name}_delete",
            model=self.model,
            header=(self.header[index],),
            fields=(self.key_field,),
            checks=(self.checks[index],),
            key_field=self.key_field,
            upsert=self.upsert,
        )


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return str(field.column)


def _max_length(model: type[models.Model], name: str) -> int:
    return int(getattr(model._meta.get_field(name), "max_length", 0) or 0)


def _text(model: type[models.Model], name: str, *, required: bool = False) -> Check:
    return Check("text", required=required, max_length=_max_length(model, name))


_ADDRESS_TEXT = (
    "country_nl",
    "country_fr",
    "zipcode",
    "municipality_nl",
    "municipality_fr",
    "street_nl",
    "street_fr",
    "house_number",
    "box",
    "extra_address_info",
)

TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        name="enterprise",
        model=Enterprise,
        header=(
            "EnterpriseNumber",
            "Status",
            "JuridicalSituation",
            "TypeOfEnterprise",
            "JuridicalForm",
            "JuridicalFormCAC",
            "StartDate",
        ),
        fields=(
            "enterprise_number",
            "status",
            "juridical_situation",
            "type_of_enterprise",
            "juridical_form",
            "juridical_form_cac",
            "start_date",
        ),
        checks=(
            Check("enterprise"),
            Check("code", "Status"),
            Check("code", "JuridicalSituation"),
            Check("code", "TypeOfEnterprise"),
            # JuridicalFormCAC holds a JuridicalForm code too (the form under the new company code).
            Check("code", "JuridicalForm", required=False),
            Check("code", "JuridicalForm", required=False),
            Check("date"),
        ),
        key_field="enterprise_number",
        upsert=True,
    ),
    TableSpec(
        name="establishment",
        model=Establishment,
        header=("EstablishmentNumber", "StartDate", "EnterpriseNumber"),
        fields=("establishment_number", "start_date", "enterprise"),
        checks=(Check("establishment"), Check("date"), Check("enterprise")),
        key_field="establishment_number",
        upsert=True,
    ),
    TableSpec(
        name="denomination",
        model=Denomination,
        header=("EntityNumber", "Language", "TypeOfDenomination", "Denomination"),
        fields=("entity_number", "language", "type_of_denomination", "denomination"),
        checks=(
            Check("entity"),
            Check("code", "Language"),
            Check("code", "TypeOfDenomination"),
            _text(Denomination, "denomination", required=True),
        ),
        key_field="entity_number",
        upsert=False,
    ),
    TableSpec(
        name="address",
        model=Address,
        header=(
            "EntityNumber",
            "TypeOfAddress",
            "CountryNL",
            "CountryFR",
            "Zipcode",
            "MunicipalityNL",
            "MunicipalityFR",
            "StreetNL",
            "StreetFR",
            "HouseNumber",
            "Box",
            "ExtraAddressInfo",
            "DateStrikingOff",
        ),
        fields=("entity_number", "type_of_address", *_ADDRESS_TEXT, "date_striking_off"),
        checks=(
            Check("entity"),
            Check("code", "TypeOfAddress"),
            *(_text(Address, name) for name in _ADDRESS_TEXT),
            Check("date", required=False),
        ),
        key_field="entity_number",
        upsert=False,
    ),
    TableSpec(
        name="contact",
        model=Contact,
        header=("EntityNumber", "EntityContact", "ContactType", "Value"),
        fields=("entity_number", "entity_contact", "contact_type", "value"),
        checks=(
            Check("entity"),
            Check("code", "EntityContact"),
            Check("code", "ContactType"),
            _text(Contact, "value", required=True),
        ),
        key_field="entity_number",
        upsert=False,
    ),
    TableSpec(
        name="activity",
        model=Activity,
        header=("EntityNumber", "ActivityGroup", "NaceVersion", "NaceCode", "Classification"),
        fields=("entity_number", "activity_group", "nace_version", "nace_code", "classification"),
        checks=(
            Check("entity"),
            Check("code", "ActivityGroup"),
            Check("nace_version"),
            Check("nace_code"),
            Check("code", "Classification"),
        ),
        key_field="entity_number",
        upsert=False,
    ),
    TableSpec(
        name="branch",
        model=Branch,
        header=("Id", "StartDate", "EnterpriseNumber"),
        fields=("branch_id", "start_date", "enterprise"),
        checks=(Check("branch"), Check("date"), Check("enterprise")),
        key_field="branch_id",
        upsert=True,
    ),
)

CODE_TABLE = TableSpec(
    name="code",
    model=KboCode,
    header=CODE_HEADER,
    fields=("category", "code", "language", "description"),
    checks=(
        _text(KboCode, "category", required=True),
        _text(KboCode, "code", required=True),
        _text(KboCode, "language", required=True),
        Check("text", required=False),
    ),
    key_field="category",
    upsert=False,
)

_NUMBER_KINDS = frozenset(_FIRST_DIGITS)


# --- batch validation (fast path) -------------------------------------------------------------------


class _Known[T]:
    """Values already found valid (dates), so that each distinct value is checked once.

    Bounded: when it would exceed CACHE_LIMIT it restarts from the values of the current batch.
    """

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: set[T] = set()

    def new(self, batch_values: set[T]) -> set[T]:
        return batch_values - self.values

    def add(self, batch_values: set[T]) -> None:
        if len(self.values) + len(batch_values) > CACHE_LIMIT:
            self.values = set(batch_values)
        else:
            self.values |= batch_values


class BatchChecker:
    """Validates and prepares whole batches of rows of one table (see the module docstring)."""

    def __init__(self, table: TableSpec, codes: CodeSets) -> None:
        self.table = table
        self.width = len(table.header)
        self._steps: list[Callable[[Batch], bool]] = []
        self.number_columns: list[int] = []
        self.date_columns: list[int] = []
        dotted_codes = False
        for index, check in enumerate(table.checks):
            getter = itemgetter(index)
            kind = check.kind
            if kind in _NUMBER_KINDS:
                self.number_columns.append(index)
                self._steps.append(self._number_step(getter, kind))
            elif kind == "code":
                allowed = codes.get(check.category, _EMPTY) | ({""} if not check.required else _EMPTY)
                dotted_codes |= any("." in code for code in allowed)
                self._steps.append(self._subset_step(getter, allowed))
            elif kind == "nace_version":
                self._steps.append(self._subset_step(getter, frozenset(NACE_VERSIONS)))
            elif kind == "nace_code":
                # Codes per NaceVersion: the (version, code) pairs of the batch against those of code.csv.
                pairs = frozenset((v, code) for v in NACE_VERSIONS for code in codes.get(f"Nace{v}", _EMPTY))
                dotted_codes |= any("." in code for _v, code in pairs)
                version = table.header.index("NaceVersion")
                self._steps.append(self._subset_step(itemgetter(version, index), pairs))
            elif kind == "date":
                self.date_columns.append(index)
                self._steps.append(self._date_step(getter, required=check.required))
            else:  # text
                self._steps.append(self._text_step(getter, check))
        #: Only the numbers hold dots: the COPY text of a batch can be compacted with one str.replace.
        self.dots_only_in_numbers = not dotted_codes and all(c.kind != "text" for c in table.checks)
        self._date_getters = [itemgetter(i) for i in self.date_columns]

    def __call__(self, batch: Batch) -> bool:
        if set(map(len, batch)) != {self.width}:
            return False
        return all(step(batch) for step in self._steps)

    @staticmethod
    def _subset_step(
        getter: Callable[[list[str]], object], allowed: Collection[object]
    ) -> Callable[[Batch], bool]:
        """Every value of the column is allowed: the set of the batch's values is a subset (strings cache
        their hash, so this is a few tens of nanoseconds a row)."""
        allowed_set = frozenset(allowed)

        def step(batch: Batch) -> bool:
            return set(map(getter, batch)) <= allowed_set

        return step

    @staticmethod
    def _number_step(getter: Callable[[list[str]], str], kind: str) -> Callable[[Batch], bool]:
        def step(batch: Batch) -> bool:
            return numbers_valid(set(map(getter, batch)), kind)

        return step

    @staticmethod
    def _date_step(getter: Callable[[list[str]], str], *, required: bool) -> Callable[[Batch], bool]:
        known: _Known[str] = _Known()

        def step(batch: Batch) -> bool:
            values = set(map(getter, batch))
            if required and "" in values:
                return False
            new = known.new(values)
            new.discard("")
            if None in map(iso_date, new):
                return False
            known.add(values)
            return True

        return step

    @staticmethod
    def _text_step(getter: Callable[[list[str]], str], check: Check) -> Callable[[Batch], bool]:
        limit = check.max_length or (1 << 62)
        required = check.required

        def step(batch: Batch) -> bool:
            if max(map(len, map(getter, batch))) > limit:
                return False
            return all(map(getter, batch)) if required else True

        return step

    def prepare(self, batch: Batch, *, compact: bool = True, iso_dates: bool = True) -> None:
        """Rewrite a valid batch in place: numbers compact, dates ISO (both optional)."""
        if compact:
            for index in self.number_columns:
                deque(
                    map(
                        setitem,
                        batch,
                        repeat(index),
                        map(str.replace, map(itemgetter(index), batch), repeat("."), repeat("")),
                    ),
                    maxlen=0,
                )
        if iso_dates:
            for index, getter in zip(self.date_columns, self._date_getters, strict=True):
                deque(map(setitem, batch, repeat(index), map(_iso_or_empty, map(getter, batch))), maxlen=0)


def _iso_or_empty(raw: str) -> str:
    return (iso_date(raw) or "") if raw else ""


# --- per-row diagnosis (slow path) ------------------------------------------------------------------


def _number_problem(kind: str, value: str) -> str | None:
    """The same rules as numbers_valid(), with kmop.registers.numbers (python-stdnum) for the message."""
    labels = {
        "enterprise": _("ondernemingsnummer"),
        "establishment": _("vestigingseenheidsnummer"),
        "branch": _("id van een bijkantoor"),
    }
    number_kind = kind
    if kind == "entity":
        first = value.replace(".", "")[:1]
        number_kind = "branch" if first == "9" else "establishment" if first in "2345678" else "enterprise"
    if number_kind == "branch":
        valid = number_valid(value, "branch")
    else:
        validate = (
            numbers.validate_establishment_number
            if number_kind == "establishment"
            else numbers.validate_enterprise_number
        )
        try:
            valid = validate(value) == value.replace(".", "") and number_valid(value, number_kind)
        except numbers.ValidationError:
            valid = False
    if valid:
        return None
    if kind == "entity":
        return _(
            "Ongeldig entiteitsnummer %(value)r: geen geldig ondernemingsnummer, vestigingseenheidsnummer "
            "of id van een bijkantoor (9.999.999.999)."
        ) % {"value": value}
    return _("Ongeldig %(label)s: %(value)r.") % {"label": labels[number_kind], "value": value}


def _code_problem(value: str, category: str, codes: CodeSets) -> str | None:
    if value in codes.get(category, _EMPTY):
        return None
    return _("Onbekende code %(value)r in categorie %(category)s van code.csv.") % {
        "value": value,
        "category": category,
    }


def column_problem(
    check: Check, value: str, row: list[str], header: tuple[str, ...], codes: CodeSets
) -> str | None:
    """The message for a wrong value, or None when the value is right."""
    if value == "":
        return _("Verplichte waarde ontbreekt.") if check.required else None
    if check.max_length and len(value) > check.max_length:
        return _("Waarde te lang: %(length)d tekens (maximum %(max)d).") % {
            "length": len(value),
            "max": check.max_length,
        }
    kind = check.kind
    if kind in _NUMBER_KINDS:
        return _number_problem(kind, value)
    if kind == "date":
        if iso_date(value) is None:
            return _("Ongeldige datum %(value)r (verwacht dd-mm-jjjj).") % {"value": value}
        return None
    if kind == "code":
        return _code_problem(value, check.category, codes)
    if kind == "nace_version":
        if value not in NACE_VERSIONS:
            return _("Onbekende NACE-versie %(value)r (verwacht %(versions)s).") % {
                "value": value,
                "versions": ", ".join(NACE_VERSIONS),
            }
        return None
    if kind == "nace_code":
        version = row[header.index("NaceVersion")]
        if version not in NACE_VERSIONS:
            return None  # reported on NaceVersion
        return _code_problem(value, f"Nace{version}", codes)
    return None  # text: only required and max_length


def row_problem(table: TableSpec, row: list[str], codes: CodeSets) -> tuple[str, str | None] | None:
    """(message, column header or None) for the first problem of a row, or None when the row is right."""
    if len(row) != len(table.header):
        message = _("Verwacht %(expected)d kolommen, gevonden %(found)d.") % {
            "expected": len(table.header),
            "found": len(row),
        }
        return message, None
    for index, check in enumerate(table.checks):
        problem = column_problem(check, row[index], row, table.header, codes)
        if problem:
            return problem, table.header[index]
    return None


def physical_lines(row: Iterable[str]) -> int:
    """How many lines of the file a parsed row took (a quoted value may hold line breaks)."""
    extra = 0
    for value in row:
        if "\n" in value or "\r" in value:
            extra += value.count("\n") + value.count("\r") - value.count("\r\n")
    return 1 + extra
