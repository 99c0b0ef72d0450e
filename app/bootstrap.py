"""First-run setup: migrate, sync roles and permissions, seed reference data, create the admin once."""
from __future__ import annotations

import logging
import secrets

from flask import current_app
from sqlalchemy import select

from .db import migrate
from .extensions import db

log = logging.getLogger(__name__)


def sync_permissions() -> None:
    """Create every view/permission pair, give Admin all of them, create the builtin roles as DB rows."""
    sm = current_app.appbuilder.sm
    for name in ("Admin", *sm.builtin_roles):
        if sm.find_role(name) is None:
            sm.add_role(name)
    sm.add_role(sm.auth_role_public)
    current_app.appbuilder.add_permissions(update_perms=True)


ADMIN_PASSWORD_IGNORED = ("HUKOU_ADMIN_PASSWORD 已忽略：数据库中已有用户（例如 demo 已用演示密码创建了 admin），"
                          "不会修改任何密码；请登录后在「个人资料」中修改 admin 的密码。")


def admin_password_ignored(password: str | None) -> bool:
    """Whether a configured first-admin password will have no effect because users exist already."""
    from sqlalchemy.exc import SQLAlchemyError

    if not password:
        return False
    try:
        return current_app.appbuilder.sm.count_users() > 0
    except SQLAlchemyError:  # a database not migrated yet has no users
        db.session.rollback()
        return False


def ensure_admin(password: str | None) -> str | None:
    """Create the `admin` account if no user exists; returns the generated password to print once, if any."""
    sm = current_app.appbuilder.sm
    if sm.count_users() > 0:
        return None
    generated = None
    if not password:
        password = generated = secrets.token_urlsafe(12)
    user = sm.add_user("admin", "系统管理员", "", "admin@hukou.local", sm.find_role("Admin"), password=password)
    if not user:
        raise RuntimeError("could not create the admin user")
    return generated


def seed_reference_data() -> None:
    """Material types and the checklist per application type (DOMAIN.md), only if absent."""
    from .models import ChecklistItem, MaterialType
    from .seed import CHECKLISTS, MATERIAL_TYPES

    existing = set(db.session.scalars(select(MaterialType.code)))
    for code, name in MATERIAL_TYPES.items():
        if code not in existing:
            db.session.add(MaterialType(code=code, name=name))
    db.session.flush()
    types = {m.code: m.id for m in db.session.scalars(select(MaterialType))}
    have = set(db.session.execute(select(ChecklistItem.app_type, ChecklistItem.material_type_id)).tuples())
    for app_type, items in CHECKLISTS.items():
        for code, required in items:
            if (app_type, types[code]) not in have:
                db.session.add(ChecklistItem(app_type=app_type, material_type_id=types[code], required=required))


def bootstrap(admin_password: str | None = None) -> str | None:
    """Everything `python run.py` does before serving; idempotent. Returns a generated admin password."""
    migrate(current_app.config["SQLALCHEMY_DATABASE_URI"])
    sync_permissions()  # FAB's own permission sync commits on its own
    from .calendar.service import seed_official
    from .security.actor import cli_actor
    from .services.eligibility import seed_example_rules
    from .uow import unit_of_work

    with unit_of_work(cli_actor("系统（初始化）")) as uow:
        seed_reference_data()
        seed_example_rules(uow.session)
        seed_official(uow.session)  # official holidays of the years the chinese-calendar package knows
    return ensure_admin(admin_password)
