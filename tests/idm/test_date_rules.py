"""Property tests of the date rules: an extension never exceeds the maximum from today, and a right never
outlives its work relation, whatever sequence of extensions, shortenings and days passing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmop.idm import services
from kmop.idm.dates import add_months
from kmop.idm.errors import IdmError
from kmop.idm.models import RightGrant, WorkRelation
from tests.idm.conftest import BRUSSELS, JONAS, SYSTEM, World

pytestmark = pytest.mark.django_db


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 240))
def test_add_months_stays_in_the_month_and_never_overshoots(day: date, months: int) -> None:
    result = add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    assert result.day <= day.day
    assert (result - day).days <= months * 31


class Rollback(Exception):
    pass


operations = st.lists(
    st.one_of(
        st.tuples(st.just("days"), st.integers(1, 2000)),
        st.tuples(st.just("relation"), st.one_of(st.none(), st.integers(-400, 4000))),
        st.tuples(st.just("grant"), st.one_of(st.none(), st.integers(-400, 2000))),
    ),
    max_size=6,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(relation_days=st.integers(0, 3652), steps=operations)
def test_extensions_never_exceed_the_maximum_nor_the_relation(
    world: World, relation_days: int, steps: list[tuple[str, int | None]]
) -> None:
    start = datetime(2025, 3, 10, 10, 0, tzinfo=BRUSSELS)
    with time_machine.travel(start, tick=False) as clock:
        try:
            with transaction.atomic():
                relation = world.relation(
                    JONAS, world.a, end_date=start.date() + timedelta(days=relation_days)
                )
                (grant,) = services.right_grant_create(
                    actor=SYSTEM,
                    work_relation=relation,
                    right_code="VLAIOInkomGebruikerNieuw",
                    context_values=["Gebruiker"],
                )
                for kind, value in steps:
                    today = _today()
                    if kind == "days":
                        clock.shift(timedelta(days=value or 0))
                        continue
                    end = None if value is None else today + timedelta(days=value)
                    try:
                        if kind == "relation":
                            services.work_relation_extend(actor=SYSTEM, work_relation=relation, end_date=end)
                        else:
                            services.right_grant_extend(actor=SYSTEM, grant=grant, end_date=end)
                    except IdmError:
                        continue
                    relation = WorkRelation.objects.get(pk=relation.pk)
                    grant = RightGrant.objects.get(pk=grant.pk)
                    # an extension never gives more than the maximum from today (or from the begin)
                    assert relation.end_date <= add_months(max(today, relation.begin_date), 120)
                    assert grant.end_date <= add_months(max(today, grant.begin_date), 48)
                    # the maximum holds from the term start as well (what the CHECK constraints guard)
                    assert relation.end_date <= add_months(relation.term_start, 120)
                    assert grant.end_date <= add_months(grant.term_start, 48)
                    # a right never outlives its work relation
                    assert grant.end_date <= relation.end_date
                raise Rollback
        except Rollback:
            pass


def _today() -> date:
    from django.utils import timezone

    return timezone.localdate()
