"""The vendored htmx is served by the app (no CDN), and pages run under a strict CSP."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.management import call_command

from .helpers import html, parse

HTMX = "web/htmx.min.js"


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_htmx_is_vendored_2_0():
    source = (settings.SRC_DIR / "web" / "static" / HTMX).read_text()
    assert source.startswith("var htmx=function(){")
    assert re.search(r'version:"2\.0\.\d+"', source)
    licence = (settings.SRC_DIR / "web" / "static" / "web" / "htmx.LICENSE.txt").read_text()
    assert "Zero-Clause BSD" in licence


def test_pages_load_htmx_and_the_stylesheet_from_our_own_static_files(client):
    page = html(client.get("/"))
    assert '<script src="/static/web/htmx.min.js" defer></script>' in page
    assert '<link rel="stylesheet" href="/static/web/kmop.css">' in page
    assert "//unpkg.com" not in page
    assert "cdn" not in page.lower()
    # htmx may not inject its inline indicator style nor use eval: both would break the CSP.
    assert '"includeIndicatorStyles": false' in page
    assert '"allowEval": false' in page


def test_htmx_served_in_development(client, settings):
    settings.WHITENOISE_USE_FINDERS = True  # runserver / `make demo`: files straight from the apps
    response = client.get("/static/web/htmx.min.js")
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    assert _body(response).startswith(b"var htmx=function(){")


def test_htmx_served_after_collectstatic_as_in_production(client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    page = html(client.get("/"))
    match = re.search(r'<script src="(/static/web/htmx\.min\.[0-9a-f]{12}\.js)" defer>', page)
    assert match, "the page should reference the hashed htmx file"
    response = client.get(match.group(1))
    assert response.status_code == 200
    assert "immutable" in response["Cache-Control"]
    assert _body(response).startswith(b"var htmx=function(){")
    assert client.get("/static/web/htmx.LICENSE.txt").status_code == 200


@pytest.mark.parametrize("url", ["/", "/toegankelijkheid/", "/bestaat-niet/"])
def test_csp_header(client, url):
    response = client.get(url)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp


@pytest.mark.parametrize("url", ["/", "/toegankelijkheid/", "/demo/componenten/", "/bestaat-niet/"])
def test_no_inline_script_or_style(client, settings, url):
    settings.DEMO_MODE = True
    collector = parse(client.get(url))
    assert collector.inline_scripts == 0
    assert collector.style_attributes == 0
