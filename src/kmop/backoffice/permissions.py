"""Who may use the back office (IAM.md: the staff rights).

A person logged in and acting (``request.acting``, re-checked on every request by
``kmop.acm.middleware.ActingOrganisationMiddleware``) for VLAIO, with the ``VLAIOInkomGebruiker`` right and
its profile ``Medewerker``. VLAIO is not a code in the program: it is the organisation the staff right is
limited to in the right definitions (``organisation_codes`` of ``VLAIOInkomGebruiker``, data loaded from
``kmop/idm/data/rights.json``). An enterprise's user, a provider, or VLAIO staff acting for another
organisation are refused.

Decisions that move money or change an enterprise's project (importing a bank statement, exporting the
payouts, deciding a stop) act on other organisations' data: they need a login of level *high* (eID, itsme),
the decision of IAM.md for staff actions; with a security code (*substantial*) staff can look, not act.
"""

from __future__ import annotations

from kmop.acm.methods import level_at_least
from kmop.acm.session import Acting
from kmop.idm.selectors import right_organisation_codes
from kmop.projects.models import Project, ProjectStatus

STAFF_RIGHT = "VLAIOInkomGebruiker"
STAFF_PROFILE = "Medewerker"
#: the application manager (IAM.md): issue 6's staff actions on an enterprise's or provider's data need it
APPLICATION_MANAGER_RIGHT = "VLAIOInkomToepassingsbeheerder"
#: staff actions on other organisations' data (IAM.md, decision; as kmop.idm.views.STAFF_LEVEL)
ACTION_LEVEL = "high"


def staff_organisation_codes(right: str = STAFF_RIGHT) -> frozenset[str]:
    """The organisations (OVO codes) whose staff the back office serves: those the staff right is for."""
    return right_organisation_codes(right)


def _serves(acting: Acting, right: str) -> bool:
    """Whether the organisation acted for is one the right is for (asked once per request and right)."""
    key = f"staff_organisation:{right}"
    if key not in acting.memo:
        acting.memo[key] = acting.organisation_code in staff_organisation_codes(right)
    return bool(acting.memo[key])


def is_backoffice_staff(acting: Acting | None) -> bool:
    """Acting for VLAIO with the Medewerker role."""
    if acting is None or not acting.has_role(STAFF_RIGHT, STAFF_PROFILE):
        return False
    return _serves(acting, STAFF_RIGHT)


def is_application_manager(acting: Acting | None) -> bool:
    """Back-office staff who also hold the Toepassingsbeheerder right, acting for VLAIO."""
    if not is_backoffice_staff(acting) or acting is None or not acting.has_role(APPLICATION_MANAGER_RIGHT):
        return False
    return _serves(acting, APPLICATION_MANAGER_RIGHT)


def can_view_backoffice(acting: Acting | None) -> bool:
    return is_backoffice_staff(acting)


def can_act_in_backoffice(acting: Acting | None) -> bool:
    """Staff, logged in at level *high*."""
    return is_backoffice_staff(acting) and acting is not None and level_at_least(acting.acr, ACTION_LEVEL)


def can_import_statements(acting: Acting | None) -> bool:
    return can_act_in_backoffice(acting)


def can_export_payouts(acting: Acting | None) -> bool:
    return can_act_in_backoffice(acting)


def can_decide_stop(acting: Acting | None, project: Project) -> bool:
    return can_act_in_backoffice(acting) and project.status == ProjectStatus.STOPZETTING_AANGEVRAAGD
