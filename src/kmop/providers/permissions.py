"""Who may act for a provider, a department, and who decides on registrations.

A provider's screens: a person with an effective ``VLAIOInkomGebruikerNieuw`` right with the profile
``DienstverlenerKmoPortefeuille`` in the provider's organisation, a legal representative of it when it is a
legal-person enterprise (IAM.md: a natural-person enterprise's representative needs a grant), or a VLAIO
application manager. A department's screens: those, or a person with the departments right
(``DienstverlenerKmoPortefeuilleDepartementen``) for that department. Decisions on registrations: VLAIO staff
(``VLAIOInkomGebruiker`` or the application manager), or a Django staff account with the model permission.
"""

from __future__ import annotations

from datetime import datetime

from kmop.idm import selectors as idm_selectors
from kmop.idm.models import Department, Organisation
from kmop.idm.selectors import PersonRef

PROVIDER_RIGHT = "VLAIOInkomGebruikerNieuw"
PROVIDER_PROFILE = "DienstverlenerKmoPortefeuille"
DEPARTMENTS_RIGHT = "DienstverlenerKmoPortefeuilleDepartementen"
STAFF_RIGHT = "VLAIOInkomGebruiker"


def can_manage_provider(person: PersonRef, organisation: Organisation, at: datetime | None = None) -> bool:
    """The registered office's screens (sign-up data, registrations, departments, establishments)."""
    if not idm_selectors.is_organisation_active(organisation):
        return idm_selectors.is_application_manager(person, at=at)
    if (
        idm_selectors.effective_grants_of(person, at=at)
        .filter(
            work_relation__organisation=organisation,
            right__code=PROVIDER_RIGHT,
            context_value=PROVIDER_PROFILE,
        )
        .exists()
    ):
        return True
    # a legal representative of a legal-person enterprise only: a natural-person enterprise's one needs a
    # grant (IAM.md), as in the per-request check of the login (``kmop.acm.selectors.acting_roles``)
    if not organisation.is_natural_person and idm_selectors.is_legal_representative(
        person, organisation, at=at
    ):
        return True
    return idm_selectors.is_application_manager(person, at=at)


def can_manage_department(person: PersonRef, department: Department, at: datetime | None = None) -> bool:
    """A department's own data (contact person, bank account) and its registrations overview."""
    if (
        idm_selectors.effective_grants_of(person, at=at)
        .filter(right__code=DEPARTMENTS_RIGHT, department=department)
        .exists()
    ):
        return True
    return can_manage_provider(person, department.organisation, at)


def staff_organisation_codes() -> frozenset[str]:
    """The organisations VLAIO's staff act for (the kmo-portefeuille service): those the staff right and the
    application manager's right are limited to."""
    codes = idm_selectors.right_organisation_codes
    return codes(STAFF_RIGHT) | codes(idm_selectors.APPLICATION_MANAGER_RIGHT)


def can_decide_registrations(person: PersonRef, at: datetime | None = None) -> bool:
    """VLAIO staff (the kmo-portefeuille service) decide on registrations."""
    if idm_selectors.is_application_manager(person, at=at):
        return True
    return idm_selectors.effective_grants_of(person, at=at).filter(right__code=STAFF_RIGHT).exists()
