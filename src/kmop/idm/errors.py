"""Refusals of the IDM services: one class per kind, each with a clear Dutch message (translated).

``IdmError`` is a Django ``ValidationError``, so a view can put it on its form (``form.add_error(error.field,
error)``); ``NotAllowed`` is the refusal for lack of rights (a view answers 403).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class IdmError(ValidationError):
    """An IDM service refused the input; nothing was changed."""

    default_code = "idm"

    def __init__(
        self, message: Any, *, field: str | None = None, code: str | None = None, **params: Any
    ) -> None:
        super().__init__(message, code=code or self.default_code, params=params or None)
        self.field = field

    def __str__(self) -> str:
        return " ".join(self.messages)


class InvalidNumber(IdmError):
    default_code = "invalid_number"


class PersonNotFound(IdmError):
    default_code = "person_not_found"


class NotAllowed(IdmError):
    default_code = "not_allowed"


class InvalidPeriod(IdmError):
    default_code = "invalid_period"


class RightNotAvailable(IdmError):
    default_code = "right_not_available"


class Conflict(IdmError):
    """The request clashes with the current state (a duplicate, an ended object, already paused, ...)."""

    default_code = "conflict"
