"""Session rules of the login, on every request (after ``AuthenticationMiddleware`` and messages):

- ``AbsoluteSessionTimeoutMiddleware``: a login lasts at most ``KMOP_SESSION_ABSOLUTE_HOURS`` (12) hours,
  whatever the activity (the idle timeout of 30 minutes is the session cookie's age).
- ``ActingOrganisationMiddleware``: re-checks, on every request, that the person may still act for the
  organisation chosen in "aanmelden als" (a right ended, a work relation paused, the organisation inactive:
  access stops at once), in one query; sets ``request.acting``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from kmop.acm import services
from kmop.acm import session as keys
from kmop.acm.selectors import acting_roles
from kmop.acm.session import Acting


def _wants_html_page(request: HttpRequest) -> bool:
    return (
        request.method in {"GET", "HEAD"}
        and "HX-Request" not in request.headers
        and not request.path.startswith("/api/")
    )


def _login_paths() -> set[str]:
    return {reverse("acm:login"), reverse("acm:logout"), reverse("acm:act-as")}


class AbsoluteSessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if SESSION_KEY in request.session and keys.login_expired(request.session):
            services.session_expire(request=request)
            messages.warning(
                request,
                _("U bent afgemeld: een aanmelding blijft hoogstens %(hours)s uur geldig.")
                % {"hours": keys.absolute_lifetime_seconds() // 3600},
            )
            if _wants_html_page(request) and request.path not in _login_paths():
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class ActingOrganisationMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.acting = None  # type: ignore[attr-defined]
        organisation_id = request.session.get(keys.ORG_ID)
        if organisation_id is not None:
            refused = self._check(request, organisation_id)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _check(self, request: HttpRequest, organisation_id: int) -> HttpResponse | None:
        user = request.user
        number = getattr(user, "national_number", None) if user.is_authenticated else None
        roles = acting_roles(number, organisation_id) if number else ()
        if roles:
            request.acting = Acting(  # type: ignore[attr-defined]
                user=user,  # type: ignore[arg-type]
                national_number=number,  # type: ignore[arg-type]
                organisation_id=organisation_id,
                organisation_code=request.session.get(keys.ORG_CODE, ""),
                organisation_name=request.session.get(keys.ORG_NAME, ""),
                roles=roles,
                acr=request.session.get(keys.ACR, ""),
                method=request.session.get(keys.METHOD, ""),
            )
            if list(roles) != request.session.get(keys.ROLES):
                request.session[keys.ROLES] = list(roles)
            return None
        name = request.session.get(keys.ORG_NAME, "")
        keys.drop_acting(request.session)
        if not user.is_authenticated:
            return None
        messages.error(
            request,
            _(
                "U hebt geen toegang meer tot %(organisation)s: uw gebruikersrecht is beëindigd of "
                "opgeschort. Kies een andere organisatie."
            )
            % {"organisation": name},
        )
        if request.path in _login_paths():
            return None
        if _wants_html_page(request):
            return HttpResponseRedirect(reverse("acm:act-as"))
        if "HX-Request" in request.headers:
            return HttpResponse(status=403, headers={"HX-Redirect": reverse("acm:act-as")})
        raise PermissionDenied
