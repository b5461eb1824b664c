"""yanglao settings: one file, every value from the environment.

YANGLAO_ENV chooses the profile: ``development`` (default; secrets generated into var/ once),
``test`` (the suite; fast hashing, fixed keys) or ``production`` (refuses to start without real
secrets and a host list, and passes ``manage.py check --deploy`` without a warning).
"""

import base64
import secrets
import sys
from pathlib import Path

import dj_database_url

from yanglao.core.env import EnvError, dev_secret, env_bool, env_int, env_list, env_str, random_secret_key

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(env_str("YANGLAO_VAR_DIR", str(PROJECT_DIR / "var")))

YANGLAO_ENV = env_str("YANGLAO_ENV", "development")
if YANGLAO_ENV not in {"development", "test", "production"}:
    raise EnvError(f"YANGLAO_ENV={YANGLAO_ENV!r}: use development, test or production")
PRODUCTION = YANGLAO_ENV == "production"
TESTING = YANGLAO_ENV == "test" or "pytest" in sys.modules


def _new_field_key() -> str:
    return "dev1:" + base64.b64encode(secrets.token_bytes(32)).decode()


def _new_index_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


if PRODUCTION:
    try:
        SECRET_KEY = env_str("SECRET_KEY")
        YANGLAO_FIELD_KEY = env_str("YANGLAO_FIELD_KEY")
        YANGLAO_INDEX_KEY = env_str("YANGLAO_INDEX_KEY")
        ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    except EnvError as exc:
        raise EnvError(f"production settings: {exc}") from None
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith(("dev-", "django-insecure")) or len(set(SECRET_KEY)) < 5:
        raise EnvError("production settings: SECRET_KEY must be a random value of at least 50 characters")
    if not ALLOWED_HOSTS:
        raise EnvError("production settings: ALLOWED_HOSTS must list the site's host names")
    DEBUG = env_bool("DEBUG", False)
    if DEBUG:
        raise EnvError("production settings: DEBUG must be off")
elif TESTING:
    SECRET_KEY = "test-secret-key-not-for-production-" + "x" * 20
    # Fixed test keys: tests compare ciphertexts against known plaintexts, never against these keys.
    YANGLAO_FIELD_KEY = env_str("YANGLAO_FIELD_KEY", "test1:" + base64.b64encode(b"t" * 32).decode())
    YANGLAO_INDEX_KEY = env_str("YANGLAO_INDEX_KEY", base64.b64encode(b"i" * 32).decode())
    ALLOWED_HOSTS = ["*"]
    DEBUG = False
else:
    SECRET_KEY = env_str("SECRET_KEY", "") or dev_secret(VAR_DIR / "secret_key", random_secret_key)
    YANGLAO_FIELD_KEY = env_str("YANGLAO_FIELD_KEY", "") or dev_secret(VAR_DIR / "field_key", _new_field_key)
    YANGLAO_INDEX_KEY = env_str("YANGLAO_INDEX_KEY", "") or dev_secret(VAR_DIR / "index_key", _new_index_key)
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
    DEBUG = env_bool("DEBUG", True)

# Demo logins exist for trying the system out; production refuses them even if seeded.
YANGLAO_ALLOW_DEMO_LOGINS = not PRODUCTION

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "servestatic",
    "ninja",
    "yanglao.core",
    "yanglao.regions",
    "yanglao.accounts",
    "yanglao.facilities",
    "yanglao.elders",
    "yanglao.assessments",
    "yanglao.benefits",
    "yanglao.care",
    "yanglao.alarms",
    "yanglao.planning",
    "yanglao.residential",
    "yanglao.reports",
    "yanglao.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "yanglao.core.middleware.RequestContextMiddleware",
    "yanglao.core.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "yanglao.accounts.middleware.PasswordChangeRequiredMiddleware",
]

ROOT_URLCONF = "yanglao.urls"
WSGI_APPLICATION = "yanglao.wsgi.application"
ASGI_APPLICATION = "yanglao.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "yanglao.core.context_processors.site",
                "yanglao.navigation.navigation",
            ],
        },
    }
]

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'yanglao.sqlite3'}")
# Served under ASGI, every sync request runs in a worker thread of its own: persistent connections
# pile up per thread until PostgreSQL refuses clients (bench/alarms.py hit "too many clients" at
# 60 s). Django's advice for ASGI is no persistent connections (or the driver's pool).
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # WAL and a busy timeout let the server and a background import share the file.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["yanglao.accounts.backends.AccountBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "reports:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "yanglao.accounts.passwords.ComplexityValidator",
        "OPTIONS": {"min_length": 10, "min_classes": 3},
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# 等保 level 3: lock an account or an address for 15 minutes after 5 failures; 30 minutes idle logs out.
YANGLAO_LOGIN_MAX_FAILURES = env_int("YANGLAO_LOGIN_MAX_FAILURES", 5)
YANGLAO_LOGIN_LOCK_MINUTES = env_int("YANGLAO_LOGIN_LOCK_MINUTES", 15)
SESSION_COOKIE_AGE = env_int("YANGLAO_IDLE_TIMEOUT_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
YANGLAO_TOKEN_HOURS = env_int("YANGLAO_TOKEN_HOURS", 12)
# Routine capability re-assessment, months after the last approved one.
YANGLAO_REASSESS_MONTHS = env_int("YANGLAO_REASSESS_MONTHS", 12)
# Home visits: a check-in farther than this from the elder's home, or a visit shorter than this
# share of the product's standard time, is flagged for review instead of paid.
YANGLAO_CHECKIN_MAX_DISTANCE_M = env_int("YANGLAO_CHECKIN_MAX_DISTANCE_M", 300)
YANGLAO_SHORT_VISIT_PERCENT = env_int("YANGLAO_SHORT_VISIT_PERCENT", 50)
# Number of reverse proxies in front of the app whose X-Forwarded-For may be trusted for the client IP.
YANGLAO_TRUSTED_PROXIES = env_int("YANGLAO_TRUSTED_PROXIES", 0)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
SERVESTATIC_USE_FINDERS = not PRODUCTION

NINJA_PAGINATION_PER_PAGE = 20
# Covering indexes (INCLUDE) are a PostgreSQL optimisation; SQLite simply uses their key columns.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
    if env_bool("SECURE_PROXY_SSL", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "yanglao.core.logging.RedactPersonalData"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING" if TESTING else "INFO")},
    "loggers": {
        # Django's request logger prints the request; the redact filter masks what it carries.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
