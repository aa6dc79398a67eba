"""403, 404 and 500 pages, in Dutch and English, with DEBUG off as in production."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from kmop.conf import urls as project_urls

from .helpers import h1, html, html_lang


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _not_found(request: HttpRequest) -> HttpResponse:
    raise Http404("no such thing")


def _crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom (raised on purpose by the test)")


def broken_context_processor(request: HttpRequest) -> dict[str, object]:
    raise RuntimeError("broken context processor (on purpose)")


# This module is the test URLconf: the project's URLs and handlers plus views that fail on purpose.
urlpatterns = [
    path("api/v1/test-crash/", _crash),  # before the API's own catch-all
    *project_urls.urlpatterns,
    path("test/403/", _forbidden),
    path("test/404/", _not_found),
    path("test/500/", _crash),
]
handler403, handler404, handler500 = project_urls.handler403, project_urls.handler404, project_urls.handler500

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def production_like(settings, client):
    settings.DEBUG = False
    client.raise_request_exception = False
    return client


ERROR_PAGES = [
    # url, status, language, accept-language, h1
    ("/test/403/", 403, "nl", "nl", "U hebt geen toegang tot deze pagina"),
    ("/test/403/", 403, "en", "en", "You do not have access to this page"),
    ("/test/404/", 404, "nl", "nl", "Pagina niet gevonden"),
    ("/test/404/", 404, "en", "en", "Page not found"),
    ("/bestaat-echt-niet/", 404, "nl", "nl-BE", "Pagina niet gevonden"),
    ("/bestaat-echt-niet/", 404, "en", "en-GB", "Page not found"),
    ("/test/500/", 500, "nl", "nl", "Er ging iets mis"),
    ("/test/500/", 500, "en", "en", "Sorry, something went wrong"),
]


@pytest.mark.parametrize(("url", "status", "language", "accept_language", "heading"), ERROR_PAGES)
def test_error_pages(production_like, url, status, language, accept_language, heading):
    response = production_like.get(url, headers={"accept-language": accept_language})
    assert response.status_code == status
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert html_lang(response) == language
    assert h1(response) == heading
    assert f"{status}</p>" in html(response)  # the error code, for the help desk
    assert "/static/web/kmop.css" in html(response)
    assert 'href="/"' in html(response)  # back to the home page
    assert "boom" not in html(response)
    assert "no such thing" not in html(response)


def test_error_pages_use_the_language_cookie(production_like):
    production_like.cookies["kmop_language"] = "en"
    assert h1(production_like.get("/test/404/", headers={"accept-language": "nl"})) == "Page not found"
    response = production_like.get("/test/500/", headers={"accept-language": "nl"})
    assert h1(response) == "Sorry, something went wrong"


def test_404_and_403_have_the_full_layout(production_like):
    for url in ("/test/403/", "/test/404/"):
        page = html(production_like.get(url))
        assert '<form class="language-switch"' in page
        assert 'name="csrfmiddlewaretoken"' in page
        assert "Toegankelijkheidsverklaring" in page


def test_500_renders_when_the_request_context_is_broken(production_like, settings):
    engine = settings.TEMPLATES[0]
    processors = [*engine["OPTIONS"]["context_processors"], f"{__name__}.broken_context_processor"]
    settings.TEMPLATES = [{**engine, "OPTIONS": {**engine["OPTIONS"], "context_processors": processors}}]
    # Every normal page fails now, the home page included; the 500 page still renders.
    for url in ("/", "/test/500/"):
        response = production_like.get(url, headers={"accept-language": "en"})
        assert response.status_code == 500
        assert h1(response) == "Sorry, something went wrong"
        assert html_lang(response) == "en"


def test_500_falls_back_to_plain_html_when_its_template_fails(production_like):
    with mock.patch("kmop.web.views.loader.get_template", side_effect=RuntimeError("template broken")):
        response = production_like.get("/test/500/")
    assert response.status_code == 500
    assert "<h1>Er ging iets mis</h1>" in html(response)
    assert "Something went wrong" in html(response)


def test_500_is_logged(production_like, caplog):
    production_like.get("/test/500/")
    errors = [str(record.exc_info[1]) for record in caplog.records if record.exc_info]
    assert any("boom (raised on purpose" in error for error in errors)


def test_csrf_failure_page_once_configured(settings):
    settings.CSRF_FAILURE_VIEW = "kmop.web.views.csrf_failure"
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/"}, headers={"accept-language": "en"}
    )
    assert response.status_code == 403
    assert h1(response) == "The form has expired"
    assert html_lang(response) == "en"
    assert "kmop_language" not in response.cookies


def test_500_under_the_api_is_a_problem_document(production_like):
    """An error outside DRF (a plain view, a middleware) under /api/ still answers as the API does."""
    response = production_like.get("/api/v1/test-crash/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {"type": "about:blank", "title": "Internal Server Error", "status": 500}
