"""The national register behind an adapter: persons by national register number or BIS number.

``lookup(number)`` validates the number (python-stdnum ``be.ssn``: a national number or a BIS number) and asks
the adapter named by ``settings.KMOP_NATIONAL_REGISTER`` (a dotted path to a ``NationalRegister`` subclass).
The bundled ``LocalNationalRegister`` reads the ``NationalRegisterPerson`` table that the demo data and
``kmop seed`` fill. A production adapter would call the MAGDA service ``GeefPersoon``; its replies are read by
``MagdaGeefPersoonParser`` (tested against the official MAGDA test replies).
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from stdnum.be import nn as _nn
from stdnum.be import ssn as _ssn
from stdnum.exceptions import ValidationError as StdnumValidationError

from kmop.registers.models import NationalRegisterPerson

__all__ = [
    "InvalidNationalNumber",
    "LocalNationalRegister",
    "MagdaGeefPersoonParser",
    "MagdaReplyError",
    "NationalRegister",
    "PersonRecord",
    "get_national_register",
    "is_magda_test_number",
    "lookup",
    "lookup_many",
    "validate_person_number",
]


@dataclass(frozen=True)
class PersonRecord:
    """A person as the national register gives it."""

    national_number: str  # 11 digits
    last_name: str
    first_name: str
    birth_date: date | None  # None when (part of) the birth date is unknown
    sex: str  # "M", "F" or "X" (unknown)


class InvalidNationalNumber(ValidationError):
    """Not a valid national register number or BIS number."""

    def __init__(self, number: str) -> None:
        super().__init__(
            _("%(number)s is geen geldig rijksregisternummer of BIS-nummer."),
            code="invalid_national_number",
            params={"number": number},
        )
        self.number = number


def is_magda_test_number(number: str) -> bool:
    """A MAGDA "TST number": 11 digits with month digits 60–72 and valid INSZ check digits.

    The MAGDA test environment uses them for its fictitious persons; they are not valid national numbers
    (``be.ssn`` rejects the month), so they are accepted only where test replies are read.
    """
    if len(number) != 11 or not number.isdigit() or not 60 <= int(number[2:4]) <= 72:
        return False
    try:
        _nn._checksum(number)  # the check digits of a national number, for births in 19xx or 20xx
    except StdnumValidationError:
        return False
    return True


def validate_person_number(value: str, *, allow_test_numbers: bool = False) -> str:
    """A national number or BIS number (``85.07.30-033.28``, ``85073003328``) → its 11 digits.

    Raises ``InvalidNationalNumber``. With ``allow_test_numbers`` MAGDA's TST numbers pass too.
    """
    compact = _ssn.compact(value or "")
    try:
        return _ssn.validate(compact)
    except StdnumValidationError:
        if allow_test_numbers and is_magda_test_number(compact):
            return compact
        raise InvalidNationalNumber(value) from None


class NationalRegister(ABC):
    """An adapter to a national register."""

    @abstractmethod
    def find(self, national_number: str) -> PersonRecord | None:
        """The person with this (valid, compact) number, or None when the register does not know it."""

    def find_many(self, national_numbers: Iterable[str]) -> dict[str, PersonRecord]:
        """The persons with these (valid, compact) numbers that the register knows, by number.

        One ``find`` per number; an adapter that can ask for many at once overrides it.
        """
        found = {number: self.find(number) for number in dict.fromkeys(national_numbers)}
        return {number: record for number, record in found.items() if record is not None}


def _record(person: NationalRegisterPerson) -> PersonRecord:
    return PersonRecord(
        national_number=person.national_number,
        last_name=person.last_name,
        first_name=person.first_name,
        birth_date=person.birth_date,
        sex=person.sex,
    )


class LocalNationalRegister(NationalRegister):
    """The bundled register: the ``NationalRegisterPerson`` table."""

    def find(self, national_number: str) -> PersonRecord | None:
        person = NationalRegisterPerson.objects.filter(pk=national_number).first()
        return _record(person) if person is not None else None

    def find_many(self, national_numbers: Iterable[str]) -> dict[str, PersonRecord]:
        """One query for all the numbers."""
        persons = NationalRegisterPerson.objects.filter(pk__in=set(national_numbers))
        return {person.national_number: _record(person) for person in persons}


@functools.cache
def _adapter(path: str) -> NationalRegister:
    cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, NationalRegister)):
        raise TypeError(f"KMOP_NATIONAL_REGISTER: {path} is not a NationalRegister")
    return cls()


def get_national_register() -> NationalRegister:
    """The adapter of ``settings.KMOP_NATIONAL_REGISTER`` (one instance per dotted path)."""
    return _adapter(settings.KMOP_NATIONAL_REGISTER)


def lookup(number: str) -> PersonRecord | None:
    """The person with this national register or BIS number; None when not found.

    Raises ``InvalidNationalNumber`` (a Django ``ValidationError``) for an invalid number.
    """
    return get_national_register().find(validate_person_number(number))


def lookup_many(numbers: Iterable[str]) -> dict[str, PersonRecord]:
    """The persons with these national register or BIS numbers that the register knows, by compact number.

    Raises ``InvalidNationalNumber`` for an invalid number. The bundled register answers in one query.
    """
    return get_national_register().find_many([validate_person_number(number) for number in numbers])


# --- MAGDA GeefPersoon 02.02 ---------------------------------------------------------------------------


class MagdaReplyError(Exception):
    """A MAGDA reply with an error (other than "not found") or in a shape we cannot read."""

    def __init__(self, message: str, *, code: str = "") -> None:
        self.code = code
        super().__init__(f"{code}: {message}" if code else message)


#: MAGDA's "Geen gegevens gevonden voor de vraag": the person is not known.
MAGDA_NOT_FOUND = "30001"
_MAX_REPLY_BYTES = 5_000_000


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in element if _local(c.tag) == name]


def _path(element: ET.Element | None, container: str, name: str) -> list[ET.Element]:
    """The ``name`` children of the ``container`` child of ``element`` (none when either is missing)."""
    if element is None:
        return []
    parent = _child(element, container)
    return _children(parent, name) if parent is not None else []


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _parse_xml(data: bytes) -> ET.Element:
    """Parse a reply with the standard library, refusing DTDs (no entity expansion, no external entities)."""
    if len(data) > _MAX_REPLY_BYTES:
        raise MagdaReplyError("reply too large")
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise MagdaReplyError("a reply with a DTD or entities is refused")
    try:
        return ET.fromstring(data)  # noqa: S314 - see above
    except ET.ParseError as e:
        raise MagdaReplyError(f"not well-formed XML: {e}") from e


def _magda_date(value: str) -> date | None:
    """``1985-07-30``; MAGDA writes unknown parts as 00 (``2000-00-00``): then None."""
    try:
        year, month, day = (int(p) for p in value.split("-"))
        return date(year, month, day)
    except ValueError:
        return None


class MagdaGeefPersoonParser:
    """Reads a MAGDA ``GeefPersoonResponse`` 02.02 into a ``PersonRecord``.

    ``parse`` returns None for "not found" (exception 30001) and raises ``MagdaReplyError`` for any other
    error (``FOUT``); warnings and information (``WAARSCHUWING``, ``INFORMATIE``) do not stop it. The INSZ
    of the reply is validated; ``allow_test_numbers`` (default: on, for the MAGDA test environment) lets the
    TST numbers of MAGDA's fictitious persons pass.
    """

    def __init__(self, *, allow_test_numbers: bool = True) -> None:
        self.allow_test_numbers = allow_test_numbers

    def parse(self, data: bytes | str) -> PersonRecord | None:
        root = _parse_xml(data.encode("utf-8") if isinstance(data, str) else data)
        if _local(root.tag) != "GeefPersoonResponse":
            raise MagdaReplyError(f"not a GeefPersoonResponse but {_local(root.tag)}")
        errors = [
            e for e in root.iter() if _local(e.tag) == "Uitzondering" and _text(_child(e, "Type")) == "FOUT"
        ]
        for error in errors:
            code = _text(_child(error, "Identificatie"))
            if code != MAGDA_NOT_FOUND:
                raise MagdaReplyError(_text(_child(error, "Diagnose")) or "FOUT", code=code)
        person = next((e for e in root.iter() if _local(e.tag) == "Persoon"), None)
        if person is None:
            if errors:
                return None
            raise MagdaReplyError("no Persoon in the reply")
        number = validate_person_number(
            _text(_child(person, "INSZ")), allow_test_numbers=self.allow_test_numbers
        )
        name = _child(person, "Naam")
        last_names = [_text(e) for e in _path(name, "Achternamen", "Achternaam")]
        first_names = [_text(e) for e in _path(name, "Voornamen", "Voornaam")]
        sex = {"1": "M", "2": "F"}.get(_text(next(iter(_path(person, "Geslacht", "Code")), None)), "X")
        birth_date = _magda_date(_text(next(iter(_path(person, "Geboorte", "Datum")), None)))
        return PersonRecord(
            national_number=number,
            last_name=" ".join(n for n in last_names if n),
            first_name=" ".join(n for n in first_names if n),
            birth_date=birth_date,
            sex=sex,
        )
