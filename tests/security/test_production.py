"""Production settings (KMOP_ENV=production), in subprocesses: settings are read once per process.

ASVS 5.0: 3.3.1 cookies Secure with the __Host- prefix, 3.3.2 SameSite, 3.3.4 HttpOnly session cookie,
3.4.1 HSTS, 7.3.1 inactivity timeout, 13.4 deployment configuration (Django's `check --deploy`).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent

pytestmark = pytest.mark.xdist_group("production-settings")


def production_env(var_dir: Path, **overrides: str | None) -> dict[str, str]:
    """The environment of a production process: none of this process's KMOP_*, DJANGO_* or DATABASE_URL
    (the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE, which `check --deploy` rightly refuses)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("KMOP_", "DJANGO_")) and key != "DATABASE_URL"
    }
    env.update(
        KMOP_ENV="production",
        KMOP_SECRET_KEY=secrets.token_urlsafe(48),  # 64 random characters
        KMOP_ALLOWED_HOSTS="kmop.example",
        KMOP_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="kmop.conf.settings",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def kmop(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kmop", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_without_warnings(tmp_path: Path) -> None:
    result = kmop("check", "--deploy", "--fail-level", "WARNING", env=production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"KMOP_SECRET_KEY": None}, "KMOP_SECRET_KEY"),
        ({"KMOP_SECRET_KEY": "too-short-" * 4}, "KMOP_SECRET_KEY"),
        ({"KMOP_ALLOWED_HOSTS": None}, "KMOP_ALLOWED_HOSTS"),
        ({"KMOP_ALLOWED_HOSTS": " , "}, "KMOP_ALLOWED_HOSTS"),
        ({"KMOP_DB_POOL": "true"}, "KMOP_DB_POOL"),  # the pool is PostgreSQL's
        (
            {
                "DATABASE_URL": "postgres://kmop@db.invalid/kmop",
                "KMOP_DB_POOL": "true",
                "KMOP_DB_CONN_MAX_AGE": "60",
            },
            "KMOP_DB_CONN_MAX_AGE",
        ),
        ({"KMOP_LOG_FORMAT": "xml"}, "KMOP_LOG_FORMAT"),
        ({"KMOP_API_ANON_RATE": "lots"}, "KMOP_API_ANON_RATE"),
        ({"KMOP_SESSION_IDLE_MINUTES": "0"}, "KMOP_SESSION_IDLE_MINUTES"),
        ({"KMOP_ENV": "staging"}, "KMOP_ENV"),
    ],
)
def test_production_refuses_to_start_misconfigured(tmp_path: Path, overrides: dict, message: str) -> None:
    result = kmop("check", env=production_env(tmp_path, **overrides))
    assert result.returncode != 0
    assert message in result.stderr


def test_pool_on_postgresql(tmp_path: Path) -> None:
    script = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS'].get('pool'))"
    env = production_env(tmp_path, DATABASE_URL="postgres://kmop@db.invalid/kmop", KMOP_DB_POOL="true")
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {script}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What production answers (see production.py), and the lines it logged on stdout."""
    var_dir = tmp_path_factory.mktemp("production")
    report_path = var_dir / "report.json"
    result = subprocess.run(
        [sys.executable, str(HERE / "production.py"), str(report_path)],
        env=production_env(var_dir),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report: dict[str, Any] = json.loads(report_path.read_text())
    report["stdout"] = result.stdout
    return report


def test_cookie_settings(production: dict[str, Any]) -> None:
    s = production["settings"]
    assert s["DEBUG"] is False
    for name in ("SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME", "LANGUAGE_COOKIE_NAME"):
        assert s[name].startswith("__Host-"), name
    assert s["SESSION_COOKIE_SECURE"] is True
    assert s["CSRF_COOKIE_SECURE"] is True
    assert s["LANGUAGE_COOKIE_SECURE"] is True
    assert s["SESSION_COOKIE_HTTPONLY"] is True
    assert s["SESSION_COOKIE_SAMESITE"] in {"Lax", "Strict"}
    # __Host- requires path / and no Domain attribute
    assert s["SESSION_COOKIE_DOMAIN"] is None
    assert s["CSRF_COOKIE_DOMAIN"] is None
    assert s["SESSION_COOKIE_PATH"] == s["CSRF_COOKIE_PATH"] == "/"
    # ASVS 7.3.1: the session ends after 30 minutes without a request
    assert s["SESSION_COOKIE_AGE"] == 30 * 60
    # ... moved on by kmop.acm.middleware.IdleSessionMiddleware (once a minute), not saved on every request
    assert s["SESSION_SAVE_EVERY_REQUEST"] is False
    assert "kmop.acm.middleware.IdleSessionMiddleware" in s["MIDDLEWARE"]
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["staticfiles_backend"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    # anonymous API calls are throttled per client IP, taken from behind one proxy
    api = s["REST_FRAMEWORK"]
    assert api["DEFAULT_THROTTLE_CLASSES"] == ["rest_framework.throttling.AnonRateThrottle"]
    assert api["DEFAULT_THROTTLE_RATES"] == {"anon": "600/minute"}
    assert api["NUM_PROXIES"] == 1


def assert_host_cookie(cookie: dict[str, Any], *, httponly: bool) -> None:
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert cookie["domain"] == ""
    assert cookie["samesite"] in {"Lax", "Strict"}
    assert cookie["httponly"] is httponly


def test_cookies_as_sent(production: dict[str, Any]) -> None:
    s = production["settings"]
    home = production["https_home"]
    assert home["status"] == 200
    assert_host_cookie(home["cookies"][s["CSRF_COOKIE_NAME"]], httponly=False)

    setlang = production["https_setlang"]
    assert setlang["status"] == 302
    assert_host_cookie(setlang["cookies"][s["LANGUAGE_COOKIE_NAME"]], httponly=True)

    admin = production["https_admin"]
    assert admin["status"] == 200
    session = admin["cookies"][s["SESSION_COOKIE_NAME"]]
    assert_host_cookie(session, httponly=True)
    assert session["max-age"] == ""  # a browser-session cookie; the server ends it after 30 idle minutes
    for response in ("https_home", "https_setlang", "https_admin", "https_api"):
        for name in production[response]["cookies"]:
            assert name.startswith("__Host-"), (response, name)


def test_plain_http_is_redirected_except_health(production: dict[str, Any]) -> None:
    assert production["http_home"]["status"] == 301
    assert production["http_home"]["headers"]["Location"] == "https://kmop.example/"
    assert production["http_health"]["status"] == 200


@pytest.mark.parametrize("response", ["https_home", "https_api", "https_api_problem", "https_admin"])
def test_security_headers_in_production(production: dict[str, Any], response: str) -> None:
    headers = production[response]["headers"]
    hsts = headers["Strict-Transport-Security"]
    assert "max-age=31536000" in hsts
    assert "includeSubDomains" in hsts
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp


def test_api_problem_in_production(production: dict[str, Any]) -> None:
    problem = production["https_api_problem"]
    assert problem["status"] == 400
    assert problem["headers"]["Content-Type"] == "application/problem+json"


def test_logs_are_json_lines(production: dict[str, Any]) -> None:
    lines = [line for line in production["stdout"].splitlines() if line.strip()]
    assert lines, "the 400 of the API is logged"
    events = [json.loads(line) for line in lines]
    assert any(e["logger"] == "django.request" and e["level"] == "warning" for e in events)
    assert all({"event", "level", "logger", "timestamp"} <= e.keys() for e in events)
