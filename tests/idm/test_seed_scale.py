"""The IDM population of ``kmop seed --scale N``: valid, consistent and deterministic data of that scale."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import override_settings
from django.utils import timezone

from kmop.acm.selectors import acting_roles
from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.idm import selectors
from kmop.idm.dates import add_months
from kmop.idm.models import (
    AdministratorAppointment,
    Organisation,
    Person,
    RightGrant,
    TargetGroup,
    WorkRelation,
    WorkRelationPause,
)
from kmop.idm.seed_steps import seed_population
from kmop.registers.models import Enterprise, NationalRegisterPerson
from kmop.registers.numbers import validate_national_number
from kmop.registers.selectors import enterprise_names

pytestmark = pytest.mark.django_db(transaction=True)

DAY = date(2026, 3, 2)
SCALE = 1000


def moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def grant_rows() -> list[tuple[object, ...]]:
    return list(
        RightGrant.objects.order_by("id").values_list(
            "work_relation__person__national_number",
            "work_relation__organisation__code",
            "context_value",
            "begin_date",
            "end_date",
            "ended_at",
            "last_reminder_on",
        )
    )


@pytest.fixture
def seeded(tmp_path: Path) -> dict[str, int]:
    """The registers of ``kmop seed --scale 1000`` (the command, with its IDM step), then the population of a
    fixed day."""
    with override_settings(VAR_DIR=tmp_path):
        out = io.StringIO()
        call_command("seed", "--scale", str(SCALE), "--jobs", "1", stdout=out)
    assert "idm_grants" in out.getvalue()
    return seed_population(scale=SCALE, seed=1, actor=Actor.system("test"), today=DAY)


def test_the_population_has_the_scale_and_is_deterministic(seeded: dict[str, int]) -> None:
    register = NationalRegisterPerson.objects.count()
    assert seeded["persons"] == Person.objects.count() == min(register, SCALE * 3 // 2)
    active = Enterprise.objects.filter(status="AC").count()
    assert seeded["organisations"] == Organisation.objects.count() == active // 4
    # about 5/3 grants per person: --scale 200000 gives 300,000 persons and about 500,000 grants
    assert 1.5 < RightGrant.objects.count() / seeded["persons"] < 1.8
    assert seeded["grants"] == RightGrant.objects.count()
    assert seeded["work_relations"] == WorkRelation.objects.count() > seeded["persons"]
    assert seeded["appointments"] == AdministratorAppointment.objects.count() > 0
    event = AuditEvent.objects.filter(action="idm.population.seed").latest("id")
    assert event.after is not None
    assert event.after["grants"] == seeded["grants"]

    before = grant_rows()
    again = seed_population(scale=SCALE, seed=1, actor=Actor.system("test"), today=DAY)
    assert again == seeded
    assert grant_rows() == before
    other = seed_population(scale=SCALE, seed=2, actor=Actor.system("test"), today=DAY)
    assert other["persons"] == seeded["persons"]
    assert grant_rows() != before


def test_the_population_is_valid_and_consistent(seeded: dict[str, int]) -> None:
    persons_and_organisations_come_from_the_registers()
    relations_and_grants_keep_the_rules(seeded)
    administrators_are_people_of_their_organisation_with_an_effective_right()


def persons_and_organisations_come_from_the_registers() -> None:
    register = {
        p.national_number: p
        for p in NationalRegisterPerson.objects.filter(
            national_number__in=Person.objects.values("national_number")
        )
    }
    for person in Person.objects.all():
        assert validate_national_number(person.national_number) == person.national_number
        record = register[person.national_number]
        assert (person.first_name, person.last_name, person.birth_date, person.sex) == (
            record.first_name,
            record.last_name,
            record.birth_date,
            record.sex,
        )
        assert "@" in person.email
    codes = list(Organisation.objects.values_list("code", flat=True))
    names = enterprise_names(codes)
    kbo = dict(Enterprise.objects.filter(pk__in=codes).values_list("pk", "status"))
    for organisation in Organisation.objects.all():
        assert organisation.target_group == TargetGroup.ECONOMIC_ACTOR
        assert kbo[organisation.code] == "AC"
        assert organisation.name == names[organisation.code]
        assert selectors.is_organisation_active(organisation)


def relations_and_grants_keep_the_rules(seeded: dict[str, int]) -> None:
    # a grant lies within its work relation, within the right's maximum period, and never before its begin
    for grant in RightGrant.objects.select_related("work_relation", "right"):
        relation = grant.work_relation
        assert grant.organisation_id == relation.organisation_id  # kept on the grant by the COPY too
        assert relation.begin_date <= grant.begin_date <= grant.end_date <= relation.end_date
        assert grant.end_date <= add_months(grant.term_start, grant.right.max_months)
        assert TargetGroup.ECONOMIC_ACTOR in grant.right.target_groups
        assert grant.context_value in {v.code for v in grant.right.values.all()}
        if grant.ended_at is not None:
            assert timezone.localdate(grant.ended_at) == grant.end_date
    for relation in WorkRelation.objects.all():
        assert relation.end_date <= add_months(relation.term_start, 120)
    assert not RightGrant.objects.filter(end_date__lt=F("begin_date")).exists()
    # a person works at most once for the same organisation
    pairs = Counter(WorkRelation.objects.values_list("person_id", "organisation_id"))
    assert max(pairs.values()) == 1
    # a realistic spread: expired and ended grants, open pauses, and reminders due in the next 10 days
    at = moment(DAY)
    effective = selectors.effective_grants(at=at).count()
    assert 0.4 < effective / seeded["grants"] < 0.8
    assert RightGrant.objects.filter(end_date__lt=DAY).exists()
    assert RightGrant.objects.filter(ended_at__isnull=False).exists()
    assert WorkRelationPause.objects.filter(ended_at__isnull=True).exists()
    due = selectors.effective_grants(at=at).filter(end_date__gte=DAY, end_date__lte=DAY + timedelta(days=10))
    assert due.count() > 0
    # the largest organisation has many people (the bench acts for it)
    sizes = Counter(WorkRelation.objects.values_list("organisation_id", flat=True))
    members = sizes.most_common(1)[0][1]
    assert members > 5 * seeded["work_relations"] / seeded["organisations"]


def administrators_are_people_of_their_organisation_with_an_effective_right() -> None:
    at = moment(DAY)
    mains = Counter(
        AdministratorAppointment.objects.filter(level=AdministratorAppointment.Level.MAIN).values_list(
            "organisation_id", flat=True
        )
    )
    assert mains
    assert max(mains.values()) == 1
    for appointment in AdministratorAppointment.objects.select_related("person", "organisation"):
        number = appointment.person.national_number
        assert acting_roles(number, appointment.organisation_id, at=at)
        assert appointment.organisation in selectors.administered_organisations(number, at=at)
    sizes = Counter(WorkRelation.objects.values_list("organisation_id", flat=True))
    largest = sizes.most_common(1)[0][0]
    assert (
        AdministratorAppointment.objects.filter(
            organisation_id=largest, level=AdministratorAppointment.Level.LOCAL_ADMIN
        ).count()
        == 2
    )
