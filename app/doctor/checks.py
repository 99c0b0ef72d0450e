"""Checks of this server: secret key, cookies, database and schema, clock and zone, calendar, backups."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext
from sqlalchemy import select, text

from . import ERROR, OK, SKIPPED, WARNING, Finding

ROOT = Path(__file__).resolve().parent.parent.parent
# Keys that shipped in examples or frameworks: anyone can sign a session cookie with them.
KNOWN_KEYS = frozenset({"", "change-me", "changeme", "secret", "dev", "development", "test", "please-change-me",
                        "\2\1thisismyscretkey\1\2\\e\\y\\y\\h", "CHANGE-ME-64-hex-characters"})
MIN_KEY_LENGTH = 32
OFFICE_OFFSET = dt.timedelta(hours=8)
MAX_CLOCK_SKEW_SECONDS = 30


def _name(msgid: str) -> str:
    """A check's name in the user's language."""
    return gettext(msgid)


def in_git(secret: str, root: Path = ROOT) -> bool:
    """Whether `secret` is in a tracked file or anywhere in the history of the git checkout at `root`."""
    if not (root / ".git").exists() or len(secret) < 8:
        return False
    try:
        tracked = subprocess.run(["git", "-C", str(root), "grep", "-q", "-F", "-e", secret], timeout=30,
                                 capture_output=True)
        if tracked.returncode == 0:
            return True
        history = subprocess.run(["git", "-C", str(root), "log", "--all", "--oneline", "-1", "-S", secret],
                                 timeout=60, capture_output=True, text=True)
        return bool(history.stdout.strip())
    except (OSError, subprocess.SubprocessError):  # no git binary: nothing to compare with
        return False


def secret_key(app) -> list[Finding]:
    """SECRET_KEY: long, not a known default, not in git, the same on every server."""
    name, key = _name("Secret key"), str(app.config.get("SECRET_KEY") or "")
    fix = gettext("Set HUKOU_SECRET_KEY to a new random value (python -c \"import secrets; "
                  "print(secrets.token_hex(32))\") in the environment file of every server, never in git")
    if key in KNOWN_KEYS or len(key) < MIN_KEY_LENGTH:
        return [Finding(name, ERROR, gettext("SECRET_KEY is a known default or shorter than %(n)s characters: "
                                             "anyone could forge a session", n=MIN_KEY_LENGTH), fix)]
    if in_git(key):
        return [Finding(name, ERROR, gettext("SECRET_KEY appears in the git repository: everyone with the "
                                             "code can forge sessions"), fix)]
    kept = Path(app.config.get("HUKOU_INSTANCE_DIR", "")) / "secret_key"
    if not os.environ.get("HUKOU_SECRET_KEY") and kept.is_file() and kept.read_text().strip() == key:
        return [Finding(name, WARNING, gettext("SECRET_KEY was generated into %(path)s: a second app server "
                                               "would make its own and sign users out", path=kept), fix)]
    return [Finding(name, OK, gettext("SECRET_KEY is set, long enough and not in git"))]


def cookies(app) -> list[Finding]:
    """Behind TLS, session cookies must be HTTPS-only; debug mode must be off."""
    name, cfg = _name("Cookies and TLS"), app.config
    found = []
    if cfg.get("DEBUG") or app.debug:
        found.append(Finding(name, ERROR, gettext("Debug mode is on: a crash page would show code and settings"),
                             gettext("Do not set FLASK_DEBUG on a server")))
    behind_tls = str(cfg.get("HUKOU_BASE_URL") or "").startswith("https://") or \
        int(cfg.get("HUKOU_TRUSTED_PROXIES") or 0) > 0
    if behind_tls and not cfg.get("SESSION_COOKIE_SECURE"):
        found.append(Finding(name, ERROR, gettext("The site is served through HTTPS but cookies may also travel "
                                                  "over plain HTTP"),
                             gettext("Set HUKOU_SECURE_COOKIES=1")))
    elif not behind_tls:
        found.append(Finding(name, WARNING, gettext("No reverse proxy with TLS is configured "
                                                    "(HUKOU_TRUSTED_PROXIES=0): passwords travel unencrypted "
                                                    "unless the network is trusted"),
                             gettext("Put the app behind nginx with HTTPS (deploy/nginx-hukou.conf), then set "
                                     "HUKOU_TRUSTED_PROXIES=1 and HUKOU_SECURE_COOKIES=1")))
    return found or [Finding(name, OK, gettext("Cookies are HTTPS-only and debug mode is off"))]


def _heads(url: str) -> set[str]:
    """The revisions the code's migrations end in."""
    from alembic.script import ScriptDirectory

    from ..db import alembic_config

    return set(ScriptDirectory.from_config(alembic_config(url)).get_heads())


def database(app) -> list[Finding]:
    """Reachable, migrated to the code's schema, and (PostgreSQL) on the same clock as this server."""
    from alembic.runtime.migration import MigrationContext

    from ..extensions import db

    name, url = _name("Database"), app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        with db.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
            db_now = conn.execute(text("SELECT now()")).scalar() if conn.dialect.name == "postgresql" else None
    except Exception as err:  # noqa: BLE001  (any driver error means: not reachable)
        return [Finding(name, ERROR, gettext("The database cannot be reached: %(error)s",
                                             error=str(getattr(err, "orig", err)).splitlines()[0][:200]),
                        gettext("Check DATABASE_URL, that PostgreSQL runs and that this server may connect"))]
    wanted = _heads(url)
    if current != wanted:
        return [Finding(name, ERROR, gettext("The database schema is at %(current)s, the code needs %(wanted)s",
                                             current=",".join(sorted(current)) or gettext("(empty)"),
                                             wanted=",".join(sorted(wanted))),
                        gettext("Run flask --app run hukou init once for this release (it migrates)"))]
    found = [Finding(name, OK, gettext("%(kind)s reachable, schema at the newest revision %(rev)s",
                                       kind=db.engine.dialect.name, rev=",".join(sorted(wanted))))]
    if db_now is not None:
        skew = abs(db_now.timestamp() - time.time())
        if skew > MAX_CLOCK_SKEW_SECONDS:
            found.append(Finding(name, ERROR, gettext("This server's clock differs from the database server's by "
                                                      "%(s)s seconds", s=int(skew)),
                                 gettext("Synchronise the clocks of all servers (chrony or systemd-timesyncd)")))
    return found


def office_zone_problem(zone_name: str, when: dt.datetime) -> str | None:
    """None when the zone exists and is UTC+8 (China) at `when`, else the reason (a msgid)."""
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        return "unknown"
    return None if when.astimezone(zone).utcoffset() == OFFICE_OFFSET else "offset"


def clock_zone(app) -> list[Finding]:
    """The office's zone (BABEL_DEFAULT_TIMEZONE) decides 'today', due dates and the daily reminders."""
    name, zone_name = _name("Time zone"), str(app.config.get("BABEL_DEFAULT_TIMEZONE") or "")
    problem = office_zone_problem(zone_name, dt.datetime.now(dt.timezone.utc))
    if problem is None:
        return [Finding(name, OK, gettext("Office time zone %(zone)s (UTC+8)", zone=zone_name))]
    return [Finding(name, ERROR, gettext("The office time zone %(zone)s is not China's (UTC+8): due dates and "
                                         "\"today\" would be wrong", zone=zone_name or "-"),
                    gettext("Leave BABEL_DEFAULT_TIMEZONE at Asia/Shanghai"))]


def years_to_require(today: dt.date) -> tuple[list[int], list[int]]:
    """(years that must have the official calendar, years that should already): the current year always; the
    coming one is published in November, so it should be there then and must be from December on."""
    must, should = [today.year], []
    if today.month == 12:
        must.append(today.year + 1)
    elif today.month == 11:
        should.append(today.year + 1)
    return must, should


def calendar(app) -> list[Finding]:
    """The working-day calendar holds the official data of this year and, late in the year, the next."""
    from .. import clock

    name = _name("Holiday calendar")
    try:
        from ..calendar.workdays import years_without_data
    except ImportError:
        return [Finding(name, SKIPPED, gettext("This version has no working-day calendar"))]
    must, should = years_to_require(clock.today())
    missing = years_without_data(must)
    late = years_without_data(should)
    fix = gettext("Import the State Council's holiday schedule for the year (flask --app run hukou calendar "
                  "import FILE, or the calendar page under Settings)")
    if missing:
        return [Finding(name, ERROR, gettext("No official holiday schedule for %(years)s: working days are "
                                             "counted from weekends and statutory days only",
                                             years=", ".join(map(str, missing))), fix)]
    if late:
        return [Finding(name, WARNING, gettext("No official holiday schedule for %(years)s yet",
                                               years=", ".join(map(str, late))), fix)]
    return [Finding(name, OK, gettext("Official holiday schedule present for %(years)s",
                                      years=", ".join(map(str, must + should))))]


def backup_problem(last: dt.datetime | None, now: dt.datetime, max_hours: int) -> float | None:
    """None when the newest successful backup is at most `max_hours` old, else its age in hours (inf: none)."""
    if last is None:
        return float("inf")
    age = (now - last).total_seconds() / 3600
    return None if age <= max_hours else age


def backups(app) -> list[Finding]:
    """The newest successful `hukou backup` (it leaves an audit row) is recent; pg_dump is installed."""
    import shutil

    from .. import clock
    from ..extensions import db
    from ..models import AuditLog

    name, max_hours = _name("Backups"), int(app.config.get("HUKOU_BACKUP_MAX_AGE_HOURS", 26))
    found = []
    if db.engine.dialect.name == "postgresql" and not shutil.which("pg_dump"):
        found.append(Finding(name, ERROR, gettext("pg_dump is not installed: hukou backup cannot work"),
                             gettext("Install the PostgreSQL client tools (apt install postgresql-client)")))
    last = db.session.scalar(select(AuditLog.at).where(AuditLog.action == "backup", AuditLog.success.is_(True))
                             .order_by(AuditLog.at.desc()).limit(1))
    db.session.rollback()
    age = backup_problem(last, clock.utcnow(), max_hours)
    fix = gettext("Enable the backup timer (deploy/hukou-backup.timer) and check its log: journalctl -u "
                  "hukou-backup")
    if age == float("inf"):
        found.append(Finding(name, ERROR, gettext("No successful backup has ever been recorded"), fix))
    elif age is not None:
        found.append(Finding(name, ERROR, gettext("The newest successful backup is %(h)s hours old (limit "
                                                  "HUKOU_BACKUP_MAX_AGE_HOURS=%(max)s)", h=int(age), max=max_hours),
                             fix))
    else:
        found.append(Finding(name, OK, gettext("Newest successful backup at %(at)s",
                                               at=clock.local(last).strftime("%Y-%m-%d %H:%M"))))
    return found
