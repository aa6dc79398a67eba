"""Who is in the providers' portal, for which provider and which of its departments (``request.portal``).

Two ways in (seed 004's "snelle links"):

* **Login dienstverleners**: the registered office's own login and password (``Provider.login`` /
  ``Provider.password``, argon2). The session keeps the provider's id, the login time and a keyed hash of the
  password hash: changing the password ends every other session of that provider. The actor is
  ``Actor.provider_password``: no person is known, the services let it act for that provider only.
* **Login individuele dienstverleners/departementen**: a person logged in through the Toegangsbeheer and
  acting ("aanmelden als") for the provider's organisation, with the profile Dienstverlener kmo-portefeuille
  (or as legal representative): the whole provider; or with the departments right: those departments only.

Everything else in the portal reads ``request.portal`` and never takes a provider from the URL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from kmop.acm.methods import MINIMUM_LEVEL, level_at_least
from kmop.audit.services import Actor
from kmop.idm import selectors as idm_selectors
from kmop.providers import permissions
from kmop.providers.models import Provider, ProviderDepartment

View = Callable[..., HttpResponse]

PROVIDER_ID = "portal_provider_id"
LOGIN_AT = "portal_login_at"
PASSWORD_HASH = "portal_password_hash"  # noqa: S105  (a session key)
KEYS = (PROVIDER_ID, LOGIN_AT, PASSWORD_HASH)


def password_fingerprint(provider: Provider) -> str:
    """A keyed hash of the stored password hash: kept in the session, it changes with the password."""
    return salted_hmac("kmop.portal.password", provider.password or "", algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class PortalAccess:
    provider: Provider
    actor: Actor
    #: ``"password"`` (the registered office's login) or ``"gebruikersbeheer"`` (a person acting)
    via: str
    #: None: the whole provider (registered office and all departments); else only these departments
    department_ids: frozenset[int] | None = None

    @property
    def whole_provider(self) -> bool:
        return self.department_ids is None

    def may_manage_department(self, department: ProviderDepartment) -> bool:
        if department.provider_id != self.provider.pk:
            return False
        return self.department_ids is None or department.pk in self.department_ids


def _password_access(request: HttpRequest) -> PortalAccess | None:
    session = request.session
    provider_id = session.get(PROVIDER_ID)
    if provider_id is None:
        return None
    login_at = session.get(LOGIN_AT)
    provider = Provider.objects.select_related("organisation").filter(pk=provider_id).first()
    expired = (
        not isinstance(login_at, int | float)
        or timezone.now().timestamp() - login_at >= settings.KMOP_SESSION_ABSOLUTE_HOURS * 3600
    )
    if (
        provider is None
        or expired
        or not provider.password
        or not idm_selectors.is_organisation_active(provider.organisation)
        or not constant_time_compare(session.get(PASSWORD_HASH, ""), password_fingerprint(provider))
    ):
        for key in KEYS:
            session.pop(key, None)
        return None
    return PortalAccess(
        provider=provider,
        actor=Actor.provider_password(provider.login, provider.organisation.code),
        via="password",
    )


def _acting_access(request: HttpRequest) -> PortalAccess | None:
    acting = getattr(request, "acting", None)
    if acting is None or not level_at_least(acting.acr, MINIMUM_LEVEL):
        return None
    provider = (
        Provider.objects.select_related("organisation").filter(organisation_id=acting.organisation_id).first()
    )
    if provider is None:
        return None
    actor = Actor(
        label=acting.user.get_username(),
        user=acting.user,
        organisation_code=acting.organisation_code,
        acr=acting.acr,
    )
    if acting.has_role(permissions.PROVIDER_RIGHT, permissions.PROVIDER_PROFILE) or (
        permissions.can_manage_provider(acting.national_number, provider.organisation)
    ):
        return PortalAccess(provider=provider, actor=actor, via="gebruikersbeheer")
    right = permissions.DEPARTMENTS_RIGHT
    if any(role == right or role.startswith(f"{right}-") for role in acting.roles):
        department_ids = frozenset(
            ProviderDepartment.objects.filter(
                provider=provider,
                department__in=idm_selectors.effective_grants_of(acting.national_number)
                .filter(right__code=right, department__isnull=False)
                .values("department"),
            ).values_list("pk", flat=True)
        )
        if department_ids:
            return PortalAccess(
                provider=provider, actor=actor, via="gebruikersbeheer", department_ids=department_ids
            )
    return None


def portal_access(request: HttpRequest) -> PortalAccess | None:
    """The portal access of this request (the password login first), or None."""
    return _password_access(request) or _acting_access(request)


def provider_required(view: View | None = None, *, whole_provider: bool = False) -> Any:
    """The view runs with ``request.portal``; else to the portal's login page (GET) or 403. With
    ``whole_provider``: refused (403) to a person who may manage some departments only."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            access = portal_access(request)
            if access is None:
                if request.method in {"GET", "HEAD"}:
                    url = reverse("portal:login") + "?" + urlencode({"next": request.get_full_path()})
                    return HttpResponseRedirect(url)
                raise PermissionDenied
            if whole_provider and not access.whole_provider:
                raise PermissionDenied
            request.portal = access  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
