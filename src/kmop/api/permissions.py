"""Who may call which API endpoint: plain predicates, wrapped as DRF permission classes.

The API has no authentication yet (``DEFAULT_AUTHENTICATION_CLASSES`` is empty, ``request.user`` is ``None``):
the KBO register is public Open Data. When API tokens per organisation arrive, their authentication class
sets ``request.user``/``request.auth`` and the predicates below look at that actor; the views do not change.
Every view must name its permission class: the default (``DenyAll``) refuses everything.
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


class DenyAll(BasePermission):
    """The default for views that forgot to say who may call them."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return False


class CanReadRegister(BasePermission):
    def has_permission(self, request: Request, view: APIView) -> bool:
        return can_read_register(request.user)
