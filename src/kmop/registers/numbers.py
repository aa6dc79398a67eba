"""Belgian numbers, validated with python-stdnum (never by hand).

``*_number`` values are stored compact (digits only); ``format_*`` gives the official display form.
"""

from __future__ import annotations

import phonenumbers
from stdnum import iban as _iban
from stdnum.be import iban as _be_iban
from stdnum.be import ogm_vcs as _ogm
from stdnum.be import ssn as _ssn
from stdnum.be import vat as _vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, ValidationError

__all__ = [
    "ValidationError",
    "format_enterprise_number",
    "format_establishment_number",
    "format_iban",
    "format_national_number",
    "format_structured_reference",
    "validate_belgian_iban",
    "validate_enterprise_number",
    "validate_establishment_number",
    "validate_iban",
    "validate_national_number",
    "validate_phone",
    "validate_structured_reference",
]


def validate_enterprise_number(value: str) -> str:
    """An enterprise number (``0123.456.749``, ``BE0123456749``) → its 10 digits; raises ValidationError."""
    return _vat.validate(value)


def validate_establishment_number(value: str) -> str:
    """An establishment number (``2.147.812.701``) → its 10 digits.

    Same check digits as the enterprise number (``stdnum.be.vat.checksum``); the first digit is 2–8.
    """
    number = _vat.compact(value)
    if len(number) != 10 or not number.isdigit():
        raise InvalidFormat()
    if number[0] not in "2345678":
        raise InvalidComponent()
    if _vat.checksum(number) != 0:
        raise InvalidChecksum()
    return number


def validate_national_number(value: str) -> str:
    """A national register number or BIS number → its 11 digits (be.ssn accepts both)."""
    return _ssn.validate(value)


def national_number_kind(value: str) -> str:
    """``nn`` or ``bis`` for a valid number."""
    return "bis" if _ssn.guess_type(value) == "bis" else "nn"


def validate_iban(value: str) -> str:
    """Any IBAN (``BE71 0961 2345 6769``, ``DE89...``) → compact; raises ValidationError.

    python-stdnum checks the IBAN check digits and, for the countries it knows, the national format (for a
    Belgian IBAN the same checks as ``validate_belgian_iban``).
    """
    return _iban.validate(value)


def validate_belgian_iban(value: str) -> str:
    """A Belgian IBAN → compact (``BE71096123456769``); raises ValidationError.

    python-stdnum's ``be.iban``: a ``BE`` IBAN with the Belgian check digits of the account number and a bank
    code that the National Bank has given to a bank, so ``BE68539007547034`` (bank code 539 is not given) and
    any foreign IBAN are refused. For what must be a Belgian account (e.g. the e-loket's payments).
    """
    return _be_iban.validate(value)


def validate_structured_reference(value: str) -> str:
    """``+++123/4567/89012+++`` → its 12 digits."""
    return _ogm.validate(value)


def validate_phone(value: str) -> str:
    """A telephone number → E.164 (``+3212345678``); raises ValidationError.

    Google's libphonenumber (``phonenumbers``): a number without a country code is read as Belgian (``012 34
    56 78``, ``0470/12.34.56``), ``00`` or ``+`` start an international one; it must have a possible length
    for its country's plan, so ``+32 123`` or letters are refused (not whether the range is given out yet:
    that changes faster than a pinned library).
    """
    try:
        parsed = phonenumbers.parse(value, "BE")
    except phonenumbers.NumberParseException:
        raise InvalidFormat() from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidComponent()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_enterprise_number(number: str) -> str:
    """``0123456749`` → ``0123.456.749`` (the KBO display form)."""
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"


def format_establishment_number(number: str) -> str:
    return f"{number[0]}.{number[1:4]}.{number[4:7]}.{number[7:]}"


def format_national_number(number: str) -> str:
    return _ssn.format(number)


def format_iban(number: str) -> str:
    return _iban.format(number)


def format_structured_reference(number: str) -> str:
    """``123456789002`` → ``+++123/4567/89002+++`` (as printed on transfer forms)."""
    return f"+++{_ogm.format(number)}+++"
