"""/api/v1/departments/: departments over REST (read for every Department reader, write HR/Admin)."""
from __future__ import annotations

from ..models import Department
from ..security.roles import resource_permissions
from ..web.datamodel import HukouInterface
from ..services.org import check_department_deletable, check_department_unique
from ..web.labels import DEPARTMENT_LABELS as LABELS
from .base import HukouModelRestApi


class DepartmentApi(HukouModelRestApi):
    """Departments; delete refuses a department that residents or applications still use (422)."""

    resource_name = "departments"
    datamodel = HukouInterface(Department)
    class_permission_name = "Department"
    base_permissions = resource_permissions("Department")
    label_columns = LABELS
    list_columns = ["id", "code", "name", "active"]
    show_columns = ["id", "code", "name", "active", "created_on", "changed_on"]
    add_columns = ["code", "name", "active"]
    edit_columns = ["code", "name", "active"]
    order_columns = ["id", "code", "name", "active"]
    search_columns = ["code", "name", "active"]

    def pre_add(self, item: Department) -> None:
        """Duplicate code or name → 422 naming it (FAB's add would raise a bare IntegrityError → 500)."""
        super().pre_add(item)
        check_department_unique(item)

    def pre_update(self, item: Department) -> None:
        """Duplicate code or name → 422 naming it."""
        super().pre_update(item)
        check_department_unique(item)

    def pre_delete(self, item: Department) -> None:
        """Raise the Chinese DomainError (→ 422) when the department is still in use."""
        check_department_deletable(item)


def register(appbuilder) -> None:
    """/api/v1/departments/."""
    appbuilder.add_api(DepartmentApi)
