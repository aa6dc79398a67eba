"""Who may call which API endpoint: plain predicates, wrapped as DRF permission classes.

The KBO register is public Open Data: no authentication (``request.user`` is ``None``). The enterprise
endpoints take an API token (``kmop.api.authentication.ApiTokenAuthentication``), which sets ``request.user``
to an ``ApiActor`` (the token's creator acting for its organisation, re-checked on every request) and
``request.auth`` to the ``ApiToken``. Every view must name its permission class: the default (``DenyAll``)
refuses everything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import BasePermission

if TYPE_CHECKING:  # rest_framework.views imports the permission classes of the settings
    from rest_framework.request import Request
    from rest_framework.views import APIView


def can_read_register(actor: Any) -> bool:
    """The public registers (KBO Open Data): anyone, with or without a token."""
    return True


def can_use_enterprise_api(actor: Any) -> bool:
    """The enterprise endpoints: an API token of an enterprise (scope ``enterprise``; its checks passed)."""
    from kmop.api.models import TokenScope
    from kmop.api.services import ApiActor

    return (
        isinstance(actor, ApiActor)
        and actor.scope == TokenScope.ENTERPRISE
        and bool(actor.organisation_code)
        and actor.user is not None
    )


def can_use_provider_api(actor: Any) -> bool:
    """The provider endpoints (``/api/v1/provider/``): an API token of a provider (scope ``provider``; its
    checks passed). Its actor is a person or, for a token made with the password login, no person."""
    from kmop.api.models import TokenScope
    from kmop.api.services import ApiActor

    return (
        isinstance(actor, ApiActor) and actor.scope == TokenScope.PROVIDER and bool(actor.organisation_code)
    )


class DenyAll(BasePermission):
    """The default for views that forgot to say who may call them."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return False


class CanReadRegister(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_read_register(request.user)


class ActsForEnterprise(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_use_enterprise_api(request.user)


class ActsForProvider(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_use_provider_api(request.user)
