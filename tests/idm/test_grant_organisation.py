"""``RightGrant.organisation``: the work relation's organisation kept on the grant by every service that makes
grants and by the migration that added it, and "toekenning opzoeken" filtering on it (and on ``right_id``)
so that a page reads the index (organisation, end date, id) of the administrator's organisations."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from kmop.idm import selectors, services
from kmop.idm.models import RightGrant
from tests.idm.conftest import JONAS, KLAUS, PIETER, SOFIE, SYSTEM, TODAY, TOM, World

BEFORE = ("idm", "0003_person_call_name_grant_keyset_index")
AFTER = ("idm", "0005_rightgrant_organisation_index")


def _grant(world: World, number: str, organisation, profile: str = "Gebruiker") -> RightGrant:
    relation = world.relation(number, organisation)
    [grant] = services.right_grant_create(
        actor=SYSTEM,
        work_relation=relation,
        right_code="VLAIOInkomGebruikerNieuw",
        context_values=[profile],
    )
    return grant


def test_a_grant_keeps_the_organisation_of_its_work_relation(world: World) -> None:
    a = _grant(world, JONAS, world.a)
    b = _grant(world, JONAS, world.b)
    staff = services.right_grant_create(
        actor=SYSTEM,
        work_relation=world.relation(KLAUS, world.vlaio),
        right_code="VLAIOInkomToepassingsbeheerder",
    )
    assert a.organisation == world.a
    assert b.organisation == world.b
    assert [g.organisation for g in staff] == [world.vlaio]
    for grant in RightGrant.objects.select_related("work_relation"):
        assert grant.organisation_id == grant.work_relation.organisation_id


def test_search_filters_on_the_grants_own_columns(world: World) -> None:
    mine = _grant(world, JONAS, world.a)
    other = _grant(world, TOM, world.b)
    with CaptureQueriesContext(connection) as queries:
        found = selectors.grant_search(
            administrator=PIETER,
            right_code="VLAIOInkomGebruikerNieuw",
            application_manager=False,
            organisation_ids=[world.a.pk],
        )
        rows, _cursor = selectors.grant_search_page(found, size=50)
    assert rows == [mine]
    assert other not in rows
    page = queries.captured_queries[-1]["sql"]
    table = connection.ops.quote_name(RightGrant._meta.db_table)
    column = connection.ops.quote_name
    assert f"{table}.{column('organisation_id')} IN ({world.a.pk})" in page
    assert f"{table}.{column('right_id')} = (SELECT" in page  # the right's id, in the same statement
    assert len(queries.captured_queries) == 1


def test_search_organisation_person_and_unknown_right(world: World) -> None:
    jonas = _grant(world, JONAS, world.a)
    _grant(world, SOFIE, world.a, "DienstverlenerKmoPortefeuille")
    tom = _grant(world, TOM, world.b)

    def search(**kwargs: object) -> set[RightGrant]:
        kwargs.setdefault("organisation_ids", [world.a.pk])
        found = selectors.grant_search(administrator=PIETER, application_manager=False, **kwargs)
        return set(selectors.grant_search_page(found, size=50)[0])

    assert search(person="jonas") == {jonas}
    assert search(person=JONAS[:6]) == {jonas}
    assert search(person="Peeters") == set()  # Tom works for B, which is not administered
    assert search(organisation=world.b) == set()  # never another organisation
    assert search(organisation=world.b, organisation_ids=[world.a.pk, world.b.pk]) == {tom}
    assert search(organisation=world.a, person="Peeters", organisation_ids=[world.a.pk, world.b.pk]) == set()
    assert search(right_code="NoSuchRight") == set()
    assert len(search()) == 2
    assert search(right_code="VLAIOInkomGebruikerNieuw", end_until=TODAY - timedelta(days=1)) == set()
    # an application manager: every organisation
    every = selectors.grant_search(administrator=PIETER, application_manager=True, person="Peeters")
    assert set(every) == {tom}


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_organisation_from_the_work_relation() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old = executor.loader.project_state([BEFORE]).apps
    org = old.get_model("idm", "Organisation")
    person = old.get_model("idm", "Person")
    relation = old.get_model("idm", "WorkRelation")
    right = old.get_model("idm", "RightDefinition")
    grant = old.get_model("idm", "RightGrant")
    now = datetime(2025, 3, 10, 10, 0).astimezone()
    x, y = (org.objects.create(code=c, name=c, target_group="GID") for c in ("OVO000001", "OVO000002"))
    p = person.objects.create(
        national_number=SOFIE, first_name="S", last_name="V", sex="V", register_checked_at=now
    )
    r = right.objects.create(
        code="R", label_nl="R", label_en="R", context="none", max_months=12, data_version=1
    )
    made = {}
    for o in (x, y, x):
        w = relation.objects.create(
            person=p,
            organisation=o,
            category="ambtenaar",
            begin_date=date(2025, 1, 1),
            end_date=date(2026, 1, 1),
            term_start=date(2025, 1, 1),
            phone="+3292223344",
            email="x@example.org",
        )
        g = grant.objects.create(
            work_relation=w,
            right=r,
            begin_date=date(2025, 1, 1),
            end_date=date(2025, 6, 1),
            term_start=date(2025, 1, 1),
            granted_by_label="test",
        )
        made[g.pk] = o.pk
    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    new = executor.loader.project_state([AFTER]).apps
    filled = dict(new.get_model("idm", "RightGrant").objects.values_list("pk", "organisation_id"))
    assert filled == made
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to the latest state for the other tests


def test_pages_of_several_organisations_are_the_pages_of_all(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL merges the pages of each organisation; the pages must be those of the plain query."""
    for i, number in enumerate((JONAS, SOFIE, TOM, PIETER)):
        for organisation in (world.a, world.b):
            relation = world.relation(number, organisation)
            for k, profile in enumerate(("Gebruiker", "DienstverlenerKmoPortefeuille")):
                services.right_grant_create(
                    actor=SYSTEM,
                    work_relation=relation,
                    right_code="VLAIOInkomGebruikerNieuw",
                    context_values=[profile],
                    end_date=TODAY + timedelta(days=30 + (i * 7 + k * 3) % 5),  # ties on the end date
                )

    def pages(**kwargs: object) -> list[list[RightGrant]]:
        found = selectors.grant_search(
            administrator=PIETER,
            application_manager=False,
            organisation_ids=[world.a.pk, world.b.pk],
            **kwargs,
        )
        result, after = [], None
        while True:
            rows, after = selectors.grant_search_page(found, after=after, size=3)
            result.append(rows)
            if after is None:
                return result

    merged = pages()
    merged_right = pages(right_code="VLAIOInkomGebruikerNieuw", end_from=TODAY + timedelta(days=31))
    monkeypatch.setattr(selectors, "PER_ORGANISATION_PAGES", 0)  # the plain query
    assert merged == pages()
    assert merged_right == pages(right_code="VLAIOInkomGebruikerNieuw", end_from=TODAY + timedelta(days=31))
    assert sum(len(p) for p in merged) == 16
