"""The 403 and 500 pages in a real browser: axe-core clean, screenshots (the 404 is in test_pages.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path
from playwright.sync_api import Page, expect

from kmop.conf import urls as project_urls

from .harness import check_page


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("boom (raised on purpose by the browser test)")


urlpatterns = [*project_urls.urlpatterns, path("test/403/", _forbidden), path("test/500/", _crash)]
handler403, handler404, handler500 = project_urls.handler403, project_urls.handler404, project_urls.handler500

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser"), pytest.mark.urls(__name__)]
FAILED_LOAD = ("Failed to load resource",)


def test_403_page(page: Page, page_errors):
    response = page.goto("/test/403/")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("U hebt geen toegang tot deze pagina")
    check_page(page, "403-nl", page_errors, allow_errors=FAILED_LOAD)


@pytest.mark.parametrize(
    ("browser_context_options", "heading", "name"),
    [
        ({"locale": "nl-BE"}, "Er ging iets mis", "500-nl"),
        ({"locale": "en-GB"}, "Sorry, something went wrong", "500-en"),
    ],
)
def test_500_page(page: Page, page_errors, heading, name):
    response = page.goto("/test/500/")
    assert response is not None
    assert response.status == 500
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    check_page(page, name, page_errors, allow_errors=FAILED_LOAD)
