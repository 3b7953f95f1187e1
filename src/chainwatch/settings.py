"""Django settings for chainwatch, configured by environment variables.

CHAINWATCH_DATABASE_URL   database URL (default: SQLite file data/chainwatch.sqlite3)
CHAINWATCH_SECRET_KEY     secret key (required when CHAINWATCH_DEBUG is off)
CHAINWATCH_DEBUG          "1" for development (default "0")
CHAINWATCH_ALLOWED_HOSTS  comma-separated host names (default: localhost,127.0.0.1)
CHAINWATCH_DATA_DIR       folder for the SQLite file and uploads (default: ./data)
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("CHAINWATCH_DATA_DIR", BASE_DIR / "data"))


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _flag("CHAINWATCH_DEBUG")
SECRET_KEY = os.environ.get("CHAINWATCH_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and os.environ.get("CHAINWATCH_REQUIRE_SECRET", "0") == "1":
        raise RuntimeError("CHAINWATCH_SECRET_KEY must be set in production")
    SECRET_KEY = "chainwatch-insecure-development-key-change-me-0123456789abcdef"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("CHAINWATCH_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "chainwatch.core",
    "chainwatch.accounts",
    "chainwatch.geo",
    "chainwatch.policy",
    "chainwatch.chains",
    "chainwatch.targets",
    "chainwatch.projects",
    "chainwatch.reports",
    "chainwatch.web",
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
]

ROOT_URLCONF = "chainwatch.urls"
WSGI_APPLICATION = "chainwatch.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'chainwatch.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("CHAINWATCH_DATABASE_URL", DEFAULT_DATABASE_URL), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while a writer commits; the cockpit reads while imports write.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "web" / "static_build"]
MEDIA_ROOT = DATA_DIR / "media"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_AGE = int(os.environ.get("CHAINWATCH_SESSION_SECONDS", 8 * 3600))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "chainwatch API",
    "DESCRIPTION": "产业链集群监测调度平台 REST API",
    "VERSION": "0.1.0",
    # Swagger UI and ReDoc served from our own static files: intranet deployments have no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a field named "stage" with different choices: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "ProjectStageEnum": "chainwatch.projects.models.Stage",
        "ChainNodeStageEnum": "chainwatch.chains.models.ChainNode.Stage",
        "LeadStageEnum": "chainwatch.projects.models.LeadStage",
    },
}

if not DEBUG:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    SESSION_COOKIE_HTTPONLY = True

if _flag("CHAINWATCH_PRODUCTION"):
    # Behind TLS: what `manage.py check --deploy` asks for.
    SECURE_SSL_REDIRECT = _flag("CHAINWATCH_SSL_REDIRECT", "1")
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("CHAINWATCH_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if SECRET_KEY.startswith("chainwatch-insecure"):
        raise RuntimeError("CHAINWATCH_SECRET_KEY must be set when CHAINWATCH_PRODUCTION=1")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CHAINWATCH_LOG_LEVEL", "WARNING")},
}
