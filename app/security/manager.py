"""HukouSecurityManager: FAB's SQLA security manager with lockout, audit, one login rate limit, the password
policy, revocable API tokens and our security screens (app/security/views.py, password_views.py)."""
from __future__ import annotations

import datetime as dt
import logging
import secrets

from flask import current_app, g, has_request_context, request
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import UserGroupModelView
from flask_babel import gettext, lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..models import LoginLock
from ..models.base import utcnow
from . import passwords, tokens, views
from .roles import fab_roles

log = logging.getLogger(__name__)

LOGIN_SCOPE = "hukou-login"  # one counter per client IP for the web and the API login


class HukouGroupModelView(UserGroupModelView):
    """FAB's group screen with labels (FAB leaves its column headers untranslated)."""

    label_columns = {"name": _l("Name"), "label": _l("Label"), "description": _l("Description"),
                     "users": _l("Users"), "roles": _l("Roles")}


# Our subclasses keep FAB's permission names, so roles and existing databases need no change.
class HukouUserDBModelView(views.HukouUserDBModelView):
    class_permission_name = "UserDBModelView"


class HukouResetPasswordView(views.HukouResetPasswordView):
    class_permission_name = "ResetPasswordView"


class HukouResetMyPasswordView(views.HukouResetMyPasswordView):
    class_permission_name = "ResetMyPasswordView"


class HukouUserInfoEditView(views.HukouUserInfoEditView):
    class_permission_name = "UserInfoEditView"


# Keeps FAB's class (and so endpoint) name: url_for("RoleModelView.…") and the i18n crawl's list of FAB's
# code-identifier screens (its add/edit forms pick FAB permissions by their code names) stay as they were.
class RoleModelView(views.HukouRoleModelView):
    class_permission_name = "RoleModelView"


def printable(text: str | None, limit: int = 100) -> str:
    """A user-typed name safe for one audit cell: the audit trail's own escaping of control and bidi characters."""
    from ..audit import clean_text

    return clean_text(text or "", limit)


def _fab_password_check(password: str) -> None:
    """FAB's own password validators (any screen we did not replace) apply our policy without the name."""
    problem = views.policy_text(password, None)
    if problem:
        raise PasswordComplexityValidationError(problem)


def _login_failed(_response) -> bool:
    """Only failed guesses count towards the per-IP login limit (a busy office may sign in freely)."""
    return bool(g.get("hk_login_failed"))


class HukouSecurityManager(SecurityManager):
    """Roles come from app.security.roles; failed logins lock the account; every login is audited."""

    groupmodelview = HukouGroupModelView
    userdbmodelview = HukouUserDBModelView
    resetpasswordview = HukouResetPasswordView
    resetmypasswordview = HukouResetMyPasswordView
    userinfoeditview = HukouUserInfoEditView
    rolemodelview = RoleModelView
    group_api = views.HukouGroupApi  # no "Filter type not supported" warnings at start
    authdbview = views.HukouAuthDBView
    security_api = views.HukouSecurityApi
    user_api = views.HukouUserApi
    userstatschartview = None  # its chart loads Google Charts from the internet; intranets have none

    def __init__(self, appbuilder):
        super().__init__(appbuilder)
        cfg = current_app.config
        cfg["FAB_PASSWORD_COMPLEXITY_ENABLED"] = True
        cfg["FAB_PASSWORD_COMPLEXITY_VALIDATOR"] = _fab_password_check
        # Unknown, inactive and locked accounts are checked against a hash of the configured method, so
        # they take as long as a wrong password for a real account (and stay cheap in tests).
        cfg["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"] = self.hash_password(secrets.token_urlsafe(16))

    @staticmethod
    def hash_password(password: str) -> str:
        """A password hash with the configured method (FAB_PASSWORD_HASH_METHOD)."""
        cfg = current_app.config
        return generate_password_hash(password, method=cfg.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                      salt_length=cfg.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))

    @staticmethod
    def create_builtin_roles():
        """The seven non-admin roles as anchored builtin-role regexes (Admin stays a DB role with every permission)."""
        return fab_roles()

    def create_jwt_manager(self, app):
        """FAB's JWT manager, refusing revoked tokens."""
        jwt_manager = super().create_jwt_manager(app)
        tokens.install(jwt_manager)
        return jwt_manager

    @property
    def is_auth_limited(self) -> bool:
        """FAB would give the web login a limit of its own; register_views puts one shared limit on both."""
        return False

    def register_views(self) -> None:
        """Register FAB's views, then one per-IP limit of failed guesses shared by the web and API logins."""
        super().register_views()
        if not current_app.config.get("AUTH_RATE_LIMITED", True):
            return
        api = next((v for v in self.appbuilder.baseviews if isinstance(v, views.HukouSecurityApi)), None)
        blueprints = [v.blueprint for v in (self.auth_view, api) if v is not None]
        logins = {f"{bp.name}.login" for bp in blueprints}
        for bp in blueprints:
            self.limiter.shared_limit(self.auth_rate_limit, scope=LOGIN_SCOPE, methods=["POST"],
                                      exempt_when=lambda: request.endpoint not in logins,
                                      deduct_when=_login_failed)(bp)

    def add_user(self, username, first_name, last_name, email, role=None, password="", hashed_password="",
                 **kwargs):
        """FAB's add_user; a plain-text password must follow the policy (CLI, bootstrap, scripts)."""
        if password and not hashed_password:
            passwords.check(password, username)
        return super().add_user(username, first_name, last_name, email, role, password=password,
                                hashed_password=hashed_password, **kwargs)

    def get_user_by_id(self, pk):
        """The user with its roles, groups and the groups' roles in one statement (FAB: three, on every request)."""
        from .hooks import remember_login_session, with_login_session

        user_model = self.user_model
        stmt = select(user_model).where(user_model.id == pk).options(
            joinedload(user_model.roles), joinedload(user_model.groups).joinedload(self.group_model.roles))
        stmt, token_hash = with_login_session(stmt, user_model, pk)
        if token_hash is None:
            return self.session.scalars(stmt).unique().first()
        row = self.session.execute(stmt).unique().first()  # the browser session's row comes along (hooks)
        if row is None:
            return None
        remember_login_session(token_hash, row)
        return row[0]

    def _has_access_builtin_roles(self, role, permission_name: str, view_name: str) -> bool:
        """FAB's regex match of a role declared in code (fixed for the life of the process), remembered per
        (role, permission, view): the menu alone asks it for every item on every page."""
        memo = self.__dict__.setdefault("hk_builtin_access", {})
        key = (role.name, permission_name, view_name)
        if key not in memo:
            memo[key] = super()._has_access_builtin_roles(role, permission_name, view_name)
        return memo[key]

    def is_item_public(self, permission_name, view_name) -> bool:
        """FAB's check whether the Public role grants this, asked before every API call: one statement per request
        (FAB reads the role, then its permissions, on each call)."""
        return (view_name, permission_name) in self._public_permissions()

    def _public_permissions(self) -> frozenset[tuple[str, str]]:
        """The (view, permission) names the Public role holds in the database, read once per request."""
        cached = g.get("hk_public_permissions") if has_request_context() else None
        if cached is None:
            pv = self.permissionview_model
            stmt = (select(self.viewmenu_model.name, self.permission_model.name)
                    .join_from(self.role_model, self.role_model.permissions)
                    .join(pv.permission).join(pv.view_menu).where(self.role_model.name == self.auth_role_public))
            cached = frozenset(tuple(row) for row in self.session.execute(stmt))
            if has_request_context():
                g.hk_public_permissions = cached
        return cached

    def reset_password(self, userid, password) -> None:
        """Change a password (policy checked again here); the other sessions and API tokens of the account
        end in the same transaction (hooks._on_user_change)."""
        user = self.get_user_by_id(userid)
        passwords.check(password, user.username if user else None)
        super().reset_password(userid, password)

    def _lock_row(self, user_id: int) -> LoginLock:
        """The lockout row of a user, created on first use."""
        row = self.session.get(LoginLock, user_id)
        if row is None:
            # Two first logins of one account at once (two servers, two tabs) must not both INSERT it: the
            # loser of the race would get a 500 from the primary key (seen in bench/load.py --office).
            dialect = self.session.get_bind().dialect.name
            if dialect == "postgresql":
                from sqlalchemy.dialects.postgresql import insert as upsert
            else:
                from sqlalchemy.dialects.sqlite import insert as upsert
            self.session.execute(upsert(LoginLock).values(user_id=user_id, failures=0).on_conflict_do_nothing())
            row = self.session.get(LoginLock, user_id, populate_existing=True)
        return row

    def is_locked(self, user) -> bool:
        """True while the account is locked after too many failed logins."""
        until = self.session.scalar(select(LoginLock.locked_until).where(LoginLock.user_id == user.id))
        return bool(until and until > utcnow())

    def _mark_failed(self) -> None:
        """Tell the login rate limit that this request was a failed guess."""
        if has_request_context():
            g.hk_login_failed = True

    def auth_user_db(self, username, password):
        """FAB's DB login, refused while the account is locked; counts failures and locks after N in a row."""
        # FAB also accepts the e-mail address as the login name, so the lockout must follow it too.
        user = (self.find_user(username=username) or self.find_user(email=username)) if username else None
        if user is not None and self.is_locked(user):
            # Same work as a wrong password, so the lock does not show in the answer time.
            check_password_hash(user.password or current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"],
                                password or "")
            self._audit_login(user.username, user.id, False, "locked")
            self._mark_failed()
            return None
        result = super().auth_user_db(username, password)
        if result is None:
            self._mark_failed()
            if user is None and username:
                self._audit_login(username, None, False, "unknown_user")
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
        """Audit the logout (the view revoked the server-side session and API tokens before)."""
        from .actor import request_unit

        with request_unit() as uow:
            uow.record("logout", object_type="User", object_id=user.id, username=user.username, user_id=user.id)

    def api_logout(self, payload: dict) -> str:
        """POST /api/v1/security/logout: revoke the caller's API login (access and refresh tokens), audited."""
        from ..uow import unit_of_work
        from .actor import current_actor

        user_id = int(payload["sub"])
        user = self.get_user_by_id(user_id)
        with unit_of_work(current_actor()) as uow:
            conn = uow.session.connection()
            if payload.get(tokens.FAMILY):
                tokens.revoke_family(conn, payload[tokens.FAMILY])
            else:  # a token from before families existed: end all of the user's tokens
                tokens.revoke_user(conn, user_id)
            audit.record(uow.session, "logout", object_type="User", object_id=user_id, user_id=user_id,
                         username=user.username if user else None, detail={"via": "api"})
        return gettext("Signed out")

    def _audit_login(self, username: str, user_id: int | None, ok: bool, reason: str | None = None) -> None:
        """Write a login / login_failed audit row in one unit of work with the lockout counter."""
        from .actor import request_unit

        with request_unit() as uow:
            uow.record("login" if ok else "login_failed", object_type="User", object_id=user_id, success=ok,
                       username=printable(username), user_id=user_id, detail={"reason": reason} if reason else None)
