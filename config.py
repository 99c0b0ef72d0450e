"""Hukou Desk configuration; every deployment-specific value comes from the environment."""
import datetime as dt
import os
import secrets
from pathlib import Path

from flask_appbuilder.const import AUTH_DB

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("HUKOU_INSTANCE_DIR", BASE_DIR / "instance"))


def _secret_key() -> str:
    """HUKOU_SECRET_KEY, else a random key kept in instance/secret_key so restarts keep sessions valid."""
    if os.environ.get("HUKOU_SECRET_KEY"):
        return os.environ["HUKOU_SECRET_KEY"]
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


APP_NAME = "集体户口管理系统"
SECRET_KEY = _secret_key()
SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'hukou.db'}"
SQLALCHEMY_TRACK_MODIFICATIONS = False
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# Authentication and sessions
AUTH_TYPE = AUTH_DB
AUTH_USER_REGISTRATION = False
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = os.environ.get("HUKOU_LOGIN_RATE_LIMIT", "10 per minute")
RATELIMIT_ENABLED = True
REDIS_URL = os.environ.get("REDIS_URL", "")  # also holds revoked API tokens when set (else the database)
RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
RATELIMIT_HEADERS_ENABLED = True
HUKOU_LOCKOUT_FAILURES = int(os.environ.get("HUKOU_LOCKOUT_FAILURES", "5"))
HUKOU_LOCKOUT_MINUTES = int(os.environ.get("HUKOU_LOCKOUT_MINUTES", "15"))
HUKOU_TRUSTED_PROXIES = int(os.environ.get("HUKOU_TRUSTED_PROXIES", "0"))  # reverse proxies in front of the app
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = os.environ.get("HUKOU_SECURE_COOKIES", "0") == "1"
HUKOU_SESSION_IDLE_MINUTES = int(os.environ.get("HUKOU_SESSION_IDLE_MINUTES", "30"))  # server-side sessions
HUKOU_SESSION_MAX_HOURS = int(os.environ.get("HUKOU_SESSION_MAX_HOURS", "8"))
PERMANENT_SESSION_LIFETIME = HUKOU_SESSION_MAX_HOURS * 3600
WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None
FAB_ADD_SECURITY_API = True
FAB_API_SWAGGER_UI = False  # its page loads assets from a CDN; the spec stays at /api/v1/_openapi
FAB_UPDATE_PERMS = False  # permissions are synced by `hukou init` / run.py, not by every worker
FAB_SECURITY_MANAGER_CLASS = "app.security.manager.HukouSecurityManager"
FAB_API_MAX_PAGE_SIZE = 100
JWT_ACCESS_TOKEN_EXPIRES = 3600
JWT_REFRESH_TOKEN_EXPIRES = dt.timedelta(days=min(7, int(os.environ.get("HUKOU_JWT_REFRESH_DAYS", "7"))))

# Language: Chinese by default, English selectable
BABEL_DEFAULT_LOCALE = "zh"
BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
LANGUAGES = {"zh": {"flag": "cn", "name": "简体中文"}, "en": {"flag": "gb", "name": "English"}}
APP_THEME = ""

# Files: uploads live outside static/ under random names
UPLOAD_FOLDER = os.environ.get("HUKOU_UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
HUKOU_UPLOAD_MAX_MB = int(os.environ.get("HUKOU_UPLOAD_MAX_MB", "20"))
MAX_CONTENT_LENGTH = (HUKOU_UPLOAD_MAX_MB + 1) * 1024 * 1024

# Domain settings that vary by city and year
HUKOU_LOAN_DAYS = int(os.environ.get("HUKOU_LOAN_DAYS", "15"))
HUKOU_LOAN_DEPOSIT = os.environ.get("HUKOU_LOAN_DEPOSIT", "0")
HUKOU_MOVE_OUT_DAYS = int(os.environ.get("HUKOU_MOVE_OUT_DAYS", "30"))
HUKOU_IMPORT_MAX_MB = int(os.environ.get("HUKOU_IMPORT_MAX_MB", "50"))  # Excel/CSV imports (app/imports)
HUKOU_AUDIT_RETENTION_DAYS = max(184, int(os.environ.get("HUKOU_AUDIT_RETENTION_DAYS", "184")))
HUKOU_CITY = os.environ.get("HUKOU_CITY", "")

# Background jobs (app/jobs) and exports (app/exports)
HUKOU_INSTANCE_DIR = str(INSTANCE_DIR)
HUKOU_QUEUE = os.environ.get("HUKOU_QUEUE", "")  # sqlite | redis | immediate; default: redis with REDIS_URL, else sqlite
HUKOU_JOB_THRESHOLD = int(os.environ.get("HUKOU_JOB_THRESHOLD", "5000"))  # exports above this many rows run as jobs
HUKOU_JOB_STALE_MINUTES = int(os.environ.get("HUKOU_JOB_STALE_MINUTES", "10"))
HUKOU_EXPORT_DIR = os.environ.get("HUKOU_EXPORT_DIR", str(INSTANCE_DIR / "exports"))
