"""Settings for every environment, read from environment variables.

``KMOP_ENV`` is ``dev`` (default: zero-config, SQLite under ``var/``) or ``production`` (everything
secure, a secret key required). Every variable is documented in ``docs/configuration.md``.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from kmop.conf.env import ImproperlyConfiguredEnv, env, env_bool, env_int, env_list

SRC_DIR = Path(__file__).resolve().parent.parent  # src/kmop
BASE_DIR = SRC_DIR.parent.parent  # the repository root
VAR_DIR = Path(env("KMOP_VAR_DIR", str(BASE_DIR / "var")))

KMOP_ENV = env("KMOP_ENV", "dev")
if KMOP_ENV not in {"dev", "production"}:
    raise ImproperlyConfiguredEnv(f"KMOP_ENV must be 'dev' or 'production', not {KMOP_ENV!r}")
PRODUCTION = KMOP_ENV == "production"

DEBUG = env_bool("KMOP_DEBUG", default=not PRODUCTION)
# Demo mode: demo-only pages (the demo persons) and, later, clearly marked login simulators.
DEMO_MODE = env_bool("KMOP_DEMO", default=not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = env("KMOP_SECRET_KEY") or ""
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfiguredEnv("KMOP_SECRET_KEY must be set to at least 50 random characters")
else:
    SECRET_KEY = env("KMOP_SECRET_KEY", "dev-only-insecure-key-" + "x" * 40)

ALLOWED_HOSTS = env_list("KMOP_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("KMOP_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "kmop.web",
    "kmop.acm",
    "kmop.audit",
    "kmop.registers",
    "kmop.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "kmop.conf.urls"
WSGI_APPLICATION = "kmop.conf.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kmop.web.context_processors.platform",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("KMOP_DB_CONN_MAX_AGE", 0))
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("KMOP_SQLITE_PATH", str(VAR_DIR / "kmop.sqlite3")),
            "OPTIONS": {
                # Concurrent writers wait for the lock instead of failing with "database is locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;"
                    "PRAGMA synchronous=NORMAL;"
                    "PRAGMA foreign_keys=ON;"
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "acm.User"

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Brussels"
USE_TZ = True
LANGUAGE_COOKIE_NAME = "kmop_language"
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- Static files ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# --- Security -------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
if PRODUCTION:
    # __Host- cookies: Secure, path /, no domain (ASVS 3.4).
    SESSION_COOKIE_NAME = "__Host-kmop_session"
    CSRF_COOKIE_NAME = "__Host-kmop_csrftoken"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("KMOP_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("KMOP_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
else:
    SESSION_COOKIE_NAME = "kmop_session"
    CSRF_COOKIE_NAME = "kmop_csrftoken"

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("KMOP_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- API ------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "kmop.api.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "kmop.api.problems.problem_exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "kmo-portefeuille API",
    "DESCRIPTION": "API of the kmo-portefeuille platform for the own software of enterprises and providers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}

# --- Platform -------------------------------------------------------------------------------------
KMOP_NATIONAL_REGISTER = env(
    "KMOP_NATIONAL_REGISTER", "kmop.registers.national_register.LocalNationalRegister"
)
