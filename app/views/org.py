"""Departments (服务处所) and the Admin-only links: approver → departments, employee → own resident."""
from __future__ import annotations

from flask import abort
from flask_appbuilder import expose
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import has_access
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms import BooleanField
from wtforms.validators import DataRequired

from ..services.org import check_department_deletable, check_department_unique
from ..web.labels import DEPARTMENT_LABELS
from ..dao import visible
from ..security.actor import current_actor
from ..security.labels import person_name
from ..domain.errors import DomainError, Message, N_
from ..extensions import db
from ..i18n import render_error
from ..models import Application, Department, Resident, User, UserDepartment, UserResident
from ..security.roles import resource_permissions
from . import formatters as f
from .base import HukouInterface, HukouModelView
from .lookup import ResidentPickerField

LABELS = DEPARTMENT_LABELS


class ShownError(Exception):
    """A DomainError already rendered in the user's language, for FAB hooks that flash str(exception)."""

    def __init__(self, err: DomainError):
        super().__init__(render_error(err))
        self.error = err


def department_facts(dept_id: int) -> tuple[int, list[str]]:
    """(residents of the department the current user may see, usernames of its approvers)."""
    count = db.session.scalar(
        visible(Resident, current_actor()).where(Resident.department_id == dept_id).with_only_columns(func.count(Resident.id)))
    approvers = db.session.scalars(
        select(User.username).join(UserDepartment, UserDepartment.user_id == User.id)
        .where(UserDepartment.department_id == dept_id).order_by(User.username))
    return count or 0, list(approvers)


class DepartmentView(HukouModelView):
    """Departments: HR and Admin write, every role with Department read sees them; delete is guarded."""

    datamodel = HukouInterface(Department)
    class_permission_name = "Department"
    base_permissions = resource_permissions("Department")
    list_title = _l("Departments")
    show_title = _l("Department")
    add_title = _l("Add department")
    edit_title = _l("Edit department")
    label_columns = LABELS
    list_columns = ["code", "name", "active"]
    show_columns = ["code", "name", "active", "created_on", "changed_on"]
    add_columns = edit_columns = ["code", "name", "active"]
    search_columns = ["code", "name", "active"]
    order_columns = ["code", "name", "active"]
    base_order = ("code", "asc")
    formatters_columns = {"created_on": f.fmt_date, "changed_on": f.fmt_date}
    # FAB makes a NOT NULL boolean DataRequired, which would forbid unticking it
    add_form_extra_fields = {"active": BooleanField(_l("Active"), default=True)}
    edit_form_extra_fields = {"active": BooleanField(_l("Active"))}
    show_template = "org_department_show.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):
        """FAB's show page plus the department's resident count and approvers."""
        item = self.visible_item(pk)
        if item is None:
            abort(404)
        count, approvers = department_facts(item.id)
        actor = current_actor()
        if not (actor.unit_wide or item.id in actor.department_ids):
            approvers = None  # who approves another department is none of an approver's business
        return self.render_template(self.show_template, pk=pk, title=self.show_title,
                                    widgets=self._show(pk), related_views=self._related_views,
                                    resident_count=count, approvers=approvers)

    def pre_delete(self, item: Department) -> None:
        """A department with residents or applications stays (Chinese message flashed by FAB)."""
        try:
            check_department_deletable(item)
        except DomainError as err:
            raise ShownError(err) from err


def _user_label(user) -> str:
    """'username (full name)' for dropdowns and lists."""
    return f"{user.username}（{person_name(user)}）"


class UserDepartmentView(HukouModelView):
    """Admin: which departments a DeptApprover approves (rows are added and removed, never edited)."""

    datamodel = SQLAInterface(UserDepartment)  # composite key: FAB's own COUNT, not HukouInterface's
    class_permission_name = "UserDepartment"
    base_filters: list = []  # link rows are not row-scoped; the permission is Admin's alone
    base_permissions = resource_permissions("UserDepartment")
    exclude_route_methods = {"edit"}
    list_title = _l("Approver departments")
    show_title = _l("Approver department")
    add_title = _l("Assign an approver to a department")
    label_columns = LABELS
    list_columns = show_columns = add_columns = ["user", "department"]
    search_columns = ["user", "department"]
    order_columns: list[str] = []
    formatters_columns = {"user": lambda u: _user_label(u) if u else ""}

    def pre_add(self, item: UserDepartment) -> None:
        """One link per user and department, with a message naming both."""
        if item.user is None or item.department is None:
            return
        with db.session.no_autoflush:
            exists = db.session.get(UserDepartment, (item.user.id, item.department.id)) is not None
        if exists:
            raise ShownError(DomainError(Message("approver_exists", N_(
                "%(user)s is already an approver of %(department)s"),
                {"user": item.user.username, "department": item.department.name})))


class UserResidentView(HukouModelView):
    """Admin: the resident record that is an employee user's own (one per user, one user per resident)."""

    datamodel = SQLAInterface(UserResident)
    class_permission_name = "UserResident"
    base_filters: list = []
    base_permissions = resource_permissions("UserResident")
    list_title = _l("Employee residents")
    show_title = _l("Employee resident")
    add_title = _l("Link a user to their resident record")
    edit_title = _l("Change the linked resident")
    label_columns = LABELS
    list_columns = show_columns = add_columns = ["user", "resident"]
    edit_columns = ["resident"]
    search_columns = ["user"]
    order_columns: list[str] = []
    formatters_columns = {"user": lambda u: _user_label(u) if u else ""}
    add_form_extra_fields = {"resident": ResidentPickerField(_l("Resident name"), validators=[DataRequired()])}
    edit_form_extra_fields = add_form_extra_fields

    def _check_unique(self, item: UserResident, adding: bool) -> None:
        """A user links to one resident and a resident to one user; messages name them."""
        if adding and item.user is not None and db.session.get(UserResident, item.user.id) is not None:
            raise ShownError(DomainError(Message("user_already_linked", N_(
                "%(user)s is already linked to a resident"), {"user": item.user.username})))
        if item.resident is None:
            return
        with db.session.no_autoflush:  # the edited row must not be flushed (and collide) before the check
            other = db.session.scalar(select(UserResident).where(UserResident.resident_id == item.resident.id))
        if other is not None and (item.user is None or other.user_id != item.user.id):
            raise ShownError(DomainError(Message("resident_already_linked", N_(
                "%(resident)s is already linked to user %(user)s"),
                {"resident": item.resident.name, "user": other.user.username})))

    def pre_add(self, item: UserResident) -> None:
        """Refuse duplicate links before the database does."""
        self._check_unique(item, adding=True)

    def pre_update(self, item: UserResident) -> None:
        """Refuse linking a resident that already belongs to another user."""
        self._check_unique(item, adding=False)


def register(appbuilder) -> None:
    """Departments under 登记 (Register); the two link screens under FAB's Security menu."""
    from .menu import REGISTER

    appbuilder.add_view(DepartmentView, "Departments", label=_l("Departments"), icon="fa-sitemap", **REGISTER)
    appbuilder.add_view(UserDepartmentView, "UserDepartments", label=_l("Approver departments"),
                        icon="fa-user-plus", category="Security")
    appbuilder.add_view(UserResidentView, "UserResidents", label=_l("Employee residents"),
                        icon="fa-link", category="Security")
