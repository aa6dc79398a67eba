"""The providers services: sign-up, departments, establishments, registration requests, extend/renew, the
staff's decisions and the expiry; every refusal changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Permission

from kmop.acm.models import User
from kmop.audit.models import AuditEvent
from kmop.audit.services import Actor
from kmop.idm.errors import IdmError, InvalidNumber, NotAllowed
from kmop.idm.models import Department, Organisation
from kmop.providers import selectors, services
from kmop.providers.errors import (
    AlreadySignedUp,
    Conflict,
    ProviderError,
    StaleRegistration,
    TransitionNotAllowed,
)
from kmop.providers.models import (
    Provider,
    ProviderDepartment,
    ProviderEstablishment,
    Registration,
    RegistrationEvent,
    RegistrationStatus,
)
from kmop.providers.services import Decision
from tests.idm.conftest import ELS, JONAS, SYSTEM, TODAY, B, World, actor, make_enterprise
from tests.providers.conftest import IBAN, IBAN_2, passed_audit, sign_up_data

S = RegistrationStatus
pytestmark = pytest.mark.django_db


def _status(
    registration: Registration, status: str, *, valid_from: date | None, valid_until: date | None
) -> None:
    Registration.objects.filter(pk=registration.pk).update(
        status=status, valid_from=valid_from, valid_until=valid_until
    )
    registration.refresh_from_db()


def _approved(provider: Provider, service: str = "opleiding", **kwargs: object) -> Registration:
    registration = services.registration_request(
        actor=SYSTEM,
        provider=provider,
        service=service,
        basis="prive",
        **kwargs,  # type: ignore[arg-type]
    )
    return services.registration_decide(
        actor=SYSTEM, registration=registration, decision=Decision.APPROVE, reason="audit ok"
    )


# --- sign-up -----------------------------------------------------------------------------------


def test_sign_up_makes_the_provider_with_its_registered_office(world: World) -> None:
    provider = services.provider_sign_up(actor=actor(ELS), **sign_up_data(enterprise_number="0934.567.878"))
    assert provider.organisation.code == B
    assert provider.enterprise_number == B
    assert provider.login == B
    assert provider.iban == IBAN
    assert provider.bic == "GKCCBEBB"
    assert provider.contact_phone == "+3225533741"
    assert provider.legal_form == "610"  # from the KBO
    assert not provider.is_foreign
    (office,) = selectors.provider_establishments(provider)
    assert office.is_registered_office
    assert (office.municipality_line, office.street_line) == (
        "1030 Schaarbeek",
        "Koning Albert II-Laan 30 12",
    )
    assert AuditEvent.objects.filter(action="providers.provider.sign_up", object_id=str(provider.pk)).exists()
    assert AuditEvent.objects.get(action="providers.provider.sign_up").organisation_code == B


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"enterprise_number": "0934.567.879"}, "enterprise_number"),  # check digits wrong
        ({"enterprise_number": "hello"}, "enterprise_number"),
        ({"enterprise_number": "0417.497.106"}, "enterprise_number"),  # valid, not in the KBO (of this world)
        ({"iban": "BE71096123456760"}, "iban"),
        ({"iban": "BE68539007547034"}, "iban"),  # check digits right, bank code 539 not given
        ({"iban": ""}, "iban"),
        ({"bic": "GKCC"}, "bic"),
        ({"contact_email": "nope"}, "contact_email"),
        ({"contact_phone": "123"}, "contact_phone"),
        ({"postcode": "123"}, "postcode"),
        ({"street": " "}, "street"),
        ({"contact_name": ""}, "contact_name"),
    ],
)
def test_sign_up_refuses_bad_input_and_changes_nothing(
    world: World, overrides: dict[str, str], field: str
) -> None:
    organisations = Organisation.objects.count()
    with pytest.raises(IdmError) as refused:
        services.provider_sign_up(actor=SYSTEM, **sign_up_data(**{"enterprise_number": B, **overrides}))
    assert refused.value.field == field
    assert str(refused.value)  # a message
    assert not Provider.objects.exists()
    assert Organisation.objects.count() == organisations
    assert not AuditEvent.objects.filter(action__startswith="providers.").exists()


def test_a_second_sign_up_of_the_same_organisation_is_refused(provider: Provider) -> None:
    with pytest.raises(AlreadySignedUp, match="al aangemeld"):
        services.provider_sign_up(actor=SYSTEM, **sign_up_data(legal_name="Opnieuw", iban=IBAN_2))
    assert Provider.objects.get().legal_name == "Leerwijs BV"
    assert ProviderEstablishment.objects.count() == 1


def test_sign_up_by_someone_who_may_not_act_for_the_enterprise_is_refused(world: World) -> None:
    with pytest.raises(NotAllowed):
        services.provider_sign_up(actor=actor(JONAS), **sign_up_data(enterprise_number=B))
    with pytest.raises(NotAllowed):
        services.provider_sign_up(actor=Actor(label="anonymous"), **sign_up_data(enterprise_number=B))
    assert not Provider.objects.exists()


def test_a_foreign_provider_signs_up_with_its_belgian_enterprise_number(world: World) -> None:
    make_enterprise("0417497106")
    provider = services.provider_sign_up(
        actor=SYSTEM,
        **sign_up_data(
            enterprise_number="BE0417497106",
            legal_name="Lernwerk GmbH",
            street="Hauptstraße",
            house_number="5",
            box="",
            postcode="52062",
            municipality="Aachen",
            country="de",
            iban="DE89 3704 0044 0532 0130 00",
            bic="COBADEFFXXX",
        ),
    )
    assert provider.is_foreign
    assert provider.country == "DE"
    assert provider.iban == "DE89370400440532013000"


def test_provider_update_changes_the_bank_account_and_the_registered_office_follows_the_address(
    provider: Provider, provider_user: Actor
) -> None:
    services.provider_update(
        actor=provider_user, provider=provider, iban=IBAN_2, postcode="9000", municipality="Gent"
    )
    provider.refresh_from_db()
    assert provider.iban == IBAN_2
    office = ProviderEstablishment.objects.get(provider=provider, is_registered_office=True)
    assert office.municipality_line == "9000 Gent"
    event = AuditEvent.objects.get(action="providers.provider.update")
    assert event.before["iban"] == IBAN
    assert event.after["iban"] == IBAN_2
    with pytest.raises(InvalidNumber):
        services.provider_update(actor=provider_user, provider=provider, iban="BE00")
    with pytest.raises(ProviderError):
        services.provider_update(actor=provider_user, provider=provider, login="x")
    provider.refresh_from_db()
    assert provider.iban == IBAN_2


def test_provider_update_by_another_organisations_user_is_refused(provider: Provider, world: World) -> None:
    with pytest.raises(NotAllowed):
        services.provider_update(actor=actor(ELS), provider=provider, iban=IBAN_2)
    provider.refresh_from_db()
    assert provider.iban == IBAN


# --- departments and establishments ----------------------------------------------------------------


def _department(provider: Provider, code: str = "ICT", **overrides: str) -> ProviderDepartment:
    data = {
        "code": code,
        "name": "Departement ICT",
        "contact_name": "Jonas De Smet",
        "contact_email": "ict@leerwijs.example",
        "iban": IBAN_2,
    }
    data.update(overrides)
    return services.department_create(actor=SYSTEM, provider=provider, **data)  # type: ignore[arg-type]


def test_a_department_has_its_own_contact_and_bank_account_that_its_payouts_use(provider: Provider) -> None:
    department = _department(provider)
    assert department.department.organisation == provider.organisation
    assert department.iban == IBAN_2
    office_registration = _approved(provider, "opleiding")
    department_registration = _approved(provider, "opleiding", department=department)
    assert selectors.payout_iban(office_registration) == IBAN
    assert selectors.payout_iban(department_registration) == IBAN_2
    assert department_registration.level == "DEP"
    assert office_registration.level == "MZ"
    assert department_registration.holder_name == "Departement ICT"
    assert list(selectors.provider_departments(provider)) == [department]
    assert AuditEvent.objects.filter(action="providers.department.create").exists()


def test_department_create_refuses_bad_input_and_makes_no_idm_department(provider: Provider) -> None:
    with pytest.raises(InvalidNumber):
        _department(provider, iban="NL00")
    with pytest.raises(ProviderError):
        _department(provider, contact_email="")
    assert not Department.objects.exists()
    _department(provider)
    with pytest.raises(ProviderError, match="bestaat al"):
        _department(provider, name="Nog eens")
    assert Department.objects.count() == 1
    assert ProviderDepartment.objects.count() == 1


def test_department_update_by_the_department_itself(provider: Provider) -> None:
    department = _department(provider)
    services.department_update(actor=SYSTEM, department=department, iban=IBAN, name="ICT & Data")
    department.refresh_from_db()
    assert department.iban == IBAN
    assert department.department.name == "ICT & Data"
    with pytest.raises(InvalidNumber):
        services.department_update(actor=SYSTEM, department=department, iban="x")


def test_establishments_registered_office_first_add_edit_delete(
    provider: Provider, provider_user: Actor
) -> None:
    other = services.establishment_add(
        actor=provider_user,
        provider=provider,
        street="Kerkstraat",
        house_number="1",
        postcode="2000",
        municipality="Antwerpen",
    )
    establishments = list(selectors.provider_establishments(provider))
    assert establishments[0].is_registered_office
    assert establishments[1] == other
    with pytest.raises(Conflict):
        services.establishment_add(
            actor=provider_user,
            provider=provider,
            street="Kerkstraat",
            house_number="1",
            postcode="2000",
            municipality="Antwerpen",
        )
    services.establishment_update(actor=provider_user, establishment=other, house_number="3")
    other.refresh_from_db()
    assert other.street_line == "Kerkstraat 3"
    with pytest.raises(ProviderError):
        services.establishment_update(actor=provider_user, establishment=other, postcode="12")
    office = establishments[0]
    with pytest.raises(ProviderError, match="maatschappelijke zetel"):
        services.establishment_delete(actor=provider_user, establishment=office)
    services.establishment_update(actor=provider_user, establishment=office, municipality="Brussel")
    provider.refresh_from_db()
    assert provider.municipality == "Brussel"
    services.establishment_delete(actor=provider_user, establishment=other)
    assert list(selectors.provider_establishments(provider)) == [office]
    assert AuditEvent.objects.filter(action="providers.establishment.delete").exists()


def test_establishments_of_another_provider_cannot_be_touched(provider: Provider, world: World) -> None:
    with pytest.raises(NotAllowed):
        services.establishment_add(
            actor=actor(ELS),
            provider=provider,
            street="X",
            house_number="1",
            postcode="2000",
            municipality="A",
        )
    assert ProviderEstablishment.objects.count() == 1


# --- requests --------------------------------------------------------------------------------------


def test_request_numbers_come_from_one_global_sequence(provider: Provider, provider_user: Actor) -> None:
    first = services.registration_request(
        actor=provider_user, provider=provider, service="opleiding", basis="prive"
    )
    second = services.registration_request(
        actor=provider_user, provider=provider, service="advies", basis="kennisinstelling"
    )
    assert first.status == S.REQUESTED
    assert first.valid_until is None
    assert first.number[:4] == "DV.O"
    assert second.number[:4] == "DV.A"
    assert int(second.number[4:]) == int(first.number[4:]) + 1
    assert len(first.number) == 10
    assert first.level == "MZ"
    assert RegistrationEvent.objects.filter(registration=first, to_status="A", action="request").exists()
    assert AuditEvent.objects.filter(action="providers.registration.request", object_id=first.number).exists()


@pytest.mark.parametrize(
    ("service", "basis", "allowed"),
    [
        ("opleiding", "prive", True),
        ("opleiding", "kennisinstelling", True),
        ("opleiding", "sectorfonds", True),
        ("advies", "prive", True),
        ("advies", "kennisinstelling", True),
        ("advies", "sectorfonds", False),
        ("coaching", "prive", False),
        ("advies", "anders", False),
    ],
)
def test_the_basis_is_limited_by_the_service(
    provider: Provider, service: str, basis: str, allowed: bool
) -> None:
    if allowed:
        registration = services.registration_request(
            actor=SYSTEM, provider=provider, service=service, basis=basis
        )
        assert registration.basis == basis
    else:
        with pytest.raises(ProviderError):
            services.registration_request(actor=SYSTEM, provider=provider, service=service, basis=basis)
        assert not Registration.objects.exists()


@pytest.mark.parametrize(
    ("status", "refused"),
    [
        ("A", True),
        ("G", True),
        ("G/V", True),
        ("L", True),
        ("L/H", True),
        ("S", True),
        ("U", True),
        ("N", False),
        ("T", False),
    ],
)
def test_a_request_for_a_service_already_registered_is_refused(
    provider: Provider, status: str, refused: bool
) -> None:
    registration = services.registration_request(
        actor=SYSTEM, provider=provider, service="opleiding", basis="prive"
    )
    valid = status in ("G", "G/V", "L", "L/H", "S")
    _status(
        registration,
        status,
        valid_from=TODAY - timedelta(days=400) if valid else None,
        valid_until=TODAY + timedelta(days=400) if valid else None,
    )
    if refused:
        with pytest.raises(Conflict) as error:
            services.registration_request(actor=SYSTEM, provider=provider, service="opleiding", basis="prive")
        assert error.value.field == "service"
        assert registration.number in str(error.value)
        assert Registration.objects.count() == 1
    else:
        again = services.registration_request(
            actor=SYSTEM, provider=provider, service="opleiding", basis="prive"
        )
        assert again.number != registration.number
    # the other service and a department stay free
    services.registration_request(actor=SYSTEM, provider=provider, service="advies", basis="prive")


def test_a_department_registers_apart_from_the_registered_office(provider: Provider) -> None:
    department = _department(provider)
    services.registration_request(actor=SYSTEM, provider=provider, service="opleiding", basis="prive")
    registration = services.registration_request(
        actor=SYSTEM, provider=provider, service="opleiding", basis="kennisinstelling", department=department
    )
    assert registration.department == department
    with pytest.raises(Conflict):
        services.registration_request(
            actor=SYSTEM, provider=provider, service="opleiding", basis="prive", department=department
        )


def test_a_department_of_another_provider_is_refused(provider: Provider, world: World) -> None:
    other = services.provider_sign_up(actor=SYSTEM, **sign_up_data(enterprise_number=B, iban=IBAN_2))
    department = _department(other)
    with pytest.raises(NotAllowed):
        services.registration_request(
            actor=SYSTEM, provider=provider, service="opleiding", basis="prive", department=department
        )
    assert not Registration.objects.exists()


def test_a_request_by_someone_without_the_provider_right_is_refused(provider: Provider, world: World) -> None:
    with pytest.raises(NotAllowed):
        services.registration_request(actor=actor(ELS), provider=provider, service="opleiding", basis="prive")
    assert not Registration.objects.exists()


# --- extend, renew, decide -------------------------------------------------------------------------


def test_approval_gives_five_years_and_a_starter_two(provider: Provider, staff: Actor) -> None:
    registration = services.registration_request(
        actor=SYSTEM, provider=provider, service="opleiding", basis="prive"
    )
    passed_audit(registration)
    approved = services.registration_decide(
        actor=staff, registration=registration, decision=Decision.APPROVE, reason="ok"
    )
    assert approved.status == S.APPROVED
    assert (approved.valid_from, approved.valid_until) == (TODAY, date(2030, 3, 10))
    assert approved.decided_by == staff.label
    assert approved.decided_at is not None
    starter = services.registration_request(
        actor=SYSTEM, provider=provider, service="advies", basis="prive", is_starter=True
    )
    passed_audit(starter)
    starter = services.registration_decide(
        actor=staff, registration=starter, decision=Decision.APPROVE, valid_from=date(2025, 4, 1)
    )
    assert (starter.valid_from, starter.valid_until) == (date(2025, 4, 1), date(2027, 4, 1))
    assert (
        AuditEvent.objects.filter(
            action="providers.registration.approve", organisation_code="OVO003112"
        ).count()
        == 2
    )


def test_extend_then_approve_moves_the_expiry_date_on(
    provider: Provider, provider_user: Actor, staff: Actor
) -> None:
    registration = _approved(provider)
    extended = services.registration_extend(actor=provider_user, registration=registration)
    assert extended.status == S.EXTENSION_REQUESTED
    assert (
        selectors.registration_for_application(extended.number, "opleiding", TODAY) == extended
    )  # still valid
    passed_audit(extended)
    approved = services.registration_decide(
        actor=staff, registration=extended, decision=Decision.APPROVE, reason="ok"
    )
    assert approved.status == S.APPROVED
    assert (approved.valid_from, approved.valid_until) == (TODAY, date(2035, 3, 10))


def test_a_starters_extension_gives_three_more_years(provider: Provider, staff: Actor) -> None:
    registration = _approved(provider, is_starter=True)
    assert registration.valid_until == date(2027, 3, 10)
    extended = services.registration_extend(actor=SYSTEM, registration=registration)
    passed_audit(extended)
    approved = services.registration_decide(
        actor=staff, registration=extended, decision=Decision.APPROVE, reason="follow-up audit"
    )
    assert approved.valid_until == date(2030, 3, 10)
    assert not approved.is_starter


def test_refusing_an_extension_keeps_the_registration_until_its_expiry(
    provider: Provider, staff: Actor
) -> None:
    registration = services.registration_extend(actor=SYSTEM, registration=_approved(provider))
    with pytest.raises(ProviderError, match="reden"):
        services.registration_decide(actor=staff, registration=registration, decision=Decision.REFUSE)
    refused = services.registration_decide(
        actor=staff, registration=registration, decision=Decision.REFUSE, reason="audit"
    )
    assert refused.status == S.APPROVED
    assert refused.valid_until == date(2030, 3, 10)


def test_extend_after_the_expiry_date_is_refused(provider: Provider, clock: time_machine.Traveller) -> None:
    registration = _approved(provider)
    clock.move_to(date(2030, 3, 10))
    with pytest.raises(TransitionNotAllowed, match="hernieuwing"):
        services.registration_extend(actor=SYSTEM, registration=registration)
    registration.refresh_from_db()
    assert registration.status == S.APPROVED


def test_renew_an_expired_registration_and_approve_it_from_the_day_of_the_decision(
    provider: Provider, staff: Actor, clock: time_machine.Traveller
) -> None:
    registration = _approved(provider)
    assert services.registration_expire_due(actor=SYSTEM, day=date(2030, 3, 10)) == 1
    registration.refresh_from_db()
    assert registration.status == S.EXPIRED
    clock.move_to(date(2030, 6, 1))
    renewed = services.registration_renew(actor=SYSTEM, registration=registration)
    assert renewed.status == S.RENEWAL_REQUESTED
    assert selectors.registration_for_application(renewed.number, "opleiding", date(2030, 6, 1)) is None
    approved = services.registration_decide(
        actor=SYSTEM, registration=renewed, decision=Decision.APPROVE, reason="ok"
    )
    assert (approved.valid_from, approved.valid_until) == (date(2030, 6, 1), date(2035, 6, 1))
    assert approved.number == registration.number


def test_a_starter_renewed_after_the_expiry_gets_five_years_and_is_no_longer_a_starter(
    provider: Provider, staff: Actor, clock: time_machine.Traveller
) -> None:
    """Decision 0011: L/H → G is + 5 years; a starter's 2 years are for its first request only."""
    registration = _approved(provider, is_starter=True)
    assert registration.valid_until == date(2027, 3, 10)
    assert services.registration_expire_due(actor=SYSTEM, day=date(2027, 3, 10)) == 1
    clock.move_to(date(2027, 5, 1))
    renewed = services.registration_renew(actor=SYSTEM, registration=Registration.objects.get())
    passed_audit(renewed)
    approved = services.registration_decide(
        actor=staff, registration=renewed, decision=Decision.APPROVE, reason="volledige audit"
    )
    assert (approved.valid_from, approved.valid_until) == (date(2027, 5, 1), date(2032, 5, 1))
    assert not approved.is_starter
    assert not Registration.objects.get().is_starter


def test_suspend_and_lift(provider: Provider, staff: Actor, clock: time_machine.Traveller) -> None:
    registration = _approved(provider)
    suspended = services.registration_decide(
        actor=staff, registration=registration, decision=Decision.SUSPEND, reason="klachten"
    )
    assert suspended.status == S.SUSPENDED
    assert selectors.registration_for_application(suspended.number, "opleiding", TODAY) is None
    lifted = services.registration_decide(
        actor=staff, registration=suspended, decision=Decision.LIFT, reason="opgelost"
    )
    assert lifted.status == S.APPROVED
    # suspended while an extension was asked, lifted after the expiry date: the renewal request remains
    extended = services.registration_extend(actor=SYSTEM, registration=lifted)
    suspended = services.registration_decide(
        actor=staff, registration=extended, decision=Decision.SUSPEND, reason="x"
    )
    clock.move_to(date(2030, 4, 1))  # (the staff right of 2025 has ended by then: the system decides)
    lifted = services.registration_decide(
        actor=SYSTEM, registration=suspended, decision=Decision.LIFT, reason="y"
    )
    assert lifted.status == S.RENEWAL_REQUESTED


def test_a_decision_on_a_registration_that_changed_meanwhile_is_refused(
    provider: Provider, staff: Actor
) -> None:
    registration = _approved(provider)
    seen = Registration.objects.get(pk=registration.pk)  # what the staff member looks at
    services.registration_extend(actor=SYSTEM, registration=registration)  # the provider, meanwhile
    with pytest.raises(StaleRegistration, match="intussen gewijzigd"):
        services.registration_decide(actor=staff, registration=seen, decision=Decision.SUSPEND, reason="x")
    registration.refresh_from_db()
    assert registration.status == S.EXTENSION_REQUESTED
    assert not AuditEvent.objects.filter(action="providers.registration.suspend").exists()


def test_only_the_kmo_portefeuille_service_decides(
    provider: Provider, provider_user: Actor, world: World
) -> None:
    registration = services.registration_request(
        actor=SYSTEM, provider=provider, service="opleiding", basis="prive"
    )
    for who in (provider_user, actor(ELS), Actor(label="anonymous")):
        with pytest.raises(NotAllowed):
            services.registration_decide(
                actor=who, registration=registration, decision=Decision.APPROVE, reason="x"
            )
    registration.refresh_from_db()
    assert registration.status == S.REQUESTED
    # a Django staff account with the model permission (the admin)
    user = User.objects.create(username="backoffice", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_registration"))
    user = User.objects.get(pk=user.pk)
    passed_audit(registration)
    approved = services.registration_decide(
        actor=Actor.from_user(user), registration=registration, decision=Decision.APPROVE, reason="ok"
    )
    assert approved.status == S.APPROVED


def test_app_manager_decides(provider: Provider, app_manager: Actor) -> None:
    registration = services.registration_request(
        actor=SYSTEM, provider=provider, service="opleiding", basis="prive"
    )
    assert (
        services.registration_decide(
            actor=app_manager, registration=registration, decision=Decision.REFUSE, reason="no audit"
        ).status
        == S.REFUSED
    )


# --- the transitions table ----------------------------------------------------------------------

ALL = ("A", "G", "G/V", "N", "L", "L/H", "S", "U", "T")
EXPECTED: dict[str, dict[str, str]] = {
    Decision.APPROVE: {"A": "G", "G/V": "G", "L/H": "G"},
    Decision.REFUSE: {"A": "N", "G/V": "G", "L/H": "L"},
    Decision.SUSPEND: {"G": "S", "G/V": "S"},
    Decision.LIFT: {"S": "G"},
    Decision.EXCLUDE: dict.fromkeys(("A", "G", "G/V", "L", "L/H", "S"), "U"),
    Decision.STOP: dict.fromkeys(("A", "G", "G/V", "L", "L/H", "S"), "T"),
    "extend": {"G": "G/V"},
    "renew": {"L": "L/H"},
}


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("status", ALL)
def test_transitions_table(provider: Provider, action: str, status: str) -> None:
    registration = services.registration_request(
        actor=SYSTEM, provider=provider, service="opleiding", basis="prive"
    )
    dated = status not in ("A", "N")
    _status(
        registration,
        status,
        valid_from=date(2024, 1, 1) if dated else None,
        valid_until=date(2029, 1, 1) if dated else None,
    )
    expected = EXPECTED[action].get(status)
    version = registration.version

    def act() -> Registration:
        if action == "extend":
            return services.registration_extend(actor=SYSTEM, registration=registration)
        if action == "renew":
            return services.registration_renew(actor=SYSTEM, registration=registration)
        return services.registration_decide(
            actor=SYSTEM, registration=registration, decision=action, reason="r"
        )

    if expected is None:
        with pytest.raises(TransitionNotAllowed) as refused:
            act()
        assert status in str(refused.value)
        registration.refresh_from_db()
        assert (registration.status, registration.version) == (status, version)
        assert (
            not RegistrationEvent.objects.filter(registration=registration).exclude(action="request").exists()
        )
    else:
        changed = act()
        assert changed.status == expected
        assert changed.version == version + 1
        assert RegistrationEvent.objects.filter(
            registration=registration, from_status=status, to_status=expected
        ).exists()
        assert AuditEvent.objects.filter(object_id=registration.number, before__status=status).exists()


# --- expiry ----------------------------------------------------------------------------------------


def test_expire_due_turns_g_into_l_and_g_v_into_l_h_on_the_expiry_date(provider: Provider) -> None:
    opleiding = _approved(provider, "opleiding")
    advies = services.registration_extend(actor=SYSTEM, registration=_approved(provider, "advies"))
    department = _department(provider)
    later = _approved(provider, "opleiding", department=department)
    Registration.objects.filter(pk=later.pk).update(valid_until=date(2030, 3, 11))
    assert services.registration_expire_due(actor=SYSTEM, day=date(2030, 3, 9)) == 0
    assert services.registration_expire_due(actor=SYSTEM, day=date(2030, 3, 10)) == 2
    assert services.registration_expire_due(actor=SYSTEM, day=date(2030, 3, 10)) == 0  # idempotent
    statuses = dict(Registration.objects.values_list("pk", "status"))
    assert statuses == {opleiding.pk: "L", advies.pk: "L/H", later.pk: "G"}
    assert AuditEvent.objects.filter(action="providers.registration.expire").count() == 2
    assert selectors.registration_for_application(opleiding.number, "opleiding", date(2030, 3, 9)) is None


def test_the_expiry_is_a_daily_job(provider: Provider) -> None:
    from io import StringIO

    from kmop.jobs.registry import daily_jobs, run_daily

    (job,) = [j for j in daily_jobs() if j.name == "providers.expire"]
    registration = _approved(provider)
    report = run_daily(date(2030, 3, 10), stdout=StringIO(), jobs=[job])
    assert report.outcomes[0].status == "succeeded"
    assert report.outcomes[0].message == "1 registratie(s) verlopen"
    registration.refresh_from_db()
    assert registration.status == S.EXPIRED
