"""Ecologiepremie Plus and the corona hinderpremie: further schemes of the same framework (RULES.md §5)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kmop.schemes.errors import NoRegime, SchemeDataError, SchemeError
from kmop.schemes.other_schemes import CoronaTerms, EcologyTerms, parse_ecology_parameters
from kmop.schemes.services import corona_premium, ecology_premium, period_on, regime_on

pytestmark = pytest.mark.django_db

D = Decimal


def test_ecology_premium_by_class_and_size() -> None:
    period = period_on(date(2025, 6, 1), "ecologiepremie-plus")
    assert isinstance(period.terms, EcologyTerms)
    assert period.terms.cap == D("1000000.00")
    assert period.terms.cap_years == 3

    def premium(category: str, eco: str, size: str, cap_left: str = "1000000") -> Decimal:
        return ecology_premium(
            period,
            category=category,
            eco_class=eco,
            size_class=size,
            amount=D("80000.00"),
            cap_left=D(cap_left),
        ).subsidy

    assert premium("milieu", "A", "KO") == D("40000.00")  # 50 %
    assert premium("milieu", "A", "MO") == D("40000.00")  # kmo: small and medium alike
    assert premium("milieu", "A", "GO") == D("32000.00")  # 40 %: large enterprises are allowed
    assert premium("milieu", "B", "GO") == D("12000.00")  # 15 %
    assert premium("hernieuwbare-energie", "A", "KO") == D("44000.00")  # 55 %
    assert premium("milieu", "C", "KO") == D("0.00")
    assert premium("milieu", "D", "GO") == D("0.00")
    assert premium("milieu", "A", "KO", cap_left="1500.00") == D("1500.00")


def test_ecology_premium_refuses_unknown_input() -> None:
    period = period_on(date(2025, 6, 1), "ecologiepremie-plus")
    with pytest.raises(SchemeError):
        ecology_premium(
            period, category="kernfusie", eco_class="A", size_class="KO", amount=D("1"), cap_left=D("1")
        )
    with pytest.raises(SchemeError):
        ecology_premium(
            period, category="milieu", eco_class="E", size_class="KO", amount=D("1"), cap_left=D("1")
        )
    with pytest.raises(SchemeError):
        ecology_premium(
            period, category="milieu", eco_class="A", size_class="XL", amount=D("1"), cap_left=D("1")
        )
    with pytest.raises(NoRegime):
        period_on(date(2024, 6, 30), "ecologiepremie-plus")


def test_corona_hinderpremie() -> None:
    period = period_on(date(2020, 4, 20), "corona-hinderpremie")
    assert isinstance(period.terms, CoronaTerms)
    # closed from 14 March to 5 April: only the fixed premium
    assert corona_premium(
        period,
        closure_start=date(2020, 3, 14),
        closure_end=date(2020, 4, 5),
        application_date=date(2020, 4, 20),
    ) == (D("4000.00"), [])
    # closed until 10 May: 35 days from 6 April at €160
    assert corona_premium(
        period,
        closure_start=date(2020, 3, 14),
        closure_end=date(2020, 5, 10),
        application_date=date(2020, 5, 12),
    ) == (D("9600.00"), [])
    amount, refusals = corona_premium(
        period,
        closure_start=date(2020, 3, 14),
        closure_end=date(2020, 4, 5),
        application_date=date(2020, 7, 1),
    )
    assert amount == D("0.00")
    assert [r.code for r in refusals] == ["outside_application_window"]
    amount, refusals = corona_premium(
        period,
        closure_start=date(2020, 4, 14),
        closure_end=date(2020, 4, 5),
        application_date=date(2020, 4, 20),
    )
    assert [r.code for r in refusals] == ["invalid_dates"]


def test_the_kmo_portefeuille_api_refuses_another_kind() -> None:
    with pytest.raises(SchemeError) as error:
        regime_on(date(2025, 6, 1), "ecologiepremie-plus")
    assert error.value.code == "wrong_kind"
    period = period_on(date(2025, 6, 1), "kmo-portefeuille")
    assert period.kind == "kmo-portefeuille"
    with pytest.raises(SchemeError):
        ecology_premium(
            period, category="milieu", eco_class="A", size_class="KO", amount=D("1"), cap_left=D("1")
        )


def test_ecology_parameters_are_checked() -> None:
    with pytest.raises(SchemeDataError) as error:
        parse_ecology_parameters(
            {"rates": {"milieu": {"A": {"kmo": "0.5", "go": "0.4"}}}, "cap": "1", "cap_years": 3}
        )
    assert "A, B, C en D" in str(error.value)
