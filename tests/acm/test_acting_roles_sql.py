"""``acting_roles`` is one hand-written SQL statement built once; ``acting_roles_orm`` is the reference built
from the IDM selectors' definition of an effective right. Both, and ``permissions.can_act_for``, must agree
for every person and organisation of a world that holds each case of the definition, at moments before,
during and after each change."""

from __future__ import annotations

import datetime
from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kmop.acm import selectors
from kmop.acm.selectors import acting_roles, acting_roles_orm, acting_roles_sql
from kmop.idm import permissions, services
from kmop.idm.models import Organisation, RightDefinition, WorkRelation
from kmop.registers.models import Enterprise, LegalFunction
from tests.idm.conftest import (
    AN,
    BART,
    ELS,
    JONAS,
    KLAUS,
    NOBODY,
    NOW,
    PIETER,
    SOFIE,
    SYSTEM,
    TODAY,
    TOM,
    B,
    World,
    make_enterprise,
)

C = "0945678140"  # a legal-person enterprise that stops in the KBO
D = "0956781274"  # a legal-person enterprise whose organisation is made inactive here
E = "0967812352"  # a legal-person enterprise that disappears from the KBO (then counts as active)
GEBRUIKER = "VLAIOInkomGebruikerNieuw-Gebruiker"
DIENSTVERLENER = "VLAIOInkomGebruikerNieuw-DienstverlenerKmoPortefeuille"
PERSONS = (SOFIE, JONAS, PIETER, ELS, TOM, AN, BART, KLAUS, NOBODY)
#: the moments every check looks at: before the world, the changes at NOW + 1 h (ended, paused) and + 3 h
#: (resumed), a future grant's begin (+ 30 days), a short relation's end (+ 100 days), the end of 10 years
MOMENTS = [
    NOW - timedelta(days=1),
    NOW,
    NOW + timedelta(hours=2),
    NOW + timedelta(hours=4),
    NOW + timedelta(days=31),
    NOW + timedelta(days=120),
    NOW + timedelta(days=3 * 365),
    NOW + timedelta(days=11 * 365),
]


def grant(world: World, number: str, organisation: Organisation, right: str, *values: str, **kwargs):
    relation = WorkRelation.objects.filter(person__national_number=number, organisation=organisation).first()
    if relation is None:
        relation = world.relation(number, organisation)
    return services.right_grant_create(
        actor=SYSTEM, work_relation=relation, right_code=right, context_values=list(values), **kwargs
    )


def represents(
    enterprise: str, person: str, *, start: date = date(2014, 3, 3), end: date | None = None
) -> None:
    LegalFunction.objects.create(
        enterprise_id=enterprise, person_number=person, function_id="10002", start_date=start, end_date=end
    )


def organisations() -> list[Organisation]:
    return list(Organisation.objects.order_by("code"))


def check(label: str) -> int:
    """Compare the three answers for every person × organisation × moment; returns the number of pairs that
    may act (so that a test sees the world is not trivially empty)."""
    allowed = 0
    for at in MOMENTS:
        for organisation in organisations():
            for person in PERSONS:
                sql = acting_roles(person, organisation.pk, at=at)
                orm = acting_roles_orm(person, organisation.pk, at=at)
                case = (label, person, organisation.code, at.isoformat())
                assert sql == orm, case
                assert bool(sql) == permissions.can_act_for(person, organisation, at), case
                allowed += bool(sql)
    return allowed


@pytest.fixture
def cases(world: World, clock: time_machine.Traveller) -> World:
    """Every case of the definition, each in its own person × organisation pair."""
    make_enterprise(C)
    make_enterprise(D)
    make_enterprise(E)
    represents(C, SOFIE)  # legal representative of an enterprise that will stop in the KBO
    represents(D, SOFIE)  # ... of one whose organisation will be made inactive
    represents(E, ELS)  # ... of one that will disappear from the KBO
    represents(B, KLAUS, end=TODAY - timedelta(days=1))  # a function that has ended
    represents(B, PIETER, start=TODAY + timedelta(days=30))  # a function that starts later
    c = services.organisation_for_enterprise(actor=SYSTEM, enterprise_number=C)
    d = services.organisation_for_enterprise(actor=SYSTEM, enterprise_number=D)
    e = services.organisation_for_enterprise(actor=SYSTEM, enterprise_number=E)

    grant(world, JONAS, world.a, "VLAIOInkomGebruikerNieuw", "Gebruiker")  # effective
    [ending] = grant(world, JONAS, world.a, "VLAIOInkomGebruikerNieuw", "DienstverlenerKmoPortefeuille")
    grant(
        world, PIETER, world.a, "VLAIOInkomGebruikerNieuw", "Gebruiker", begin_date=TODAY + timedelta(days=30)
    )
    grant(world, KLAUS, world.a, "VLAIOInkomGebruikerNieuw", "Gebruiker")  # its relation ends
    grant(world, ELS, world.a, "VLAIOInkomGebruikerNieuw", "Gebruiker")  # its relation is paused, resumed
    grant(world, TOM, world.n, "VLAIOInkomGebruikerNieuw", "Gebruiker")  # natural person: needs a grant
    short = world.relation(SOFIE, world.b, end_date=TODAY + timedelta(days=100))
    services.right_grant_create(  # a relation that ends by its date
        actor=SYSTEM,
        work_relation=short,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=["DienstverlenerKmoPortefeuille"],
    )
    grant(world, AN, world.vlaio, "VLAIOInkomGebruiker", "Medewerker")  # a right with a context value
    grant(world, BART, world.vlaio, "VLAIOInkomToepassingsbeheerder")  # a right without one
    grant(world, AN, c, "VLAIOInkomGebruikerNieuw", "Gebruiker")
    grant(world, BART, d, "VLAIOInkomGebruikerNieuw", "Gebruiker")
    grant(world, JONAS, e, "VLAIOInkomGebruikerNieuw", "Gebruiker")
    grant(world, TOM, world.a, "VLAIOInkomGebruikerNieuw", "Gebruiker", end_date=TODAY + timedelta(days=20))

    clock.shift(datetime.timedelta(hours=1))
    services.right_grant_end(actor=SYSTEM, grant=ending)
    services.work_relation_end(
        actor=SYSTEM, work_relation=WorkRelation.objects.get(person__national_number=KLAUS)
    )
    els_a = WorkRelation.objects.get(person__national_number=ELS, organisation=world.a)
    services.work_relation_pause(actor=SYSTEM, work_relation=els_a)
    clock.shift(datetime.timedelta(hours=2))
    services.work_relation_resume(actor=SYSTEM, work_relation=els_a)
    return world


@pytest.fixture(params=["statement", "prepared"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The statement as it is, or (PostgreSQL, persistent connections as in production) prepared."""
    prepared = request.param == "prepared"
    if prepared and connection.vendor != "postgresql":
        pytest.skip("prepared statements: PostgreSQL")
    monkeypatch.setattr(selectors, "_connections_persist", lambda: prepared)
    return str(request.param)


def test_the_statement_agrees_with_the_orm_and_can_act_for(cases: World, way: str) -> None:
    assert check("as made") > 0
    at = NOW + timedelta(hours=4)
    assert acting_roles(JONAS, cases.a.pk, at=at) == (GEBRUIKER,)  # the ended one is gone
    assert acting_roles(JONAS, cases.a.pk, at=NOW) == (DIENSTVERLENER, GEBRUIKER)  # not ended yet then
    assert acting_roles(SOFIE, cases.a.pk, at=at) == (GEBRUIKER,)  # implicit, legal person
    assert acting_roles(SOFIE, cases.b.pk, at=at) == (DIENSTVERLENER,)  # a grant, not a representative
    assert acting_roles(SOFIE, cases.b.pk, at=NOW + timedelta(days=120)) == ()  # its relation has ended
    assert acting_roles(TOM, cases.n.pk, at=at) == (GEBRUIKER,)  # through the grant only
    assert acting_roles(AN, cases.vlaio.pk, at=at) == ("VLAIOInkomGebruiker-Medewerker",)
    assert acting_roles(BART, cases.vlaio.pk, at=at) == ("VLAIOInkomToepassingsbeheerder",)
    assert acting_roles(ELS, cases.a.pk, at=NOW + timedelta(hours=2)) == ()  # paused
    assert acting_roles(ELS, cases.a.pk, at=at) == (GEBRUIKER,)  # resumed
    assert acting_roles(KLAUS, cases.a.pk, at=NOW) == (GEBRUIKER,)
    assert acting_roles(KLAUS, cases.a.pk, at=at) == ()  # relation ended
    assert acting_roles(KLAUS, cases.b.pk, at=at) == ()  # function ended
    assert acting_roles(PIETER, cases.a.pk, at=at) == ()  # grant begins later
    assert acting_roles(PIETER, cases.a.pk, at=NOW + timedelta(days=31)) == (GEBRUIKER,)
    assert acting_roles(PIETER, cases.b.pk, at=NOW + timedelta(days=31)) == (GEBRUIKER,)  # function began
    assert acting_roles(TOM, cases.a.pk, at=NOW + timedelta(days=31)) == ()  # grant's end date passed
    c, d, e = (Organisation.objects.get(code=code) for code in (C, D, E))
    assert acting_roles(AN, c.pk, at=at) == acting_roles(SOFIE, c.pk, at=at) == (GEBRUIKER,)

    Enterprise.objects.filter(pk=C).update(status="ST")  # stopped in the KBO
    Organisation.objects.filter(pk=d.pk).update(active=False)  # made inactive here
    LegalFunction.objects.filter(enterprise_id=E).delete()
    Enterprise.objects.filter(pk=E).delete()  # gone from the KBO: not inactive there
    RightDefinition.objects.filter(code="VLAIOInkomToepassingsbeheerder").update(active=False)
    assert check("changed") > 0
    assert acting_roles(AN, c.pk, at=at) == acting_roles(SOFIE, c.pk, at=at) == ()
    assert acting_roles(BART, d.pk, at=at) == acting_roles(SOFIE, d.pk, at=at) == ()
    assert acting_roles(JONAS, e.pk, at=at) == (GEBRUIKER,)
    assert acting_roles(BART, cases.vlaio.pk, at=at) == ()  # its right definition is inactive

    Organisation.objects.filter(pk=cases.a.pk).update(active=False)
    check("A inactive")
    assert acting_roles(SOFIE, cases.a.pk, at=at) == acting_roles(JONAS, cases.a.pk, at=at) == ()


def test_natural_person_enterprise_gives_no_implicit_role(world: World) -> None:
    assert acting_roles(TOM, world.n.pk) == acting_roles_orm(TOM, world.n.pk) == ()
    assert not permissions.can_act_for(TOM, world.n)
    assert acting_roles(ELS, world.b.pk) == acting_roles_orm(ELS, world.b.pk) == (GEBRUIKER,)
    assert acting_roles(JONAS, world.b.pk) == ()  # a function that does not represent


def test_one_statement_built_once_with_bound_values(world: World) -> None:
    grant(world, JONAS, world.a, "VLAIOInkomGebruikerNieuw", "Gebruiker")
    assert acting_roles_sql() is acting_roles_sql()  # built once
    statement = acting_roles_sql()
    assert JONAS not in statement
    assert "Gebruiker" not in statement
    assert "'" not in statement  # no literal: every value is bound
    acting_roles(JONAS, world.a.pk)  # a prepared statement is prepared once per connection
    with CaptureQueriesContext(connection) as queries:
        assert acting_roles(JONAS, world.a.pk) == (GEBRUIKER,)
        assert acting_roles(f"{JONAS}' OR '1'='1", world.a.pk) == ()  # a value, never SQL
    assert len(queries.captured_queries) == 2


def test_prepared_once_per_connection(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements: PostgreSQL")
    monkeypatch.setattr(selectors, "_connections_persist", lambda: True)
    grant(world, JONAS, world.a, "VLAIOInkomGebruikerNieuw", "Gebruiker")
    with CaptureQueriesContext(connection) as queries:
        for _ in range(8):  # past PostgreSQL's five custom plans: the generic one answers the same
            assert acting_roles(JONAS, world.a.pk) == (GEBRUIKER,)
            assert acting_roles(TOM, world.a.pk) == ()
    statements = [q["sql"] for q in queries.captured_queries]
    assert sum(s.startswith("PREPARE") for s in statements) <= 1
    assert sum(s.startswith(f"EXECUTE {selectors.PREPARED_NAME}") for s in statements) == 16
