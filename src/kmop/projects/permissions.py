"""Who may act on an enterprise's projects.

The enterprise: a legal representative in the KBO, or a person with an effective ``VLAIOInkomGebruikerNieuw``
right (profile ``Gebruiker``) in the enterprise's organisation. The provider of a project: whoever may manage
the provider (``kmop.providers.permissions``). The kmo-portefeuille service (decisions on stops): VLAIO staff
(``VLAIOInkomGebruiker``) or the application manager.
"""

from __future__ import annotations

from datetime import datetime

from kmop.acm.selectors import acting_roles
from kmop.idm import selectors as idm_selectors
from kmop.idm.models import Organisation
from kmop.idm.selectors import PersonRef

ENTERPRISE_RIGHT = "VLAIOInkomGebruikerNieuw"
ENTERPRISE_PROFILE = "Gebruiker"
STAFF_RIGHT = "VLAIOInkomGebruiker"


def is_staff(person: PersonRef, at: datetime | None = None) -> bool:
    if idm_selectors.is_application_manager(person, at=at):
        return True
    return idm_selectors.effective_grants_of(person, at=at).filter(right__code=STAFF_RIGHT).exists()


def can_act_for_enterprise(person: PersonRef, organisation: Organisation, at: datetime | None = None) -> bool:
    """The e-loket of the enterprise: applications, cancellations, stop requests.

    The rule of the per-request check of the login (``kmop.acm.selectors.acting_roles``, one query): the
    ``Gebruiker`` profile through an effective grant (not ended, its work relation open and not paused), or
    the implicit one of a current legal representative of an active legal-person enterprise (a natural-person
    enterprise's representative needs a grant, IAM.md; an enterprise inactive in the KBO: nobody)."""
    if not organisation.is_enterprise:
        return False
    number = idm_selectors.person_number(person)
    if not number:
        return False
    return f"{ENTERPRISE_RIGHT}-{ENTERPRISE_PROFILE}" in acting_roles(number, organisation.pk, at=at)


def can_act_for_provider(person: PersonRef, organisation: Organisation, at: datetime | None = None) -> bool:
    from kmop.providers.permissions import can_manage_provider

    return can_manage_provider(person, organisation, at)
