"""Refusals of the providers services: ``IdmError``s (a Django ``ValidationError`` with a clear Dutch message
and the form field it belongs to), so a view puts them on its form; nothing was changed."""

from __future__ import annotations

from kmop.idm.errors import Conflict, IdmError, InvalidNumber, NotAllowed

__all__ = [
    "AlreadySignedUp",
    "Conflict",
    "InvalidNumber",
    "NotAllowed",
    "ProviderError",
    "StaleRegistration",
    "TransitionNotAllowed",
]


class ProviderError(IdmError):
    """A providers service refused the input; nothing was changed."""

    default_code = "provider"


class AlreadySignedUp(ProviderError):
    """The organisation is signed up as a provider already."""

    default_code = "already_signed_up"


class TransitionNotAllowed(ProviderError):
    """The action is not allowed in the registration's current status."""

    default_code = "transition_not_allowed"


class StaleRegistration(ProviderError):
    """The registration changed since the decision-maker looked at it."""

    default_code = "stale"
