"""Demo departments and users: admin, one user per role, an approver per department, two employees."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ..extensions import db
from ..models import Department, UserDepartment
from .data import DEPARTMENTS

# (username, role, 姓名): one name per person, as Chinese users expect (first_name; last_name stays empty).
ROLE_USERS = (("officer", "HukouOfficer", "刘芳"), ("leader", "Leader", "陈建国"),
              ("hr", "HR", "赵敏"), ("finance", "Finance", "孙丽华"),
              ("auditor", "Auditor", "周平"))
APPROVER_NAMES = ("王磊", "李静", "张伟", "杨帆", "黄海涛", "吴婷", "徐明", "孙浩", "马丽", "朱峰", "胡军", "郭晓燕")
# employee → (department code, the applications of their own: (type, status) reached by the shortest path).
EMPLOYEES = {
    "employee1": ("D01", (("borrow_page", "completed"), ("certificate", "submitted"), ("info_change", "draft"))),
    "employee2": ("D02", (("id_card", "dept_review"), ("certificate", "archived"),
                          ("page_reissue", "needs_materials"))),
}


def ensure_departments() -> dict[str, int]:
    """The 12 demo departments by code (found by code, else by name, else created); code → id."""
    session = db.session
    out: dict[str, int] = {}
    for code, name, _weight in DEPARTMENTS:
        dept = session.scalar(select(Department).where(Department.code == code)) or \
            session.scalar(select(Department).where(Department.name == name))
        if dept is None:
            dept = Department(code=code, name=name, active=True)
            session.add(dept)
            session.flush()
        out[code] = dept.id
    session.commit()
    return out


def _ensure_user(username: str, role: str, name: str, hashed: str) -> tuple[int, str]:
    """Create the user with one role and their 姓名, or give an existing one that role and name back; set the
    (hashed) password."""
    sm = current_app.appbuilder.sm
    user = sm.find_user(username=username)
    if user is None:
        user = sm.add_user(username, name, "", f"{username}@demo.hukou.local", sm.find_role(role),
                           hashed_password=hashed)
        if not user:
            raise RuntimeError(f"could not create the demo user {username}")
        return user.id, username
    if username != "admin" and [r.name for r in user.roles] != [role]:
        user.roles = [sm.find_role(role)]
    user.password = hashed
    user.first_name, user.last_name = name, ""
    sm.update_user(user)
    return user.id, username


def ensure_users(password: str, depts: dict[str, int]) -> dict[str, tuple[int, str]]:
    """admin, one user per role, an approver per department, two employees; all with `password`."""
    cfg = current_app.config
    # One hash for all: the demo users share the password anyway, and scrypt costs ~0.2 s per call.
    hashed = generate_password_hash(password, method=cfg.get("FAB_PASSWORD_HASH_METHOD", "scrypt"),
                                    salt_length=cfg.get("FAB_PASSWORD_HASH_SALT_LENGTH", 16))
    users = {"admin": _ensure_user("admin", "Admin", "系统管理员", hashed)}
    for username, role, name in ROLE_USERS:
        users[username] = _ensure_user(username, role, name, hashed)
    for i, name in enumerate(APPROVER_NAMES, start=1):
        users[f"approver{i}"] = _ensure_user(f"approver{i}", "DeptApprover", name, hashed)
    for username in EMPLOYEES:
        users[username] = _ensure_user(username, "Employee", username, hashed)
    session = db.session
    for i in range(1, len(APPROVER_NAMES) + 1):
        uid, dept_id = users[f"approver{i}"][0], depts[f"D{i:02d}"]
        if session.get(UserDepartment, (uid, dept_id)) is None:
            session.add(UserDepartment(user_id=uid, department_id=dept_id))
    session.commit()
    return users
