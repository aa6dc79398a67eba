"""Refusals of the scheme framework, each with a clear Dutch message (translated).

``SchemeError`` is a Django ``ValidationError`` (like ``kmop.idm.errors.IdmError``), so a view or the admin
can put it on its form. ``NoRegime``: no period of the scheme covers the asked day. ``SchemeDataError``: a
data file or a staff edit would give invalid, overlapping or changed-after-start parameters; nothing was
changed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class SchemeError(ValidationError):
    """The scheme framework refused the input or the question; nothing was changed."""

    default_code = "scheme"

    def __init__(
        self, message: Any, *, field: str | None = None, code: str | None = None, **params: Any
    ) -> None:
        super().__init__(message, code=code or self.default_code, params=params or None)
        self.field = field

    def __str__(self) -> str:
        return " ".join(self.messages)


class NoRegime(SchemeError):
    default_code = "no_regime"


class UnknownScheme(SchemeError):
    default_code = "unknown_scheme"


class SchemeDataError(SchemeError):
    default_code = "scheme_data"
