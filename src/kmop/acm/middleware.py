"""Session rules of the login, on every request (after ``AuthenticationMiddleware`` and messages):

- ``IdleSessionMiddleware``: the idle timeout (``KMOP_SESSION_IDLE_MINUTES``, the session's age) moves on with
  every request, but the session is written again only when its last move is ``TOUCH_SECONDS`` (60) or more
  ago, not on every request: a session ends between 29 and 30 idle minutes, and a page costs no session
  write.
- ``AbsoluteSessionTimeoutMiddleware``: a login lasts at most ``KMOP_SESSION_ABSOLUTE_HOURS`` (12) hours,
  whatever the activity (the idle timeout of 30 minutes is the session cookie's age).
- ``ActingOrganisationMiddleware``: re-checks, on every request, that the person may still act for the
  organisation chosen in "aanmelden als" (a right ended, a work relation paused, the organisation inactive:
  access stops at once), in one query; sets ``request.acting``. After a login through an external ACM
  (relying-party mode, ``KMOP_ACM_ISSUER``), the roles come from that login's claims, kept in the session,
  and only for the organisation they name; in that mode "aanmelden" and "aanmelden als" go to the external
  ACM (``oidc:acm-start``), which lets the person choose the organisation.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kmop.acm import services
from kmop.acm import session as keys
from kmop.acm.selectors import acting_roles, external_acting_roles, session_external_roles
from kmop.acm.session import Acting


def _wants_html_page(request: HttpRequest) -> bool:
    return (
        request.method in {"GET", "HEAD"}
        and "HX-Request" not in request.headers
        and not request.path.startswith("/api/")
    )


def _login_paths() -> set[str]:
    return {reverse("acm:login"), reverse("acm:logout"), reverse("acm:act-as")}


#: the idle timeout is moved on (the session written) at most once per this many seconds
TOUCH_SECONDS = 60


class IdleSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = request.session
        if not session.is_empty():
            now = int(timezone.now().timestamp())
            touched = session.get(keys.TOUCHED_AT)
            # a session written anyway (a login, a form's state) notes it for free; else once a minute
            if session.modified or not isinstance(touched, int) or now - touched >= TOUCH_SECONDS:
                session[keys.TOUCHED_AT] = now  # modified: saved with a new expiry and cookie
        return response


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
        if getattr(settings, "KMOP_ACM_ISSUER", "") and request.method in {"GET", "HEAD"}:
            to_acm = self._external_login(request)
            if to_acm is not None:
                return to_acm
        organisation_id = request.session.get(keys.ORG_ID)
        if organisation_id is not None:
            refused = self._check(request, organisation_id)
            if refused is not None:
                return refused
        return self.get_response(request)

    @staticmethod
    def _external_login(request: HttpRequest) -> HttpResponse | None:
        """Relying-party mode: the login page, and "aanmelden als" after an external login, go to the
        external ACM (``next`` and ``login_hint`` along)."""
        if request.path == reverse("acm:login") or (
            request.path == reverse("acm:act-as") and session_external_roles(request.session) is not None
        ):
            query = request.GET.urlencode()
            return HttpResponseRedirect(reverse("oidc:acm-start") + (f"?{query}" if query else ""))
        return None

    def _check(self, request: HttpRequest, organisation_id: int) -> HttpResponse | None:
        user = request.user
        number = getattr(user, "national_number", None) if user.is_authenticated else None
        external = session_external_roles(request.session) if number else None
        if external is not None:
            roles = external_acting_roles(external, organisation_id)
        else:
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
