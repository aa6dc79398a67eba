"""``audit_record_many``: on PostgreSQL the events go in with one COPY, elsewhere with ``bulk_create``; both
write the same rows, and the events stay append-only."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from kmop.audit import services
from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor, AuditChange

pytestmark = pytest.mark.django_db

CHANGES = [
    AuditChange(action="projects.project.close_expired", object_type="projects.Project", object_id="1"),
    AuditChange(
        action="wallet.transaction.refund",
        object_type="wallet.LedgerTransaction",
        object_id="42",
        before={"status": "Lopend", "budget_held": "12.50"},
        after={"entries": [["project:1", "-12.50"], ["refunds", "12.50"]], "memo": 'Terugbetaling é\t"x"\n'},
    ),
    AuditChange(action="x.y", object_type="t", object_id="a\\b", before={}, after={"none": None}),
    AuditChange(action="x.z", object_type="t", object_id="2", reason="eigen reden"),
]

COLUMNS = (
    "actor_id",
    "actor_label",
    "organisation_code",
    "acr",
    "action",
    "object_type",
    "object_id",
    "before",
    "after",
    "reason",
)


def _written(write: Any, actor: Actor) -> list[tuple[Any, ...]]:
    """What ``write`` stores, read back without ids and times (then rolled back)."""
    with transaction.atomic():
        first = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        assert write() == len(CHANGES)
        rows = list(AuditEvent.objects.filter(id__gt=first).order_by("id").values_list(*COLUMNS))
        times = set(AuditEvent.objects.filter(id__gt=first).values_list("at", flat=True))
        assert len(times) >= 1
        assert None not in times
        transaction.set_rollback(True)
    return rows


def test_records_every_change_in_order() -> None:
    actor = Actor(label="kmop daily", organisation_code="0123456789", acr="eidas-high")
    rows = _written(
        lambda: services.audit_record_many(actor=actor, changes=iter(CHANGES), reason="Jaareinde"), actor
    )
    assert [r[4:7] for r in rows] == [(c.action, c.object_type, c.object_id) for c in CHANGES]
    assert [(r[7], r[8]) for r in rows] == [(c.before, c.after) for c in CHANGES]
    assert {r[:4] for r in rows} == {(None, "kmop daily", "0123456789", "eidas-high")}
    assert [r[9] for r in rows] == ["Jaareinde"] * (len(CHANGES) - 1) + ["eigen reden"]


def test_nothing_to_record_writes_nothing() -> None:
    with transaction.atomic():
        assert services.audit_record_many(actor=Actor.system("x"), changes=[]) == 0
    assert not AuditEvent.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY: PostgreSQL")
def test_copy_writes_exactly_what_the_orm_writes(django_user_model: Any) -> None:
    user = django_user_model.objects.create(username="an")
    actor = Actor(label="an", user=user, organisation_code="0123456789", acr="x")
    copied = _written(lambda: services._record_many_copy(actor, iter(CHANGES), "reden"), actor)
    created = _written(lambda: services._record_many_orm(actor, iter(CHANGES), "reden", 2), actor)
    assert copied == created
    assert copied[0][0] == user.pk


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY: PostgreSQL")
def test_copied_events_stay_append_only() -> None:
    with transaction.atomic():
        services.audit_record_many(actor=Actor.system("x"), changes=CHANGES)
    with pytest.raises(TypeError):
        AuditEvent.objects.all().update(reason="changed")
    with (
        pytest.raises(Exception, match=r"append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_auditevent SET reason = 'changed'")
    assert set(AuditEvent.objects.values_list("reason", flat=True)) == {"", "eigen reden"}
