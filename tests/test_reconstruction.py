"""Issue 6 §1 (High): masked numbers must not be reversible. As each role without `unmask`, collect everything
reachable (list and show pages, application page, audit view, API list and get, export, picker) and try to rebuild
every full ID and phone number from it: brute force over the digits the viewer could not read anywhere."""
import calendar
import datetime as dt
import io
import json
import re

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import or_, select

from app.domain.idnumber import check_char, make_id
from app.extensions import db
from app.models import Application, ApplicationHistory, AuditLog, Resident

NO_UNMASK = ["t_approver_a", "t_leader", "t_finance", "t_auditor"]
NEW_PHONE = "13987654321"
# (region, birth date, order code, gender, phone): a leap day, a year's last day, an X check character, a new region.
PEOPLE = [
    ("440305", dt.date(1988, 12, 31), 457, "M", "13611112222"),
    ("110101", dt.date(2000, 2, 29), 8, "F", "15900001111"),
    ("330113", dt.date(1975, 6, 15), 123, "M", "010-62345678"),
]
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z*])([0-9*]{17}[0-9Xx*])(?![0-9A-Za-z*])")
# A run of digits and stars, possibly with dashes inside (010-******78); the dashes are dropped before comparing.
_PHONE_LIKE = re.compile(r"(?<![0-9A-Za-z*-])([0-9*](?:-?[0-9*]){6,14})(?![0-9A-Za-z*])")


def _x_order(region: str, birth: dt.date) -> int:
    """An order code whose check character is X (the visible X must not help either)."""
    return next(o for o in range(1, 999, 2) if make_id(region, birth, o).endswith("X"))


@pytest.fixture(scope="module")
def targets(app):
    """Residents of department A (the approver's), an information change asking for a new phone, its timeline."""
    with app.app_context():
        world = app.config["WORLD"]
        people = PEOPLE + [("110105", dt.date(1992, 8, 1), _x_order("110105", dt.date(1992, 8, 1)), "M",
                            "18800009999")]
        rows = [Resident(name=f"重建测试{n}", gender=g, birth_date=b, id_number=make_id(r, b, o),
                         department_id=world["dept_a"], status="active", phone=p, ethnicity="01")
                for n, (r, b, o, g, p) in enumerate(people)]
        db.session.add_all(rows)
        db.session.flush()
        application = Application(type="info_change", status="dept_review", resident_id=rows[0].id,
                                  department_id=world["dept_a"], reason="换号码",
                                  change_json=json.dumps({"phone": NEW_PHONE}))
        db.session.add(application)
        db.session.flush()
        db.session.add(ApplicationHistory(application_id=application.id, action="submit", from_status="draft",
                                          to_status="submitted", username="t_employee_a",
                                          comment=f"新号码 {NEW_PHONE}，身份证 {rows[1].id_number}"))
        db.session.commit()
        ids = [r.id for r in rows] + [world["res_a"], world["res_a2"]]
        made = {"residents": ids, "application": application.id, "new": [r.id for r in rows]}
    # Outside the app context: requests pushed inside one would share its `g` (and its CSRF token).
    yield made
    with app.app_context():
        db.session.execute(ApplicationHistory.__table__.delete().where(
            ApplicationHistory.application_id == made["application"]))
        db.session.delete(db.session.get(Application, made["application"]))
        for pk in made["new"]:
            db.session.delete(db.session.get(Resident, pk))
        db.session.commit()


def _xlsx_text(data: bytes) -> str:
    """Every cell of an .xlsx as text (dates in ISO form)."""
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    return "\n".join("\t".join(str(v) for v in row) for row in rows)


def _audit_ids(app, targets) -> list[int]:
    """Audit rows about the test residents and the application."""
    with app.app_context():
        objects = [("Resident", str(i)) for i in targets["residents"]] + [("Application", str(targets["application"]))]
        clause = or_(*((AuditLog.object_type == t) & (AuditLog.object_id == i) for t, i in objects))
        return list(db.session.scalars(select(AuditLog.id).where(clause)))


def collect(app, login, api, user: str, targets) -> str:
    """Everything this user can fetch about the targets, as one text."""
    texts = []
    web = login(user)
    pages = ["/residentview/list/?psize_ResidentView=100", f"/applicationview/show/{targets['application']}",
             "/applicationview/list/", "/residentlookup/?q=重建测试", "/auditlogview/list/?psize_AuditLogView=100"]
    pages += [f"/residentview/show/{pk}" for pk in targets["residents"]]
    pages += [f"/auditlogview/show/{pk}" for pk in _audit_ids(app, targets)]
    for url in pages:
        r = web.get(url)
        if r.status_code == 200:
            texts.append(r.get_data(as_text=True))
    export = web.get("/export/residents/xlsx")
    if export.status_code == 200 and export.data.startswith(b"PK"):
        texts.append(_xlsx_text(export.data))
    client, headers = api(user)
    urls = ["/api/v1/residents/?q=(page_size:100)", f"/api/v1/applications/{targets['application']}",
            "/api/v1/applications/?q=(page_size:100)"]
    urls += [f"/api/v1/residents/{pk}" for pk in targets["residents"]]
    for url in urls:
        r = client.get(url, headers=headers)
        if r.status_code == 200:
            texts.append(json.dumps(r.get_json(), ensure_ascii=False))
    return "\n".join(texts)


def _known_positions(full: str, blob: str, pattern: re.Pattern) -> list[bool]:
    """Which characters of `full` the blob shows in some masked form consistent with it."""
    known = [False] * len(full)
    for m in pattern.finditer(blob):
        shown = m.group(1).upper().replace("-", "")
        if len(shown) == len(full) and all(s in ("*", c) for s, c in zip(shown, full)):
            known = [k or s != "*" for k, s in zip(known, shown)]
    return known


def _dates_shown(birth: dt.date, blob: str) -> bool:
    """Whether the full birth date appears in any common rendering."""
    forms = {birth.isoformat(), f"{birth:%Y%m%d}", f"{birth:%Y/%m/%d}", f"{birth.year}年{birth.month}月{birth.day}日",
             f"{birth:%Y年%m月%d日}"}
    return any(f in blob for f in forms)


def id_candidates(full: str, blob: str, limit: int = 10) -> int:
    """Numbers consistent with everything in the blob, counted up to `limit`. Conservative: the region and the
    birth year count as known (birthplace, year shown) and so does the gender (the order code's parity)."""
    known = _known_positions(full, blob, _ID_LIKE)
    known[:10] = [True] * 10
    if _dates_shown(dt.date(int(full[6:10]), int(full[10:12]), int(full[12:14])), blob):
        known[10:14] = [True] * 4
    year = int(full[6:10])
    days = [f"{m:02d}{d:02d}" for m in range(1, 13) for d in range(1, calendar.monthrange(year, m)[1] + 1)]
    days = [d for d in days if all(not known[10 + i] or d[i] == full[10 + i] for i in range(4))]
    orders = [f"{o:03d}" for o in range(1000) if o % 2 == int(full[16]) % 2]
    orders = [o for o in orders if all(not known[14 + i] or o[i] == full[14 + i] for i in range(3))]
    count = 0
    for day in days:
        for order in orders:
            first17 = full[:10] + day + order
            if known[17] and check_char(first17) != full[17]:
                continue
            count += 1
            if count >= limit:
                return count
    return count


def phone_candidates(phone: str, blob: str) -> int:
    """How many numbers fit what the blob shows of a phone (10 per hidden digit)."""
    digits = re.sub(r"\D", "", phone)
    if digits in re.sub(r"(?<=\d)-(?=\d)", "", blob):
        return 1
    known = _known_positions(digits, blob, _PHONE_LIKE)
    return 10 ** known.count(False)


@pytest.fixture(scope="module")
def truth(app, targets):
    """The full numbers, birth dates and phones of the targets."""
    with app.app_context():
        rows = [db.session.get(Resident, pk) for pk in targets["residents"]]
        return [(r.name, r.id_number, r.birth_date, r.phone) for r in rows]


@pytest.mark.parametrize("user", NO_UNMASK)
def test_no_full_number_can_be_rebuilt(app, login, api, user, targets, truth):
    blob = collect(app, login, api, user, targets)
    assert "重建测试0" in blob  # the collection did reach the residents
    for name, number, birth, phone in truth:
        assert number not in blob.upper(), (user, name)
        assert id_candidates(number, blob) >= 10, (user, name, number)
        assert phone_candidates(phone, blob) >= 10, (user, name, phone)
    assert phone_candidates(NEW_PHONE, blob) >= 10, user


@pytest.mark.parametrize("user", NO_UNMASK)
def test_birth_date_is_shown_as_year_only(app, login, api, user, targets, truth):
    blob = collect(app, login, api, user, targets)
    for name, number, birth, phone in truth:
        assert not _dates_shown(birth, blob), (user, name)
    assert "1988" in blob  # the year itself stays visible


def test_masked_export_cannot_be_reversed(app, login, targets, truth):
    """An export without unmask (officer, HR) is as safe as a screen: it may leave the office."""
    r = login("t_officer").get("/export/residents/xlsx")
    assert r.status_code == 200
    blob = _xlsx_text(r.data)
    assert "重建测试0" in blob
    for name, number, birth, phone in truth:
        assert number not in blob and not _dates_shown(birth, blob), name
        assert id_candidates(number, blob) >= 10 and phone_candidates(phone, blob) >= 10, name


def test_unmasking_roles_still_see_full_birth_date(login, targets, truth):
    body = login("t_officer").get(f"/residentview/show/{targets['residents'][0]}").get_data(as_text=True)
    assert truth[0][2].isoformat() in body and truth[0][1] not in body


def test_the_reconstruction_detects_a_leak():
    """The attack itself works: the old form (region + order + check shown) with the birth date gives it back."""
    number = make_id("110105", dt.date(1990, 5, 6), 2)
    old = number[:6] + "*" * 8 + number[-4:]
    assert id_candidates(number, old) >= 10  # without the date: the days of a year remain
    assert id_candidates(number, f"{old} 1990-05-06") == 1
    assert phone_candidates("13800138000", "138****8000") == 10_000
    assert phone_candidates("13800138000", "138****8000 1380013****") == 1
