"""Refusals of the projects services: ``IdmError``s (a Django ``ValidationError`` with a clear Dutch message
and the form field it belongs to), so a view puts them on its form; nothing was changed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kmop.idm.errors import Conflict, IdmError, NotAllowed

if TYPE_CHECKING:
    from kmop.schemes.services import Refusal

__all__ = [
    "ApplicationRefused",
    "Conflict",
    "InvalidInput",
    "NotAllowed",
    "ProjectError",
    "TransitionNotAllowed",
]


class ProjectError(IdmError):
    """A projects service refused the input; nothing was changed."""

    default_code = "project"


class InvalidInput(ProjectError):
    """A value of the application is malformed (an amount with three decimals, an impossible date, ...)."""

    default_code = "invalid_input"


class ApplicationRefused(ProjectError):
    """The rules refuse the application: ``refusals`` (each with a stable ``code`` and a Dutch message)."""

    default_code = "application_refused"

    def __init__(self, refusals: Sequence[Refusal]) -> None:
        super().__init__(" ".join(r.message for r in refusals) or "refused", code=self.default_code)
        self.refusals = list(refusals)

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.refusals]


class TransitionNotAllowed(ProjectError):
    """The action is not allowed in the project's current status (or the status is final)."""

    default_code = "transition_not_allowed"
