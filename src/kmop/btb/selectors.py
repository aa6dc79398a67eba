"""Reads of the Beheer der Toegangsbeheerders (BTB): the enterprises a person may manage there, their current
administrators, and who may appoint whom.

Who may do what in the BTB (seed 001, IAM.md):

- a legal representative (a current function that represents, in the KBO) appoints or changes the main access
  manager (hoofdtoegangsbeheerder) and may act as the main access manager;
- the main access manager and the co-main access managers appoint co-main access managers and access managers
  per domain (toegangsbeheerders), and end those appointments;
- access managers (for ``economie`` or all domains) and the others then manage the users in the
  Gebruikersbeheer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from kmop.idm import selectors as idm
from kmop.idm.models import AdministratorAppointment, Organisation, TargetGroup
from kmop.registers.models import Enterprise
from kmop.registers.numbers import format_enterprise_number
from kmop.registers.selectors import current_legal_functions, enterprise_names

Level = AdministratorAppointment.Level

#: the appointments the BTB shows and manages (local administrators belong to the Gebruikersbeheer)
BTB_LEVELS = (Level.MAIN, Level.CO_MAIN, Level.ACCESS_MANAGER)
#: the levels that manage co-main access managers and access managers
MANAGING_LEVELS = (Level.MAIN, Level.CO_MAIN)


def enterprise_organisation(code: str) -> Organisation:
    """The IDM organisation of an enterprise number, or an unsaved one (named from the KBO) when the IDM does
    not know it yet (it is made by the first appointment)."""
    organisation = Organisation.objects.filter(code=code).first()
    if organisation is not None:
        return organisation
    name = enterprise_names([code]).get(code, code)
    enterprise = Enterprise.objects.filter(pk=code).first()
    return Organisation(
        code=code,
        name=name,
        target_group=TargetGroup.ECONOMIC_ACTOR,
        is_natural_person=bool(enterprise and enterprise.is_natural_person),
    )


def enterprise_known(code: str) -> bool:
    return (
        Organisation.objects.filter(code=code, target_group=TargetGroup.ECONOMIC_ACTOR).exists()
        or Enterprise.objects.filter(pk=code).exists()
    )


def btb_appointments(*, at: datetime | None = None) -> QuerySet[AdministratorAppointment]:
    """The current appointments the BTB manages (main, co-main, access managers of every domain)."""
    return idm.current_appointments(at=at).filter(level__in=BTB_LEVELS)


def is_legal_representative(number: str, code: str, *, at: datetime | None = None) -> bool:
    return idm.represented_enterprises(number, at=at).filter(enterprise_id=code).exists()


def may_appoint_main(number: str, code: str, *, at: datetime | None = None) -> bool:
    """Appoint or change the main access manager: a legal representative."""
    return is_legal_representative(number, code, at=at)


def may_manage_access_managers(number: str, code: str, *, at: datetime | None = None) -> bool:
    """Appoint (and end) co-main access managers and access managers: a legal representative (who may act as
    the main access manager), the main access manager or a co-main access manager."""
    if is_legal_representative(number, code, at=at):
        return True
    return (
        idm.current_appointments(at=at)
        .filter(organisation__code=code, person__national_number=number, level__in=MANAGING_LEVELS)
        .exists()
    )


def may_end(number: str, appointment: AdministratorAppointment, *, at: datetime | None = None) -> bool:
    """End an appointment: the main access manager's by a legal representative; a co-main access manager's or
    an access manager's by whoever may appoint them."""
    code = appointment.organisation.code
    if appointment.level == Level.MAIN:
        return may_appoint_main(number, code, at=at)
    if appointment.level in (Level.CO_MAIN, Level.ACCESS_MANAGER):
        return may_manage_access_managers(number, code, at=at)
    return False


@dataclass
class EnterpriseAdministrator:
    name: str
    national_number: str
    level: str  # "legal_representative" or a Level
    label: str
    domain: str = ""
    appointment: AdministratorAppointment | None = None
    may_end: bool = False


@dataclass
class BtbEnterprise:
    """An enterprise in the BTB overview of a person: his roles there and what he may do."""

    code: str
    name: str
    roles: list[str] = field(default_factory=list)  # readable roles of the person
    may_appoint_main: bool = False
    may_manage: bool = False
    may_administer: bool = False  # the Gebruikersbeheer (IDM) of this enterprise
    organisation: Organisation | None = None
    administrators: list[EnterpriseAdministrator] = field(default_factory=list)

    @property
    def display_code(self) -> str:
        return format_enterprise_number(self.code)

    @property
    def main(self) -> EnterpriseAdministrator | None:
        return next((a for a in self.administrators if a.level == Level.MAIN), None)


def domain_label(domain: str) -> str:
    from kmop.btb.forms import DOMAIN_LABELS

    return str(DOMAIN_LABELS.get(domain, domain))


def _appointment_label(appointment: AdministratorAppointment) -> str:
    label = str(Level(appointment.level).label)
    if appointment.level == Level.ACCESS_MANAGER:
        label = f"{label} ({domain_label(appointment.domain)})"
    return label


def enterprises_of(number: str, *, at: datetime | None = None) -> list[BtbEnterprise]:
    """The enterprises the person may see in the BTB, sorted by name: those he represents in the KBO (of any
    kind) and those where he has a current BTB appointment, with their current administrators."""
    at = at or timezone.now()
    from django.utils.translation import gettext as _

    represented = set(idm.represented_enterprises(number, at=at).values_list("enterprise_id", flat=True))
    mine = list(
        btb_appointments(at=at)
        .filter(person__national_number=number, organisation__target_group=TargetGroup.ECONOMIC_ACTOR)
        .order_by("level", "domain")
    )
    codes = represented | {a.organisation.code for a in mine}
    if not codes:
        return []
    organisations = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    names = enterprise_names([c for c in codes if c not in organisations])
    result: dict[str, BtbEnterprise] = {}
    for code in codes:
        organisation = organisations.get(code)
        result[code] = BtbEnterprise(
            code=code,
            name=organisation.name if organisation else names.get(code, code),
            organisation=organisation,
        )
    for code in represented:
        result[code].roles.append(_("Wettelijk vertegenwoordiger"))
        result[code].may_appoint_main = result[code].may_manage = True
    for appointment in mine:
        entry = result[appointment.organisation.code]
        entry.roles.append(_appointment_label(appointment))
        if appointment.level in MANAGING_LEVELS:
            entry.may_manage = True
    # their administrators: the legal representatives (KBO) and the current BTB appointments, in 3 queries
    legal = (
        current_legal_functions(on=timezone.localdate(at))
        .filter(enterprise_id__in=codes, function__represents=True)
        .order_by()
        .values_list("enterprise_id", "person_number")
        .distinct()
    )
    representatives: dict[str, set[str]] = {}
    for code, person_number in legal:
        representatives.setdefault(code, set()).add(person_number)
    from kmop.registers.national_register import lookup_many

    records = lookup_many({n for group in representatives.values() for n in group})
    for code, group in representatives.items():
        for person_number in sorted(group):
            record = records.get(person_number)
            name = f"{record.first_name} {record.last_name}" if record else person_number
            result[code].administrators.append(
                EnterpriseAdministrator(
                    name, person_number, "legal_representative", _("Wettelijk vertegenwoordiger")
                )
            )
    appointments = (
        btb_appointments(at=at).filter(organisation__code__in=codes).order_by("level", "domain", "id")
    )
    for appointment in appointments:
        entry = result[appointment.organisation.code]
        entry.administrators.append(
            EnterpriseAdministrator(
                str(appointment.person),
                appointment.person.national_number,
                appointment.level,
                _appointment_label(appointment),
                appointment.domain,
                appointment,
                may_end=entry.may_appoint_main if appointment.level == Level.MAIN else entry.may_manage,
            )
        )
    # may he manage its users in the Gebruikersbeheer?
    administered = set(
        idm.administered_organisations(number, at=at).filter(code__in=codes).values_list("code", flat=True)
    )
    for code, entry in result.items():
        entry.may_administer = code in administered or code in represented
    return sorted(result.values(), key=lambda e: (e.name.lower(), e.code))


def current_main(code: str, *, at: datetime | None = None) -> AdministratorAppointment | None:
    return btb_appointments(at=at).filter(organisation__code=code, level=Level.MAIN).first()


def appointment_of(code: str, pk: int, *, at: datetime | None = None) -> AdministratorAppointment | None:
    """A current BTB appointment of this enterprise (None for another enterprise's or an ended one)."""
    return (
        btb_appointments(at=at)
        .filter(Q(pk=pk), organisation__code=code, organisation__target_group=TargetGroup.ECONOMIC_ACTOR)
        .first()
    )
