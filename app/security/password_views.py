"""The password policy on every screen that sets a password: admin reset, own change (current password first)."""
from __future__ import annotations

from flask import flash, g, request
from flask_appbuilder._compat import as_unicode
from flask_appbuilder.fieldwidgets import BS3PasswordFieldWidget
from flask_appbuilder.forms import DynamicForm
from flask_appbuilder.security.views import ResetMyPasswordView, ResetPasswordView
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound
from werkzeug.security import check_password_hash
from wtforms import PasswordField
from wtforms.validators import DataRequired, EqualTo, ValidationError

from ..i18n import render
from . import passwords


# ---- the password policy in forms ----

def policy_text(password: str | None, username: str | None) -> str | None:
    """The translated reasons a password is refused, or None."""
    found = passwords.problems(password, username)
    return "；".join(render(m) for m in found) if found else None


class PasswordPolicy:
    """WTForms validator: the policy, with the user name taken from the form or given by a callable."""

    def __init__(self, username=None):
        self.username = username

    def __call__(self, form, field) -> None:
        name = self.username() if callable(self.username) else getattr(getattr(form, "username", None), "data", None)
        problem = policy_text(field.data, name)
        if problem:
            raise ValidationError(problem)


def _password_field(username=None) -> PasswordField:
    """The 'new password' field of every screen that sets a password."""
    return PasswordField(_l("Password"), description=_l("At least 10 characters, not the user name, "
                                                         "not a common password"),
                         validators=[DataRequired(), PasswordPolicy(username)], widget=BS3PasswordFieldWidget())


def _confirm_field() -> PasswordField:
    """The 'confirm password' field next to it."""
    return PasswordField(_l("Confirm Password"), description=_l("Please rewrite the password to confirm"),
                         validators=[EqualTo("password", message=_l("Passwords must match"))],
                         widget=BS3PasswordFieldWidget())



def _target_username() -> str | None:
    """The user name of the user whose password the admin resets (?pk=…)."""
    from flask import current_app

    user = current_app.appbuilder.sm.get_user_by_id(request.args.get("pk", type=int))
    return user.username if user else None


class ResetPasswordPolicyForm(DynamicForm):
    """An admin sets another user's password."""

    password = _password_field(_target_username)
    conf_password = _confirm_field()


class HukouResetPasswordView(ResetPasswordView):
    """Admin resets a user's password: the policy applies; an unknown user is a 404."""

    form = ResetPasswordPolicyForm

    def _user_or_404(self):
        """The user of ?pk=, or 404 (FAB would fail with a 500)."""
        user = self.appbuilder.sm.get_user_by_id(request.args.get("pk", type=int))
        if user is None:
            raise NotFound()
        return user

    def form_get(self, form) -> None:
        self._user_or_404()

    def form_post(self, form) -> None:
        user = self._user_or_404()
        self.appbuilder.sm.reset_password(user.id, form.password.data)
        flash(as_unicode(self.message), "info")


def _current_username() -> str | None:
    """The signed-in user's name."""
    return getattr(g.user, "username", None)


def _check_current_password(form, field) -> None:
    """The current password must be given to change one's own."""
    if not field.data or not check_password_hash(g.user.password or "", field.data):
        raise ValidationError(_l("The current password is not correct"))


class ResetMyPasswordForm(DynamicForm):
    """A user changes their own password: current password first."""

    old_password = PasswordField(_l("Current password"), validators=[DataRequired(), _check_current_password],
                                 widget=BS3PasswordFieldWidget())
    password = _password_field(_current_username)
    conf_password = _confirm_field()


class HukouResetMyPasswordView(ResetMyPasswordView):
    """A user changes their own password (asks for the current one; policy applies)."""

    form = ResetMyPasswordForm
