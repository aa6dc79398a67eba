"""Bad input of the issue that concerns the domain: a clear message on the field, nothing changed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kmop.audit.models import AuditEvent
from kmop.projects import services
from kmop.projects.errors import InvalidInput
from kmop.projects.models import Project, YearBudget
from tests.projects.conftest import Setting


def invalid(setting: Setting, **overrides: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        setting.submit(**overrides)
    assert not Project.objects.exists()
    assert not YearBudget.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="projects.").exists()
    return info.value


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("1000.005", "twee decimalen"),
        (Decimal("12.345"), "twee decimalen"),
        ("-100.00", "groter zijn dan 0"),
        ("0", "groter zijn dan 0"),
        ("100000000.00", "onwaarschijnlijk groot"),
        ("1e20", "onwaarschijnlijk groot"),
        ("1e30", "onwaarschijnlijk groot"),
        ("1E+999999", "onwaarschijnlijk groot"),
        ("1E+9999999", "onwaarschijnlijk groot"),
        (Decimal("1e30"), "onwaarschijnlijk groot"),
        ("-1e30", "groter zijn dan 0"),
        ("NaN", "bedrag in euro"),
        ("Infinity", "bedrag in euro"),
        ("duizend", "bedrag in euro"),
        ("", "bedrag in euro"),
    ],
)
def test_bad_amounts(setting: Setting, amount: Any, message: str) -> None:
    error = invalid(setting, amount=amount)
    assert error.field == "amount"
    assert message in str(error)


def test_amount_with_a_comma_is_read(setting: Setting) -> None:
    assert setting.submit(amount="1000,50").amount == Decimal("1000.50")


@pytest.mark.parametrize("value", ["2025-02-30", "31/02/2025", "2025-13-01", "10 maart", "", "2025/03/03"])
def test_impossible_or_malformed_dates(setting: Setting, value: str) -> None:
    error = invalid(setting, start_date=value)
    assert error.field == "start_date"
    assert "geen bestaande datum" in str(error)


def test_date_as_text_is_read(setting: Setting) -> None:
    assert setting.submit(start_date="03/03/2025").start_date.isoformat() == "2025-03-03"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hours", "0"),
        ("hours", "-2"),
        ("hours", "1.005"),
        ("hours", "99999"),
        ("participants", "0"),
        ("participants", "x"),
        ("participants", "1000001"),
        ("service", "coaching"),
        ("title", "   "),
        ("title", "x" * 301),
    ],
)
def test_other_bad_fields(setting: Setting, field: str, value: str) -> None:
    assert invalid(setting, **{field: value}).field == field


def test_preview_refuses_bad_amounts_too(setting: Setting) -> None:
    with pytest.raises(InvalidInput):
        services.application_preview(**setting.preview_args(amount="12.345"))
