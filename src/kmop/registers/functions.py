"""Import of the legal functions ("functies") from our CSV (docs/functions-csv.md).

The KBO Open Data has no functions, so who represents an enterprise comes from this file:

    "EnterpriseNumber","PersonNumber","FunctionCode","StartDate","EndDate"
    "0403.170.701","85073003328","10006",01-02-2015,

The import is an **upsert** on (enterprise, person, function, start date): a line creates the function or
sets its end date; functions that are not in the file stay as they are (so a file can be a full dump of
the source or only what changed, and staff corrections are never silently lost). Importing the same file
twice gives the same state. The whole file is one transaction: any wrong line (an empty line between
lines too) stops the import with an ``ImportFileError`` naming the file, line and column, and nothing is
changed.

Audit: every function the import creates or changes gets its own audit event (``legal_function.create`` with
``after``, ``legal_function.update`` with ``before`` and ``after``, as a staff edit has), written in batches
with ``bulk_create``, so what an import changed can be reconstructed function by function; unchanged lines
write nothing. One more event (``legal_function.import``) records the file and its counts.
"""

from __future__ import annotations

import csv
import re
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _

from kmop.audit.services import Actor, AuditChange, audit_record, audit_record_many
from kmop.registers.errors import ImportFileError
from kmop.registers.importer_source import ExtractSource
from kmop.registers.models import Enterprise, LegalFunction, LegalFunctionCode
from kmop.registers.national_register import InvalidNationalNumber, validate_person_number
from kmop.registers.numbers import ValidationError as NumberError
from kmop.registers.numbers import validate_enterprise_number
from kmop.registers.services import LEGAL_FUNCTION, copy_rows, legal_function_snapshot

HEADER = ["EnterpriseNumber", "PersonNumber", "FunctionCode", "StartDate", "EndDate"]
_DATE = re.compile(r"(\d{2})-(\d{2})-(\d{4})")
_Key = tuple[str, str, str, date]
#: who imports when the caller does not say (the command passes the operating-system user)
SYSTEM_ACTOR = Actor.system("import_functions")


@dataclass
class FunctionsImportResult:
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: enterprise numbers not (yet) in the KBO tables, counted once per batch: imported all the same
    unknown_enterprises: int = 0
    seconds: float = 0.0


def _parse_date(value: str, *, file: str, line: int, column: str) -> date:
    match = _DATE.fullmatch(value)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            return date(year, month, day)
        except ValueError:
            pass
    raise ImportFileError(
        _("ongeldige datum %(value)r (verwacht dd-mm-jjjj)") % {"value": value},
        file=file,
        line=line,
        column=column,
    )


def _parse_row(
    row: list[str], *, file: str, line: int, codes: set[str], enterprises: dict[str, str]
) -> tuple[_Key, date | None]:
    if len(row) != len(HEADER):
        raise ImportFileError(
            _("verwacht %(expected)d velden, gevonden %(found)d")
            % {"expected": len(HEADER), "found": len(row)},
            file=file,
            line=line,
        )
    enterprise_value, person_value, code, start_value, end_value = (v.strip() for v in row)
    try:
        # an enterprise has several functions: validate its number once (the cache is emptied per batch)
        enterprise = enterprises.get(enterprise_value) or validate_enterprise_number(enterprise_value)
        enterprises[enterprise_value] = enterprise
    except NumberError:
        raise ImportFileError(
            _("ongeldig ondernemingsnummer %(value)r") % {"value": enterprise_value},
            file=file,
            line=line,
            column="EnterpriseNumber",
        ) from None
    try:
        person = validate_person_number(person_value)
    except InvalidNationalNumber:
        raise ImportFileError(
            _("ongeldig rijksregister- of BIS-nummer %(value)r") % {"value": person_value},
            file=file,
            line=line,
            column="PersonNumber",
        ) from None
    if code not in codes:
        raise ImportFileError(
            _("onbekende functiecode %(value)r") % {"value": code},
            file=file,
            line=line,
            column="FunctionCode",
        )
    start = _parse_date(start_value, file=file, line=line, column="StartDate")
    end = _parse_date(end_value, file=file, line=line, column="EndDate") if end_value else None
    if end is not None and end < start:
        raise ImportFileError(
            _("einddatum %(end)s ligt voor begindatum %(start)s") % {"end": end_value, "start": start_value},
            file=file,
            line=line,
            column="EndDate",
        )
    return (enterprise, person, code, start), end


def _apply_batch(
    batch: dict[_Key, date | None], result: FunctionsImportResult, *, actor: Actor, reason: str
) -> None:
    enterprises = {key[0] for key in batch}
    existing: dict[_Key, LegalFunction] = {
        (f.enterprise_id, f.person_number, f.function_id, f.start_date): f
        for f in LegalFunction.objects.filter(enterprise_id__in=enterprises)
    }
    known = set(Enterprise.objects.filter(pk__in=enterprises).values_list("pk", flat=True))
    result.unknown_enterprises += len(enterprises - known)
    to_create: list[LegalFunction] = []
    to_update: list[LegalFunction] = []
    changes: list[AuditChange] = []
    for key, end in batch.items():
        current = existing.get(key)
        if current is None:
            enterprise, person, code, start = key
            to_create.append(
                LegalFunction(
                    enterprise_id=enterprise,
                    person_number=person,
                    function_id=code,
                    start_date=start,
                    end_date=end,
                )
            )
        elif current.end_date != end:
            before = legal_function_snapshot(current)
            current.end_date = end
            to_update.append(current)
            changes.append(
                AuditChange(
                    "legal_function.update",
                    LEGAL_FUNCTION,
                    str(current.pk),
                    before=before,
                    after=legal_function_snapshot(current),
                )
            )
        else:
            result.unchanged += 1
    if connection.vendor == "postgresql":
        copy_rows(
            LegalFunction,
            ("enterprise_number", "person_number", "function_id", "start_date", "end_date"),
            ((f.enterprise_id, f.person_number, f.function_id, f.start_date, f.end_date) for f in to_create),
        )
    else:
        LegalFunction.objects.bulk_create(to_create, batch_size=2000)
    LegalFunction.objects.bulk_update(to_update, ["end_date"], batch_size=2000)
    if to_create:
        # COPY returns no keys: read back the ids of the new functions for their audit events
        created = {_key(f) for f in to_create}
        ids = {
            (e, p, c, s): pk
            for pk, e, p, c, s in LegalFunction.objects.filter(
                enterprise_id__in={key[0] for key in created}
            ).values_list("pk", "enterprise_id", "person_number", "function_id", "start_date")
        }
        changes += [
            AuditChange(
                "legal_function.create", LEGAL_FUNCTION, str(ids[_key(f)]), after=legal_function_snapshot(f)
            )
            for f in to_create
        ]
    audit_record_many(actor=actor, changes=changes, reason=reason)
    result.created += len(to_create)
    result.updated += len(to_update)


def _key(function: LegalFunction) -> _Key:
    return (function.enterprise_id, function.person_number, function.function_id, function.start_date)


def _first_undecodable_line(path: Path) -> int | None:
    """The first line of the file that is not UTF-8 (the decoder reads ahead, so the reader cannot tell)."""
    with ExtractSource(path.parent) as folder:
        return folder.first_undecodable_line(path.name) if folder.has(path.name) else None


def import_functions_file(
    path: Path, *, actor: Actor = SYSTEM_ACTOR, batch_size: int = 5000
) -> FunctionsImportResult:
    """Import a legal functions CSV (see the module docstring); raises ``ImportFileError``.

    ``actor``: who imports, recorded in the audit events (default: the system).
    """
    started = time.monotonic()
    name = path.name
    reason = _("import van functies uit %(file)s") % {"file": name}
    result = FunctionsImportResult(file=name)
    codes = set(LegalFunctionCode.objects.values_list("code", flat=True))
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as e:
        raise ImportFileError(
            _("kan het bestand niet lezen: %(error)s") % {"error": e.strerror}, file=name
        ) from e
    with handle, transaction.atomic():
        reader = csv.reader(handle, strict=True)
        try:
            header = next(reader, None)
            if header != HEADER:
                raise ImportFileError(
                    _("verkeerde kop: verwacht %(expected)s")
                    % {"expected": ",".join(f'"{h}"' for h in HEADER)},
                    file=name,
                    line=1,
                )
            batch: dict[_Key, date | None] = {}
            enterprises: dict[str, str] = {}
            empty_line: int | None = None  # empty lines are allowed at the end of the file only
            for row in reader:
                if not row:
                    empty_line = empty_line or reader.line_num
                    continue
                if empty_line is not None:
                    raise ImportFileError(_("lege regel"), file=name, line=empty_line)
                key, end = _parse_row(
                    row, file=name, line=reader.line_num, codes=codes, enterprises=enterprises
                )
                batch.pop(key, None)  # a later line for the same function wins
                batch[key] = end
                result.rows += 1
                if len(batch) >= batch_size:
                    _apply_batch(batch, result, actor=actor, reason=reason)
                    batch = {}
                    enterprises.clear()
            if batch:
                _apply_batch(batch, result, actor=actor, reason=reason)
        except csv.Error as e:
            raise ImportFileError(
                _("onleesbare regel: %(error)s") % {"error": e}, file=name, line=reader.line_num
            ) from e
        except UnicodeDecodeError as e:
            raise ImportFileError(
                _("het bestand is geen UTF-8"), file=name, line=_first_undecodable_line(path)
            ) from e
        result.seconds = time.monotonic() - started
        audit_record(
            actor=actor,
            action="legal_function.import",
            object_type=LEGAL_FUNCTION,
            object_id=name,
            after={k: v for k, v in asdict(result).items() if k != "seconds"},
            reason=reason,
        )
    return result
