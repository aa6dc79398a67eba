"""numbers.py against python-stdnum's own test vectors and the examples of RULES.md §6.

The vectors are read from the doctest files of python-stdnum in ``shared/samples`` (LGPL: read there, never
copied into the project). Each example that calls ``validate``/``is_valid``/``get_birth_*`` on a literal
number tells whether python-stdnum takes that number as valid; our functions must agree.
"""

from __future__ import annotations

import ast
import doctest
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from stdnum.be import bis, nn
from stdnum.exceptions import ValidationError

from kmop.registers import numbers

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples" / "arthurdejong_python-stdnum" / "tests"
needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(),
    reason=f"python-stdnum test vectors not found in {SAMPLES} (shared/samples is absent)",
)

_CALL = re.compile(r"^(\w+)\.(validate|is_valid|get_birth_date|get_birth_year|get_birth_month)\(('[^']*')\)")


@dataclass(frozen=True)
class Vector:
    module: str
    number: str
    valid: bool
    source: str

    def __str__(self) -> str:
        return f"{self.module}:{self.number}"


def _vectors(file: str) -> list[Vector]:
    """(module, number, valid) from the examples of one doctest file."""
    text = (SAMPLES / file).read_text(encoding="utf-8")
    vectors = []
    examples = doctest.DocTestParser().get_examples(text)
    for n, example in enumerate(examples):
        source = example.source.strip()
        match = _CALL.match(source)
        if match:
            module, function, literal = match.groups()
            valid = example.want.strip() == "True" if function == "is_valid" else example.exc_msg is None
            vectors.append(Vector(module, ast.literal_eval(literal), valid, f"{file}:{example.lineno + 1}"))
            continue
        # blocks of numbers: ``numbers = '''...'''`` checked by the next list comprehension(s)
        if source.startswith("numbers = '''"):
            block, module, valid = _block(source, examples[n + 1 : n + 3])
            vectors += [Vector(module, line, valid, f"{file}:{example.lineno + 1}") for line in block if line]
    return vectors


def _block(source: str, following: list[doctest.Example]) -> tuple[list[str], str, bool]:
    """The numbers of a block, their module and whether the check after the block says they are valid."""
    lines = [line.strip() for line in ast.literal_eval(source.split("=", 1)[1].strip()).splitlines()]
    check = following[0].source.strip() if following else ""
    if "x[:24].strip()" in check:  # test_be_iban: "IBAN  BIC" lines, then "all valid"
        return [line[:24].strip() for line in lines], "iban", True
    if "check_country" in check or following[0].want.strip() != "[]":
        return [], "", False
    if "vat.is_valid" in check or "caught(" in check:  # test_eu_vat: keep the Belgian numbers
        valid = "not vat.is_valid(x)" in check
        return [line for line in lines if line.upper().startswith("BE")], "vat", valid
    if "not iban.is_valid(x)" in check:
        return lines, "iban", True
    if "iban.is_valid(x)" in check:
        return lines, "iban", False
    return [], "", False


def _accepted(function: object, number: str) -> bool:
    assert callable(function)
    try:
        function(number)
    except ValidationError:
        return False
    return True


@needs_samples
def test_the_vectors_are_found() -> None:
    assert len(_vectors("test_be_vat.doctest") + _vectors("test_eu_vat.doctest")) >= 30
    assert len(_vectors("test_be_nn.doctest")) >= 20
    assert len(_vectors("test_be_bis.doctest")) >= 20
    assert len(_vectors("test_be_ssn.doctest")) >= 40
    assert len(_vectors("test_be_iban.doctest")) >= 100
    assert len(_vectors("test_iban.doctest")) >= 100


@needs_samples
@pytest.mark.parametrize(
    "vector",
    (_vectors("test_be_vat.doctest") + _vectors("test_eu_vat.doctest")) if SAMPLES.is_dir() else [],
    ids=str,
)
def test_enterprise_numbers(vector: Vector) -> None:
    assert _accepted(numbers.validate_enterprise_number, vector.number) is vector.valid, vector.source


@needs_samples
@pytest.mark.parametrize("vector", _vectors("test_be_ssn.doctest") if SAMPLES.is_dir() else [], ids=str)
def test_national_numbers_as_ssn(vector: Vector) -> None:
    assert _accepted(numbers.validate_national_number, vector.number) is vector.valid, vector.source


@needs_samples
@pytest.mark.parametrize(
    "vector",
    (_vectors("test_be_nn.doctest") + _vectors("test_be_bis.doctest")) if SAMPLES.is_dir() else [],
    ids=str,
)
def test_national_and_bis_numbers(vector: Vector) -> None:
    """A valid NN is accepted as an NN, a valid BIS number as a BIS; what one module rejects is only
    accepted by us when it is valid as the other kind (we accept both kinds)."""
    ours = _accepted(numbers.validate_national_number, vector.number)
    if vector.valid:
        assert ours, vector.source
        assert numbers.national_number_kind(vector.number) == ("nn" if vector.module == "nn" else "bis")
    else:
        other = bis if vector.module == "nn" else nn
        assert ours is other.is_valid(vector.number), vector.source
        if ours:
            assert numbers.national_number_kind(vector.number) == ("bis" if vector.module == "nn" else "nn")


@needs_samples
@pytest.mark.parametrize(
    "vector",
    (_vectors("test_be_iban.doctest") + _vectors("test_iban.doctest")) if SAMPLES.is_dir() else [],
    ids=str,
)
def test_ibans(vector: Vector) -> None:
    assert _accepted(numbers.validate_iban, vector.number) is vector.valid, vector.source


# --- RULES.md §6 ---------------------------------------------------------------------------------------


def test_rules_iban_examples() -> None:
    assert numbers.validate_iban("BE71096123456769") == "BE71096123456769"
    with pytest.raises(ValidationError):
        numbers.validate_iban("BE68539007547034")
    assert numbers.format_iban("BE71096123456769") == "BE71 0961 2345 6769"


def test_rules_belgian_iban_examples() -> None:
    assert numbers.validate_belgian_iban("BE71 0961 2345 6769") == "BE71096123456769"
    with pytest.raises(ValidationError):
        numbers.validate_belgian_iban("BE68539007547034")  # bank code 539 is not given to a bank
    with pytest.raises(ValidationError):
        numbers.validate_belgian_iban("BE41091811735141")  # wrong check digits of the account number
    # a valid IBAN, but not a Belgian one
    assert numbers.validate_iban("DE89 3704 0044 0532 0130 00") == "DE89370400440532013000"
    with pytest.raises(ValidationError):
        numbers.validate_belgian_iban("DE89370400440532013000")


@needs_samples
@pytest.mark.parametrize("vector", _vectors("test_be_iban.doctest") if SAMPLES.is_dir() else [], ids=str)
def test_belgian_ibans(vector: Vector) -> None:
    assert _accepted(numbers.validate_belgian_iban, vector.number) is vector.valid, vector.source


def test_rules_enterprise_number_display() -> None:
    assert numbers.validate_enterprise_number("0123.456.749") == "0123456749"
    assert numbers.validate_enterprise_number("BE 0123 456 749") == "0123456749"
    assert numbers.format_enterprise_number("0123456749") == "0123.456.749"
    # check digits: 97 − (first 8 digits mod 97)
    assert 97 - 1234567 % 97 == 49
    with pytest.raises(ValidationError):
        numbers.validate_enterprise_number("0123.456.748")
    with pytest.raises(ValidationError):  # an establishment number is no enterprise number
        numbers.validate_enterprise_number("2.147.812.701")


def test_rules_establishment_number() -> None:
    assert numbers.validate_establishment_number("2.147.812.701") == "2147812701"
    assert numbers.format_establishment_number("2147812701") == "2.147.812.701"
    with pytest.raises(ValidationError):
        numbers.validate_establishment_number("0123.456.749")
    with pytest.raises(ValidationError):
        numbers.validate_establishment_number("2.147.812.702")


def test_rules_national_numbers() -> None:
    assert numbers.validate_national_number("85.07.30-033.28") == "85073003328"
    assert numbers.national_number_kind("85073003328") == "nn"
    assert numbers.format_national_number("85073003328") == "85.07.30-033.28"
    # born in 2000 or later: the check digits are computed with a 2 in front
    assert numbers.validate_national_number("17 07 30 033 84") == "17073003384"
    # BIS: month + 20 (sex unknown) or + 40 (sex known)
    assert numbers.national_number_kind("75.46.08-980.95") == "bis"
    assert numbers.national_number_kind("75.26.08-980.52") == "bis"
    with pytest.raises(ValidationError):
        numbers.validate_national_number("85.07.30-033.29")


def test_rules_structured_reference() -> None:
    # +++123/4567/89012+++ shows the layout; its check is 1234567890 mod 97 = 2, so the valid one ends in 02
    assert 1234567890 % 97 == 2
    assert numbers.validate_structured_reference("+++123/4567/89002+++") == "123456789002"
    # the display form is the one printed on transfer forms, with the +++ around it
    assert numbers.format_structured_reference("123456789002") == "+++123/4567/89002+++"
    with pytest.raises(ValidationError):
        numbers.validate_structured_reference("+++123/4567/89012+++")
    # a remainder of 0 gives check digits 97
    assert numbers.validate_structured_reference("+++000/0000/09797+++") == "000000009797"


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("09 222 33 44", "+3292223344"),  # a Belgian number as people type it
        ("0470/12.34.56", "+32470123456"),  # a mobile with the usual separators
        ("0032 470 12 34 56", "+32470123456"),  # 00 starts an international number
        ("+31 20 123 4567", "+31201234567"),  # a foreign one keeps its country
        ("+3292223344", "+3292223344"),  # already E.164
    ],
)
def test_phone_numbers_become_e164(typed: str, e164: str) -> None:
    assert numbers.validate_phone(typed) == e164


@pytest.mark.parametrize("typed", ["abc", "+32 123", "1234", "+32 12 34 56 78 90 12", "0470 12"])
def test_impossible_phone_numbers_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        numbers.validate_phone(typed)
