"""Reads of the login: the roles a person has for the organisation acted for, in one query.

``acting_roles`` answers the same question as ``kmop.idm.permissions.can_act_for`` (an empty answer = may not
act for it) but in one SQL statement, and gives the roles too, so that the per-request check of the
middleware costs one query. The tests check both give the same answer.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Value

from kmop.idm import selectors as idm
from kmop.idm.models import Organisation, TargetGroup


def acting_roles(person_number: str, organisation_id: int, *, at: datetime | None = None) -> tuple[str, ...]:
    """The roles (``<Right>-<ContextValue>`` or ``<Right>``) of the person in the organisation at the moment:
    its effective rights there, plus the implicit ``VLAIOInkomGebruikerNieuw-Gebruiker`` of a legal
    representative of an active legal-person enterprise. Empty: the person may not act for it (now)."""
    active = Organisation.objects.filter(idm.organisation_active_q(), pk=organisation_id)
    grants = (
        idm.effective_grants_of(person_number, at=at)
        .filter(work_relation__organisation_id=organisation_id)
        .order_by()
        .values_list("right__code", "context_value")
    )
    legal_person = active.filter(
        target_group=TargetGroup.ECONOMIC_ACTOR, is_natural_person=False, code=OuterRef("enterprise_id")
    )
    represents = (
        idm.represented_enterprises(person_number, at=at)
        .filter(Exists(legal_person))
        .order_by()
        .annotate(r=Value(idm.IMPLICIT_RIGHT), c=Value(idm.IMPLICIT_PROFILE))
        .values_list("r", "c")
    )
    rows = grants.union(represents).order_by()
    roles = {f"{right}-{value}" if value else right for right, value in rows}
    return tuple(sorted(roles))
