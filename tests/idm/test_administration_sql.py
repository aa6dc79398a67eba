"""``selectors.administration`` is one hand-written statement built once (the Gebruikersbeheer asks it on
every request); it must answer as the ORM definitions ``is_application_manager`` and
``administered_without_staff_right`` for every person at moments before, during and after each change."""

from __future__ import annotations

import datetime
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kmop.idm import selectors
from kmop.idm.models import AdministratorAppointment, Organisation, RightDefinition
from kmop.registers.models import Enterprise
from tests.acm.test_acting_roles_sql import MOMENTS, PERSONS, cases, represents  # noqa: F401 - a fixture
from tests.idm.conftest import AN, BART, ELS, JONAS, KLAUS, NOW, PIETER, SOFIE, TODAY, TOM, B, World

Level = AdministratorAppointment.Level


def check(label: str) -> tuple[int, int]:
    """Compare the statement with the ORM for every person × moment; returns how many (person, moment) pairs
    are application managers and how many administer something (so that the world is not trivially empty)."""
    managers = administering = 0
    for at in MOMENTS:
        for person in PERSONS:
            answer = selectors.administration(person, at=at)
            case = (label, person, at.isoformat())
            assert answer.application_manager == selectors.is_application_manager(person, at=at), case
            orm = selectors.administered_without_staff_right(person, at=at).values_list("pk", flat=True)
            assert answer.organisation_ids == tuple(sorted(orm)), case
            managers += answer.application_manager
            administering += bool(answer.organisation_ids)
    return managers, administering


def appoint(world: World, number: str, organisation: Organisation, level: str, **kwargs: object) -> None:
    AdministratorAppointment.objects.create(
        person=world.person(number),
        organisation=organisation,
        level=level,
        source=AdministratorAppointment.Source.IDM,
        begin_date=kwargs.pop("begin_date", TODAY),
        appointed_by_label="tests",
        **kwargs,
    )


@pytest.fixture(params=["statement", "prepared"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The statement as it is, or (PostgreSQL, persistent connections as in production) prepared."""
    prepared = request.param == "prepared"
    if prepared and connection.vendor != "postgresql":
        pytest.skip("prepared statements: PostgreSQL")
    monkeypatch.setattr(selectors, "connections_persist", lambda: prepared)
    return str(request.param)


def test_the_statement_agrees_with_the_orm(
    cases: World,  # noqa: F811 - the fixture imported above
    way: str,
    clock: time_machine.Traveller,
) -> None:
    appoint(cases, PIETER, cases.a, Level.LOCAL_ADMIN)
    appoint(cases, KLAUS, cases.b, Level.ACCESS_MANAGER, domain="economie")
    appoint(cases, AN, cases.b, Level.ACCESS_MANAGER, domain="*")
    appoint(cases, TOM, cases.b, Level.ACCESS_MANAGER, domain="welzijn")  # another domain: not ours
    appoint(cases, JONAS, cases.n, Level.CO_MAIN, end_date=TODAY + timedelta(days=20))
    appoint(cases, ELS, cases.vlaio, Level.LOCAL_ADMIN, begin_date=TODAY + timedelta(days=30))
    appoint(cases, BART, cases.a, Level.LOCAL_ADMIN, ended_at=NOW + timedelta(hours=1))
    represents(B, TOM, start=date(2014, 3, 3), end=TODAY + timedelta(days=100))
    managers, administering = check("as made")
    assert managers
    assert administering
    at = NOW + timedelta(hours=4)
    assert selectors.administration(BART, at=at).application_manager
    assert selectors.administration(BART, at=NOW).organisation_ids == (cases.a.pk,)  # ended an hour later
    assert selectors.administration(BART, at=at).organisation_ids == ()
    assert selectors.administration(SOFIE, at=at).organisation_ids == tuple(
        sorted(
            Organisation.objects.filter(code__in=["0912345673", "0945678140", "0956781274"]).values_list(
                "pk", flat=True
            )
        )
    )
    assert selectors.administration(TOM, at=at).organisation_ids == tuple(sorted([cases.n.pk, cases.b.pk]))
    assert cases.vlaio.pk not in selectors.administration(ELS, at=at).organisation_ids  # begins later
    assert cases.vlaio.pk in selectors.administration(ELS, at=NOW + timedelta(days=31)).organisation_ids

    clock.shift(datetime.timedelta(hours=5))
    AdministratorAppointment.objects.filter(person__national_number=PIETER).update(ended_at=NOW)  # revoked
    Enterprise.objects.filter(pk=B).update(status="ST")
    RightDefinition.objects.filter(code="VLAIOInkomToepassingsbeheerder").update(active=False)
    check("changed")
    assert selectors.administration(PIETER, at=at).organisation_ids == ()
    assert not selectors.administration(BART, at=at).application_manager


def test_one_statement_built_once_with_bound_values(world: World) -> None:
    assert selectors.administration_sql() is selectors.administration_sql()
    statement = selectors.administration_sql()
    assert PIETER not in statement
    assert "VLAIOInkom" not in statement
    assert "economie" not in statement
    selectors.administration(PIETER)
    with CaptureQueriesContext(connection) as queries:
        assert selectors.administration(f"{PIETER}' OR '1'='1") == selectors.Administration(False, ())
    assert len(queries.captured_queries) == 1
