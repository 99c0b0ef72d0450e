"""The office mix of issue 11 for `bench/load.py --office`: 50 simulated users by role (officers listing,
searching, verifying and moving applications; department approvers and a leader approving, two of them per
account so that they race; employees uploading), while one officer runs a 100k-row roster import and a 100k-row
register export in the background through the queue worker. Afterwards: double transitions in the history.

Preparation (`prepare`) writes into the scratch database the bench made: N residents (bench/fill), applications
waiting for approval, and a roster file of N new people (bench/import_export's rows) to import.
"""
from __future__ import annotations

import hashlib
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import prison

from bench.load_work import Http, Run, Worker, api_login, csrf_in, pdf_bytes, png_bytes, text_of, web_login

APPROVAL_APPS_PER_DEPT = 40
LEADER_APPS = 120
APPROVER_ACCOUNTS = tuple(f"approver{k}" for k in range(1, 9))  # D01…D08, two threads each
ROSTER_OFFSET = 200_000  # bench.import_export.person(i) for i ≥ this never meets bench.fill's ID numbers
BACKGROUND = "background: "  # label prefix of the background work (not held to the 1 s target)
POLL_SECONDS = 1.0
BACKGROUND_TIMEOUT = 900  # seconds for the 100k-row file's check job and for each request of the background work


@dataclass(frozen=True)
class Office:
    """Facts read from the database before the run."""

    employee_targets: dict[str, tuple[tuple[int, int], ...]]
    verify_ids: tuple[int, ...]
    id_numbers: tuple[str, ...]
    surnames: tuple[str, ...] = tuple("王李张刘陈杨黄赵吴周")
    roster: Path | None = None
    rows: int = 0


@dataclass
class Background:
    """What the background import and export did and how long they took (seconds)."""

    results: dict[str, object] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    window: tuple[float, float] | None = None  # perf_counter() from the upload to the last job's end


def role_plan(users: int) -> list[tuple[str, str]]:
    """(role, account) per simulated user: 8 employees, one leader pair, approvers in pairs, the rest officers."""
    plan = [("employee", f"employee{1 + k % 2}") for k in range(min(8, users // 6))]
    approvers = min(16, users // 3)
    plan += [("approver", APPROVER_ACCOUNTS[k // 2 % len(APPROVER_ACCOUNTS)]) for k in range(approvers)]
    if users >= 20:
        plan += [("leader", "leader"), ("leader", "leader")]
    plan += [("officer", "officer")] * (users - len(plan))
    return plan[:users]


def prepare(url: str, folder: Path, rows: int) -> Office:
    """Fill the scratch database (residents, approvals) and write the roster file to import."""
    from bench.fill import insert_departments, insert_residents
    from bench.import_export import HEADERS, person, write_book

    app = _app(url)
    with app.app_context():
        from app.extensions import db

        with db.engine.begin() as conn:
            insert_residents(conn, rows, insert_departments(conn))
        _approvals(db)
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        office = _facts(db)
        db.session.remove()
        db.engine.dispose()
    roster = folder / "花名册-压测.xlsx"
    write_book(roster, HEADERS, (person(ROSTER_OFFSET + k) for k in range(rows)))
    return Office(office.employee_targets, office.verify_ids, office.id_numbers, roster=roster, rows=rows)


def _app(url: str):
    """The app on the scratch database (for direct writes before the run)."""
    from app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "", "RATELIMIT_STORAGE_URI": "memory://",
                       "HUKOU_QUEUE": "immediate"})


def _approvals(db) -> None:
    """Certificate applications waiting in D01…D08 (department approval) and for the leader."""
    from sqlalchemy import select

    from app.clock import utcnow
    from app.models import Application, Department, Resident

    user = _user_model()
    officer = db.session.scalar(select(user.id).where(user.username == "officer"))
    rows = []
    for code in (f"D{k:02d}" for k in range(1, 9)):
        dept = db.session.scalar(select(Department.id).where(Department.code == code))
        people = db.session.scalars(select(Resident.id).where(Resident.department_id == dept).limit(
            APPROVAL_APPS_PER_DEPT)).all()
        rows += [Application(type="certificate", status="dept_review", resident_id=r, department_id=dept,
                             created_by_id=officer, submitted_at=utcnow()) for r in people]
    rows += [Application(type="certificate", status="leader_review", resident_id=a.resident_id,
                         department_id=a.department_id, created_by_id=officer, submitted_at=utcnow())
             for a in rows[:LEADER_APPS]]
    db.session.add_all(rows)
    db.session.commit()


def _user_model():
    """FAB's user model (ab_user)."""
    from flask import current_app

    return current_app.appbuilder.sm.user_model


def _facts(db) -> Office:
    """Employees' own applications that take uploads, materials to verify, ID numbers to search."""
    from sqlalchemy import select

    from app.models import Application, ChecklistItem, Material, Resident, UserResident

    targets, user = {}, _user_model()
    for name in ("employee1", "employee2"):
        rid = db.session.scalar(select(UserResident.resident_id).join(user, UserResident.user_id == user.id)
                                .where(user.username == name))
        apps = db.session.execute(select(Application.id, Application.type).where(
            Application.resident_id == rid, Application.status.in_(("draft", "needs_materials")))).all()
        targets[name] = tuple((app_id, type_id) for app_id, kind in apps for type_id in db.session.scalars(
            select(ChecklistItem.material_type_id).where(ChecklistItem.app_type == kind)))
    verify = db.session.scalars(select(Material.id).join(Application).where(
        Material.verified.is_(False), Application.status.notin_(("archived", "withdrawn", "rejected")))
        .limit(2000)).all()
    numbers = db.session.scalars(select(Resident.id_number).order_by(Resident.id.desc()).limit(200)).all()
    return Office(targets, tuple(verify), tuple(numbers))


# --- the simulated users ------------------------------------------------------------------------------------

def q(args: dict) -> str:
    """A REST `q` argument (rison)."""
    return prison.dumps(args)


class OfficeWorker(Worker):
    """One user of the office mix: logs in as its account, then does its role's work until the deadline."""

    def __init__(self, n: int, run: Run, role: str, account: str, office: Office) -> None:
        super().__init__(n, run)
        self.role, self.account, self.office = role, account, office
        self.tasks, self.weights = zip(*ROLE_TASKS[role])
        self.mine: list[tuple[int, str]] = []  # an employee's own uploads: (material id, sha256)

    def run(self) -> None:
        """Worker.run with this user's account and tasks."""
        run = self.run_
        try:
            self.api.stats = self.web.stats = None  # the logins before the clock starts are not measured
            ok = api_login(self.api, self.account, run.password).ok and web_login(self.web, self.account,
                                                                                   run.password)
            self.api.stats = self.web.stats = run.stats
            run.start.wait(timeout=180)
            if not ok:
                run.ledger.add("bench_errors", f"{self.name} ({self.account}): initial login failed")
                return
            run.pause(self.rnd)  # users do not all click in the same millisecond: start as if mid-thought
            while time.perf_counter() < run.deadline and run.stats.count() < run.max_requests:
                task = self.rnd.choices(self.tasks, weights=self.weights)[0]
                try:
                    task(self)
                except Exception as err:  # noqa: BLE001  (a bench bug must show)
                    run.ledger.add("bench_errors", f"{task.__name__}: {err!r}")
                self.done += 1
                run.pause(self.rnd)
        except Exception as err:  # noqa: BLE001
            run.ledger.add("bench_errors", f"{self.name}: {err!r}")
        finally:
            self.api.close()
            self.web.close()

    def list_web(self) -> None:
        """The register's list page: page 1, a deep page, or one department sorted by name."""
        page = self.rnd.choice((0, 0, 3, 40, 499))
        self.web.call("GET /residentview/list/", "GET", f"/residentview/list/?page_ResidentView={page}")

    def list_applications(self) -> None:
        """The application list, newest first, or the ones waiting for pre-review."""
        status = self.rnd.choice(("", "&_flt_0_status=submitted"))
        self.web.call("GET /applicationview/list/", "GET", f"/applicationview/list/?x=1{status}")

    def search_name(self) -> None:
        """Search the register by surname (web) as a clerk at the counter does."""
        self.web.call("GET /residentview/list/?_flt_0_name=…", "GET",
                      f"/residentview/list/?_flt_0_name={self.rnd.choice(self.office.surnames)}")

    def search_id(self) -> None:
        """Look a person up by the complete ID number (API)."""
        number = self.rnd.choice(self.office.id_numbers)
        self.api.call("GET /api/v1/residents/?q=(id_number)", "GET", "/api/v1/residents/?q=" + q(
            {"filters": [{"col": "id_number", "opr": "eq", "value": number}]}))

    def verify(self) -> None:
        """Verify a scan against the original."""
        if self.office.verify_ids:
            mid = self.rnd.choice(self.office.verify_ids)
            self.api.call("POST /api/v1/materials/<id>/verify", "POST", f"/api/v1/materials/{mid}/verify",
                          json={"note": "压测：与原件一致"})

    def _approve(self, status: str, action: str) -> None:
        """Open the waiting list (scoped to this user) and approve one of the first ten."""
        rep = self.api.call(f"GET /api/v1/applications/?q=(status:{status})", "GET", "/api/v1/applications/?q=" + q(
            {"filters": [{"col": "status", "opr": "eq", "value": status}], "page_size": 10}))
        if not rep.ok or not rep.resp.json()["result"]:
            return
        app_id = self.rnd.choice(rep.resp.json()["result"])["id"]
        self.api.call(f"POST /api/v1/applications/<id>/transition ({action})", "POST",
                      f"/api/v1/applications/{app_id}/transition", json={"action": action})

    def approve_department(self) -> None:
        """A department approver approves one waiting application."""
        self._approve("dept_review", "dept_approve")

    def approve_leader(self) -> None:
        """The leader approves one waiting application."""
        self._approve("leader_review", "leader_approve")

    def employee_upload(self) -> None:
        """An employee uploads a scan to an own application that takes materials."""
        targets = self.office.employee_targets.get(self.account) or ()
        if not targets:
            return
        app_id, type_id = self.rnd.choice(targets)
        nonce = f"emp{self.n}x{self.done}x{uuid.uuid4().hex}"
        data = pdf_bytes(nonce) if self.rnd.random() < 0.5 else png_bytes(nonce)
        kind = "pdf" if data.startswith(b"%PDF") else "png"
        rep = self.api.call("POST /api/v1/materials/ (employee)", "POST", "/api/v1/materials/",
                            data={"application_id": str(app_id), "material_type_id": str(type_id)},
                            files={"file": (f"本人材料-{self.n}-{self.done}.{kind}", data,
                                            "application/pdf" if kind == "pdf" else "image/png")})
        if rep.ok:
            upload = (rep.resp.json()["id"], hashlib.sha256(data).hexdigest())
            self.run_.ledger.add("uploads", upload)
            self.mine.append(upload)

    def employee_download(self) -> None:
        """An employee opens a scan of their own (others' are outside their scope: a 404)."""
        if self.mine:
            mid, sha = self.rnd.choice(self.mine)
            self._download(self.api, "GET /api/v1/materials/<id>/file (employee, own)",
                           f"/api/v1/materials/{mid}/file", sha)

    def own_applications(self) -> None:
        """An employee looks at their own applications."""
        self.api.call("GET /api/v1/applications/ (own)", "GET", "/api/v1/applications/?q=" + q({"page_size": 10}))


ROLE_TASKS = {
    "officer": ((OfficeWorker.list_web, 14), (OfficeWorker.list_applications, 8), (OfficeWorker.search_name, 10),
                (OfficeWorker.search_id, 10), (OfficeWorker.verify, 8), (Worker.transition, 6),
                (Worker.edit_resident, 6), (Worker.upload, 4), (Worker.download_api, 4), (Worker.unmask_web, 3),
                (Worker.export, 1)),
    "approver": ((OfficeWorker.approve_department, 6), (OfficeWorker.list_applications, 3)),
    "leader": ((OfficeWorker.approve_leader, 6), (OfficeWorker.list_applications, 3)),
    "employee": ((OfficeWorker.employee_upload, 6), (OfficeWorker.own_applications, 3),
                 (OfficeWorker.employee_download, 2)),
}


# --- before the clock -----------------------------------------------------------------------------------------

WARM_ROUNDS = 12  # requests per page on fresh connections: every gunicorn worker meets every page at least once


def warm_up(run: Run, office: Office) -> None:
    """Untimed: each read page a few times on new connections, so that the timed minute measures steady work,
    not each process's first render (Jinja compiles a template at its first use: 150 ms for a resident page)."""
    from concurrent.futures import ThreadPoolExecutor

    web, api = Http(run.base, None), Http(run.base, None)
    try:
        if not (web_login(web, "officer", run.password) and api_login(api, "officer", run.password).ok):
            raise RuntimeError("warm-up: the officer's login failed")
        world = run.world
        pages = [(web, "/"), (web, "/residentview/list/"), (web, "/residentview/list/?_flt_0_name=王"),
                 (web, f"/residentview/show/{world.resident_ids[0]}"), (web, "/applicationview/list/"),
                 (web, "/applicationview/list/?x=1&_flt_0_status=submitted"), (api, "/api/v1/applications/"),
                 (api, "/api/v1/residents/?q=" + q({"page_size": 10})), (web, "/imports/")]
        pages += [(api, f"/api/v1/applications/{a}") for a in world.transition_ids[:1]]

        def fetch(item) -> None:
            http, path = item
            http.session.get(http.base + path, headers={"Connection": "close"}, allow_redirects=False,
                             timeout=60)
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(fetch, pages * WARM_ROUNDS))
    finally:
        web.close()
        api.close()


# --- the background import and export -----------------------------------------------------------------------

def background(run: Run, office: Office, out: Background) -> None:
    """As an officer in a browser: upload the roster (dry run), confirm it (a job), and export the whole
    register (a job); wait for both, recording each step's time."""
    http = Http(run.base, run.stats)
    try:
        http.stats = None
        logged_in = web_login(http, "officer", run.password)
        http.stats = run.stats
        run.start.wait(timeout=180)
        if not logged_in:
            out.errors.append("background: officer login failed")
            return
        t0 = time.perf_counter()
        export = _start_export(http)
        batch = _dry_run(http, office, out)
        out.results["import dry run s"] = round(time.perf_counter() - t0, 1)
        job_import = _confirm(http, batch, out) if batch else None
        t1 = time.perf_counter()
        jobs = {"export": export, "import": job_import}
        while any(jobs.values()) and time.perf_counter() - t0 < 1150:
            for name, job_id in list(jobs.items()):
                if job_id is None:
                    continue
                state = http.call(BACKGROUND + "GET /jobs/<id>/status", "GET", f"/jobs/{job_id}/status")
                status = state.resp.json().get("status") if state.ok else None
                if status in ("done", "failed"):
                    out.results[f"{name} job"] = status
                    out.results[f"{name} s"] = round(time.perf_counter() - (t1 if name == "import" else t0), 1)
                    if status == "failed":
                        out.errors.append(f"{name} job failed: {state.resp.json().get('message')}")
                    jobs[name] = None
            time.sleep(POLL_SECONDS)
        out.errors += [f"{name} job {job_id} did not finish in time" for name, job_id in jobs.items() if job_id]
        out.results["import total s"] = round(time.perf_counter() - t0, 1)
        out.window = (t0, time.perf_counter())
    except Exception as err:  # noqa: BLE001
        out.errors.append(f"background: {err!r}")
    finally:
        http.close()


def _start_export(http: Http) -> int | None:
    """The register's export (above the job threshold): the id of its job."""
    rep = http.call(BACKGROUND + "GET /export/residents/xlsx", "GET", "/export/residents/xlsx")
    where = rep.resp.headers.get("Location", "") if rep.resp is not None else ""
    return int(where.rstrip("/").rsplit("/", 1)[1]) if rep.status == 302 and "/jobs/" in where else None


def _dry_run(http: Http, office: Office, out: Background) -> int | None:
    """Upload the roster file (checked by a job, as it is large); the batch id once its preview is ready."""
    page = http.call(BACKGROUND + "GET /imports/", "GET", "/imports/")
    with open(office.roster, "rb") as fh:
        rep = http.call(BACKGROUND + "POST /imports/upload (dry run)", "POST", "/imports/upload",
                        data={"csrf_token": csrf_in(text_of(page)) or "", "kind": "roster"},
                        files={"file": (office.roster.name, fh, "application/vnd.openxmlformats-officedocument."
                                                                  "spreadsheetml.sheet")},
                        timeout=BACKGROUND_TIMEOUT)
    where = rep.resp.headers.get("Location", "") if rep.resp is not None else ""
    if "/batch/" not in where:
        out.errors.append(f"import upload answered {rep.status} → {where or '-'}")
        return None
    batch = int(where.rstrip("/").rsplit("/", 1)[1])
    return batch if _checked(http, batch, out) else None


def _checked(http: Http, batch: int, out: Background) -> bool:
    """Wait while the large file is checked by its job (the batch page says 「检查中」 and refreshes itself)."""
    deadline = time.perf_counter() + BACKGROUND_TIMEOUT
    while time.perf_counter() < deadline:
        page = http.call(BACKGROUND + "GET /imports/batch/<id>", "GET", f"/imports/batch/{batch}")
        body = text_of(page)
        if f"/imports/batch/{batch}/confirm" in body:
            return True
        if "正在后台检查" not in body:
            out.errors.append(f"import batch {batch}: not confirmable after its check")
            return False
        time.sleep(POLL_SECONDS)
    out.errors.append(f"import batch {batch}: still being checked after {BACKGROUND_TIMEOUT} s")
    return False


def _confirm(http: Http, batch: int, out: Background) -> int | None:
    """Confirm the dry run; the import's job is the one its batch page links to."""
    page = http.call(BACKGROUND + "GET /imports/batch/<id>", "GET", f"/imports/batch/{batch}")
    rep = http.call(BACKGROUND + "POST /imports/batch/<id>/confirm", "POST", f"/imports/batch/{batch}/confirm",
                    data={"csrf_token": csrf_in(text_of(page)) or ""}, timeout=BACKGROUND_TIMEOUT)
    if rep.status != 302:
        out.errors.append(f"import confirm answered {rep.status}")
        return None
    page = http.call(BACKGROUND + "GET /imports/batch/<id>", "GET", f"/imports/batch/{batch}")
    found = re.search(r"/jobs/(\d+)", text_of(page))
    if not found and "已导入" in text_of(page):  # below HUKOU_JOB_THRESHOLD: imported inside the request
        out.results["import job"] = "none (imported in the request)"
        return None
    if not found:
        out.errors.append("import confirmed but its batch page links no job")
        return None
    return int(found.group(1))


# --- after the run ------------------------------------------------------------------------------------------

def double_transitions(url: str) -> list[str]:
    """Applications whose history has a step that did not start where the previous one ended (two users moved
    it from the same status)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT application_id, action, from_status, prev_to FROM (SELECT application_id, action, "
                "from_status, LAG(to_status) OVER (PARTITION BY application_id ORDER BY id) AS prev_to "
                "FROM application_history) h WHERE prev_to IS NOT NULL AND prev_to <> from_status")).all()
    finally:
        engine.dispose()
    return [f"application {a}: {action} from {f} after the previous step ended in {p}" for a, action, f, p in rows]


def transitions_done(url: str, since_id: int) -> int:
    """History rows written after `since_id` (the run's transitions)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM application_history WHERE id > :i"),
                                {"i": since_id}).scalar()
    finally:
        engine.dispose()


def last_history_id(url: str) -> int:
    """The newest application_history id before the run."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT coalesce(max(id), 0) FROM application_history")).scalar()
    finally:
        engine.dispose()


__all__ = ["Background", "Office", "OfficeWorker", "background", "double_transitions", "prepare",
           "role_plan"]
