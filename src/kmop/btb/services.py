"""Writes of the BTB: appoint (by national or BIS number) and end appointments, for an enterprise number.

They use the IDM's services (``kmop.idm.services``: ``main_access_manager_appoint``,
``co_main_access_manager_appoint``, ``access_manager_appoint``, ``appointment_end``), which check the rights
and write the audit events. One thing those services do not allow is missing here: a **co-main access
manager** appointing or ending co-main access managers and access managers (IAM.md: the main *and co-main*
access managers administer; CSAM's BTB gives co-main access managers the same powers as the main one, except
the appointment of the main one). For such an actor these services check
``selectors.may_manage_access_managers`` and write the same appointment, with the same checks and the same
audit events, through the IDM's own helpers.

Each call is one transaction: the organisation (made from the KBO on first use), the person (from the national
register, as the Gebruikersbeheer adds one) and the appointment are written together or not at all.
"""

from __future__ import annotations

import re
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kmop.audit.services import Actor
from kmop.btb import selectors
from kmop.idm import permissions
from kmop.idm import services as idm
from kmop.idm.errors import IdmError, NotAllowed
from kmop.idm.models import AdministratorAppointment, Organisation, Person
from kmop.registers.numbers import format_enterprise_number

Level = AdministratorAppointment.Level


def _number(actor: Actor) -> str | None:
    if actor.user is None:
        if not actor.is_system:
            raise NotAllowed(_("U bent niet aangemeld."))
        return None  # the system
    if not actor.user.national_number:
        raise NotAllowed(_("Uw account is niet gekoppeld aan een rijksregisternummer of BIS-nummer."))
    return actor.user.national_number


def _refuse_unless(allowed: bool, organisation_name: str) -> None:
    if not allowed:
        raise NotAllowed(
            _("U mag de toegangsbeheerders van %(organisation)s niet beheren."),
            organisation=organisation_name,
        )


def _organisation(actor: Actor, code: str) -> Organisation:
    existing = Organisation.objects.filter(code=code).first()
    if existing is not None:
        return existing
    return idm.organisation_for_enterprise(actor=actor, enterprise_number=code, reason=_("BTB: aanstelling"))


def _person(actor: Actor, organisation: Organisation, number: str, email: str) -> Person:
    return idm.person_add_by_number(
        actor=actor, organisation=organisation, number=number, email=email, reason=_("BTB: aanstelling")
    )


@transaction.atomic
def appoint(
    *,
    actor: Actor,
    enterprise_number: str,
    number: str,
    level: str,
    domain: str = "",
    end_date: date | None = None,
    email: str = "",
    reason: str = "",
) -> AdministratorAppointment:
    """Appoint the person with this national or BIS number as ``level`` of the enterprise (main: by a legal
    representative, replacing the current one; co-main and access managers: by a legal representative, the
    main or a co-main access manager)."""
    acting = _number(actor)
    if level not in (Level.MAIN, Level.CO_MAIN, Level.ACCESS_MANAGER):
        raise IdmError(_("Kies wat u wilt aanstellen."), field="level", code="level")
    code = enterprise_number
    if acting is not None:
        if level == Level.MAIN:
            if not selectors.may_appoint_main(acting, code):
                raise NotAllowed(
                    _("Enkel een wettelijk vertegenwoordiger mag de hoofdtoegangsbeheerder aanstellen.")
                )
        else:
            _refuse_unless(selectors.may_manage_access_managers(acting, code), format_enterprise_number(code))
    organisation = _organisation(actor, code)
    person = _person(actor, organisation, number, email)
    reason = reason or _("Beheer der Toegangsbeheerders")
    if level == Level.MAIN:
        return idm.main_access_manager_appoint(
            actor=actor, organisation=organisation, person=person, reason=reason
        )
    if level == Level.ACCESS_MANAGER:
        domain = (domain or "").strip().lower()
        if not re.fullmatch(r"\*|[a-z][a-z_-]{1,39}", domain):
            raise IdmError(_("Kies een domein (bv. economie)."), field="domain", code="domain")
    if end_date is not None and end_date < timezone.localdate():
        raise IdmError(_("De einddatum ligt in het verleden."), field="end_date", code="invalid_period")
    if acting is None or permissions.can_appoint_access_managers(acting, organisation):
        if level == Level.CO_MAIN:
            return idm.co_main_access_manager_appoint(
                actor=actor, organisation=organisation, person=person, end_date=end_date, reason=reason
            )
        return idm.access_manager_appoint(
            actor=actor,
            organisation=organisation,
            person=person,
            domain=domain,
            end_date=end_date,
            reason=reason,
        )
    # a co-main access manager (checked above): the same appointment as the IDM service writes
    return idm._appoint(
        actor,
        organisation,
        person,
        level,
        AdministratorAppointment.Source.BTB,
        domain if level == Level.ACCESS_MANAGER else "",
        None,
        end_date,
        reason,
    )


@transaction.atomic
def appointment_end(*, actor: Actor, appointment: AdministratorAppointment, reason: str = "") -> None:
    """End a BTB appointment now (see ``selectors.may_end`` for who may)."""
    appointment = (
        AdministratorAppointment.objects.select_for_update()
        .select_related("person", "organisation")
        .get(pk=appointment.pk)
    )
    acting = _number(actor)
    if appointment.level not in selectors.BTB_LEVELS:
        raise NotAllowed(_("Een lokale beheerder beëindigt u in het Gebruikersbeheer."))
    if acting is not None:
        _refuse_unless(selectors.may_end(acting, appointment), appointment.organisation.name)
    reason = reason or _("Beheer der Toegangsbeheerders")
    if (
        acting is None
        or appointment.level == Level.MAIN
        or permissions.can_appoint_access_managers(acting, appointment.organisation)
    ):
        idm.appointment_end(actor=actor, appointment=appointment, reason=reason)
        return
    if appointment.ended_at is not None:
        raise idm.Conflict(_("Deze aanstelling is al beëindigd."))
    # a co-main access manager ends a co-main or access manager appointment (checked above)
    idm._end_appointment(actor, appointment, timezone.now(), reason)
