"""``staff_required``: every back-office view runs only for VLAIO staff (``permissions.can_view_backoffice``).

Anonymous → the login; logged in without an organisation → "aanmelden als" (as ``acting_required``); anyone
else (an enterprise's user, a provider, staff acting for another organisation) → 403, also by URL.
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from kmop.acm.decorators import View, acting_required
from kmop.backoffice.permissions import can_view_backoffice


def staff_required(view: View) -> View:
    @acting_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_view_backoffice(getattr(request, "acting", None)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
