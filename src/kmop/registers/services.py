"""Writes on the registers other than KBO imports: legal functions, function codes, national-register persons.

Every write is keyword-only, runs in one transaction and records an audit event with before/after and the
reason in that same transaction.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from kmop.audit.services import Actor, audit_record
from kmop.registers.models import LegalFunction, LegalFunctionCode, NationalRegisterPerson
from kmop.registers.national_register import InvalidNationalNumber, validate_person_number
from kmop.registers.numbers import ValidationError as NumberError
from kmop.registers.numbers import validate_enterprise_number
from kmop.registers.synthetic import DATA_DIR, LegalFunctionRow, PersonRow

LEGAL_FUNCTION = "registers.LegalFunction"
LEGAL_FUNCTION_CODE = "registers.LegalFunctionCode"
NATIONAL_REGISTER_PERSON = "registers.NationalRegisterPerson"


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Geef een reden op voor deze wijziging.")})
    return reason


def _audit_change(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str,
    before: dict[str, Any],
    after: dict[str, Any],
    reason: str,
) -> None:
    """An audit event for an update, only when it changed something (saving the same values is no event)."""
    if after != before:
        audit_record(
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            before=before,
            after=after,
            reason=reason,
        )


def legal_function_snapshot(function: LegalFunction) -> dict[str, Any]:
    return {
        "enterprise_number": function.enterprise_id,
        "person_number": function.person_number,
        "function_code": function.function_id,
        "start_date": function.start_date.isoformat(),
        "end_date": function.end_date.isoformat() if function.end_date else None,
    }


def validate_legal_function(
    *,
    enterprise_number: str,
    person_number: str,
    function_code: str,
    start_date: date,
    end_date: date | None,
    exclude_pk: int | None = None,
) -> tuple[str, str, LegalFunctionCode]:
    """Check a legal function before it is written; raises ValidationError keyed by field.

    Returns the compact enterprise and person numbers and the function code.
    """
    errors: dict[str, str] = {}
    enterprise = person = ""
    try:
        enterprise = validate_enterprise_number(enterprise_number)
    except NumberError:
        errors["enterprise_number"] = _("%(value)s is geen geldig ondernemingsnummer.") % {
            "value": enterprise_number
        }
    try:
        person = validate_person_number(person_number)
    except InvalidNationalNumber:
        errors["person_number"] = _("%(value)s is geen geldig rijksregisternummer of BIS-nummer.") % {
            "value": person_number
        }
    code = LegalFunctionCode.objects.filter(pk=function_code).first()
    if code is None:
        errors["function"] = _("Onbekende functiecode %(value)s.") % {"value": function_code}
    if end_date is not None and end_date < start_date:
        errors["end_date"] = _("De einddatum ligt voor de begindatum.")
    if not errors:
        duplicate = LegalFunction.objects.filter(
            enterprise_id=enterprise, person_number=person, function_id=function_code, start_date=start_date
        )
        if exclude_pk is not None:
            duplicate = duplicate.exclude(pk=exclude_pk)
        if duplicate.exists():
            errors["__all__"] = _("Deze persoon heeft deze functie al in deze onderneming vanaf die datum.")
    if errors:
        raise ValidationError(errors)
    assert code is not None
    return enterprise, person, code


@transaction.atomic
def legal_function_create(
    *,
    actor: Actor,
    enterprise_number: str,
    person_number: str,
    function_code: str,
    start_date: date,
    end_date: date | None = None,
    reason: str,
) -> LegalFunction:
    """Record that a person holds a function in an enterprise (a correction by staff, or a new mandate)."""
    reason = _require_reason(reason)
    enterprise, person, code = validate_legal_function(
        enterprise_number=enterprise_number,
        person_number=person_number,
        function_code=function_code,
        start_date=start_date,
        end_date=end_date,
    )
    function = LegalFunction.objects.create(
        enterprise_id=enterprise,
        person_number=person,
        function=code,
        start_date=start_date,
        end_date=end_date,
    )
    audit_record(
        actor=actor,
        action="legal_function.create",
        object_type=LEGAL_FUNCTION,
        object_id=str(function.pk),
        after=legal_function_snapshot(function),
        reason=reason,
    )
    return function


@transaction.atomic
def legal_function_update(
    *,
    actor: Actor,
    legal_function: LegalFunction,
    enterprise_number: str,
    person_number: str,
    function_code: str,
    start_date: date,
    end_date: date | None,
    reason: str,
) -> LegalFunction:
    """Change a legal function (typically: set its end date)."""
    reason = _require_reason(reason)
    function = LegalFunction.objects.select_for_update().get(pk=legal_function.pk)
    before = legal_function_snapshot(function)
    enterprise, person, code = validate_legal_function(
        enterprise_number=enterprise_number,
        person_number=person_number,
        function_code=function_code,
        start_date=start_date,
        end_date=end_date,
        exclude_pk=function.pk,
    )
    function.enterprise_id = enterprise
    function.person_number = person
    function.function = code
    function.start_date = start_date
    function.end_date = end_date
    function.save()
    after = legal_function_snapshot(function)
    _audit_change(
        actor=actor,
        action="legal_function.update",
        object_type=LEGAL_FUNCTION,
        object_id=str(function.pk),
        before=before,
        after=after,
        reason=reason,
    )
    return function


@transaction.atomic
def legal_function_delete(*, actor: Actor, legal_function: LegalFunction, reason: str) -> None:
    """Remove a legal function that should never have been recorded (to end one, set its end date)."""
    reason = _require_reason(reason)
    function = LegalFunction.objects.select_for_update().get(pk=legal_function.pk)
    before = legal_function_snapshot(function)
    pk = function.pk
    function.delete()
    audit_record(
        actor=actor,
        action="legal_function.delete",
        object_type=LEGAL_FUNCTION,
        object_id=str(pk),
        before=before,
        reason=reason,
    )


# --- function codes -----------------------------------------------------------------------------------


def read_legal_function_codes() -> list[dict[str, Any]]:
    """The kinds of function of data/legal_function_codes.csv."""
    with (DATA_DIR / "legal_function_codes.csv").open(encoding="utf-8", newline="") as f:
        return [
            {
                "code": row["Code"],
                "label_nl": row["LabelNL"],
                "label_en": row["LabelEN"],
                "represents": row["Represents"] == "1",
            }
            for row in csv.DictReader(f)
        ]


@transaction.atomic
def legal_function_codes_load(*, actor: Actor) -> int:
    """Create the function codes of the data file that are missing; existing codes stay as staff set them.

    Returns how many were created.
    """
    existing = set(LegalFunctionCode.objects.values_list("code", flat=True))
    created = 0
    for row in read_legal_function_codes():
        if row["code"] in existing:
            continue
        LegalFunctionCode.objects.create(**row)
        audit_record(
            actor=actor,
            action="legal_function_code.create",
            object_type=LEGAL_FUNCTION_CODE,
            object_id=row["code"],
            after=row,
            reason=_("functiecodes uit het gegevensbestand geladen"),
        )
        created += 1
    return created


def _code_snapshot(code: LegalFunctionCode) -> dict[str, Any]:
    return {
        "code": code.code,
        "label_nl": code.label_nl,
        "label_en": code.label_en,
        "represents": code.represents,
    }


@transaction.atomic
def legal_function_code_update(
    *, actor: Actor, code: LegalFunctionCode, label_nl: str, label_en: str, represents: bool, reason: str
) -> LegalFunctionCode:
    reason = _require_reason(reason)
    current = LegalFunctionCode.objects.select_for_update().get(pk=code.pk)
    before = _code_snapshot(current)
    current.label_nl, current.label_en, current.represents = label_nl, label_en, represents
    current.full_clean()
    current.save()
    after = _code_snapshot(current)
    _audit_change(
        actor=actor,
        action="legal_function_code.update",
        object_type=LEGAL_FUNCTION_CODE,
        object_id=current.code,
        before=before,
        after=after,
        reason=reason,
    )
    return current


# --- national register persons ------------------------------------------------------------------------


def _person_snapshot(person: NationalRegisterPerson) -> dict[str, Any]:
    return {
        "national_number": person.national_number,
        "last_name": person.last_name,
        "first_name": person.first_name,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "sex": person.sex,
    }


@transaction.atomic
def national_register_person_update(
    *,
    actor: Actor,
    person: NationalRegisterPerson,
    last_name: str,
    first_name: str,
    birth_date: date | None,
    sex: str,
    reason: str,
) -> NationalRegisterPerson:
    """Correct a person of the bundled national register (the demo's register)."""
    reason = _require_reason(reason)
    current = NationalRegisterPerson.objects.select_for_update().get(pk=person.pk)
    before = _person_snapshot(current)
    current.last_name, current.first_name, current.birth_date, current.sex = (
        last_name,
        first_name,
        birth_date,
        sex,
    )
    current.full_clean()
    current.save()
    after = _person_snapshot(current)
    _audit_change(
        actor=actor,
        action="national_register_person.update",
        object_type=NATIONAL_REGISTER_PERSON,
        object_id=current.national_number,
        before=before,
        after=after,
        reason=reason,
    )
    return current


@transaction.atomic
def national_register_persons_load(
    *, actor: Actor, persons: Iterable[PersonRow], replace: bool = False, batch_size: int = 5000, reason: str
) -> int:
    """Bulk-load persons into the bundled national register (``kmop seed``); existing numbers are updated.

    ``replace``: empty the register first. On PostgreSQL a fresh load goes through ``COPY``. One transaction
    (its own, or the caller's). Returns the number of persons loaded.

    One audit event for the whole load, with counts only: the persons are synthetic (the seed's generated
    population or the demo persons), nobody's data is corrected, and an event per person would double the
    cost of a 2 M-enterprise seed. Corrections of real data go through ``national_register_person_update``.
    """
    if replace:
        NationalRegisterPerson.objects.all().delete()
    fresh = replace or not NationalRegisterPerson.objects.exists()
    count = 0
    if fresh and connection.vendor == "postgresql":
        count = _copy_persons(persons)
    else:
        batch: list[NationalRegisterPerson] = []
        for row in persons:
            batch.append(
                NationalRegisterPerson(
                    national_number=row.national_number,
                    last_name=row.last_name,
                    first_name=row.first_name,
                    birth_date=row.birth_date,
                    sex=row.sex,
                )
            )
            if len(batch) >= batch_size:
                count += _upsert_persons(batch)
                batch = []
        if batch:
            count += _upsert_persons(batch)
    audit_record(
        actor=actor,
        action="national_register_person.load",
        object_type=NATIONAL_REGISTER_PERSON,
        object_id="*",
        after={"persons": count, "replace": replace},
        reason=reason,
    )
    return count


def _upsert_persons(batch: list[NationalRegisterPerson]) -> int:
    NationalRegisterPerson.objects.bulk_create(
        batch,
        update_conflicts=True,
        unique_fields=["national_number"],
        update_fields=["last_name", "first_name", "birth_date", "sex"],
    )
    return len(batch)


def copy_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """PostgreSQL ``COPY FROM STDIN`` of ``rows`` into ``columns`` of ``model``'s table; returns a count."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _copy_persons(persons: Iterable[PersonRow]) -> int:
    return copy_rows(
        NationalRegisterPerson,
        ("national_number", "last_name", "first_name", "birth_date", "sex"),
        ((p.national_number, p.last_name, p.first_name, p.birth_date, p.sex) for p in persons),
    )


@transaction.atomic
def legal_functions_load(
    *,
    actor: Actor,
    functions: Iterable[LegalFunctionRow],
    replace: bool = False,
    batch_size: int = 5000,
    reason: str,
) -> int:
    """Bulk-load legal functions that are known to be valid (``kmop seed``'s own, generated ones).

    Files from elsewhere go through ``functions.import_functions_file``, which validates every line and
    audits every function it creates or changes. ``replace``: remove every legal function first. On
    PostgreSQL through ``COPY``. One transaction (its own, or the caller's).

    One audit event for the whole load, with counts only: the functions are synthetic data generated by the
    seed, so there is no history worth reconstructing, and the bulk path stays as fast as the ``COPY``.
    """
    if replace:
        LegalFunction.objects.all().delete()
    rows = (
        (f.enterprise_number, f.person_number, f.function_code, f.start_date, f.end_date) for f in functions
    )
    if connection.vendor == "postgresql":
        count = copy_rows(
            LegalFunction,
            ("enterprise_number", "person_number", "function_id", "start_date", "end_date"),
            rows,
        )
    else:
        count = 0
        while batch := [
            LegalFunction(enterprise_id=e, person_number=p, function_id=c, start_date=s, end_date=end)
            for e, p, c, s, end in itertools.islice(rows, batch_size)
        ]:
            LegalFunction.objects.bulk_create(batch)
            count += len(batch)
    audit_record(
        actor=actor,
        action="legal_function.load",
        object_type=LEGAL_FUNCTION,
        object_id="*",
        after={"legal_functions": count, "replace": replace},
        reason=reason,
    )
    return count
