"""Calendar arithmetic for the maximum periods (10 years, 48 months, ...), without a dependency.

A period of N months from 29 February or the 31st ends on the last day of the target month
(2024-02-29 + 12 months = 2025-02-28), as the IDM screens do (begin 26/06/2018, end 26/06/2028).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def max_days(months: int) -> timedelta:
    """The longest a period of ``months`` months can be in days (an upper bound for CHECK constraints)."""
    years, rest = divmod(months, 12)
    return timedelta(days=years * 365 + years // 4 + 1 + rest * 31)
