"""Security headers on HTML pages and on the API (ASVS 5.0 3.4.3 CSP with object-src and base-uri 'none',
3.4.4 nosniff, 3.4.5 Referrer-Policy, 3.4.6 frame-ancestors, 3.4.8 COOP; X-Frame-Options for old browsers)."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

HTML_PAGES = ["/", "/toegankelijkheid/", "/bestaat-niet/"]
API_URLS = [
    "/api/v1/",
    "/api/v1/enterprises/",
    "/api/v1/enterprises/123/",
    "/api/v1/bestaat-niet/",
    "/api/schema/",
]


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_common_headers(response) -> dict[str, list[str]]:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "unsafe-hashes" not in csp
    parsed = directives(csp)
    assert parsed.get("object-src", parsed["default-src"]) == ["'none'"]  # falls back to default-src
    assert parsed["base-uri"] == ["'none'"]
    assert parsed["frame-ancestors"] == ["'none'"]
    return parsed


@pytest.mark.parametrize("url", HTML_PAGES)
def test_html_pages(client: Client, url: str) -> None:
    response = client.get(url)
    assert response["Content-Type"].startswith("text/html")
    csp = assert_common_headers(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]


@pytest.mark.parametrize("url", API_URLS)
def test_api(client: Client, url: str) -> None:
    response = client.get(url)
    assert not response["Content-Type"].startswith("text/html")
    csp = assert_common_headers(response)
    # JSON is never a document: it may load and submit nothing
    assert csp["default-src"] == ["'none'"]
    assert csp["form-action"] == ["'none'"]


def test_no_server_version_or_framework_header(client: Client) -> None:
    response = client.get("/api/v1/")
    assert "X-Powered-By" not in response
    assert "Server" not in response
