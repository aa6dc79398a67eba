from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_safe

from kmop.web.forms import ExampleQuestionForm

logger = logging.getLogger(__name__)


# When the accessibility statement was last reviewed: change it with every review of its content.
ACCESSIBILITY_STATEMENT_DATE = datetime.date(2026, 11, 23)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


@require_safe
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "web/accessibility.html", {"statement_date": ACCESSIBILITY_STATEMENT_DATE})


@require_safe
def components(request: HttpRequest) -> HttpResponse:
    """Demo mode only: every component of the theme on one page, so the browser tests can check them."""
    if not settings.DEMO_MODE:
        raise Http404
    # A GET form, so the question page works without JavaScript and without a session: the first visit
    # shows the error state, a submitted valid number the success banner.
    data = request.GET if "enterprise_number" in request.GET else {"enterprise_number": ""}
    form = ExampleQuestionForm(data)
    return render(request, "web/components.html", {"form": form})


@require_safe
def demo_persons(request: HttpRequest) -> HttpResponse:
    if not settings.DEMO_MODE:
        raise Http404
    from kmop.acm.models import User
    from kmop.acm.seed_steps import DEMO_STAFF_PASSWORD, demo_staff_username
    from kmop.demo.personas import personas_with_register_data

    username = demo_staff_username()
    staff_account = (
        {"username": username, "password": DEMO_STAFF_PASSWORD}
        if User.objects.filter(username=username, is_staff=True, is_active=True).exists()
        else None
    )
    from kmop.providers.models import Provider
    from kmop.providers.seed_steps import DEMO_PROVIDER_PASSWORD
    from kmop.providers.services import provider_check_password

    # the demo providers whose password is still the demo's ("Login dienstverleners")
    providers = [
        {"name": p.legal_name, "login": p.login, "password": DEMO_PROVIDER_PASSWORD}
        for p in Provider.objects.filter(enterprise_number__in=_demo_provider_numbers()).order_by(
            "legal_name"
        )
        if provider_check_password(p, DEMO_PROVIDER_PASSWORD)
    ]
    return render(
        request,
        "web/demo_persons.html",
        {"personas": personas_with_register_data(), "staff_account": staff_account, "providers": providers},
    )


def _demo_provider_numbers() -> list[str]:
    from kmop.demo.personas import ORGANISATIONS_BY_KEY, PROVIDER_ORGANISATIONS

    return [ORGANISATIONS_BY_KEY[key].code for key in PROVIDER_ORGANISATIONS]


@never_cache
@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, 503 when it does not (for load balancers and monitoring)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: database unreachable")
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


@requires_csrf_token
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form came without a valid CSRF token (an expired page, cookies blocked): our page, not Django's.

    Active once settings say ``CSRF_FAILURE_VIEW = "kmop.web.views.csrf_failure"``.
    """
    logger.warning("CSRF failure on %s: %s", request.path, reason)
    return render(request, "403_csrf.html", status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


# Last resort when even the 500 template cannot be rendered (broken template, static or URL configuration).
SERVER_ERROR_FALLBACK = (
    "<!DOCTYPE html>\n"
    '<html lang="nl"><head><meta charset="utf-8"><title>Er ging iets mis – kmo-portefeuille</title></head>'
    "<body><h1>Er ging iets mis</h1><p>Probeer het later opnieuw.</p>"
    '<p lang="en">Something went wrong. Please try again later.</p></body></html>\n'
)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page: rendered without the request or context processors, which may be what failed.

    Only the active language (set by LocaleMiddleware before the error, Dutch otherwise) is used; the
    template is standalone (no base layout, no csrf token, no session) and a plain fallback covers a
    failure of the template itself. Under ``/api/`` the answer is an RFC 9457 problem, as every other API
    error (this covers errors raised outside DRF, e.g. in a middleware).
    """
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"type": "about:blank", "title": "Internal Server Error", "status": 500},
            status=500,
            content_type="application/problem+json",
        )
    try:
        body = loader.get_template("500.html").render()
    except Exception:
        logger.exception("the 500 page could not be rendered")
        body = SERVER_ERROR_FALLBACK
    return HttpResponseServerError(body)
