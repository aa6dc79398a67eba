"""Eligibility of an enterprise from the KBO register (RULES.md §1), each criterion with its reason."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import translation

from kmop.schemes.errors import SchemeError
from kmop.schemes.services import eligibility, is_flemish_postcode
from tests.schemes.conftest import BV_GENT, FARM, NATURAL, NO_NACE, STOPPED, VZW, WALLOON

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)


def _codes(number: str, **kwargs: object) -> dict[str, bool | None]:
    with translation.override("nl"):
        result = eligibility(number, DAY, **kwargs)  # type: ignore[arg-type]
    return {c.code: c.ok for c in result.checks}


def test_an_eligible_bv_in_gent(kbo: None) -> None:
    with translation.override("nl"):
        result = eligibility("0912.345.673", DAY)
    assert result.eligible
    assert result.enterprise_number == BV_GENT
    assert result.legal_form_code == "610"
    assert result.main_nace_codes == ("62010",)
    assert result.flemish_postcodes == ("9000",)
    assert [c.code for c in result.checks] == [
        "registered",
        "active",
        "legal_form",
        "flemish_establishment",
        "main_activity",
    ]
    assert result.check("legal_form").message == "De rechtsvorm komt in aanmerking: Besloten vennootschap."  # type: ignore[union-attr]
    assert result.refusals == []


def test_a_sole_trader_with_seat_in_brussels_and_an_establishment_in_leuven(kbo: None) -> None:
    result = eligibility(NATURAL, DAY)
    assert result.eligible
    assert result.legal_form_code == "NP"
    assert result.flemish_postcodes == ("3000",)  # Brussels 1000 is not in the Flemish Region


def test_a_vzw_is_refused_for_its_legal_form(kbo: None) -> None:
    with translation.override("nl"):
        result = eligibility(VZW, DAY)
    assert not result.eligible
    assert [r.code for r in result.refusals] == ["legal_form"]
    assert "vzw" in result.refusals[0].message
    assert "017" in result.refusals[0].message


def test_the_primary_sector_is_refused_for_its_main_activity(kbo: None) -> None:
    codes = _codes(FARM)
    assert codes["main_activity"] is False
    assert [k for k, ok in codes.items() if not ok] == ["main_activity"]


def test_no_establishment_in_the_flemish_region(kbo: None) -> None:
    with translation.override("nl"):
        result = eligibility(WALLOON, DAY)
    assert [r.code for r in result.refusals] == ["flemish_establishment"]
    assert "1500–3999 en 8000–9999" in result.refusals[0].message


def test_a_bankrupt_enterprise_is_not_active(kbo: None) -> None:
    codes = _codes(STOPPED)
    assert codes["active"] is False
    assert codes["legal_form"] is True


def test_an_unknown_main_activity_is_to_be_completed(kbo: None) -> None:
    result = eligibility(NO_NACE, DAY)
    assert not result.eligible
    assert result.refusals == []
    assert [c.code for c in result.missing] == ["main_activity"]
    # the activity the user declares completes it
    assert eligibility(NO_NACE, DAY, nace_code="70220").eligible
    assert not eligibility(NO_NACE, DAY, nace_code="01500").eligible


def test_an_enterprise_not_in_the_kbo(kbo: None) -> None:
    result = eligibility("0400.378.485", DAY)
    assert not result.eligible
    assert [r.code for r in result.refusals] == ["registered"]


def test_an_invalid_number_is_refused(kbo: None) -> None:
    with pytest.raises(SchemeError) as error:
        eligibility("0912.345.674", DAY)
    assert error.value.code == "invalid_number"


def test_a_struck_off_address_does_not_count(kbo: None) -> None:
    from kmop.registers.models import Address

    Address.objects.filter(entity_number=BV_GENT).update(date_striking_off=date(2026, 1, 1))
    assert _codes(BV_GENT)["flemish_establishment"] is False
    assert eligibility(BV_GENT, date(2025, 12, 31)).eligible


@pytest.mark.parametrize(
    ("zipcode", "flemish"),
    [
        ("1499", False),
        ("1500", True),
        ("3999", True),
        ("4000", False),
        ("7999", False),
        ("8000", True),
        ("9999", True),
        ("1000", False),
        ("", False),
        (None, False),
        ("90001", False),
        ("abcd", False),
    ],
)
def test_flemish_postcodes(zipcode: str | None, flemish: bool) -> None:
    assert is_flemish_postcode(zipcode) is flemish


@pytest.mark.parametrize(
    ("situation", "active"),
    [
        ("000", True),
        ("091", True),
        ("020", True),
        ("012", False),
        ("050", False),
        ("021", False),
        ("999", False),
    ],
)
def test_juridical_situations(kbo: None, situation: str, active: bool) -> None:
    from kmop.registers.models import Enterprise

    Enterprise.objects.filter(pk=BV_GENT).update(juridical_situation=situation)
    assert _codes(BV_GENT)["active"] is active
