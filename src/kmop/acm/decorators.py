"""``acting_required`` for views that need a person logged in and acting for an organisation."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from kmop.acm.methods import MINIMUM_LEVEL, level_at_least

View = Callable[..., HttpResponse]


def _refuse(request: HttpRequest) -> HttpResponse | None:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    acting = getattr(request, "acting", None)
    if acting is None:
        if request.method in {"GET", "HEAD"}:
            url = reverse("acm:act-as") + "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(url)
        raise PermissionDenied
    if not level_at_least(acting.acr, MINIMUM_LEVEL):
        raise PermissionDenied
    return None


def acting_required(view: View) -> View:
    """The view runs only for a person logged in (at least *substantial*) and acting for an organisation
    (``request.acting``, re-checked on this request by the middleware); else to the login or "aanmelden
    als"."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _refuse(request) or view(request, *args, **kwargs)

    return wrapper


class ActingRequiredMixin:
    """``acting_required`` for class-based views."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _refuse(request) or super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
