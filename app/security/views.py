"""FAB's security screens and API with our rules: safe `next`, logout by POST, the password policy everywhere,
the current password to change one's own, API tokens that can be revoked."""
from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import abort, flash, g, redirect, request
from flask_appbuilder._compat import as_unicode
from flask_appbuilder.security.api import SecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.sqla.apis.user.api import UserApi
from flask_appbuilder.security.sqla.apis.group.api import GroupApi
from flask_appbuilder.security.views import AuthDBView, RoleModelView, UserDBModelView, UserInfoEditView
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2ManyWidget
from flask_appbuilder.fields import QuerySelectMultipleField
from flask_appbuilder.security.forms import roles_or_groups_required
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.views import expose
from flask_babel import gettext, lazy_gettext as _l
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt, jwt_required
from flask_login import login_user, logout_user
from marshmallow import ValidationError as SchemaError
from sqlalchemy.exc import OperationalError
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from .labels import person_name, role_label, fmt_roles  # noqa: F401 (person_name: templates, views)
from . import tokens
from .hooks import end_browser_session
from .password_views import (HukouResetMyPasswordView, HukouResetPasswordView,  # noqa: F401 (manager)
                             _confirm_field, _password_field, policy_text)


# ---- redirects after login ----

def safe_next(url: str | None) -> str | None:
    """`url` if it is a path on this site ('/…', not '//…'), without backslash or control characters."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    # Browsers drop tabs and newlines inside URLs: '/\t/evil.example' would become '//evil.example'.
    if any(unicodedata.category(ch)[0] in "CZ" for ch in url):
        return None
    parts = urlsplit(url)
    return url if not parts.scheme and not parts.netloc else None


# ---- one 姓名 per person, Chinese role names (app/security/labels.py) ----

def _without_last_name(fieldsets: list) -> list:
    """FAB's fieldsets with the 姓 / 名 pair replaced by the one 姓名 (first_name)."""
    return [(title, {**spec, "fields": [f for f in spec["fields"] if f != "last_name"]}) for title, spec in fieldsets]


def _roles_field() -> QuerySelectMultipleField:
    """The roles of a user, each shown by its Chinese name (户籍管理员), stored as FAB's role rows."""
    from flask import current_app

    def roles():
        sm = current_app.appbuilder.sm
        return sm.session.query(sm.role_model).order_by(sm.role_model.id)

    return QuerySelectMultipleField(_l("Role"), query_func=roles, get_pk_func=lambda r: r.id,
                                    get_label=lambda r: role_label(r.name),
                                    widget=Select2ManyWidget(), validators=[roles_or_groups_required])


class HukouUserDBModelView(UserDBModelView):
    """User screen: one 姓名 field, Chinese role names, and a new user's password must follow the policy."""

    add_form_extra_fields = {"password": _password_field(), "conf_password": _confirm_field(),
                             "roles": _roles_field()}
    edit_form_extra_fields = {"roles": _roles_field()}
    label_columns = {**UserDBModelView.label_columns, "first_name": _l("Full name")}
    description_columns = {**UserDBModelView.description_columns,
                           "first_name": _l("The person's name as on their ID card, e.g. 刘芳")}
    list_columns = ["first_name", "username", "email", "active", "roles"]
    show_fieldsets = _without_last_name(UserDBModelView.show_fieldsets)
    user_show_fieldsets = _without_last_name(UserDBModelView.user_show_fieldsets)
    search_columns = [c for c in UserDBModelView.search_columns if c != "last_name"]
    add_columns = [c for c in UserDBModelView.add_columns if c != "last_name"]
    edit_columns = [c for c in UserDBModelView.edit_columns if c != "last_name"]
    formatters_columns = {"roles": fmt_roles}

    def prefill_form(self, form, pk) -> None:
        """An older account's surname and given name are shown together as its one 姓名."""
        user = self.datamodel.get(pk)
        if user is not None and user.last_name:
            form.first_name.data = person_name(user)

    def pre_add(self, item) -> None:
        """The 姓名 lives in first_name; last_name (NOT NULL in FAB) stays empty."""
        item.last_name = ""
        super().pre_add(item)

    def pre_update(self, item) -> None:
        """As pre_add: the edited 姓名 already includes any surname an older account kept apart."""
        item.last_name = ""
        super().pre_update(item)


class UserInfoEditForm(DynamicForm):
    """A user edits their own 姓名 (one field)."""

    first_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=64)],
                             widget=BS3TextFieldWidget())


class HukouUserInfoEditView(UserInfoEditView):
    """「编辑个人资料」: one 姓名 instead of FAB's first and last name."""

    form = UserInfoEditForm
    route_base = "/userinfoeditview"  # FAB's address, whatever the class is called

    def form_get(self, form) -> None:
        """The current 姓名 (surname included for older accounts)."""
        form.first_name.data = person_name(self.appbuilder.sm.get_user_by_id(g.user.id))

    def form_post(self, form) -> None:
        """Store the 姓名 in first_name, with last_name emptied."""
        item = self.appbuilder.sm.get_user_by_id(g.user.id)
        item.first_name, item.last_name = form.first_name.data.strip(), ""
        self.appbuilder.sm.update_user(item)
        flash(as_unicode(self.message), "info")


class HukouGroupApi(GroupApi):
    """FAB's group API without search on related columns (roles.name …), which FAB cannot filter and warns about
    at every start ("Filter type not supported")."""

    search_columns = ["id", "name", "label", "description"]


class HukouUserApi(UserApi):
    """/api/v1/security/users: the password policy (with the user name) on create and update (400)."""

    def _check(self, item, password: str | None) -> None:
        """Refuse a password breaking the policy, leaving nothing changed in the session."""
        problem = policy_text(password, item.username) if password else None
        if problem:
            self.datamodel.session.rollback()  # the plain-text password was already set on the object
            raise SchemaError({"password": [problem]})

    def pre_add(self, item) -> None:
        self._check(item, item.password)
        super().pre_add(item)

    def pre_update(self, item, data) -> None:
        self._check(item, data.get("password"))
        super().pre_update(item, data)


# ---- web login and logout ----

class HukouAuthDBView(AuthDBView):
    """Login with a same-site `next` only; logout by POST (GET shows a confirmation page)."""

    logout_template = "logout_confirm.html"

    def _next_url(self) -> str:
        """Where to go after login: a safe ?next= or the home page."""
        return safe_next(request.args.get("next")) or self.appbuilder.get_url_for_index

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        """FAB's DB login with the stricter `next` check."""
        next_url = self._next_url()
        if g.user is not None and g.user.is_authenticated:
            return redirect(next_url)
        form = LoginForm_db()
        if form.validate_on_submit():
            user = self.appbuilder.sm.auth_user_db(form.username.data, form.password.data)
            if not user:
                flash(as_unicode(self.invalid_login_message), "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            login_user(user, remember=False)
            return redirect(next_url)
        return self.render_template(self.login_template, title=self.title, form=form, appbuilder=self.appbuilder)

    @expose("/logout/", methods=["GET", "POST"])
    def logout(self):
        """GET: a confirmation page (a cross-site link cannot sign anyone out); POST: sign out for real."""
        user = self._get_authenticated_user()
        if request.method == "GET":
            if user is None:
                return redirect(self.appbuilder.get_url_for_login)
            return self.render_template(self.logout_template, title=_l("Sign out"), appbuilder=self.appbuilder)
        try:
            end_browser_session(user.id if user else None)
        except OperationalError:  # still busy after the retries: say so rather than pretend to have signed out
            abort(503, description=gettext("The database is busy and you are still signed in; please sign out again"))
        logout_user()
        if user is not None:
            self.appbuilder.sm.on_user_logout(user)
        return redirect(self.appbuilder.get_url_for_login)


# ---- API tokens ----

class HukouSecurityApi(SecurityApi):
    """/api/v1/security: login and refresh issue revocable tokens; logout revokes the caller's login."""

    @expose("/login", methods=["POST"])
    def login(self):
        """Login endpoint for the API: a JWT access token and, with refresh=true, a refresh token (≤ 7 days).
        ---
        post:
          description: >-
            Authenticate and get a JWT access and refresh token
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    username:
                      type: string
                    password:
                      type: string
                    provider:
                      type: string
                      enum:
                      - db
                    refresh:
                      type: boolean
          responses:
            200:
              description: Authentication Successful
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token:
                        type: string
                      refresh_token:
                        type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
        """
        from flask_appbuilder.security.schemas import login_post

        if not request.is_json:
            return self.response_400(message=gettext("The request body must be JSON"))
        try:
            payload = login_post.load(request.json)
        except SchemaError as error:
            return self.response_400(message=error.messages)
        if payload["provider"] != "db":
            return self.response_400(message={"provider": [gettext("Unsupported sign-in provider")]})
        user = self.appbuilder.sm.auth_user_db(payload["username"], payload["password"])
        if not user:
            return self.response_401()
        claims = tokens.new_claims()
        out = {"access_token": create_access_token(identity=str(user.id), fresh=True, additional_claims=claims)}
        if payload.get("refresh"):
            out["refresh_token"] = create_refresh_token(identity=str(user.id), additional_claims=claims)
        return self.response(200, **out)

    @expose("/refresh", methods=["POST"])
    @jwt_required(refresh=True)
    def refresh(self):
        """A new access token from a refresh token (same login: revoked together).
        ---
        post:
          description: >-
            Use the refresh token to get a new JWT access token
          responses:
            200:
              description: Refresh Successful
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      access_token:
                        type: string
            401:
              $ref: '#/components/responses/401'
          security:
            - jwt_refresh: []
        """
        current = get_jwt()
        claims = tokens.new_claims(current.get(tokens.FAMILY))
        return self.response(200, access_token=create_access_token(identity=current["sub"], fresh=False,
                                                                   additional_claims=claims))

    @expose("/logout", methods=["POST"])
    @jwt_required(verify_type=False)
    def logout(self):
        """Revoke the calling token and the other tokens of its login (its refresh token too).
        ---
        post:
          description: >-
            Revoke the access token (or refresh token) sent, and every token of the same login
          responses:
            200:
              description: Signed out
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
            401:
              $ref: '#/components/responses/401'
          security:
            - jwt: []
        """
        return self.response(200, message=self.appbuilder.sm.api_logout(get_jwt()))


class HukouRoleModelView(RoleModelView):
    """FAB's role screen, searched by name only (its user/group filters had no Chinese labels)."""

    label_columns = {**RoleModelView.label_columns, "user": _l("Users"), "groups": _l("Groups")}
    search_columns = ["name"]
