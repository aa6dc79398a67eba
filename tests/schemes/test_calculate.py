"""Subsidy and own contribution in exact cents (RULES.md §2): properties over many amounts, rates and caps."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_CEILING, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmop.schemes.data import DATA_DIR, read_data_file
from kmop.schemes.errors import SchemeError
from kmop.schemes.regime import Regime, expand_theme_sets, parse_parameters
from kmop.schemes.services import calculate

D = Decimal
CENT = D("0.01")


def _file_regimes() -> list[Regime]:
    """The regimes straight from the data file (no database: the calculation is pure)."""
    data = read_data_file(DATA_DIR / "kmo-portefeuille.json")
    regimes = []
    for period in data["periods"]:
        start = date.fromisoformat(period["valid_from"])
        parameters = expand_theme_sets(period["parameters"], data["theme_sets"])
        regimes.append(
            Regime(
                scheme="kmo-portefeuille",
                on=start,
                valid_from=start,
                valid_to=None,
                label_nl=period["label_nl"],
                label_en=period["label_en"],
                source="",
                data_version=1,
                terms=parse_parameters(parameters),
            )
        )
    return regimes


REGIMES = _file_regimes()
R2026 = REGIMES[-1]

amounts = st.decimals(
    min_value=D("0.01"), max_value=D("10000000"), places=2, allow_nan=False, allow_infinity=False
)
caps = st.decimals(min_value=D("0"), max_value=D("15000"), places=2, allow_nan=False, allow_infinity=False)
choices = st.sampled_from(
    [
        ("KO", "opleiding", "innovatie", None),
        ("MO", "opleiding", "duurzaamheid", "energie-efficientie"),
        ("KO", "advies", "digitalisering", "cybersecurity"),
        ("MO", "advies", "digitalisering", "cybersecurity"),
        ("KO", "opleiding", "personeelsmanagement", "diversiteit"),
    ]
)


@given(amount=amounts, cap_left=caps, choice=choices, regime=st.sampled_from(REGIMES))
def test_subsidy_plus_own_contribution_is_the_amount(
    amount: Decimal, cap_left: Decimal, choice: tuple[str, str, str, str | None], regime: Regime
) -> None:
    size, service, theme, subtheme = choice
    calc = calculate(
        regime,
        size_class=size,
        service=service,
        theme=theme,
        subtheme=subtheme,
        amount=amount,
        cap_left=cap_left,
    )
    assert calc.subsidy + calc.own_contribution == amount
    assert calc.subsidy <= cap_left
    assert calc.subsidy >= 0
    assert calc.own_contribution >= 0
    assert calc.subsidy == calc.subsidy.quantize(CENT)
    assert calc.own_contribution == calc.own_contribution.quantize(CENT)
    exact = regime.rate(size, service, theme, subtheme) * amount
    # rounded up to the cent in the enterprise's favour, never by more than a cent
    assert calc.uncapped_subsidy == exact.quantize(CENT, rounding=ROUND_CEILING)
    assert exact <= calc.uncapped_subsidy < exact + CENT
    assert calc.subsidy == min(calc.uncapped_subsidy, cap_left)
    assert calc.capped is (calc.uncapped_subsidy > cap_left)
    assert calc.cap_left_after == cap_left - calc.subsidy >= 0


def test_examples() -> None:
    calc = calculate(
        R2026,
        size_class="KO",
        service="opleiding",
        theme="innovatie",
        amount=D("1234.57"),
        cap_left=D("7500"),
    )
    # 30 % of 1234.57 = 370.371 → 370.38 (up, for the enterprise)
    assert (calc.rate, calc.subsidy, calc.own_contribution, calc.capped) == (
        D("0.30"),
        D("370.38"),
        D("864.19"),
        False,
    )
    calc = calculate(
        R2026,
        size_class="MO",
        service="opleiding",
        theme="duurzaamheid",
        subtheme="energie-efficientie",
        amount=D("10000.00"),
        cap_left=D("2000.00"),
    )
    assert (calc.rate, calc.uncapped_subsidy, calc.subsidy, calc.own_contribution, calc.capped) == (
        D("0.35"),
        D("3500.00"),
        D("2000.00"),
        D("8000.00"),
        True,
    )
    calc = calculate(
        R2026, size_class="KO", service="opleiding", theme="innovatie", amount=D("500.00"), cap_left=D("0")
    )
    assert (calc.subsidy, calc.own_contribution) == (D("0"), D("500.00"))


@pytest.mark.parametrize(
    ("amount", "cap_left"),
    [
        (D("10.001"), D("7500")),
        (D("-1"), D("7500")),
        (D("100"), D("-0.01")),
        (D("NaN"), D("7500")),
        ("abc", D("1")),
    ],
)
def test_invalid_money_is_refused(amount: Decimal, cap_left: Decimal) -> None:
    with pytest.raises(SchemeError) as error:
        calculate(
            R2026, size_class="KO", service="opleiding", theme="innovatie", amount=amount, cap_left=cap_left
        )
    assert error.value.code == "invalid_amount"


def test_a_large_enterprise_gets_no_calculation() -> None:
    with pytest.raises(SchemeError):
        calculate(
            R2026, size_class="GO", service="opleiding", theme="innovatie", amount=D("100"), cap_left=D("1")
        )
