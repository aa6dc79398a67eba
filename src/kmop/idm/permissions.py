"""Permission predicates of the IDM (IAM.md "Who may administer an organisation"), computed from the person's
effective rights, appointments and KBO functions at a moment. Views, templates, the API and the services use
these same predicates.

``person`` is a ``Person`` or a national/BIS number (11 digits): a legal representative need not be a
``Person``
of the IDM yet.
"""

from __future__ import annotations

from datetime import datetime

from kmop.idm import selectors
from kmop.idm.models import AdministratorAppointment, Organisation
from kmop.idm.selectors import PersonRef, person_number

#: why someone may administer an organisation (``administration_basis``)
LEGAL_REPRESENTATIVE = "legal_representative"
APPLICATION_MANAGER = "application_manager"


def administration_basis(
    person: PersonRef, organisation: Organisation, at: datetime | None = None
) -> str | None:
    """Why the person may administer the organisation, or None: ``legal_representative``, an appointment level
    (``main``, ``co_main``, ``access_manager``, ``local_admin``), or ``application_manager`` (VLAIO staff with
    the Toepassingsbeheerder right, from outside the organisation: the services audit it)."""
    if selectors.is_legal_representative(person, organisation, at=at):
        return LEGAL_REPRESENTATIVE
    appointment = (
        selectors.administering_appointments(at=at)
        .filter(organisation=organisation, person__national_number=person_number(person))
        .order_by("level")
        .first()
    )
    if appointment is not None:
        return appointment.level
    if selectors.is_application_manager(person, at=at):
        return APPLICATION_MANAGER
    return None


def can_administer_organisation(
    person: PersonRef, organisation: Organisation, at: datetime | None = None
) -> bool:
    """Its legal representatives, main/co-main access managers, access managers for ``economie`` (or all
    domains), local administrators; and VLAIO application managers (audited)."""
    return administration_basis(person, organisation, at) is not None


def can_act_for(person: PersonRef, organisation: Organisation, at: datetime | None = None) -> bool:
    """Aanmelden als": an effective right in the organisation, or legal representative of an active
    legal-person
    enterprise (a natural-person enterprise's representative needs a grant)."""
    if not selectors.is_organisation_active(organisation):
        return False
    if selectors.effective_grants_of(person, at=at).filter(work_relation__organisation=organisation).exists():
        return True
    return (
        organisation.is_enterprise
        and not organisation.is_natural_person
        and selectors.is_legal_representative(person, organisation, at=at)
    )


def can_appoint_main_access_manager(
    person: PersonRef, organisation: Organisation, at: datetime | None = None
) -> bool:
    """BTB: a legal representative (current function that represents, in the KBO) of the enterprise."""
    return selectors.is_legal_representative(person, organisation, at=at)


def can_appoint_access_managers(
    person: PersonRef, organisation: Organisation, at: datetime | None = None
) -> bool:
    """BTB: the main access manager appoints co-main access managers and access managers; a legal
    representative
    may act as main access manager."""
    if selectors.is_legal_representative(person, organisation, at=at):
        return True
    return (
        selectors.current_appointments(at=at)
        .filter(
            organisation=organisation,
            person__national_number=person_number(person),
            level=AdministratorAppointment.Level.MAIN,
        )
        .exists()
    )


def can_manage_right_activation(person: PersonRef, at: datetime | None = None) -> bool:
    """Activating the departments right for a provider: the kmo-portefeuille service."""
    return selectors.is_application_manager(person, at=at)
