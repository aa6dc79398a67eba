"""Each refusal code of ``check_application``, with the rule's numbers in its Dutch message."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from kmop.schemes.services import REFUSAL_CODES, check_application, regime_on

pytestmark = pytest.mark.django_db

D = Decimal
DAY = date(2026, 3, 10)


def _check(day: date = DAY, **overrides: Any) -> list[str]:
    return [r.code for r in _refusals(day, **overrides)]


def _refusals(day: date = DAY, **overrides: Any) -> list[Any]:
    kwargs: dict[str, Any] = {
        "service": "opleiding",
        "theme": "digitalisering",
        "subtheme": "software",
        "amount": D("1000.00"),
        "start_date": day,
        "application_date": day,
        "size_class": "KO",
        "legal_form_code": "610",
        "nace_code": "62010",
        "title": "Opleiding Python voor ontwikkelaars",
    }
    kwargs.update(overrides)
    with translation.override("nl"):
        return check_application(regime_on(kwargs["application_date"]), **kwargs)


def test_an_acceptable_application_has_no_refusals() -> None:
    assert _check() == []


def test_filing_window_14_calendar_days_after_the_start() -> None:
    assert _check(start_date=date(2026, 2, 24)) == []  # day 14
    refusals = _refusals(start_date=date(2026, 2, 23))  # day 15
    assert [r.code for r in refusals] == ["outside_filing_window"]
    assert refusals[0].message == (
        "De aanvraag moet ten laatste 14 kalenderdagen na de startdatum (23 februari 2026) ingediend worden, "
        "dus uiterlijk op 9 maart 2026."
    )
    assert refusals[0].params["deadline"] == date(2026, 3, 9)
    assert _check(start_date=date(2026, 6, 1)) == []  # filed before the start: fine


@pytest.mark.parametrize(
    ("service", "amount", "refused"),
    [
        ("opleiding", "100.00", False),
        ("opleiding", "99.99", True),
        ("advies", "500.00", False),
        ("advies", "499.99", True),
    ],
)
def test_minimum_amounts(service: str, amount: str, refused: bool) -> None:
    theme = {"theme": "digitalisering", "subtheme": "cybersecurity"}
    codes = _check(service=service, amount=D(amount), **theme)
    assert codes == (["below_minimum"] if refused else [])


def test_below_minimum_message_names_the_minimum() -> None:
    (refusal,) = _refusals(
        service="advies", theme="digitalisering", subtheme="cybersecurity", amount=D("450")
    )
    assert (
        refusal.message
        == "Het projectbedrag (€ 450,00 exclusief btw) moet voor advies minstens € 500,00 zijn."
    )


@pytest.mark.parametrize("amount", ["12.345", "-5.00", "NaN", "Infinity"])
def test_invalid_amounts(amount: str) -> None:
    assert _check(amount=D(amount)) == ["invalid_amount"]


def test_zero_is_below_the_minimum() -> None:
    assert _check(amount=D("0")) == ["below_minimum"]


def test_service_not_in_regime() -> None:
    assert _check(service="coaching") == ["service_not_in_regime"]
    refusals = _refusals(service="advies", theme="innovatie", subtheme=None)
    assert [r.code for r in refusals] == ["service_not_in_regime"]
    assert refusals[0].message == (
        "Vanaf 1 februari 2026 komt advies enkel nog in aanmerking voor: Digitalisering – Cybersecurity."
    )


def test_theme_rules() -> None:
    assert _check(theme=None, subtheme=None) == ["theme_missing"]
    assert _check(theme="astrologie", subtheme=None) == ["theme_not_in_regime"]
    assert _check(theme="digitalisering", subtheme="boekhouding") == ["theme_not_in_regime"]
    assert _check(theme="digitalisering", subtheme=None) == ["subtheme_missing"]
    assert _check(theme="innovatie", subtheme=None) == []  # a theme without sub-themes
    # before 2023 a theme was optional; before 13 September 2021 there were none
    day = date(2020, 5, 4)
    assert _check(day, start_date=day, application_date=day, theme=None, subtheme=None) == []
    assert _check(day, start_date=day, application_date=day, theme="cybersecurity", subtheme=None) == [
        "theme_not_in_regime"
    ]
    day = date(2022, 5, 4)
    assert _check(day, start_date=day, application_date=day, theme="cybersecurity", subtheme=None) == []


def test_large_enterprise_and_unknown_size_class() -> None:
    assert _check(size_class="GO") == ["large_enterprise"]
    assert _check(size_class="XL") == ["unknown_size_class"]
    assert _check(size_class="MO") == []


def test_excluded_services_from_1_july_2020() -> None:
    refusals = _refusals(title="Teambuilding op de Ardennen")
    assert [r.code for r in refusals] == ["excluded_service"]
    assert refusals[0].params == {"excluded_service": "teambuilding"}
    assert _check(title="Opleiding NLP voor leidinggevenden") == ["excluded_service"]
    assert _check(title="Rijbewijs B voor de zaakvoerder") == ["excluded_service"]
    # whole words only: "examen" is excluded, "examenvragen opstellen" for teachers is another word
    assert _check(title="Cursus examenvragen opstellen") == []
    day = date(2020, 6, 30)  # the day before the list applied
    assert (
        _check(day, start_date=day, application_date=day, theme=None, subtheme=None, title="Mindfulness")
        == []
    )
    day = date(2020, 7, 1)
    assert _check(
        day, start_date=day, application_date=day, theme=None, subtheme=None, title="Mindfulness"
    ) == ["excluded_service"]


@pytest.mark.parametrize(
    ("code", "refused"),
    [
        ("610", False),
        ("NP", False),
        ("014", False),
        ("017", True),
        ("702", True),
        ("703", True),
        ("", True),
        (None, True),
    ],
)
def test_legal_forms(code: str | None, refused: bool) -> None:
    assert _check(legal_form_code=code) == (["legal_form_not_accepted"] if refused else [])


@pytest.mark.parametrize(
    ("nace", "codes"),
    [
        ("62010", []),
        ("01110", ["nace_not_accepted"]),
        ("03", ["nace_not_accepted"]),
        ("84111", ["nace_not_accepted"]),
        ("46210", []),  # wholesale of grain: trade in agricultural products stays accepted
        ("01.110", ["nace_not_accepted"]),
        (None, ["nace_unknown"]),
    ],
)
def test_nace(nace: str | None, codes: list[str]) -> None:
    assert _check(nace_code=nace) == codes


def test_asking_the_wrong_regime_is_refused() -> None:
    codes = [
        r.code
        for r in check_application(
            regime_on(date(2018, 1, 1)),
            service="opleiding",
            theme=None,
            amount=D("500"),
            start_date=DAY,
            application_date=DAY,
            size_class="KO",
            legal_form_code="610",
            nace_code="62010",
        )
    ]
    assert codes == ["application_before_regime"]


def test_every_code_is_documented() -> None:
    assert set(REFUSAL_CODES) >= {
        "outside_filing_window",
        "below_minimum",
        "service_not_in_regime",
        "theme_not_in_regime",
        "excluded_service",
        "large_enterprise",
        "legal_form_not_accepted",
        "nace_not_accepted",
    }
