"""Settings for every environment, read from environment variables.

``KMOP_ENV`` is ``dev`` (default: zero-config, SQLite under ``var/``) or ``production`` (everything
secure, a secret key required). Every variable is documented in ``docs/configuration.md``.
"""

from __future__ import annotations

import re
from pathlib import Path

import dj_database_url
import structlog
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
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfiguredEnv("KMOP_ALLOWED_HOSTS must list the host names the site is served on")
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
    "kmop.idm",
    "kmop.api",
    "kmop.notifications",
    "kmop.oidc",
    "kmop.btb",
    "kmop.jobs",
    "kmop.schemes",
    "kmop.providers",
    "kmop.projects",
    "kmop.wallet",
    "kmop.eloket",
    "kmop.backoffice",
    "kmop.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # a NUL in the URL: 400 before any view puts it in a query (PostgreSQL refuses it: a 500 otherwise)
    "kmop.web.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # The login's session rules: idle and absolute lifetime, then the per-request check of the organisation
    # acted for.
    "kmop.acm.middleware.IdleSessionMiddleware",
    "kmop.acm.middleware.AbsoluteSessionTimeoutMiddleware",
    "kmop.acm.middleware.ActingOrganisationMiddleware",
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
                "kmop.web.context_processors.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", "")
# psycopg 3's connection pool (PostgreSQL only); excludes persistent connections (KMOP_DB_CONN_MAX_AGE).
DB_POOL = env_bool("KMOP_DB_POOL", default=False)
if DATABASE_URL:
    _conn_max_age = env_int("KMOP_DB_CONN_MAX_AGE", 0)
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL, conn_max_age=_conn_max_age, conn_health_checks=_conn_max_age > 0
        )
    }
    if DB_POOL:
        if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
            raise ImproperlyConfiguredEnv("KMOP_DB_POOL=true needs a PostgreSQL DATABASE_URL")
        if _conn_max_age:
            raise ImproperlyConfiguredEnv("KMOP_DB_POOL=true and KMOP_DB_CONN_MAX_AGE exclude each other")
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = True
elif DB_POOL:
    raise ImproperlyConfiguredEnv("KMOP_DB_POOL=true needs a PostgreSQL DATABASE_URL")
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
# Django's model backend and database sessions, each with its per-request read as one SQL statement
# (kmop.acm.backends, kmop.acm.sessions)
AUTHENTICATION_BACKENDS = ["kmop.acm.backends.UserBackend"]
SESSION_ENGINE = "kmop.acm.sessions"

# --- Internationalisation -------------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Europe/Brussels"
USE_TZ = True
LANGUAGE_COOKIE_NAME = "__Host-kmop_language" if PRODUCTION else "kmop_language"
LANGUAGE_COOKIE_SECURE = PRODUCTION
LANGUAGE_COOKIE_HTTPONLY = True
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
if not PRODUCTION:
    # Development and the demo serve the apps' static directories through whitenoise, also with DEBUG off
    # (the demo runs without DEBUG so that it shows the real error pages); an (empty) STATIC_ROOT keeps
    # whitenoise from warning.
    WHITENOISE_USE_FINDERS = True
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Security -------------------------------------------------------------------------------------
CSRF_FAILURE_VIEW = "kmop.web.views.csrf_failure"
# Sessions end after KMOP_SESSION_IDLE_MINUTES without a request (ASVS 7.3.1): kmop.acm.middleware's
# IdleSessionMiddleware saves the session again (moving its expiry) once a minute while requests come, instead
# of on every request; the cookie itself lives until the browser closes.
SESSION_COOKIE_AGE = env_int("KMOP_SESSION_IDLE_MINUTES", 30) * 60
if SESSION_COOKIE_AGE <= 0:
    raise ImproperlyConfiguredEnv("KMOP_SESSION_IDLE_MINUTES must be a positive number of minutes")
SESSION_SAVE_EVERY_REQUEST = False
# A login lasts at most this many hours, whatever the activity (kmop.acm.middleware; ASVS 7.3.2).
KMOP_SESSION_ABSOLUTE_HOURS = env_int("KMOP_SESSION_ABSOLUTE_HOURS", 12)
if KMOP_SESSION_ABSOLUTE_HOURS <= 0:
    raise ImproperlyConfiguredEnv("KMOP_SESSION_ABSOLUTE_HOURS must be a positive number of hours")
LOGIN_URL = "acm:login"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
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
    "base-uri": ["'none'"],
    "object-src": ["'none'"],
}
# ASVS 6.2: at least 12 characters, no common or all-digit passwords, no composition rules.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if PRODUCTION:
    # __Host- cookies: Secure, path /, no domain (ASVS 3.3.1). Django's defaults are path / and no domain.
    SESSION_COOKIE_NAME = "__Host-kmop_session"
    CSRF_COOKIE_NAME = "__Host-kmop_csrftoken"
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("KMOP_SSL_REDIRECT", default=True)
    # Behind a reverse proxy that terminates TLS and sets (overwrites) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("KMOP_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # Load balancers probe /health/ over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
else:
    SESSION_COOKIE_NAME = "kmop_session"
    CSRF_COOKIE_NAME = "kmop_csrftoken"

# --- Logging --------------------------------------------------------------------------------------
# One line per event on stdout: JSON in production (for the log collector), readable text in development.
LOG_FORMAT = env("KMOP_LOG_FORMAT", "json" if PRODUCTION else "console")
if LOG_FORMAT not in {"json", "console"}:
    raise ImproperlyConfiguredEnv(f"KMOP_LOG_FORMAT must be 'json' or 'console', not {LOG_FORMAT!r}")
_LOG_PRE_CHAIN: list[structlog.typing.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": structlog.stdlib.ProcessorFormatter,
            "foreign_pre_chain": _LOG_PRE_CHAIN,
            "processors": [
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
        },
        "console": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": LOG_FORMAT}
    },
    "root": {"handlers": ["console"], "level": env("KMOP_LOG_LEVEL", "INFO")},
    "loggers": {
        # Replace Django's own handlers (console in DEBUG, mail_admins): everything goes to the root handler.
        "django": {"handlers": [], "level": "INFO"},
        "django.db.backends": {"level": "WARNING"},
    },
}
# structlog loggers (structlog.get_logger()) go through the same standard-library handler.
structlog.configure(
    processors=[*_LOG_PRE_CHAIN, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)

# --- API ------------------------------------------------------------------------------------------
_API_ANON_RATE = env("KMOP_API_ANON_RATE", "600/minute" if PRODUCTION else "")
if _API_ANON_RATE and not re.fullmatch(r"[0-9]+/(s|m|h|d)[a-z]*", _API_ANON_RATE):
    raise ImproperlyConfiguredEnv(f"KMOP_API_ANON_RATE must look like 600/minute, not {_API_ANON_RATE!r}")
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "kmop.api.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "kmop.api.problems.problem_exception_handler",
    # No authentication yet: the KBO register is public. Views decide access in kmop.api.permissions.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["kmop.api.permissions.DenyAll"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    # Anonymous requests per client IP (per process, in the local-memory cache); empty: no limit.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"] if _API_ANON_RATE else [],
    "DEFAULT_THROTTLE_RATES": {"anon": _API_ANON_RATE or None},
    # Reverse proxies in front of the app: the client IP is taken from X-Forwarded-For behind that many.
    "NUM_PROXIES": env_int("KMOP_NUM_PROXIES", 1 if PRODUCTION else 0),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "kmo-portefeuille API",
    "DESCRIPTION": "API of the kmo-portefeuille platform for the own software of enterprises and providers.",
    "VERSION": "1.0.0",
    "LICENSE": {"name": "EUPL-1.2"},
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
}

# --- Platform -------------------------------------------------------------------------------------
KMOP_NATIONAL_REGISTER = env(
    "KMOP_NATIONAL_REGISTER", "kmop.registers.national_register.LocalNationalRegister"
)
# The public address of the site (scheme and host, no trailing slash), for absolute links in e-mails that
# jobs send outside a request (the daily reminders' "verlengen" links).
KMOP_BASE_URL = env("KMOP_BASE_URL", "" if PRODUCTION else "http://127.0.0.1:8000").strip().rstrip("/")
if KMOP_BASE_URL and not KMOP_BASE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfiguredEnv(f"KMOP_BASE_URL must start with https:// or http://, not {KMOP_BASE_URL!r}")

# --- Wallet (kmop.wallet, decision 0013) -------------------------------------------------------------
# The account the payouts are paid from (the pain.001 files). Outside production a fictitious demo account
# (a valid Belgian IBAN), so that the demo can export; in production it must be set.
WALLET_DEBTOR_IBAN = env("KMOP_WALLET_DEBTOR_IBAN", "" if PRODUCTION else "BE71096123456769").replace(" ", "")
WALLET_DEBTOR_BIC = env("KMOP_WALLET_DEBTOR_BIC", "" if PRODUCTION else "GKCCBEBB")
WALLET_DEBTOR_NAME = env("KMOP_WALLET_DEBTOR_NAME", "Agentschap Innoveren en Ondernemen")

# --- OpenID Connect (kmop.oidc, decision 0009) -----------------------------------------------------
# The bundled ACM as OpenID Connect provider, issuer KMOP_BASE_URL + "/op" (on by default outside production).
KMOP_OIDC_PROVIDER = env_bool("KMOP_OIDC_PROVIDER", default=not PRODUCTION)
KMOP_OIDC_SIGNING_KEY_FILE = env("KMOP_OIDC_SIGNING_KEY_FILE", str(VAR_DIR / "oidc" / "signing-key.jwk.json"))
if PRODUCTION and KMOP_OIDC_PROVIDER:
    if not KMOP_BASE_URL:
        raise ImproperlyConfiguredEnv("KMOP_OIDC_PROVIDER=true needs KMOP_BASE_URL (the issuer's base)")
    if not Path(KMOP_OIDC_SIGNING_KEY_FILE).is_file():
        raise ImproperlyConfiguredEnv(
            "KMOP_OIDC_SIGNING_KEY_FILE must name the provider's private key (JWK/PEM)"
        )
# Relying party of an external ACM: set the issuer to switch the platform's login to it.
KMOP_ACM_ISSUER = env("KMOP_ACM_ISSUER", "").strip().rstrip("/")
KMOP_ACM_CLIENT_ID = env("KMOP_ACM_CLIENT_ID", "")
KMOP_ACM_PRIVATE_KEY_FILE = env("KMOP_ACM_PRIVATE_KEY_FILE", "")
KMOP_ACM_SCOPES = env("KMOP_ACM_SCOPES", "openid profile vo rrn")
if KMOP_ACM_ISSUER and not (KMOP_ACM_CLIENT_ID and KMOP_ACM_PRIVATE_KEY_FILE):
    raise ImproperlyConfiguredEnv("KMOP_ACM_ISSUER needs KMOP_ACM_CLIENT_ID and KMOP_ACM_PRIVATE_KEY_FILE")
# itsme (production adapter of the itsme login): set the discovery URL to switch it on.
KMOP_ITSME_DISCOVERY_URL = env("KMOP_ITSME_DISCOVERY_URL", "").strip()
KMOP_ITSME_CLIENT_ID = env("KMOP_ITSME_CLIENT_ID", "")
KMOP_ITSME_PRIVATE_KEY_FILE = env("KMOP_ITSME_PRIVATE_KEY_FILE", "")
KMOP_ITSME_SERVICE_CODE = env("KMOP_ITSME_SERVICE_CODE", "")
KMOP_ITSME_ACR_VALUES = env("KMOP_ITSME_ACR_VALUES", "http://itsme.services/v2/claim/acr_advanced")
KMOP_ITSME_NATIONAL_NUMBER_CLAIM = env(
    "KMOP_ITSME_NATIONAL_NUMBER_CLAIM", "http://itsme.services/v2/claim/BENationalNumber"
)
if KMOP_ITSME_DISCOVERY_URL and not (
    KMOP_ITSME_CLIENT_ID and KMOP_ITSME_PRIVATE_KEY_FILE and KMOP_ITSME_SERVICE_CODE
):
    raise ImproperlyConfiguredEnv(
        "KMOP_ITSME_DISCOVERY_URL needs KMOP_ITSME_CLIENT_ID, KMOP_ITSME_PRIVATE_KEY_FILE and "
        "KMOP_ITSME_SERVICE_CODE"
    )

# --- Shared cache, client address, e-mail and sms (decision 0008) ---------------------------------
# Reverse proxies whose X-Forwarded-For (client address) and eID certificate header are believed: addresses
# or networks, comma-separated. Empty: REMOTE_ADDR is the client and the eID header is always ignored.
KMOP_TRUSTED_PROXIES = env_list("KMOP_TRUSTED_PROXIES", [])
# The cache shared by all processes (the login throttle counts in it): redis://… (Django's RedisCache), or
# empty/db:// for Django's database cache in the table kmop_cache (made by the migrations), or locmem://.
_CACHE_URL = env("KMOP_CACHE_URL", "").strip()
if _CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _CACHE_URL}}
elif _CACHE_URL in ("", "db://"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "kmop_cache"}}
elif _CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    raise ImproperlyConfiguredEnv(f"KMOP_CACHE_URL must be redis://…, db:// or locmem://, not {_CACHE_URL!r}")
# Every e-mail is kept in the outbox (notifications.OutboxMessage; the demo shows it at /demo/berichten/).
# In production name a real backend to forward to, e.g. django.core.mail.backends.smtp.EmailBackend with the
# KMOP_EMAIL_* variables. (Tests use Django's locmem backend: the test runner replaces every mailer.)
KMOP_EMAIL_FORWARD_BACKEND = env("KMOP_EMAIL_FORWARD_BACKEND", "").strip()
#: the kmo-portefeuille service's mailbox: providers' stop requests and reports ("melden") are mailed there
KMOP_SERVICE_EMAIL = env("KMOP_SERVICE_EMAIL", "kmo-portefeuille@vlaanderen.be").strip()
#: the bodies of delivered outbox messages are emptied after this many days (notifications.retention)
KMOP_OUTBOX_RETENTION_DAYS = env_int("KMOP_OUTBOX_RETENTION_DAYS", 90)
if KMOP_OUTBOX_RETENTION_DAYS < 1:
    raise ImproperlyConfiguredEnv("KMOP_OUTBOX_RETENTION_DAYS must be a positive number of days")
MAILERS: dict[str, dict[str, object]] = {
    "default": {
        "BACKEND": "kmop.notifications.backends.OutboxEmailBackend",
        "OPTIONS": {"forward": "forward" if KMOP_EMAIL_FORWARD_BACKEND else ""},
    }
}
if KMOP_EMAIL_FORWARD_BACKEND:
    MAILERS["forward"] = {
        "BACKEND": KMOP_EMAIL_FORWARD_BACKEND,
        "OPTIONS": {
            "host": env("KMOP_EMAIL_HOST", "localhost"),
            "port": env_int("KMOP_EMAIL_PORT", 587),
            "username": env("KMOP_EMAIL_HOST_USER", ""),
            "password": env("KMOP_EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("KMOP_EMAIL_USE_TLS", default=True),
            "timeout": 20,
        }
        if KMOP_EMAIL_FORWARD_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
        else {},
    }
# The sms adapter (a class with send_sms(number, text)); the bundled one only writes to the outbox.
KMOP_SMS_GATEWAY = env("KMOP_SMS_GATEWAY", "kmop.notifications.sms.OutboxSmsGateway")
# Production eID login: the header in which the TLS proxy passes the client certificate (PEM, URL-encoded),
# and the PEM file of the CA certificates it must chain up to (Belgium Root CAs and citizen CAs).
KMOP_EID_CERT_HEADER = env("KMOP_EID_CERT_HEADER", "X-SSL-Client-Cert")
KMOP_EID_CA_FILE = env("KMOP_EID_CA_FILE", "")
