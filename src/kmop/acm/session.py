"""What the login keeps in the session, and ``request.acting``: who acts for which organisation."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone

if TYPE_CHECKING:
    from kmop.acm.models import User
    from kmop.idm.models import Organisation, Person

ACR = "acm_acr"
METHOD = "acm_method"
LOGIN_AT = "acm_login_at"  # a POSIX timestamp (seconds)
ORG_ID = "acm_org_id"
ORG_CODE = "acm_org_code"
ORG_NAME = "acm_org_name"
ROLES = "acm_roles"
NEXT = "acm_next"
LOGIN_HINT = "acm_login_hint"
TOUCHED_AT = "acm_touched_at"  # a POSIX timestamp (seconds): the last time the idle timeout was moved on

ACTING_KEYS = (ORG_ID, ORG_CODE, ORG_NAME, ROLES)


def absolute_lifetime_seconds() -> int:
    return int(settings.KMOP_SESSION_ABSOLUTE_HOURS * 3600)


def login_expired(session: Any) -> bool:
    """A logged-in session older than the absolute lifetime (or without a login time) has expired."""
    login_at = session.get(LOGIN_AT)
    if not isinstance(login_at, int | float):
        return True
    return timezone.now().timestamp() - login_at >= absolute_lifetime_seconds()


def drop_acting(session: Any) -> None:
    for key in ACTING_KEYS:
        session.pop(key, None)


@dataclass
class Acting:
    """The person logged in, acting for an organisation (``request.acting``; None when no organisation).

    ``roles``: as re-checked on this request (``<Right>-<ContextValue>`` or ``<Right>``); ``profiles``: their
    context values (``Gebruiker``, ``DienstverlenerKmoPortefeuille``, ``Medewerker``) or the right code of a
    2D right.
    """

    user: User
    national_number: str
    organisation_id: int
    organisation_code: str
    organisation_name: str
    roles: tuple[str, ...]
    acr: str
    method: str
    #: what this request's checks derived from the organisation acted for (kmop.backoffice.permissions):
    #: asked once per request, not once per check
    memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def profiles(self) -> tuple[str, ...]:
        return tuple(sorted({role.split("-", 1)[1] if "-" in role else role for role in self.roles}))

    def has_role(self, right: str, context_value: str = "") -> bool:
        return (f"{right}-{context_value}" if context_value else right) in self.roles

    @cached_property
    def organisation(self) -> Organisation:
        from kmop.idm.models import Organisation

        return Organisation.objects.get(pk=self.organisation_id)

    @cached_property
    def person(self) -> Person | None:
        """The person in the IDM (None for a legal representative who is not in the IDM yet)."""
        from kmop.idm.models import Person

        return Person.objects.filter(national_number=self.national_number).first()
