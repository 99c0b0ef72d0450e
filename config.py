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
HUKOU_REDIS_PREFIX = os.environ.get("HUKOU_REDIS_PREFIX", "hukou:")  # keys of this instance in a shared Redis
RATELIMIT_KEY_PREFIX = HUKOU_REDIS_PREFIX + "limits"
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

# Lists on PostgreSQL: above this many rows the count is the planner's estimate, shown as 「约 N」 (0: always exact)
HUKOU_EXACT_COUNT_LIMIT = int(os.environ.get("HUKOU_EXACT_COUNT_LIMIT", "100000"))

# Domain settings that vary by city and year
HUKOU_LOAN_DAYS = int(os.environ.get("HUKOU_LOAN_DAYS", "15"))
HUKOU_LOAN_DEPOSIT = os.environ.get("HUKOU_LOAN_DEPOSIT", "0")
HUKOU_MOVE_OUT_DAYS = int(os.environ.get("HUKOU_MOVE_OUT_DAYS", "30"))
# Stage limits of the to-do list and the reminders, in Chinese working days (app/desk/limits.py).
HUKOU_LIMIT_PRE_REVIEW_DAYS = int(os.environ.get("HUKOU_LIMIT_PRE_REVIEW_DAYS", "3"))
HUKOU_LIMIT_DEPT_DAYS = int(os.environ.get("HUKOU_LIMIT_DEPT_DAYS", "3"))
HUKOU_LIMIT_LEADER_DAYS = int(os.environ.get("HUKOU_LIMIT_LEADER_DAYS", "3"))
HUKOU_LIMIT_ENTRY_DAYS = int(os.environ.get("HUKOU_LIMIT_ENTRY_DAYS", "3"))
HUKOU_LIMIT_POLICE_DAYS = int(os.environ.get("HUKOU_LIMIT_POLICE_DAYS", "10"))
HUKOU_LIMIT_MATERIALS_DAYS = int(os.environ.get("HUKOU_LIMIT_MATERIALS_DAYS", "10"))
HUKOU_LIMIT_ARCHIVE_DAYS = int(os.environ.get("HUKOU_LIMIT_ARCHIVE_DAYS", "10"))
# Reminders (`hukou remind`, the daily schedule, app/desk/remind*.py)
HUKOU_REMIND_AT = os.environ.get("HUKOU_REMIND_AT", "08:30")  # local time of the scheduled daily run
HUKOU_REMIND_WORKDAYS_ONLY = os.environ.get("HUKOU_REMIND_WORKDAYS_ONLY", "1") != "0"  # no push on days off
HUKOU_REMIND_ID_EXPIRY_DAYS = int(os.environ.get("HUKOU_REMIND_ID_EXPIRY_DAYS", "30"))  # first ID-card notice
HUKOU_REMIND_CERT_DAYS = int(os.environ.get("HUKOU_REMIND_CERT_DAYS", "7"))  # migration certificates lapsing
# Notification channels (app/notifications): e-mail, DingTalk / WeCom group robots; empty host/webhook = off
HUKOU_SMTP_HOST = os.environ.get("HUKOU_SMTP_HOST", "")
HUKOU_SMTP_PORT = int(os.environ.get("HUKOU_SMTP_PORT", "0") or 0)  # 0: 465 for ssl, 587 for starttls, 25 for none
HUKOU_SMTP_USER = os.environ.get("HUKOU_SMTP_USER", "")
HUKOU_SMTP_PASSWORD = os.environ.get("HUKOU_SMTP_PASSWORD", "")
HUKOU_SMTP_TLS = os.environ.get("HUKOU_SMTP_TLS", "starttls")  # none | starttls | ssl
HUKOU_MAIL_FROM = os.environ.get("HUKOU_MAIL_FROM", "")  # default: HUKOU_SMTP_USER
HUKOU_DINGTALK_WEBHOOK = os.environ.get("HUKOU_DINGTALK_WEBHOOK", "")
HUKOU_DINGTALK_SECRET = os.environ.get("HUKOU_DINGTALK_SECRET", "")  # the robot's 加签 secret (SEC…)
HUKOU_WECOM_WEBHOOK = os.environ.get("HUKOU_WECOM_WEBHOOK", "")
HUKOU_BASE_URL = os.environ.get("HUKOU_BASE_URL", "")  # e.g. https://hukou.example.com: absolute links in messages
HUKOU_NOTIFY_ATTEMPTS = int(os.environ.get("HUKOU_NOTIFY_ATTEMPTS", "3"))  # tries per delivery run
HUKOU_NOTIFY_BACKOFF_SECONDS = float(os.environ.get("HUKOU_NOTIFY_BACKOFF_SECONDS", "5"))  # doubled each retry
HUKOU_NOTIFY_TIMEOUT_SECONDS = float(os.environ.get("HUKOU_NOTIFY_TIMEOUT_SECONDS", "10"))  # every network call
HUKOU_IMPORT_MAX_MB = int(os.environ.get("HUKOU_IMPORT_MAX_MB", "50"))  # Excel/CSV imports (app/imports)
HUKOU_IMPORT_KEEP_HOURS = int(os.environ.get("HUKOU_IMPORT_KEEP_HOURS", "24"))  # unconfirmed uploads, then deleted
HUKOU_AUDIT_RETENTION_DAYS = max(184, int(os.environ.get("HUKOU_AUDIT_RETENTION_DAYS", "184")))
HUKOU_CITY = os.environ.get("HUKOU_CITY", "")

# Background jobs (app/jobs) and exports (app/exports)
HUKOU_INSTANCE_DIR = str(INSTANCE_DIR)
HUKOU_QUEUE = os.environ.get("HUKOU_QUEUE", "")  # sqlite | redis | immediate; default: redis with REDIS_URL, else sqlite
HUKOU_JOB_THRESHOLD = int(os.environ.get("HUKOU_JOB_THRESHOLD", "5000"))  # exports above this many rows run as jobs
HUKOU_JOB_STALE_MINUTES = int(os.environ.get("HUKOU_JOB_STALE_MINUTES", "10"))
HUKOU_EXPORT_DIR = os.environ.get("HUKOU_EXPORT_DIR", str(INSTANCE_DIR / "exports"))
HUKOU_IMPORT_DIR = os.environ.get("HUKOU_IMPORT_DIR", str(INSTANCE_DIR / "imports"))  # import files, error reports
HUKOU_OCR_ENABLED = os.environ.get("HUKOU_OCR_ENABLED", "1") != "0"  # ID-card OCR (app/ocr): buttons, API, job
HUKOU_OCR_WAIT_SECONDS = float(os.environ.get("HUKOU_OCR_WAIT_SECONDS", "10"))  # wait for the busy engine, then 503

# Deployment checks (`hukou doctor`, app/doctor)
HUKOU_BACKUP_MAX_AGE_HOURS = int(os.environ.get("HUKOU_BACKUP_MAX_AGE_HOURS", "26"))  # newest backup older: a fault
