"""The national register adapter, and the MAGDA GeefPersoon 02.02 parser against MAGDA's test replies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation

from kmop.registers import national_register
from kmop.registers.models import NationalRegisterPerson
from kmop.registers.national_register import (
    InvalidNationalNumber,
    LocalNationalRegister,
    MagdaGeefPersoonParser,
    MagdaReplyError,
    NationalRegister,
    PersonRecord,
    is_magda_test_number,
    lookup,
    lookup_many,
    validate_person_number,
)

GEEF_PERSOON = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "samples"
    / "Informatievlaanderen_MAGDA-Mock"
    / "Persoon"
    / "GeefPersoon"
    / "02.02.0000"
)
needs_magda = pytest.mark.skipif(
    not GEEF_PERSOON.is_dir(),
    reason=f"MAGDA test replies not found in {GEEF_PERSOON} (shared/samples is absent)",
)


@pytest.mark.django_db
def test_lookup_finds_a_person_of_the_local_register() -> None:
    NationalRegisterPerson.objects.create(
        national_number="85073003328",
        last_name="Peeters",
        first_name="Jan",
        birth_date=date(1985, 7, 30),
        sex="M",
    )
    record = lookup("85.07.30-033.28")
    assert record == PersonRecord("85073003328", "Peeters", "Jan", date(1985, 7, 30), "M")
    with pytest.raises(AttributeError):
        record.last_name = "x"  # type: ignore[misc]  # frozen


@pytest.mark.django_db
def test_lookup_of_an_unknown_valid_number_is_none() -> None:
    assert lookup("75.46.08-980.95") is None  # a valid BIS number nobody has here


@pytest.mark.parametrize("number", ["85.07.30-033.29", "1234", "", "abcdefghijk", "00600099734"])
def test_lookup_of_an_invalid_number_raises(number: str) -> None:
    with pytest.raises(InvalidNationalNumber) as caught:
        lookup(number)
    assert isinstance(caught.value, ValidationError)
    assert caught.value.code == "invalid_national_number"
    with translation.override("nl"):
        assert "geen geldig rijksregisternummer of BIS-nummer" in caught.value.messages[0]
    with translation.override("en"):
        assert "not a valid national register number or BIS number" in caught.value.messages[0]


@pytest.mark.django_db
def test_lookup_many_asks_the_local_register_once(django_assert_num_queries: Any) -> None:
    NationalRegisterPerson.objects.create(
        national_number="85073003328", last_name="Peeters", first_name="Jan", birth_date=None, sex="M"
    )
    with django_assert_num_queries(1):
        found = lookup_many(["85.07.30-033.28", "75.46.08-980.95", "85073003328"])
    assert found == {"85073003328": PersonRecord("85073003328", "Peeters", "Jan", None, "M")}
    with pytest.raises(InvalidNationalNumber):
        lookup_many(["85073003328", "1234"])
    # an adapter without find_many is asked number by number
    with override_settings(KMOP_NATIONAL_REGISTER=f"{__name__}._Fixed"):
        assert set(lookup_many(["85073003328", "75460898095"])) == {"85073003328", "75460898095"}


@pytest.mark.django_db(transaction=True)
def test_persons_load_is_one_transaction() -> None:
    from kmop.audit.models import AuditEvent
    from kmop.audit.services import Actor
    from kmop.registers.services import national_register_persons_load
    from kmop.registers.synthetic import PersonRow

    def persons_then_a_failure() -> Iterator[PersonRow]:
        yield PersonRow("85073003328", "Peeters", "Jan", date(1985, 7, 30), "M")
        raise RuntimeError("the source broke")

    with pytest.raises(RuntimeError):
        national_register_persons_load(
            actor=Actor.system("test"), persons=persons_then_a_failure(), replace=True, reason="test"
        )
    assert not NationalRegisterPerson.objects.exists()
    assert not AuditEvent.objects.exists()
    persons = [PersonRow("85073003328", "Peeters", "Jan", date(1985, 7, 30), "M")]
    assert national_register_persons_load(actor=Actor.system("test"), persons=persons, reason="test") == 1
    assert AuditEvent.objects.get(action="national_register_person.load").after == {
        "persons": 1,
        "replace": False,
    }


def test_validate_person_number() -> None:
    assert validate_person_number("85 07 30 033 28") == "85073003328"
    assert validate_person_number("01 49 07 001 85") == "01490700185"  # BIS, born 2001
    with pytest.raises(InvalidNationalNumber):
        validate_person_number("00600099734")
    assert validate_person_number("00600099734", allow_test_numbers=True) == "00600099734"


def test_magda_test_numbers() -> None:
    assert is_magda_test_number("00600099734")  # month 60: a TST number with a valid check
    assert not is_magda_test_number("00600099735")  # wrong check digits
    assert not is_magda_test_number("85073003328")  # a real-shaped national number is not a TST number
    assert not is_magda_test_number("62810599842")  # month 81: outside 60–72


class _Fixed(NationalRegister):
    def find(self, national_number: str) -> PersonRecord | None:
        return PersonRecord(national_number, "Vast", "Adapter", None, "X")


def test_the_adapter_comes_from_the_settings() -> None:
    assert isinstance(national_register.get_national_register(), LocalNationalRegister)
    with override_settings(KMOP_NATIONAL_REGISTER=f"{__name__}._Fixed"):
        assert lookup("85073003328") == PersonRecord("85073003328", "Vast", "Adapter", None, "X")
    with (
        override_settings(KMOP_NATIONAL_REGISTER="kmop.registers.models.Enterprise"),
        pytest.raises(TypeError),
    ):
        lookup("85073003328")


# --- MAGDA GeefPersoon ---------------------------------------------------------------------------------


@needs_magda
def test_parser_reads_a_person() -> None:
    record = MagdaGeefPersoonParser().parse((GEEF_PERSOON / "00630300188.xml").read_bytes())
    assert record == PersonRecord("00630300188", "Bruni", "Simon Pier", date(2000, 3, 3), "M")


@needs_magda
def test_parser_partial_birth_date_is_none() -> None:
    record = MagdaGeefPersoonParser().parse((GEEF_PERSOON / "00600099734.xml").read_bytes())
    assert record is not None
    assert (record.last_name, record.first_name, record.birth_date, record.sex) == (
        "Janssens",
        "Hamid",
        None,
        "M",
    )


@needs_magda
def test_parser_not_found_and_errors() -> None:
    parser = MagdaGeefPersoonParser()
    assert parser.parse((GEEF_PERSOON / "notfound.xml").read_bytes()) is None
    assert parser.parse((GEEF_PERSOON / "74612515806.xml").read_bytes()) is None  # 30001 as well
    with pytest.raises(MagdaReplyError) as caught:
        parser.parse((GEEF_PERSOON / "13662188822.xml").read_bytes())
    assert caught.value.code == "99994"
    with pytest.raises(MagdaReplyError, match="99996"):
        parser.parse((GEEF_PERSOON / "91610100176.xml").read_bytes())
    # a warning does not stop the reply
    assert parser.parse((GEEF_PERSOON / "75680836687.xml").read_bytes()) is not None


@needs_magda
def test_parser_reads_every_test_reply() -> None:
    """Every reply is a person, a "not found" or a MAGDA error; only a number that is neither a national
    number, a BIS number nor a TST number with a valid check is refused."""
    parser = MagdaGeefPersoonParser()
    found = 0
    refused: list[str] = []
    for path in sorted(GEEF_PERSOON.glob("*.xml")):
        try:
            record = parser.parse(path.read_bytes())
        except MagdaReplyError:
            continue
        except InvalidNationalNumber as e:
            refused.append(e.number)
            continue
        if record is not None:
            found += 1
            assert record.last_name
            assert record.sex in {"M", "F", "X"}
            assert validate_person_number(record.national_number, allow_test_numbers=True)
    assert found > 400
    assert len(refused) <= 5
    assert not any(is_magda_test_number(n) for n in refused)
    strict = MagdaGeefPersoonParser(allow_test_numbers=False)
    with pytest.raises(InvalidNationalNumber):
        strict.parse((GEEF_PERSOON / "00630300188.xml").read_bytes())


def test_parser_refuses_dtds_and_garbage() -> None:
    parser = MagdaGeefPersoonParser()
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aa">]><GeefPersoonResponse>&a;</GeefPersoonResponse>'
    )
    with pytest.raises(MagdaReplyError, match="DTD"):
        parser.parse(bomb)
    with pytest.raises(MagdaReplyError, match="well-formed"):
        parser.parse(b"<GeefPersoonResponse>")
    with pytest.raises(MagdaReplyError, match="GeefPersoonResponse"):
        parser.parse("<Other/>")
