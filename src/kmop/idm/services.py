"""Writes on the IDM and the BTB: ``<noun>_<verb>(*, actor, ...)``, keyword-only, one transaction each.

Every service checks who acts with the predicates of ``permissions.py`` and writes an audit event
(before/after,
the acting organisation, the reason) in its own transaction; every refused input raises an ``IdmError`` with a
clear Dutch message and changes nothing.

Who acts: ``actor.user.national_number`` (the person logged in). An actor without a user account is the system
(``kmop seed``, a management command, a daily job) and is trusted; an anonymous actor is refused.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kmop.audit.services import Actor, audit_record
from kmop.idm import permissions, selectors
from kmop.idm.dates import add_months
from kmop.idm.errors import (
    Conflict,
    IdmError,
    InvalidNumber,
    InvalidPeriod,
    NotAllowed,
    PersonNotFound,
    RightNotAvailable,
)
from kmop.idm.models import (
    WORK_RELATION_MAX_MONTHS,
    AdministratorAppointment,
    Department,
    Organisation,
    Person,
    RightContextValue,
    RightDefinition,
    RightGrant,
    TargetGroup,
    WorkRelation,
    WorkRelationPause,
)
from kmop.idm.rights_data import sync_right_definitions
from kmop.registers import national_register
from kmop.registers.models import Enterprise
from kmop.registers.numbers import ValidationError as NumberError
from kmop.registers.numbers import validate_enterprise_number, validate_national_number, validate_phone
from kmop.registers.selectors import enterprise_name

ORGANISATION = "idm.Organisation"
DEPARTMENT = "idm.Department"
PERSON = "idm.Person"
WORK_RELATION = "idm.WorkRelation"
RIGHT_DEFINITION = "idm.RightDefinition"
RIGHT_GRANT = "idm.RightGrant"
APPOINTMENT = "idm.AdministratorAppointment"


# --- helpers -------------------------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def _d(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _acting_number(actor: Actor) -> str | None:
    """The national number of the person who acts; None for the system."""
    if actor.user is None:
        if not actor.is_system:
            raise NotAllowed(_("U bent niet aangemeld."))
        return None
    number = actor.user.national_number
    if not number:
        raise NotAllowed(_("Uw account is niet gekoppeld aan een rijksregisternummer of BIS-nummer."))
    return number


def _for(actor: Actor, organisation: Organisation) -> Actor:
    """The actor with the organisation acted for (the organisation concerned when the actor names none)."""
    return (
        actor if actor.organisation_code else dataclasses.replace(actor, organisation_code=organisation.code)
    )


def _audit(
    actor: Actor,
    organisation: Organisation,
    action: str,
    object_type: str,
    object_id: Any,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str,
) -> None:
    audit_record(
        actor=_for(actor, organisation),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
        reason=reason,
    )


def _require(
    actor: Actor,
    organisation: Organisation,
    predicate: Callable[[str, Organisation], bool] | None = None,
    *,
    message: str | None = None,
) -> None:
    """Refuse unless the actor may administer the organisation (or passes ``predicate``).

    An application manager (VLAIO staff) administering an organisation from outside it is allowed, at login
    level *high* only (eID, itsme: IAM.md, as ``views.STAFF_LEVEL``), and recorded with an event
    ``idm.staff_access``.
    """
    number = _acting_number(actor)
    if number is None:
        return
    if predicate is not None:
        if not predicate(number, organisation):
            raise NotAllowed(
                message or _("U mag dit niet doen voor %(organisation)s."), organisation=organisation.name
            )
        return
    basis = permissions.administration_basis(number, organisation)
    if basis is None:
        raise NotAllowed(_("U bent geen beheerder van %(organisation)s."), organisation=organisation.name)
    if basis == permissions.APPLICATION_MANAGER:
        from kmop.acm.methods import level_at_least

        if not level_at_least(actor.acr, "high"):
            raise NotAllowed(_("U bent geen beheerder van %(organisation)s."), organisation=organisation.name)
        audit_record(
            actor=actor,
            action="idm.staff_access",
            object_type=ORGANISATION,
            object_id=str(organisation.pk),
            after={"organisation": organisation.code, "basis": basis},
            reason=_("Toepassingsbeheerder beheert een andere organisatie"),
        )


def _require_application_manager(actor: Actor) -> None:
    number = _acting_number(actor)
    if number is not None and not permissions.can_manage_right_activation(number):
        raise NotAllowed(_("Enkel een toepassingsbeheerder van VLAIO mag dit doen."))


def clean_phone(
    value: str | None, *, field: str = "phone", required: bool = True, error: type[IdmError] = IdmError
) -> str:
    """A telephone number as typed → E.164 (``registers.numbers.validate_phone``), or ``""`` when empty and
    not required; else ``error`` (the calling app's error class) with a Dutch message for ``field``."""
    raw = (value or "").strip()
    if not raw:
        if required:
            raise error(_("Vul een telefoonnummer in (bv. +3212345678)."), field=field, code="phone")
        return ""
    try:
        return validate_phone(raw)
    except NumberError:
        raise error(
            _("%(value)s is geen geldig telefoonnummer (bv. +3212345678)."),
            field=field,
            code="phone",
            value=raw,
        ) from None


def _email(value: str, *, field: str = "email", required: bool = True) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            raise IdmError(_("Vul een e-mailadres in."), field=field, code="email")
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise IdmError(
            _("%(value)s is geen geldig e-mailadres."), field=field, code="email", value=value
        ) from None
    return value


def _lock_relation(work_relation: WorkRelation) -> WorkRelation:
    return (
        WorkRelation.objects.select_for_update()
        .select_related("organisation", "person")
        .get(pk=work_relation.pk)
    )


def _lock_grant(grant: RightGrant) -> RightGrant:
    return (
        RightGrant.objects.select_for_update()
        .select_related("right", "work_relation__organisation")
        .get(pk=grant.pk)
    )


def _closing_end(begin: date, end: date) -> date:
    """The end date of something ended today: today, not before its begin, never later than it was."""
    return max(begin, min(end, _today()))


# --- snapshots (the before/after of the audit events) --------------------------------------------------


def organisation_snapshot(organisation: Organisation) -> dict[str, Any]:
    return {
        "code": organisation.code,
        "name": organisation.name,
        "target_group": organisation.target_group,
        "is_natural_person": organisation.is_natural_person,
        "active": organisation.active,
        "departments_right_activated_at": _iso(organisation.departments_right_activated_at),
    }


def person_snapshot(person: Person) -> dict[str, Any]:
    return {
        "national_number": person.national_number,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "birth_date": _iso(person.birth_date),
        "sex": person.sex,
        "call_name": person.call_name,
        "initials": person.initials,
        "email": person.email,
        "phone": person.phone,
        "language": person.language,
    }


def work_relation_snapshot(relation: WorkRelation) -> dict[str, Any]:
    return {
        "person": relation.person.national_number,
        "organisation": relation.organisation.code,
        "category": relation.category,
        "begin_date": _iso(relation.begin_date),
        "end_date": _iso(relation.end_date),
        "term_start": _iso(relation.term_start),
        "phone": relation.phone,
        "email": relation.email,
        "ended_at": _iso(relation.ended_at),
        "paused": relation.pauses.filter(ended_at__isnull=True).exists() if relation.pk else False,
    }


def grant_snapshot(grant: RightGrant) -> dict[str, Any]:
    return {
        "work_relation": grant.work_relation_id,
        "person": grant.work_relation.person.national_number,
        "organisation": grant.work_relation.organisation.code,
        "right": grant.right.code,
        "context_value": grant.context_value,
        "begin_date": _iso(grant.begin_date),
        "end_date": _iso(grant.end_date),
        "term_start": _iso(grant.term_start),
        "ended_at": _iso(grant.ended_at),
    }


def appointment_snapshot(appointment: AdministratorAppointment) -> dict[str, Any]:
    return {
        "person": appointment.person.national_number,
        "organisation": appointment.organisation.code,
        "level": appointment.level,
        "domain": appointment.domain,
        "source": appointment.source,
        "begin_date": _iso(appointment.begin_date),
        "end_date": _iso(appointment.end_date),
        "ended_at": _iso(appointment.ended_at),
    }


# --- right definitions, organisations, departments -----------------------------------------------------


@transaction.atomic
def right_definitions_load(*, actor: Actor) -> int:
    """Make the right definitions equal to ``data/rights.json`` (idempotent); returns the number changed."""
    if not actor.is_system:  # a person (or a provider's password login, which is refused there)
        _require_application_manager(actor)
    changes = sync_right_definitions(RightDefinition, RightContextValue)
    for code, before, after in changes:
        audit_record(
            actor=actor,
            action="idm.right_definition.load",
            object_type=RIGHT_DEFINITION,
            object_id=code,
            before=before,
            after=after,
            reason="data/rights.json",
        )
    return len(changes)


@transaction.atomic
def organisation_for_enterprise(*, actor: Actor, enterprise_number: str, reason: str = "") -> Organisation:
    """The organisation of an enterprise in the KBO, made on first use (name and kind from the KBO).

    Allowed for the system, an application manager, and a legal representative of the enterprise.
    """
    try:
        number = validate_enterprise_number(enterprise_number)
    except NumberError:
        raise InvalidNumber(
            _("%(value)s is geen geldig ondernemingsnummer."),
            field="enterprise_number",
            value=enterprise_number,
        ) from None
    existing = Organisation.objects.filter(code=number).first()
    if existing is not None:
        return existing
    enterprise = Enterprise.objects.filter(pk=number).first()
    if enterprise is None:
        raise PersonNotFound(
            _("Onderneming %(value)s staat niet in de KBO."),
            field="enterprise_number",
            value=enterprise_number,
            code="enterprise_not_found",
        )
    acting = _acting_number(actor)
    if (
        acting is not None
        and not selectors.represented_enterprises(acting).filter(enterprise_id=number).exists()
        and not selectors.is_application_manager(acting)
    ):
        raise NotAllowed(_("U vertegenwoordigt deze onderneming niet."))
    organisation = Organisation.objects.create(
        code=number,
        name=enterprise_name(number) or number,
        target_group=TargetGroup.ECONOMIC_ACTOR,
        is_natural_person=enterprise.is_natural_person,
    )
    _audit(
        actor,
        organisation,
        "idm.organisation.create",
        ORGANISATION,
        organisation.pk,
        None,
        organisation_snapshot(organisation),
        reason,
    )
    return organisation


@transaction.atomic
def organisation_create_government(*, actor: Actor, code: str, name: str, reason: str = "") -> Organisation:
    """A government organisation (OVO code, e.g. VLAIO ``OVO003112``): the system or an app manager."""
    _require_application_manager(actor)
    code = (code or "").strip().upper()
    if not re.fullmatch(r"OVO\d{6}", code):
        raise InvalidNumber(
            _("%(value)s is geen geldige OVO-code (bv. OVO003112)."), field="code", value=code
        )
    if Organisation.objects.filter(code=code).exists():
        raise Conflict(_("Organisatie %(value)s bestaat al."), field="code", value=code)
    organisation = Organisation.objects.create(
        code=code, name=name.strip(), target_group=TargetGroup.GOVERNMENT
    )
    _audit(
        actor,
        organisation,
        "idm.organisation.create",
        ORGANISATION,
        organisation.pk,
        None,
        organisation_snapshot(organisation),
        reason,
    )
    return organisation


@transaction.atomic
def organisation_departments_right_set(
    *, actor: Actor, organisation: Organisation, activated: bool, reason: str = ""
) -> Organisation:
    """The kmo-portefeuille service activates (or withdraws) the departments right for a provider."""
    _require_application_manager(actor)
    if not organisation.is_enterprise:
        raise RightNotAvailable(_("Het departementenrecht is enkel voor dienstverleners (ondernemingen)."))
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = organisation_snapshot(organisation)
    if activated == organisation.departments_right_activated:
        return organisation
    organisation.departments_right_activated_at = timezone.now() if activated else None
    organisation.save(update_fields=["departments_right_activated_at"])
    action = (
        "idm.organisation.departments_right_activate"
        if activated
        else "idm.organisation.departments_right_withdraw"
    )
    _audit(
        actor,
        organisation,
        action,
        ORGANISATION,
        organisation.pk,
        before,
        organisation_snapshot(organisation),
        reason,
    )
    return organisation


@transaction.atomic
def department_create(
    *, actor: Actor, organisation: Organisation, code: str, name: str, reason: str = ""
) -> Department:
    """A department of a provider (the providers app manages its contact and bank account)."""
    _require(actor, organisation)
    code, name = (code or "").strip(), (name or "").strip()
    if not code or not name:
        raise IdmError(_("Een departement heeft een code en een naam."), field="name", code="required")
    if Department.objects.filter(organisation=organisation, code=code).exists():
        raise Conflict(_("Departement %(value)s bestaat al."), field="code", value=code)
    department = Department.objects.create(organisation=organisation, code=code, name=name)
    _audit(
        actor,
        organisation,
        "idm.department.create",
        DEPARTMENT,
        department.pk,
        None,
        {"organisation": organisation.code, "code": code, "name": name},
        reason,
    )
    return department


# --- persons -------------------------------------------------------------------------------------------


@transaction.atomic
def person_add_by_number(
    *,
    actor: Actor,
    organisation: Organisation,
    number: str,
    email: str = "",
    phone: str = "",
    language: str = "nl",
    reason: str = "",
    call_name: str = "",
    initials: str = "",
) -> Person:
    """Step 1 of the wizard: a person by national register or BIS number; names, birth date and sex come from
    the national register. A person already known is refreshed from the register and returned."""
    _require(actor, organisation)
    try:
        compact = validate_national_number(number or "")
    except NumberError:
        raise InvalidNumber(
            _("%(value)s is geen geldig rijksregisternummer of BIS-nummer."), field="number", value=number
        ) from None
    record = national_register.lookup(compact)
    if record is None:
        raise PersonNotFound(
            _("Er is geen persoon met nummer %(value)s in het rijksregister."), field="number", value=number
        )
    if language not in Person.Language.values:
        raise IdmError(_("Kies Nederlands of Engels."), field="language", code="language")
    email = _email(email, required=False)
    phone = clean_phone(phone, required=False)
    call_name, initials = (call_name or "").strip()[:200], (initials or "").strip()[:20]
    now = timezone.now()
    person = Person.objects.select_for_update().filter(national_number=compact).first()
    register = {
        "first_name": record.first_name,
        "last_name": record.last_name,
        "birth_date": record.birth_date,
        "sex": record.sex,
    }
    if person is None:
        person = Person.objects.create(
            national_number=compact,
            email=email,
            phone=phone,
            language=language,
            call_name=call_name,
            initials=initials,
            register_checked_at=now,
            **register,
        )
        _audit(
            actor, organisation, "idm.person.add", PERSON, person.pk, None, person_snapshot(person), reason
        )
        return person
    before = person_snapshot(person)
    for name, value in register.items():
        setattr(person, name, value)
    if _manages(actor, person):
        person.email = email or person.email
        person.phone = phone or person.phone
        person.call_name = call_name or person.call_name
        person.initials = initials or person.initials
    person.register_checked_at = now
    person.save()
    if person_snapshot(person) != before:
        _audit(
            actor,
            organisation,
            "idm.person.refresh",
            PERSON,
            person.pk,
            before,
            person_snapshot(person),
            reason,
        )
    return person


def _manages(actor: Actor, person: Person) -> bool:
    """Whether the actor may change a known person's own contact data (e-mail, phone, names): the system,
    or an administrator of an organisation where the person has a work relation. Anyone may add a known
    person to their own organisation by number, but that person's e-mail is where other organisations'
    mails to him go (the administrators' reminder digests, the login's e-mail claim): an administrator of
    another organisation must not redirect them. The work relation keeps its own phone and e-mail."""
    number = _acting_number(actor)
    if number is None:
        return True
    return WorkRelation.objects.filter(
        person=person, organisation__in=selectors.administered_organisations(number)
    ).exists()


# --- work relations ------------------------------------------------------------------------------------


@transaction.atomic
def work_relation_create(
    *,
    actor: Actor,
    person: Person,
    organisation: Organisation,
    category: str,
    phone: str,
    email: str,
    begin_date: date | None = None,
    end_date: date | None = None,
    reason: str = "",
) -> WorkRelation:
    """Step 2: a work relation from ``begin_date`` (today) until ``end_date`` (prefilled: begin + 10 years,
    the
    maximum; a longer one is refused)."""
    _require(actor, organisation)
    if category not in WorkRelation.Category.values:
        raise IdmError(_("Kies een categorie."), field="category", code="category")
    if category == WorkRelation.Category.CIVIL_SERVANT and organisation.is_enterprise:
        raise IdmError(
            _("De categorie Ambtenaar is enkel mogelijk bij een overheidsorganisatie."),
            field="category",
            code="category",
        )
    if not selectors.is_organisation_active(organisation):
        raise Conflict(_("%(organisation)s is niet actief."), organisation=organisation.name)
    phone, email = clean_phone(phone), _email(email)
    begin = begin_date or _today()
    maximum = add_months(begin, WORK_RELATION_MAX_MONTHS)
    end = end_date or maximum
    _check_period(begin, end, maximum, _("10 jaar"))
    Person.objects.select_for_update().filter(pk=person.pk).first()  # one writer per person at a time
    overlapping = WorkRelation.objects.filter(
        person=person,
        organisation=organisation,
        ended_at__isnull=True,
        begin_date__lte=end,
        end_date__gte=begin,
    )
    if overlapping.exists():
        raise Conflict(
            _("%(person)s heeft al een werkrelatie met %(organisation)s in die periode; verleng die."),
            person=str(person),
            organisation=organisation.name,
        )
    relation = WorkRelation.objects.create(
        person=person,
        organisation=organisation,
        category=category,
        begin_date=begin,
        end_date=end,
        term_start=begin,
        phone=phone,
        email=email,
    )
    _audit(
        actor,
        organisation,
        "idm.work_relation.create",
        WORK_RELATION,
        relation.pk,
        None,
        work_relation_snapshot(relation),
        reason,
    )
    return relation


def _check_period(begin: date, end: date, maximum: date, maximum_label: str) -> None:
    if end < begin:
        raise InvalidPeriod(_("De einddatum ligt voor de begindatum."), field="end_date")
    if end < _today():
        raise InvalidPeriod(_("De einddatum ligt in het verleden."), field="end_date")
    if end > maximum:
        raise InvalidPeriod(
            _("De einddatum mag ten laatste %(maximum)s zijn (maximumperiode = %(period)s)."),
            field="end_date",
            maximum=_d(maximum),
            period=maximum_label,
        )


def _require_open(relation: WorkRelation) -> None:
    if relation.ended_at is not None:
        raise Conflict(_("Deze werkrelatie is beëindigd."))


@transaction.atomic
def work_relation_update(
    *, actor: Actor, work_relation: WorkRelation, category: str, phone: str, email: str, reason: str = ""
) -> WorkRelation:
    """Bewerk werkrelatie": category, phone and e-mail (dates change through extend and end)."""
    relation = _lock_relation(work_relation)
    _require(actor, relation.organisation)
    _require_open(relation)
    if category not in WorkRelation.Category.values:
        raise IdmError(_("Kies een categorie."), field="category", code="category")
    if category == WorkRelation.Category.CIVIL_SERVANT and relation.organisation.is_enterprise:
        raise IdmError(
            _("De categorie Ambtenaar is enkel mogelijk bij een overheidsorganisatie."),
            field="category",
            code="category",
        )
    before = work_relation_snapshot(relation)
    relation.category, relation.phone, relation.email = category, clean_phone(phone), _email(email)
    relation.save(update_fields=["category", "phone", "email"])
    _audit(
        actor,
        relation.organisation,
        "idm.work_relation.update",
        WORK_RELATION,
        relation.pk,
        before,
        work_relation_snapshot(relation),
        reason,
    )
    return relation


@transaction.atomic
def work_relation_extend(
    *, actor: Actor, work_relation: WorkRelation, end_date: date | None = None, reason: str = ""
) -> WorkRelation:
    """Verleng werkrelatie en gebruikersrechten": the relation gets ``end_date`` (at most 10 years from today,
    or from its begin when that is later) or, without one, that maximum ("automatic"); each of its running
    rights is extended automatically to its own maximum, never beyond the relation's new end. A date before
    the
    current end shortens the relation (and caps its rights)."""
    relation = _lock_relation(work_relation)
    _require(actor, relation.organisation)
    _require_open(relation)
    start = max(_today(), relation.begin_date)
    maximum = add_months(start, WORK_RELATION_MAX_MONTHS)
    end = end_date or maximum
    _check_period(relation.begin_date, end, maximum, _("10 jaar"))
    grants = list(
        RightGrant.objects.select_for_update()
        .select_related("right", "work_relation__person", "work_relation__organisation")
        .filter(work_relation=relation, ended_at__isnull=True)
    )
    if any(g.begin_date > end for g in grants):
        raise InvalidPeriod(
            _("Een gebruikersrecht van deze werkrelatie begint na %(end)s; beëindig het eerst."),
            field="end_date",
            end=_d(end),
        )
    before = work_relation_snapshot(relation)
    if end > relation.end_date:
        relation.term_start = start
    relation.end_date = end
    relation.save(update_fields=["end_date", "term_start"])
    _audit(
        actor,
        relation.organisation,
        "idm.work_relation.extend",
        WORK_RELATION,
        relation.pk,
        before,
        work_relation_snapshot(relation),
        reason,
    )
    may_hand_out_staff_rights = _may_hand_out_staff_rights(actor)
    for grant in grants:
        if grant.end_date < _today() and grant.end_date <= end:
            continue  # an expired right is extended on its own (right_grant_extend)
        if grant.right.code == selectors.APPLICATION_MANAGER_RIGHT and not may_hand_out_staff_rights:
            if grant.end_date > end:  # shortening the relation still caps it
                grant_before = grant_snapshot(grant)
                grant.end_date = max(grant.begin_date, end)
                grant.save(update_fields=["end_date"])
                _audit(
                    actor,
                    relation.organisation,
                    "idm.right_grant.extend",
                    RIGHT_GRANT,
                    grant.pk,
                    grant_before,
                    grant_snapshot(grant),
                    reason,
                )
            continue  # only an application manager lengthens the application manager right
        grant_start = max(_today(), grant.begin_date)
        new_end = min(add_months(grant_start, grant.right.max_months), end)
        if new_end == grant.end_date:
            continue
        grant_before = grant_snapshot(grant)
        if new_end > grant.end_date:
            grant.term_start = grant_start
        grant.end_date = new_end
        grant.save(update_fields=["end_date", "term_start"])
        _audit(
            actor,
            relation.organisation,
            "idm.right_grant.extend",
            RIGHT_GRANT,
            grant.pk,
            grant_before,
            grant_snapshot(grant),
            reason,
        )
    return relation


@transaction.atomic
def work_relation_pause(*, actor: Actor, work_relation: WorkRelation, reason: str = "") -> WorkRelationPause:
    """Pauzeer werkrelatie": from now, all its rights are suspended until it is resumed."""
    relation = _lock_relation(work_relation)
    _require(actor, relation.organisation)
    _require_open(relation)
    if relation.end_date < _today():
        raise Conflict(_("Deze werkrelatie is verlopen."))
    if relation.pauses.filter(ended_at__isnull=True).exists():
        raise Conflict(_("Deze werkrelatie is al gepauzeerd."))
    before = work_relation_snapshot(relation)
    pause = WorkRelationPause.objects.create(work_relation=relation, started_at=timezone.now(), reason=reason)
    _audit(
        actor,
        relation.organisation,
        "idm.work_relation.pause",
        WORK_RELATION,
        relation.pk,
        before,
        work_relation_snapshot(relation),
        reason,
    )
    return pause


@transaction.atomic
def work_relation_resume(*, actor: Actor, work_relation: WorkRelation, reason: str = "") -> WorkRelation:
    """The pause ends now: its rights work again (within their own dates)."""
    relation = _lock_relation(work_relation)
    _require(actor, relation.organisation)
    pause = relation.pauses.filter(ended_at__isnull=True).first()
    if pause is None:
        raise Conflict(_("Deze werkrelatie is niet gepauzeerd."))
    before = work_relation_snapshot(relation)
    pause.ended_at = timezone.now()
    pause.save(update_fields=["ended_at"])
    _audit(
        actor,
        relation.organisation,
        "idm.work_relation.resume",
        WORK_RELATION,
        relation.pk,
        before,
        work_relation_snapshot(relation),
        reason,
    )
    return relation


@transaction.atomic
def work_relation_end(*, actor: Actor, work_relation: WorkRelation, reason: str = "") -> WorkRelation:
    """End the relation now, and with it every right on it (they stop working at once)."""
    relation = _lock_relation(work_relation)
    _require(actor, relation.organisation)
    _require_open(relation)
    now = timezone.now()
    for grant in (
        RightGrant.objects.select_for_update()
        .select_related("right", "work_relation__person", "work_relation__organisation")
        .filter(work_relation=relation, ended_at__isnull=True)
    ):
        _end_grant(actor, grant, now, reason)
    before = work_relation_snapshot(relation)
    relation.ended_at = now
    relation.end_date = _closing_end(relation.begin_date, relation.end_date)
    relation.save(update_fields=["ended_at", "end_date"])
    _audit(
        actor,
        relation.organisation,
        "idm.work_relation.end",
        WORK_RELATION,
        relation.pk,
        before,
        work_relation_snapshot(relation),
        reason,
    )
    return relation


@transaction.atomic
def work_relation_delete(*, actor: Actor, work_relation: WorkRelation, reason: str = "") -> None:
    """Verwijder werkrelatie": only while no right was ever granted on it (as in the IDM screens, where the
    button disappears once a right is granted); otherwise end it, so that its history stays."""
    relation = _lock_relation(work_relation)
    _require(actor, relation.organisation)
    if relation.grants.exists():
        raise Conflict(
            _(
                "Een werkrelatie waarop gebruikersrechten zijn toegekend kan niet verwijderd worden; "
                "beëindig ze."
            )
        )
    before = work_relation_snapshot(relation)
    pk, organisation = relation.pk, relation.organisation
    relation.delete()
    _audit(actor, organisation, "idm.work_relation.delete", WORK_RELATION, pk, before, None, reason)


# --- right grants --------------------------------------------------------------------------------------


def _right_available(right: RightDefinition, organisation: Organisation) -> None:
    if not right.active:
        raise RightNotAvailable(_("Het gebruikersrecht %(right)s bestaat niet meer."), right=right.label_nl)
    if organisation.target_group not in right.target_groups or (
        right.organisation_codes and organisation.code not in right.organisation_codes
    ):
        raise RightNotAvailable(
            _("Het gebruikersrecht %(right)s kan niet toegekend worden in %(organisation)s."),
            field="right",
            right=right.label_nl,
            organisation=organisation.name,
        )
    if right.needs_activation and not organisation.departments_right_activated:
        raise RightNotAvailable(
            _(
                "Het gebruikersrecht %(right)s is voor %(organisation)s nog niet geactiveerd door de dienst "
                "kmo-portefeuille."
            ),
            field="right",
            right=right.label_nl,
            organisation=organisation.name,
        )


def _may_hand_out_staff_rights(actor: Actor) -> bool:
    number = _acting_number(actor)
    return number is None or selectors.is_application_manager(number)


def _require_may_hand_out(actor: Actor, right: RightDefinition) -> None:
    """Nobody hands out more than he holds: the application manager right (which administers every
    organisation) is granted or extended only by an application manager (or the system), never by a local
    administrator of VLAIO to himself or a colleague."""
    if right.code == selectors.APPLICATION_MANAGER_RIGHT and not _may_hand_out_staff_rights(actor):
        raise NotAllowed(
            _("Enkel een toepassingsbeheerder mag het gebruikersrecht %(right)s toekennen of verlengen."),
            field="right",
            right=right.label_nl,
        )


def _context(
    right: RightDefinition, organisation: Organisation, values: Sequence[str]
) -> list[tuple[str, Department | None]]:
    values = list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    if right.context == RightDefinition.Context.NONE:
        if values:
            raise IdmError(
                _("Dit gebruikersrecht heeft geen profielen."), field="context_values", code="context"
            )
        return [("", None)]
    if not values:
        label = _("departement") if right.context == RightDefinition.Context.DEPARTMENTS else _("profiel")
        raise IdmError(
            _("Selecteer minstens één %(what)s."), field="context_values", code="context", what=label
        )
    if right.context == RightDefinition.Context.DEPARTMENTS:
        departments = {
            d.code: d for d in Department.objects.filter(organisation=organisation, code__in=values)
        }
        unknown = [v for v in values if v not in departments]
        if unknown:
            raise IdmError(
                _("%(values)s is geen departement van %(organisation)s."),
                field="context_values",
                code="context",
                values=", ".join(unknown),
                organisation=organisation.name,
            )
        return [(v, departments[v]) for v in values]
    known = set(right.values.values_list("code", flat=True))
    unknown = [v for v in values if v not in known]
    if unknown:
        raise IdmError(
            _("%(values)s is geen profiel van %(right)s."),
            field="context_values",
            code="context",
            values=", ".join(unknown),
            right=right.label_nl,
        )
    return [(v, None) for v in values]


def _months_label(months: int) -> str:
    if months % 12 == 0:
        return _("%(n)d jaar") % {"n": months // 12}
    return _("%(n)d maanden") % {"n": months}


@transaction.atomic
def right_grant_create(
    *,
    actor: Actor,
    work_relation: WorkRelation,
    right_code: str,
    context_values: Sequence[str] = (),
    begin_date: date | None = None,
    end_date: date | None = None,
    reason: str = "",
) -> list[RightGrant]:
    """Step 3: grant a right, one grant per selected profile or department, from ``begin_date`` (today) until
    ``end_date`` (prefilled: the right's maximum, or the work relation's end when that is sooner)."""
    relation = _lock_relation(work_relation)
    organisation = relation.organisation
    _require(actor, organisation)
    _require_open(relation)
    right = RightDefinition.objects.filter(code=right_code).first()
    if right is None:
        raise RightNotAvailable(_("Onbekend gebruikersrecht %(right)s."), field="right", right=right_code)
    _right_available(right, organisation)
    _require_may_hand_out(actor, right)
    contexts = _context(right, organisation, context_values)
    begin = begin_date or max(_today(), relation.begin_date)
    if begin < relation.begin_date:
        raise InvalidPeriod(
            _("Het recht kan niet beginnen voor de werkrelatie (%(begin)s)."),
            field="begin_date",
            begin=_d(relation.begin_date),
        )
    maximum = add_months(begin, right.max_months)
    end = end_date or min(maximum, relation.end_date)
    _check_period(begin, end, maximum, _months_label(right.max_months))
    if end > relation.end_date:
        raise InvalidPeriod(
            _("De einddatum ligt na het einde van de werkrelatie (%(end)s); verleng eerst de werkrelatie."),
            field="end_date",
            end=_d(relation.end_date),
        )
    grants = []
    for value, department in contexts:
        clash = RightGrant.objects.filter(
            work_relation=relation,
            right=right,
            context_value=value,
            ended_at__isnull=True,
            begin_date__lte=end,
            end_date__gte=begin,
        )
        if clash.exists():
            raise Conflict(
                _("Dit recht (%(right)s %(value)s) is in die periode al toegekend; verleng het."),
                right=right.label_nl,
                value=value,
            )
        grant = RightGrant.objects.create(
            work_relation=relation,
            organisation=organisation,
            right=right,
            context_value=value,
            department=department,
            begin_date=begin,
            end_date=end,
            term_start=begin,
            granted_by=actor.user,
            granted_by_label=actor.label,
        )
        _audit(
            actor,
            organisation,
            "idm.right_grant.create",
            RIGHT_GRANT,
            grant.pk,
            None,
            grant_snapshot(grant),
            reason,
        )
        grants.append(grant)
    return grants


@transaction.atomic
def right_grant_extend(
    *, actor: Actor, grant: RightGrant, end_date: date | None = None, reason: str = ""
) -> RightGrant:
    """Extend a right: ``end_date`` up to its maximum from today, or without one the maximum ("automatic"),
    never beyond its work relation's end (the automatic one stops there). An earlier date shortens it."""
    relation = _lock_relation(grant.work_relation)
    grant = _lock_grant(grant)
    _require(actor, relation.organisation)
    if grant.ended_at is not None:
        raise Conflict(_("Dit gebruikersrecht is beëindigd; ken het opnieuw toe."))
    _require_may_hand_out(actor, grant.right)
    _require_open(relation)
    if relation.end_date < _today():
        raise Conflict(_("De werkrelatie is verlopen; verleng eerst de werkrelatie."))
    start = max(_today(), grant.begin_date)
    maximum = add_months(start, grant.right.max_months)
    end = end_date or min(maximum, relation.end_date)
    _check_period(grant.begin_date, end, maximum, _months_label(grant.right.max_months))
    if end > relation.end_date:
        raise InvalidPeriod(
            _("De einddatum ligt na het einde van de werkrelatie (%(end)s); verleng eerst de werkrelatie."),
            field="end_date",
            end=_d(relation.end_date),
        )
    before = grant_snapshot(grant)
    if end > grant.end_date:
        grant.term_start = start
    grant.end_date = end
    grant.save(update_fields=["end_date", "term_start"])
    _audit(
        actor,
        relation.organisation,
        "idm.right_grant.extend",
        RIGHT_GRANT,
        grant.pk,
        before,
        grant_snapshot(grant),
        reason,
    )
    return grant


def _end_grant(actor: Actor, grant: RightGrant, now: datetime, reason: str) -> None:
    before = grant_snapshot(grant)
    grant.ended_at = now
    grant.end_date = _closing_end(grant.begin_date, grant.end_date)
    grant.save(update_fields=["ended_at", "end_date"])
    _audit(
        actor,
        grant.work_relation.organisation,
        "idm.right_grant.end",
        RIGHT_GRANT,
        grant.pk,
        before,
        grant_snapshot(grant),
        reason,
    )


@transaction.atomic
def right_grant_end(*, actor: Actor, grant: RightGrant, reason: str = "") -> RightGrant:
    """End a right now: it stops working at once."""
    grant = _lock_grant(grant)
    _require(actor, grant.work_relation.organisation)
    if grant.ended_at is not None:
        raise Conflict(_("Dit gebruikersrecht is al beëindigd."))
    _end_grant(actor, grant, timezone.now(), reason)
    return grant


@transaction.atomic
def right_grant_mark_reminded(*, actor: Actor, grant: RightGrant, on: date | None = None) -> bool:
    """Claim the day's reminder of a right: True once per right per day, False when it was sent already (the
    reminder job sends only when it gets True, so running it twice never mails twice)."""
    day = on or _today()
    claimed = (
        RightGrant.objects.filter(pk=grant.pk).exclude(last_reminder_on=day).update(last_reminder_on=day)
    )
    if claimed:
        grant.last_reminder_on = day
        audit_record(
            actor=_for(actor, grant.work_relation.organisation),
            action="idm.right_grant.remind",
            object_type=RIGHT_GRANT,
            object_id=str(grant.pk),
            after={"last_reminder_on": day.isoformat(), "end_date": grant.end_date.isoformat()},
        )
    return bool(claimed)


# --- administrators (BTB and IDM) ----------------------------------------------------------------------


def _appoint(
    actor: Actor,
    organisation: Organisation,
    person: Person,
    level: str,
    source: str,
    domain: str,
    begin_date: date | None,
    end_date: date | None,
    reason: str,
) -> AdministratorAppointment:
    begin = begin_date or _today()
    if end_date is not None and end_date < begin:
        raise InvalidPeriod(_("De einddatum ligt voor de begindatum."), field="end_date")
    same = selectors.current_appointments().filter(
        organisation=organisation, person=person, level=level, domain=domain
    )
    if same.exists():
        raise Conflict(
            _("%(person)s is al %(level)s van %(organisation)s."),
            person=str(person),
            level=AdministratorAppointment.Level(level).label,
            organisation=organisation.name,
        )
    appointment = AdministratorAppointment.objects.create(
        person=person,
        organisation=organisation,
        level=level,
        domain=domain,
        source=source,
        begin_date=begin,
        end_date=end_date,
        appointed_by_label=actor.label,
    )
    _audit(
        actor,
        organisation,
        f"idm.appointment.{level}",
        APPOINTMENT,
        appointment.pk,
        None,
        appointment_snapshot(appointment),
        reason,
    )
    return appointment


@transaction.atomic
def main_access_manager_appoint(
    *,
    actor: Actor,
    organisation: Organisation,
    person: Person,
    begin_date: date | None = None,
    reason: str = "",
) -> AdministratorAppointment:
    """BTB "Een hoofdtoegangsbeheerder aanstellen of wijzigen": by a legal representative; the previous main
    access manager (there is one at a time) is replaced."""
    Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
    _require(
        actor,
        organisation,
        permissions.can_appoint_main_access_manager,
        message=_(
            "Enkel een wettelijk vertegenwoordiger van %(organisation)s mag de hoofdtoegangsbeheerder "
            "aanstellen."
        ),
    )
    if not organisation.is_enterprise:
        raise NotAllowed(_("Het Beheer der Toegangsbeheerders is er enkel voor ondernemingen."))
    now = timezone.now()
    for previous in (
        AdministratorAppointment.objects.select_for_update()
        .select_related("person", "organisation")
        .filter(organisation=organisation, level=AdministratorAppointment.Level.MAIN, ended_at__isnull=True)
    ):
        if previous.person_id == person.pk and (previous.end_date is None or previous.end_date >= _today()):
            raise Conflict(
                _("%(person)s is al hoofdtoegangsbeheerder van %(organisation)s."),
                person=str(person),
                organisation=organisation.name,
            )
        _end_appointment(
            actor, previous, now, reason or _("vervangen door een nieuwe hoofdtoegangsbeheerder")
        )
    return _appoint(
        actor,
        organisation,
        person,
        AdministratorAppointment.Level.MAIN,
        AdministratorAppointment.Source.BTB,
        "",
        begin_date,
        None,
        reason,
    )


@transaction.atomic
def co_main_access_manager_appoint(
    *,
    actor: Actor,
    organisation: Organisation,
    person: Person,
    end_date: date | None = None,
    reason: str = "",
) -> AdministratorAppointment:
    """BTB: the main access manager (or a legal representative) appoints a co-main access manager."""
    _require(
        actor,
        organisation,
        permissions.can_appoint_access_managers,
        message=_("Enkel de hoofdtoegangsbeheerder van %(organisation)s mag dit doen."),
    )
    return _appoint(
        actor,
        organisation,
        person,
        AdministratorAppointment.Level.CO_MAIN,
        AdministratorAppointment.Source.BTB,
        "",
        None,
        end_date,
        reason,
    )


@transaction.atomic
def access_manager_appoint(
    *,
    actor: Actor,
    organisation: Organisation,
    person: Person,
    domain: str = AdministratorAppointment.DOMAIN_ECONOMY,
    end_date: date | None = None,
    reason: str = "",
) -> AdministratorAppointment:
    """BTB: the main access manager (or a legal representative) appoints an access manager for a domain
    (``economie`` for the kmo-portefeuille; ``*`` for all domains)."""
    _require(
        actor,
        organisation,
        permissions.can_appoint_access_managers,
        message=_("Enkel de hoofdtoegangsbeheerder van %(organisation)s mag dit doen."),
    )
    domain = (domain or "").strip().lower()
    if not re.fullmatch(r"\*|[a-z][a-z_-]{1,39}", domain):
        raise IdmError(_("Kies een domein (bv. economie)."), field="domain", code="domain")
    return _appoint(
        actor,
        organisation,
        person,
        AdministratorAppointment.Level.ACCESS_MANAGER,
        AdministratorAppointment.Source.BTB,
        domain,
        None,
        end_date,
        reason,
    )


@transaction.atomic
def local_admin_appoint(
    *,
    actor: Actor,
    organisation: Organisation,
    person: Person,
    end_date: date | None = None,
    reason: str = "",
) -> AdministratorAppointment:
    """IDM: an administrator of the organisation appoints a local administrator."""
    _require(actor, organisation)
    return _appoint(
        actor,
        organisation,
        person,
        AdministratorAppointment.Level.LOCAL_ADMIN,
        AdministratorAppointment.Source.IDM,
        "",
        None,
        end_date,
        reason,
    )


def _end_appointment(actor: Actor, appointment: AdministratorAppointment, now: datetime, reason: str) -> None:
    before = appointment_snapshot(appointment)
    appointment.ended_at = now
    if appointment.end_date is None or appointment.end_date > _today():
        appointment.end_date = max(appointment.begin_date, _today())
    appointment.save(update_fields=["ended_at", "end_date"])
    _audit(
        actor,
        appointment.organisation,
        "idm.appointment.end",
        APPOINTMENT,
        appointment.pk,
        before,
        appointment_snapshot(appointment),
        reason,
    )


@transaction.atomic
def appointment_end(*, actor: Actor, appointment: AdministratorAppointment, reason: str = "") -> None:
    """End an appointment now, by whoever may make it."""
    appointment = (
        AdministratorAppointment.objects.select_for_update()
        .select_related("person", "organisation")
        .get(pk=appointment.pk)
    )
    organisation = appointment.organisation
    if appointment.level == AdministratorAppointment.Level.MAIN:
        _require(actor, organisation, permissions.can_appoint_main_access_manager)
    elif appointment.level == AdministratorAppointment.Level.LOCAL_ADMIN:
        _require(actor, organisation)
    else:
        _require(actor, organisation, permissions.can_appoint_access_managers)
    if appointment.ended_at is not None:
        raise Conflict(_("Deze aanstelling is al beëindigd."))
    _end_appointment(actor, appointment, timezone.now(), reason)
