"""Roles as data: every view and API of a resource declares the same permissions, and roles only use those."""
import pytest

from app.security.roles import RESOURCE_VERBS, ROLES, fab_roles, resource_permissions


def test_views_sharing_a_resource_declare_the_same_permissions(app):
    for view in app.appbuilder.baseviews:
        resource = getattr(view, "class_permission_name", None)
        if resource in RESOURCE_VERBS:
            assert sorted(view.base_permissions) == sorted(resource_permissions(resource)), type(view).__name__


@pytest.mark.parametrize("role", sorted(ROLES))
def test_roles_grant_only_existing_permissions(role):
    for resource, verbs in ROLES[role].items():
        assert set(verbs) <= set(RESOURCE_VERBS[resource]), (role, resource)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_builtin_role_regexes_are_anchored(role):
    for view_re, perm_re in fab_roles()[role]:
        assert view_re.startswith("^") and view_re.endswith("$") and perm_re.startswith("^")


def test_no_role_reaches_security_views(app):
    """A regex like ['.*', 'can_list'] would match FAB's user and role screens; ours must not."""
    import re

    for role, pairs in fab_roles().items():
        for view_re, perm_re in pairs:
            for security_view in ("UserDBModelView", "RoleModelView", "PermissionModelView"):
                if re.match(view_re, security_view):
                    assert not re.match(perm_re, "can_list"), (role, view_re)
