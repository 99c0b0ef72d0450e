"""A crafted world for the reminder tests: residents with their own users, a loan, a leaver, applications in
several stages, a certificate with its validity in the check note; and a clean-up of what the runs recorded."""
from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import delete, select

from app.domain.idnumber import make_id
from app.extensions import db
from app.models import (Application, ApplicationHistory, Material, MaterialType, PageLoan, Resident,
                        UserResident)
from app.models.notifications import Delivery, DeliveryAttempt, Notification

_seq = itertools.count(1)
D = dt.date(2030, 3, 12)  # a Tuesday far from other tests' dates: "today" of the crafted world


@dataclass
class Crafted:
    """Ids of the crafted rows, by role in the tests."""

    residents: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    apps: dict[str, int] = field(default_factory=dict)
    loan: int = 0
    phone: str = ""
    id_numbers: list[str] = field(default_factory=list)


def _resident(name: str, dept_id: int, **extra) -> Resident:
    """A fresh resident with a unique ID number and a phone number (to prove neither is ever sent)."""
    n = next(_seq)
    birth = dt.date(1985, 5, 1) + dt.timedelta(days=n * 17)
    res = Resident(name=name, gender="F", birth_date=birth, id_number=make_id("320106", birth, 800 + n),
                   department_id=dept_id, status="active", phone=f"1391234{n:04d}", **extra)
    db.session.add(res)
    db.session.flush()
    return res


def _user_for(res: Resident, password: str) -> int:
    """An Employee account linked to the resident."""
    sm = current_app.appbuilder.sm
    name = f"rm_{uuid.uuid4().hex[:8]}"
    user = sm.add_user(name, res.name[1:] or res.name, res.name[:1], f"{name}@example.test",
                       sm.find_role("Employee"), password=password)
    db.session.add(UserResident(user_id=user.id, resident_id=res.id))
    return user.id


def _application(res: Resident, type_: str, status: str, entered: dt.datetime, dept_id: int) -> int:
    """An application in `status`, with the history row that put it there at `entered` (UTC)."""
    app_row = Application(type=type_, status=status, resident_id=res.id, department_id=dept_id,
                          submitted_at=entered)
    db.session.add(app_row)
    db.session.flush()
    db.session.add(ApplicationHistory(application_id=app_row.id, action="x", from_status="draft",
                                      to_status=status, username="test", at=entered))
    return app_row.id


def _at(day: dt.date) -> dt.datetime:
    """10:00 local (02:00 UTC) of a day, as stored (naive UTC)."""
    return dt.datetime.combine(day, dt.time(2, 0))


def build(world: dict, password: str) -> Crafted:
    """Create the crafted rows (committed) around the day D."""
    c = Crafted()
    dept_a = world["dept_a"]
    r_loan = _resident("赵借页", dept_a)
    r_leaver = _resident("钱离职", dept_a, leave_date=D - dt.timedelta(days=40))
    r_leaver.status = "leaving"
    r_id = _resident("孙证件", dept_a, id_valid_to=D + dt.timedelta(days=30))
    r_app = _resident("李申请", dept_a)
    r_alone = _resident("周无号", dept_a)  # no user account
    r_alone.status = "leaving"
    r_alone.leave_date = D - dt.timedelta(days=40)
    db.session.flush()
    for key, res in (("loan", r_loan), ("leaver", r_leaver), ("id", r_id), ("app", r_app), ("alone", r_alone)):
        c.residents[key] = res.id
        c.id_numbers.append(res.id_number)
        if key != "alone":
            c.users[key] = _user_for(res, password)
    c.phone = r_loan.phone
    loan = PageLoan(resident_id=r_loan.id, purpose=f"办理护照 联系{r_loan.phone}", lent_on=D - dt.timedelta(days=20),
                    due_on=D - dt.timedelta(days=5))
    db.session.add(loan)
    c.apps["materials"] = _application(r_app, "info_change", "needs_materials", _at(D - dt.timedelta(days=2)), dept_a)
    c.apps["dept"] = _application(r_app, "certificate", "dept_review", _at(D - dt.timedelta(days=10)), dept_a)
    c.apps["fresh"] = _application(r_app, "id_card", "dept_review", _at(D), dept_a)
    c.apps["leader"] = _application(r_app, "page_reissue", "leader_review", _at(D - dt.timedelta(days=10)), dept_a)
    c.apps["cert"] = _application(r_app, "move_out", "at_police", _at(D - dt.timedelta(days=1)), dept_a)
    permit = db.session.scalar(select(MaterialType).where(MaterialType.code == "destination_permit"))
    db.session.add(Material(application_id=c.apps["cert"], material_type_id=permit.id, original_name="准迁证.pdf",
                            storage_name=uuid.uuid4().hex, size=10, sha256="0" * 64, kind="pdf", verified=True,
                            verify_note=f"原件已核，有效期至{(D + dt.timedelta(days=3)).isoformat()}"))
    db.session.commit()
    c.loan = loan.id
    return c


def clear_notifications(first: dt.date, last: dt.date) -> None:
    """Remove the notifications (and deliveries) recorded for days first..last, so other tests see none."""
    ids = select(Notification.id).where(Notification.day >= first, Notification.day <= last)
    deliveries = select(Delivery.id).where(Delivery.notification_id.in_(ids))
    db.session.execute(delete(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(deliveries)))
    db.session.execute(delete(Delivery).where(Delivery.notification_id.in_(ids)))
    db.session.execute(delete(Notification).where(Notification.day >= first, Notification.day <= last))
    db.session.commit()


def notifications(day: dt.date, **where) -> list[Notification]:
    """The notifications recorded for a day (optionally of one kind / object)."""
    stmt = select(Notification).where(Notification.day == day)
    for key, value in where.items():
        stmt = stmt.where(getattr(Notification, key) == value)
    return list(db.session.scalars(stmt.order_by(Notification.id)))


def close(c: Crafted) -> None:
    """Take the crafted objects out of every later reminder: loan returned, leavers moved out, apps closed."""
    db.session.execute(PageLoan.__table__.update().where(PageLoan.id == c.loan).values(returned_on=D))
    db.session.execute(Resident.__table__.update().where(Resident.id.in_(list(c.residents.values())))
                       .values(status="moved_out", id_valid_to=None))
    db.session.execute(Application.__table__.update().where(Application.id.in_(list(c.apps.values())))
                       .values(status="withdrawn"))
    db.session.commit()



def crafted_rows(app, password: str, before_close=None):
    """A module fixture's body: build the crafted rows, yield them, then (after `before_close`) close them."""
    with app.app_context():
        c = build(app.config["WORLD"], password)
    yield c
    with app.app_context():
        if before_close is not None:
            before_close()
        close(c)

def approvers_of(dept_id: int) -> set[int]:
    """Active DeptApprover users of a department (other test modules add some to the fixed world's)."""
    from flask_appbuilder.security.sqla.models import Role, User

    from app.models import UserDepartment

    return set(db.session.scalars(select(User.id).join(User.roles).join(
        UserDepartment, UserDepartment.user_id == User.id).where(
        Role.name == "DeptApprover", UserDepartment.department_id == dept_id, User.active.is_(True))))


def holders_of(role: str) -> set[int]:
    """Active users holding a role."""
    from flask_appbuilder.security.sqla.models import Role, User

    return set(db.session.scalars(select(User.id).join(User.roles).where(Role.name == role,
                                                                         User.active.is_(True))))
