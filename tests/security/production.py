"""Run in a subprocess with KMOP_ENV=production (settings are read once per process).

Collects the static files, migrates a scratch SQLite database, sends requests as a TLS-terminating proxy
would, and writes what came back (status, headers, cookies with their attributes) and the relevant settings
as JSON to the file in argv[1].
"""

from __future__ import annotations

import json
import sys
from http.cookies import Morsel
from typing import Any

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

HOST = "kmop.example"


def cookie(morsel: Morsel[str]) -> dict[str, Any]:
    return {
        "secure": bool(morsel["secure"]),
        "httponly": bool(morsel["httponly"]),
        "samesite": morsel["samesite"],
        "path": morsel["path"],
        "domain": morsel["domain"],
        "max-age": morsel["max-age"],
        "expires": morsel["expires"],
    }


def seen(response: Any) -> dict[str, Any]:
    return {
        "status": response.status_code,
        "headers": dict(response.headers),
        "cookies": {name: cookie(morsel) for name, morsel in response.cookies.items()},
    }


def main(report_path: str) -> None:
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("migrate", interactive=False, verbosity=0)
    report: dict[str, Any] = {
        "settings": {
            name: getattr(settings, name)
            for name in (
                "DEBUG",
                "SESSION_COOKIE_NAME",
                "SESSION_COOKIE_SECURE",
                "SESSION_COOKIE_HTTPONLY",
                "SESSION_COOKIE_SAMESITE",
                "SESSION_COOKIE_DOMAIN",
                "SESSION_COOKIE_PATH",
                "SESSION_COOKIE_AGE",
                "SESSION_SAVE_EVERY_REQUEST",
                "MIDDLEWARE",
                "CSRF_COOKIE_NAME",
                "CSRF_COOKIE_SECURE",
                "CSRF_COOKIE_DOMAIN",
                "CSRF_COOKIE_PATH",
                "LANGUAGE_COOKIE_NAME",
                "LANGUAGE_COOKIE_SECURE",
                "SECURE_SSL_REDIRECT",
                "SECURE_HSTS_SECONDS",
                "SECURE_HSTS_INCLUDE_SUBDOMAINS",
                "REST_FRAMEWORK",
            )
        },
        "staticfiles_backend": settings.STORAGES["staticfiles"]["BACKEND"],
    }
    plain = Client(HTTP_HOST=HOST, raise_request_exception=False)
    report["http_home"] = seen(plain.get("/"))
    report["http_health"] = seen(plain.get("/health/"))

    # Behind the proxy: it terminates TLS and says so in X-Forwarded-Proto.
    tls = Client(HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https", raise_request_exception=False)
    report["https_home"] = seen(tls.get("/"))
    report["https_api"] = seen(tls.get("/api/v1/enterprises/"))
    report["https_api_problem"] = seen(tls.get("/api/v1/enterprises/123/"))
    token = tls.cookies[settings.CSRF_COOKIE_NAME].value
    report["https_setlang"] = seen(
        tls.post(
            "/i18n/setlang/",
            {"language": "en", "next": "/", "csrfmiddlewaretoken": token},
            HTTP_REFERER=f"https://{HOST}/",
        )
    )
    staff = get_user_model().objects.create(username="beheerder", is_staff=True, is_superuser=True)
    tls.force_login(staff)
    report["https_admin"] = seen(tls.get("/beheer/admin/"))

    with open(report_path, "w") as file:
        json.dump(report, file, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
