"""CSRF (ASVS 5.0 3.5.1 anti-forgery token, 3.5.3 no state change through GET), on the language switch."""

from __future__ import annotations

import secrets

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

SETLANG = "/i18n/setlang/"


@pytest.fixture
def browser() -> Client:
    return Client(enforce_csrf_checks=True)


def test_post_without_token_is_refused(browser: Client) -> None:
    response = browser.post(SETLANG, {"language": "en", "next": "/"})
    assert response.status_code == 403
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_post_with_a_token_not_matching_the_cookie_is_refused(browser: Client) -> None:
    browser.cookies[settings.CSRF_COOKIE_NAME] = secrets.token_hex(16)
    response = browser.post(SETLANG, {"language": "en", "csrfmiddlewaretoken": secrets.token_hex(16)})
    assert response.status_code == 403
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_post_with_the_token_of_the_page_is_accepted(browser: Client) -> None:
    page = browser.get("/")  # the language switch form sets the CSRF cookie
    token = page.cookies[settings.CSRF_COOKIE_NAME].value
    response = browser.post(SETLANG, {"language": "en", "next": "/", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_token_in_header_is_accepted(browser: Client) -> None:
    """htmx sends the token as a header."""
    token = browser.get("/").cookies[settings.CSRF_COOKIE_NAME].value
    response = browser.post(SETLANG, {"language": "en"}, headers={"X-CSRFToken": token})
    assert response.status_code == 302


def test_get_does_not_switch_the_language(browser: Client) -> None:
    response = browser.get(SETLANG, {"language": "en", "next": "/"})
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_csrf_cookie_settings() -> None:
    assert settings.CSRF_COOKIE_SAMESITE in {"Lax", "Strict"}
    assert settings.SESSION_COOKIE_SAMESITE in {"Lax", "Strict"}
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.LANGUAGE_COOKIE_HTTPONLY is True
