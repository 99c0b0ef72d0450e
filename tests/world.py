"""The fixed test world: two departments, residents in each, one user per role, employees linked to residents."""
from __future__ import annotations

import datetime as dt

from flask import current_app

from app.domain.idnumber import make_id
from app.extensions import db
from app.models import Department, Resident, UserDepartment, UserResident

USERS = {
    "t_officer": "HukouOfficer", "t_approver_a": "DeptApprover", "t_approver_b": "DeptApprover",
    "t_leader": "Leader", "t_hr": "HR", "t_finance": "Finance", "t_auditor": "Auditor",
    "t_employee_a": "Employee", "t_employee_b": "Employee", "t_admin": "Admin",
}


def _resident(name: str, dept: Department, seq: int) -> Resident:
    """A valid active resident of a department."""
    birth = dt.date(1990, 1, 1) + dt.timedelta(days=seq * 37)
    number = make_id("110105", birth, seq * 2 + 1)
    return Resident(name=name, gender="M", birth_date=birth, id_number=number, department=dept,
                    status="active", phone=f"1380013{seq:04d}", ethnicity="01")


def build_world(password: str) -> dict:
    """Create the world once per test session and return the ids tests refer to."""
    sm = current_app.appbuilder.sm
    dept_a = Department(code="TA", name="测试甲部门")
    dept_b = Department(code="TB", name="测试乙部门")
    db.session.add_all([dept_a, dept_b])
    res_a = _resident("张三", dept_a, 1)
    res_b = _resident("李四", dept_b, 2)
    res_a2 = _resident("王五", dept_a, 3)
    db.session.add_all([res_a, res_b, res_a2])
    db.session.commit()
    users = {}
    for username, role in USERS.items():
        user = sm.add_user(username, username, "测试", f"{username}@example.test", sm.find_role(role),
                           password=password)
        users[username] = user.id
    db.session.add_all([
        UserDepartment(user_id=users["t_approver_a"], department_id=dept_a.id),
        UserDepartment(user_id=users["t_approver_b"], department_id=dept_b.id),
        UserResident(user_id=users["t_employee_a"], resident_id=res_a.id),
        UserResident(user_id=users["t_employee_b"], resident_id=res_b.id),
    ])
    db.session.commit()
    return {"dept_a": dept_a.id, "dept_b": dept_b.id, "res_a": res_a.id, "res_b": res_b.id,
            "res_a2": res_a2.id, "users": users}
