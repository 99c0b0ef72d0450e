"""HukouSecurityManager: FAB's SQLA security manager with lockout, audit and a rate-limited API login."""
from __future__ import annotations

import datetime as dt
import logging

from flask import current_app
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserGroupModelView
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..models import LoginLock
from ..models.base import utcnow
from .roles import fab_roles

log = logging.getLogger(__name__)


class HukouGroupModelView(UserGroupModelView):
    """FAB's group screen with labels (FAB leaves its column headers untranslated)."""

    label_columns = {"name": _l("Name"), "label": _l("Label"), "description": _l("Description"),
                     "users": _l("Users"), "roles": _l("Roles")}


class HukouSecurityManager(SecurityManager):
    """Roles come from app.security.roles; failed logins lock the account; every login is audited."""

    groupmodelview = HukouGroupModelView
    userstatschartview = None  # its chart loads Google Charts from the internet; intranets have none

    @staticmethod
    def create_builtin_roles():
        """The seven non-admin roles as anchored builtin-role regexes (Admin stays a DB role with every permission)."""
        return fab_roles()

    def register_views(self) -> None:
        """Register FAB's views, then put the same rate limit on the API login as on the web login."""
        super().register_views()
        api = next((v for v in self.appbuilder.baseviews if v.__class__.__name__ == "SecurityApi"), None)
        if api is not None and getattr(api, "blueprint", None) is not None:
            self.limiter.limit(self.auth_rate_limit, methods=["POST"])(api.blueprint)

    def reset_password(self, userid, password) -> None:
        """Change the password, then end the user's other browser sessions (a thief's copy stops working)."""
        super().reset_password(userid, password)
        from .hooks import revoke_sessions

        revoke_sessions(int(userid), keep_current=True)

    def _lock_row(self, user_id: int) -> LoginLock:
        """The lockout row of a user, created on first use."""
        row = self.session.get(LoginLock, user_id)
        if row is None:
            row = LoginLock(user_id=user_id, failures=0)
            self.session.add(row)
        return row

    def is_locked(self, user) -> bool:
        """True while the account is locked after too many failed logins."""
        until = self.session.scalar(select(LoginLock.locked_until).where(LoginLock.user_id == user.id))
        return bool(until and until > utcnow())

    def auth_user_db(self, username, password):
        """FAB's DB login, refused while the account is locked; counts failures and locks after N in a row."""
        # FAB also accepts the e-mail address as the login name, so the lockout must follow it too.
        user = (self.find_user(username=username) or self.find_user(email=username)) if username else None
        if user is not None and self.is_locked(user):
            self._audit_login(user.username, user.id, False, "locked")
            return None
        result = super().auth_user_db(username, password)
        if result is None and user is None and username:
            self._audit_login(str(username)[:100], None, False, "unknown_user")
        return result

    def on_user_login(self, user) -> None:
        """Reset the failure counter and audit the login."""
        self._lock_row(user.id).failures = 0
        self._audit_login(user.username, user.id, True)

    def on_user_login_failed(self, user) -> None:
        """Count the failure, lock the account after HUKOU_LOCKOUT_FAILURES in a row, audit it."""
        row = self._lock_row(user.id)
        row.failures = (row.failures or 0) + 1
        cfg = current_app.config
        locked = row.failures >= cfg["HUKOU_LOCKOUT_FAILURES"]
        if locked:
            row.locked_until = utcnow() + dt.timedelta(minutes=cfg["HUKOU_LOCKOUT_MINUTES"])
            row.failures = 0
        self._audit_login(user.username, user.id, False, "now_locked" if locked else "bad_password")

    def on_user_logout(self, user) -> None:
        """Audit the logout (the server-side session is revoked by the user_logged_out signal)."""
        from ..audit import record_now

        record_now(self.session, "logout", object_type="User", object_id=user.id,
                   username=user.username, user_id=user.id)

    def _audit_login(self, username: str, user_id: int | None, ok: bool, reason: str | None = None) -> None:
        """Write a login / login_failed audit row and commit it together with the lockout counter."""
        from ..audit import record_now

        record_now(self.session, "login" if ok else "login_failed", object_type="User", object_id=user_id,
                   success=ok, username=username, user_id=user_id,
                   detail={"reason": reason} if reason else None)
