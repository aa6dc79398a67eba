"""Every regime of RULES.md §2 is loaded, and each day gets the regime whose period covers it: the day before
and the day of every change."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kmop.schemes.errors import NoRegime, SchemeError, UnknownScheme
from kmop.schemes.services import calculate, check_application, regime_on, themes_on

pytestmark = pytest.mark.django_db

D = Decimal

# (first day, KO rate, MO rate, KO cap, MO cap, themes required)
REGIMES = [
    (date(2016, 4, 1), D("0.40"), D("0.30"), D("10000.00"), D("15000.00"), False),
    (date(2019, 12, 1), D("0.30"), D("0.20"), D("10000.00"), D("15000.00"), False),
    (date(2020, 1, 1), D("0.30"), D("0.20"), D("7500.00"), D("7500.00"), False),
    (date(2021, 9, 13), D("0.30"), D("0.20"), D("7500.00"), D("7500.00"), False),
    (date(2023, 1, 1), D("0.30"), D("0.20"), D("7500.00"), D("7500.00"), True),
    (date(2026, 2, 1), D("0.30"), D("0.20"), D("7500.00"), D("7500.00"), True),
]


@pytest.mark.parametrize(("start", "ko", "mo", "cap_ko", "cap_mo", "themes_required"), REGIMES)
def test_each_regime_from_its_first_day(
    start: date, ko: Decimal, mo: Decimal, cap_ko: Decimal, cap_mo: Decimal, themes_required: bool
) -> None:
    regime = regime_on(start)
    assert regime.valid_from == start
    theme = "innovatie" if themes_required else None
    assert regime.rate("KO", "opleiding", theme) == ko
    assert regime.rate("MO", "advies" if start < date(2026, 2, 1) else "opleiding", theme) == mo
    assert regime.yearly_cap("KO") == cap_ko
    assert regime.yearly_cap("MO") == cap_mo
    assert regime.minimum("opleiding") == D("100.00")
    assert regime.minimum("advies") == D("500.00")
    assert regime.filing_window_days == 14
    assert regime.deposit_days == 30
    assert regime.theme_required is themes_required
    assert "GO" not in regime.size_classes


@pytest.mark.parametrize("start", [r[0] for r in REGIMES[1:]])
def test_the_day_before_a_change_belongs_to_the_previous_regime(start: date) -> None:
    before = regime_on(start - timedelta(days=1))
    after = regime_on(start)
    assert before.valid_to == start - timedelta(days=1)
    assert after.valid_from == start
    assert before.valid_from < after.valid_from


def test_rates_change_on_1_december_2019() -> None:
    assert regime_on(date(2019, 11, 30)).rate("KO", "opleiding", None) == D("0.40")
    assert regime_on(date(2019, 12, 1)).rate("KO", "opleiding", None) == D("0.30")


def test_caps_change_on_1_january_2020() -> None:
    assert regime_on(date(2019, 12, 31)).yearly_cap("MO") == D("15000.00")
    assert regime_on(date(2020, 1, 1)).yearly_cap("MO") == D("7500.00")


def test_cybersecurity_raised_from_13_september_2021() -> None:
    assert regime_on(date(2021, 9, 12)).rate("KO", "advies", "cybersecurity") == D("0.30")
    assert regime_on(date(2021, 9, 12)).themes == ()
    sept = regime_on(date(2021, 9, 13))
    assert sept.rate("KO", "advies", "cybersecurity") == D("0.45")
    assert sept.rate("MO", "opleiding", "cybersecurity") == D("0.35")
    assert sept.rate("KO", "opleiding", None) == D("0.30")


def test_energy_efficiency_raised_for_training_only_from_2023() -> None:
    assert regime_on(date(2022, 12, 31)).theme("duurzaamheid") is None
    regime = regime_on(date(2023, 1, 1))
    assert regime.rate("KO", "opleiding", "duurzaamheid", "energie-efficientie") == D("0.45")
    assert regime.rate("MO", "opleiding", "duurzaamheid", "energie-efficientie") == D("0.35")
    assert regime.rate("KO", "advies", "duurzaamheid", "energie-efficientie") == D("0.30")
    assert regime.rate("KO", "opleiding", "duurzaamheid", "recyclage") == D("0.30")
    assert regime.rate("KO", "advies", "digitalisering", "cybersecurity") == D("0.45")


def test_advice_only_for_cybersecurity_from_1_february_2026() -> None:
    assert regime_on(date(2026, 1, 31)).service_allows("advies", "innovatie", None)
    regime = regime_on(date(2026, 2, 1))
    assert not regime.service_allows("advies", "innovatie", None)
    assert not regime.service_allows("advies", "digitalisering", "software")
    assert regime.service_allows("advies", "digitalisering", "cybersecurity")
    assert regime.service_allows("opleiding", "innovatie", None)


def test_no_regime_before_1_april_2016() -> None:
    with pytest.raises(NoRegime) as error:
        regime_on(date(2016, 3, 31))
    assert "31 maart 2016" in str(error.value)
    assert isinstance(error.value, SchemeError)


def test_unknown_scheme() -> None:
    with pytest.raises(UnknownScheme):
        regime_on(date(2020, 1, 1), "bestaat-niet")


def test_size_class_go_and_unknown_service_raise() -> None:
    regime = regime_on(date(2024, 5, 1))
    with pytest.raises(SchemeError) as error:
        regime.rate("GO", "opleiding", "innovatie")
    assert error.value.code == "size_class_not_eligible"
    with pytest.raises(SchemeError):
        regime.minimum("coaching")


def test_themes_for_the_select_boxes() -> None:
    assert themes_on(date(2020, 6, 1)) == ()
    assert [t.code for t in themes_on(date(2022, 1, 1))] == ["cybersecurity"]
    themes = themes_on(date(2026, 3, 3))
    assert [t.label_nl for t in themes] == [
        "Bedrijfsstrategie",
        "Beroepsspecifieke competenties",
        "Digitalisering",
        "Duurzaamheid",
        "Financiële geletterdheid",
        "Innovatie",
        "Internationalisering",
        "Personeelsmanagement",
    ]
    digital = next(t for t in themes if t.code == "digitalisering")
    assert [s.code for s in digital.subthemes] == [
        "hardware",
        "software",
        "onlinetoepassingen",
        "cybersecurity",
    ]
    assert digital.label_en == "Digitalisation"
    assert all(t.label_en for t in themes)


def test_a_project_of_2018_and_one_of_2026_each_by_their_own_rules() -> None:
    """The same advice of €2,000 for a small enterprise: 40 % without a theme in 2018; in 2026 advice is only
    possible for cybersecurity (then 45 %), and a 2018-style advice without theme is refused."""
    kwargs = {
        "size_class": "KO",
        "legal_form_code": "610",
        "nace_code": "62010",
        "amount": D("2000.00"),
        "title": "Advies marketingplan",
    }
    r2018 = regime_on(date(2018, 5, 14))
    assert (
        check_application(
            r2018,
            service="advies",
            theme=None,
            start_date=date(2018, 5, 7),
            application_date=date(2018, 5, 14),
            **kwargs,
        )
        == []
    )
    calc = calculate(
        r2018,
        size_class="KO",
        service="advies",
        theme=None,
        subtheme=None,
        amount=D("2000.00"),
        cap_left=D("10000"),
    )
    assert (calc.subsidy, calc.own_contribution) == (D("800.00"), D("1200.00"))

    r2026 = regime_on(date(2026, 3, 2))
    refusals = check_application(
        r2026,
        service="advies",
        theme=None,
        start_date=date(2026, 3, 1),
        application_date=date(2026, 3, 2),
        **kwargs,
    )
    assert [r.code for r in refusals] == ["theme_missing"]
    refusals = check_application(
        r2026,
        service="advies",
        theme="bedrijfsstrategie",
        start_date=date(2026, 3, 1),
        application_date=date(2026, 3, 2),
        **kwargs,
    )
    assert [r.code for r in refusals] == ["service_not_in_regime"]
    assert (
        check_application(
            r2026,
            service="advies",
            theme="digitalisering",
            subtheme="cybersecurity",
            start_date=date(2026, 3, 1),
            application_date=date(2026, 3, 2),
            **kwargs,
        )
        == []
    )
    calc = calculate(
        r2026,
        size_class="KO",
        service="advies",
        theme="digitalisering",
        subtheme="cybersecurity",
        amount=D("2000.00"),
        cap_left=D("7500"),
    )
    assert (calc.subsidy, calc.own_contribution) == (D("900.00"), D("1100.00"))


def test_the_regime_is_a_frozen_snapshot() -> None:
    regime = regime_on(date(2024, 1, 1))
    with pytest.raises(AttributeError):
        regime.valid_from = date(2000, 1, 1)  # type: ignore[misc]
    with pytest.raises(TypeError):
        regime.terms.size_classes["KO"] = None  # type: ignore[index]
