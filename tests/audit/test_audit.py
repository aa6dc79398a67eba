import pytest

from kmop.acm.models import User
from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor, audit_record


@pytest.mark.django_db
def test_audit_record_keeps_who_for_which_organisation_what_and_why() -> None:
    user = User.objects.create_user(username="staff1")
    event = audit_record(
        actor=Actor(
            label="staff1", user=user, organisation_code="OVO003112", acr="urn:be:vlaanderen:authmech:eid"
        ),
        action="legal_function.update",
        object_type="LegalFunction",
        object_id="42",
        before={"end_date": None},
        after={"end_date": "2026-12-31"},
        reason="correctie na melding",
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.actor == user
    assert stored.organisation_code == "OVO003112"
    assert stored.acr == "urn:be:vlaanderen:authmech:eid"
    assert stored.before == {"end_date": None}
    assert stored.after == {"end_date": "2026-12-31"}
    assert stored.reason == "correctie na melding"
    assert stored.at is not None


@pytest.mark.django_db
def test_audit_events_are_append_only() -> None:
    event = audit_record(
        actor=Actor.system("import_kbo"), action="kbo.import", object_type="KboExtract", object_id="1"
    )
    event.reason = "rewritten history"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.django_db
def test_actor_from_anonymous_user_is_labelled() -> None:
    from django.contrib.auth.models import AnonymousUser

    actor = Actor.from_user(AnonymousUser(), organisation_code="0403170701")
    assert actor.label == "anonymous"
    assert actor.user is None
    assert actor.organisation_code == "0403170701"


@pytest.mark.django_db
def test_the_database_refuses_to_change_or_delete_audit_events() -> None:
    from django.db import DatabaseError, connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the database trigger exists on PostgreSQL (production); SQLite has the ORM guard only")
    event = audit_record(actor=Actor.system("test"), action="x.y", object_type="T", object_id="1")
    table = AuditEvent._meta.db_table
    refused = pytest.raises(DatabaseError, match="append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET reason = 'rewritten' WHERE id = %s", [event.pk])
    refused = pytest.raises(DatabaseError, match="append-only")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).reason == ""
