"""The work of bench/load.py: recording, what the app holds, small valid scans, the simulated users and
the checks after the run (no Flask: it talks HTTP to a running app)."""
from __future__ import annotations

import hashlib
import math
import random
import re
import struct
import threading
import time
import uuid
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import urlparse

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
DEFAULT_PASSWORD = "Load-bench-2026"
# The workers' own API and web work runs as the officer. A web logout may end every API token of its user,
# so the login/logout rounds use other accounts: web as these, API as admin.
WEB_USERS = ("hr", "leader", "finance", "auditor", "approver1", "approver2", "approver7")
API_CYCLE_USER = "admin"
TIMEOUT = 60  # seconds per request: a stuck server shows as "none" (no answer), never as a hung bench
OWN_RESIDENTS = 3  # residents only one thread edits (sequential edits: the last 2xx value must stay)
HOT_SHARE = 0.3  # share of edits that go to the one resident every thread edits at once
MAX_UPLOAD_CHECKS = 5000
LOGIN_WAIT = 120  # seconds the workers may take to log in before the clock starts


# --- recording ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reply:
    """One request's outcome: HTTP status (0 = no answer), the response, and its client-side start/end."""

    status: int
    resp: requests.Response | None
    t0: float
    t1: float

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return 200 <= self.status < 300


class Stats:
    """Thread-safe samples (status, ms) per endpoint label."""

    def __init__(self) -> None:
        self.samples: dict[str, list[tuple[int, float]]] = defaultdict(list)
        self.ended: dict[str, list[float]] = defaultdict(list)  # perf_counter() at each answer, as in samples
        self.no_answer: Counter = Counter()  # (label, exception) of the requests that got no HTTP answer
        self.lock = threading.Lock()

    def add(self, label: str, status: int, ms: float, error: str | None = None) -> None:
        """Record one request (and why it got no answer, if it did not)."""
        with self.lock:
            self.samples[label].append((status, ms))
            self.ended[label].append(time.perf_counter())
            if error:
                self.no_answer[label, error] += 1

    def between(self, start: float, end: float, skip: str) -> list[float]:
        """Milliseconds of the requests that ended within [start, end], labels starting with `skip` left out."""
        with self.lock:
            return [ms for label, rows in self.samples.items() if not label.startswith(skip)
                    for (_status, ms), at in zip(rows, self.ended[label]) if start <= at <= end]

    def count(self) -> int:
        """Requests recorded so far."""
        with self.lock:
            return sum(len(v) for v in self.samples.values())


class Http:
    """One user agent (own cookies, optional JWT) that records every request it makes in `stats`."""

    def __init__(self, base: str, stats: Stats | None, headers: dict | None = None) -> None:
        self.base, self.stats = base.rstrip("/"), stats
        self.session = requests.Session()
        self.session.headers.update(headers or {})
        # As browsers do: a GET that meets a kept-alive connection the server has just closed is sent once more.
        # Writes are never resent (urllib3 retries only connection failures before sending for them).
        retry = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods=frozenset({"GET"}),
                      raise_on_status=False)
        self.session.mount("http://", HTTPAdapter(max_retries=retry))

    def call(self, label: str, method: str, path: str, **kw) -> Reply:
        """Send one request (no redirects followed) and record its status and latency under `label`."""
        kw.setdefault("timeout", TIMEOUT)
        kw.setdefault("allow_redirects", False)
        t0, error = time.perf_counter(), None
        try:
            resp = self.session.request(method, self.base + path, **kw)
            status = resp.status_code
            _ = resp.content  # the latency includes the body
        except requests.RequestException as err:
            resp, status, error = None, 0, f"{type(err).__name__}: {str(err)[:160]}"
        t1 = time.perf_counter()
        if self.stats is not None:
            self.stats.add(label, status, (t1 - t0) * 1000, error)
        return Reply(status, resp, t0, t1)

    def close(self) -> None:
        """Drop the pooled connections."""
        self.session.close()


@dataclass(frozen=True)
class Edit:
    """One resident edit: the value sent, the answer and when the request started and ended."""

    resident_id: int
    value: str
    status: int
    t0: float
    t1: float


@dataclass(frozen=True)
class Logout:
    """A logout (web or API) and the credentials as they were just before it."""

    kind: str
    username: str
    status: int
    cookies: dict | None = None
    headers: dict | None = None


@dataclass
class Ledger:
    """What the workers did that must hold afterwards (thread-safe appends)."""

    edits: list[Edit] = field(default_factory=list)
    uploads: list[tuple[int, str]] = field(default_factory=list)
    bad_downloads: list[str] = field(default_factory=list)
    logouts: list[Logout] = field(default_factory=list)
    bench_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, item) -> None:
        """Append `item` to the list called `name`."""
        with self.lock:
            getattr(self, name).append(item)

    def pick_upload(self, rnd: random.Random) -> tuple[int, str] | None:
        """A random 2xx upload so far, or None."""
        with self.lock:
            return rnd.choice(self.uploads) if self.uploads else None


# --- what the app holds -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class World:
    """Ids the workers use: residents, departments, applications to move, upload targets, stored materials."""

    resident_ids: tuple[int, ...]
    department_ids: tuple[int, ...]
    transition_ids: tuple[int, ...]
    upload_targets: tuple[tuple[int, int], ...]
    material_ids: tuple[int, ...]
    api_logout: bool


def check_loopback(url: str) -> str:
    """The base URL without a trailing slash; SystemExit unless it is http(s) on 127.0.0.1, localhost or ::1."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or parsed.hostname not in LOOPBACK:
        raise SystemExit(f"refusing {url!r}: the load bench runs against loopback only "
                         f"({', '.join(sorted(LOOPBACK))})")
    return url.rstrip("/")


def api_login(http: Http, username: str, password: str) -> Reply:
    """POST /api/v1/security/login; on success the JWT is set on `http`."""
    rep = http.call("POST /api/v1/security/login", "POST", "/api/v1/security/login",
                    json={"username": username, "password": password, "provider": "db"})
    if rep.ok:
        http.session.headers["Authorization"] = f"Bearer {rep.resp.json()['access_token']}"
    return rep


def officer_api(base: str, password: str) -> Http:
    """An unrecorded API client logged in as the officer (for discovery and the checks)."""
    http = Http(base, None)
    rep = api_login(http, "officer", password)
    if not rep.ok:
        raise RuntimeError(f"API login of officer failed: {rep.status}")
    return http


def list_all(http: Http, resource: str, extra: str = "", limit: int = 1000) -> list[dict]:
    """Rows of a REST list, page by page (at most `limit`)."""
    rows: list[dict] = []
    page = 0
    while len(rows) < limit:
        rep = http.call("", "GET", f"/api/v1/{resource}/?q=(page:{page},page_size:100{extra})")
        if not rep.ok:
            raise RuntimeError(f"listing {resource} failed: {rep.status}")
        batch = rep.resp.json()["result"]
        rows += batch
        if len(batch) < 100:
            break
        page += 1
    return rows


def discover(base: str, password: str) -> World:
    """Read what the demo data holds through the API, as the officer."""
    http = officer_api(base, password)
    residents = list_all(http, "residents", limit=600)
    apps = list_all(http, "applications")
    materials = list_all(http, "materials")
    status = {a["id"]: a["status"] for a in apps}
    moving = [a["id"] for a in apps if a["status"] in ("at_police", "entry")]
    for a in apps:  # a police return can be re-sent; other needs_materials wait for the applicant
        if a["status"] == "needs_materials":
            rep = http.call("", "GET", f"/api/v1/applications/{a['id']}")
            if rep.ok and rep.resp.json()["result"].get("police_returned"):
                moving.append(a["id"])
    moving_set = set(moving)
    targets = sorted({(m["application_id"], m["material_type_id"]) for m in materials
                      if status.get(m["application_id"]) not in ("archived", None)
                      and m["application_id"] not in moving_set})
    http.close()
    anonymous = Http(base, None)  # 401 when the API has a logout, 404/405 when not
    probe = anonymous.call("", "POST", "/api/v1/security/logout")
    anonymous.close()
    if len(residents) < 2 or not targets:
        raise RuntimeError("the app holds too little data: load the demo first")
    return World(tuple(r["id"] for r in residents), tuple(sorted({r["department_id"] for r in residents})),
                 tuple(moving), tuple(targets), tuple(m["id"] for m in materials),
                 api_logout=probe.status not in (0, 404, 405))


# --- small valid files --------------------------------------------------------------------------------------

def png_bytes(nonce: str) -> bytes:
    """A valid 1×1 PNG whose tEXt chunk carries `nonce` (every upload is a different file)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixel = zlib.compress(b"\x00" + hashlib.sha256(nonce.encode()).digest()[:3])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"tEXt", b"Comment\x00" + nonce.encode())
            + chunk(b"IDAT", pixel) + chunk(b"IEND", b""))


def pdf_bytes(nonce: str) -> bytes:
    """A valid one-page PDF (correct xref offsets) whose /Info title is `nonce`."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
               b"<< /Title (" + nonce.encode("ascii") + b") >>"]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --- the work -----------------------------------------------------------------------------------------------

_CSRF = (re.compile(r'name="csrf_token"[^>]*value="([^"]+)"'), re.compile(r'value="([^"]+)"[^>]*name="csrf_token"'),
         re.compile(r'name="csrf-token"[^>]*content="([^"]+)"'))
_LOGOUT_FORM = re.compile(r'<form[^>]*action="([^"]*logout[^"]*)"[^>]*>(.*?)</form>', re.S | re.I)


def csrf_in(html: str) -> str | None:
    """The first CSRF token of a page (hidden field or meta tag), or None."""
    for pattern in _CSRF:
        m = pattern.search(html)
        if m:
            return m.group(1)
    return None


def text_of(rep: Reply) -> str:
    """The body as text ('' without an answer)."""
    return rep.resp.text if rep.resp is not None else ""


def web_login(http: Http, username: str, password: str) -> bool:
    """GET the login page, POST the form; True on the redirect into the app."""
    page = http.call("GET /login/", "GET", "/login/")
    token = csrf_in(text_of(page))
    if token is None:
        return False
    rep = http.call("POST /login/", "POST", "/login/",
                    data={"username": username, "password": password, "csrf_token": token})
    return rep.status == 302 and "/login" not in rep.resp.headers.get("Location", "")


def web_logout(http: Http, page_html: str) -> int:
    """Log out as a browser does: POST the page's logout form with its CSRF token; without such a form GET
    /logout/, which either logs out (a redirect) or shows a confirmation form to POST. The last status."""
    form = _LOGOUT_FORM.search(page_html)
    if form is None:
        rep = http.call("GET /logout/", "GET", "/logout/")
        if rep.status != 200 and rep.status != 405:
            return rep.status
        if rep.status == 200:
            page_html = text_of(rep)
            form = _LOGOUT_FORM.search(page_html)
    path = (urlparse(form.group(1)).path if form else "") or "/logout/"
    token = (csrf_in(form.group(2)) if form else None) or csrf_in(page_html)
    return http.call(f"POST {path}", "POST", path, data={"csrf_token": token or ""}).status


class Worker(threading.Thread):
    """One simulated user: an officer with an API token and a web session doing mixed work until the deadline."""

    def __init__(self, n: int, run: "Run") -> None:
        super().__init__(name=f"load-{n}", daemon=True)
        self.n, self.run_ = n, run
        self.rnd = random.Random(run.seed * 1000 + n)
        ids = run.world.resident_ids
        self.own = ids[n * OWN_RESIDENTS % (len(ids) - 1):][:OWN_RESIDENTS] or ids[:1]
        self.hot = ids[-1]
        self.api = Http(run.base, run.stats)
        self.web = Http(run.base, run.stats)
        self.done = 0

    def run(self) -> None:
        """Log in, wait for the others (the clock starts when all are in), do one task of each kind, then pick
        weighted tasks until the deadline or the request budget is spent."""
        run = self.run_
        try:
            logged_in = api_login(self.api, "officer", run.password).ok and web_login(self.web, "officer",
                                                                                     run.password)
            run.start.wait(timeout=LOGIN_WAIT)
            if not logged_in:
                run.ledger.add("bench_errors", f"{self.name}: initial login failed")
                return
            k = self.n % len(TASKS)
            first = list(TASKS[k:] + TASKS[:k])  # one of each kind first: a short or loaded run measures them all
            while first or (time.perf_counter() < run.deadline and run.stats.count() < run.max_requests):
                task = first.pop(0) if first else self.rnd.choices(TASKS, weights=WEIGHTS)[0]
                try:
                    task(self)
                except Exception as err:  # a bench bug must show, not end the thread silently
                    run.ledger.add("bench_errors", f"{task.__name__}: {err!r}")
                self.done += 1
        except threading.BrokenBarrierError:
            run.ledger.add("bench_errors", f"{self.name}: the workers did not all log in within {LOGIN_WAIT} s")
        finally:
            self.api.close()
            self.web.close()

    # each task below is one thing a real user does; labels name the endpoint, ids replaced by <id>

    def edit_resident(self) -> None:
        """PUT a new occupation on an own resident or on the hot one."""
        rid = self.hot if self.rnd.random() < HOT_SHARE else self.rnd.choice(self.own)
        value = f"压测{self.n}-{self.done}-{uuid.uuid4().hex[:6]}"
        rep = self.api.call("PUT /api/v1/residents/<id>", "PUT", f"/api/v1/residents/{rid}",
                            json={"occupation": value})
        self.run_.ledger.add("edits", Edit(rid, value, rep.status, rep.t0, rep.t1))

    def upload(self) -> None:
        """POST a small valid PDF or PNG scan (unique content) to an application's checklist item."""
        app_id, type_id = self.rnd.choice(self.run_.world.upload_targets)
        nonce = f"load{self.n}x{self.done}x{uuid.uuid4().hex}"
        kind = self.rnd.choice(("pdf", "png"))
        data = pdf_bytes(nonce) if kind == "pdf" else png_bytes(nonce)
        mime = "application/pdf" if kind == "pdf" else "image/png"
        rep = self.api.call("POST /api/v1/materials/", "POST", "/api/v1/materials/",
                            data={"application_id": str(app_id), "material_type_id": str(type_id)},
                            files={"file": (f"压测扫描件-{self.n}-{self.done}.{kind}", data, mime)})
        if rep.ok:
            self.run_.ledger.add("uploads", (rep.resp.json()["id"], hashlib.sha256(data).hexdigest()))

    def _material(self) -> tuple[int, str | None]:
        """A material to download: mostly one uploaded in this run (checksum known), else a demo one."""
        mine = self.run_.ledger.pick_upload(self.rnd) if self.rnd.random() < 0.7 else None
        return mine if mine else (self.rnd.choice(self.run_.world.material_ids), None)

    def _download(self, http: Http, label: str, path: str, expected: str | None) -> None:
        """Download and compare the checksum of a file uploaded in this run."""
        rep = http.call(label, "GET", path)
        if rep.ok and expected and hashlib.sha256(rep.resp.content).hexdigest() != expected:
            self.run_.ledger.add("bad_downloads", f"{path}: sha256 differs from the upload")

    def download_api(self) -> None:
        """GET /api/v1/materials/<id>/file."""
        mid, sha = self._material()
        self._download(self.api, "GET /api/v1/materials/<id>/file", f"/api/v1/materials/{mid}/file", sha)

    def download_web(self) -> None:
        """GET /materialview/download/<id> with the web session."""
        mid, sha = self._material()
        self._download(self.web, "GET /materialview/download/<id>", f"/materialview/download/{mid}", sha)

    def unmask_api(self) -> None:
        """GET /api/v1/residents/<id>?unmask=1."""
        rid = self.rnd.choice(self.run_.world.resident_ids)
        self.api.call("GET /api/v1/residents/<id>?unmask=1", "GET", f"/api/v1/residents/{rid}?unmask=1")

    def unmask_web(self) -> None:
        """Open a resident's page, then press 'show full numbers' (POST with the page's CSRF token)."""
        rid = self.rnd.choice(self.run_.world.resident_ids)
        page = self.web.call("GET /residentview/show/<id>", "GET", f"/residentview/show/{rid}")
        token = csrf_in(text_of(page))
        if page.ok and token:
            self.web.call("POST /residentview/unmask/<id>", "POST", f"/residentview/unmask/{rid}",
                          data={"csrf_token": token})

    def export(self) -> None:
        """The register's Excel export as the list's 「导出」 button sends it: the leavers of one department (the
        list an officer chases), or (one time in three) one whole department; above the job threshold it is a
        job and the answer a redirect to its progress page."""
        dept = self.rnd.choice(self.run_.world.department_ids)
        query = f"?_flt_0_department={dept}" + ("" if self.rnd.random() < 1 / 3 else "&_flt_0_status=leaving")
        self.web.call("GET /export/residents/xlsx", "GET", f"/export/residents/xlsx{query}")

    def transition(self) -> None:
        """Move an application at the police stage one step: enter, police return, re-send."""
        ids = self.run_.world.transition_ids
        if not ids:
            return
        app_id = self.rnd.choice(ids)
        rep = self.api.call("GET /api/v1/applications/<id>", "GET", f"/api/v1/applications/{app_id}")
        if not rep.ok:
            return
        status = rep.resp.json()["result"]["status"]
        body = {"entry": {"action": "enter"}, "needs_materials": {"action": "submit_police"},
                "at_police": {"action": "police_reject", "comment": "压力测试：派出所退回补充材料"}}.get(status)
        if body:
            self.api.call("POST /api/v1/applications/<id>/transition", "POST",
                          f"/api/v1/applications/{app_id}/transition", json=body)

    def login_logout_web(self) -> None:
        """A fresh browser: log in as some user, open the home page, log out; keep the old cookie to reuse."""
        user = self.rnd.choice(WEB_USERS)
        http = Http(self.run_.base, self.run_.stats)
        try:
            if not web_login(http, user, self.run_.password):
                return
            home = http.call("GET /", "GET", "/")
            before = http.session.cookies.get_dict()
            status = web_logout(http, text_of(home))
            self.run_.ledger.add("logouts", Logout("web", user, status, cookies=before))
        finally:
            http.close()

    def login_api(self) -> None:
        """An API login; with POST /api/v1/security/logout available, use the token once and log out."""
        http = Http(self.run_.base, self.run_.stats)
        try:
            if not api_login(http, API_CYCLE_USER, self.run_.password).ok or not self.run_.world.api_logout:
                return
            rid = self.rnd.choice(self.run_.world.resident_ids)
            http.call("GET /api/v1/residents/<id>", "GET", f"/api/v1/residents/{rid}")
            headers = {"Authorization": http.session.headers["Authorization"]}
            rep = http.call("POST /api/v1/security/logout", "POST", "/api/v1/security/logout")
            self.run_.ledger.add("logouts", Logout("api", API_CYCLE_USER, rep.status, headers=headers))
        finally:
            http.close()


TASK_WEIGHTS: tuple[tuple[Callable[[Worker], None], int], ...] = (
    (Worker.edit_resident, 20), (Worker.upload, 8), (Worker.download_api, 10), (Worker.download_web, 6),
    (Worker.unmask_api, 10), (Worker.unmask_web, 6), (Worker.export, 3), (Worker.transition, 8),
    (Worker.login_logout_web, 4), (Worker.login_api, 3),
)
TASKS = [t for t, _w in TASK_WEIGHTS]
WEIGHTS = [w for _t, w in TASK_WEIGHTS]


@dataclass
class Run:
    """One load run's parameters and shared state."""

    base: str
    password: str
    world: World
    seed: int
    seconds: float
    max_requests: int
    threads: int
    deadline: float = math.inf
    think: float = 0.0  # a user's mean pause between two actions (s); 0: back to back, a stress test
    stats: Stats = field(default_factory=Stats)
    ledger: Ledger = field(default_factory=Ledger)
    start: threading.Barrier = field(init=False)

    def __post_init__(self) -> None:
        """The barrier every worker passes after its logins; passing it starts the clock."""
        self.start = threading.Barrier(self.threads, action=self._start_clock)

    def _start_clock(self) -> None:
        """Runs once, before any worker is released."""
        self.deadline = time.perf_counter() + self.seconds

    def pause(self, rnd: random.Random) -> None:
        """A user's think time after an action: uniform between half and one and a half times `think`, never
        past the deadline (as Locust's `between(1, 3)` for think 2)."""
        if self.think > 0:
            time.sleep(max(0.0, min(rnd.uniform(0.5, 1.5) * self.think, self.deadline - time.perf_counter())))


# --- checks after the run -----------------------------------------------------------------------------------

def lost_edits(edits: list[Edit], final: dict[int, str | None]) -> list[str]:
    """Residents whose stored value no surviving edit wrote. An edit survives unless a 2xx edit of the same
    resident started after it ended (that one committed later). The stored value must come from a surviving
    edit that answered 2xx, or 5xx / nothing (outcome unknown); a refused (4xx) edit must not have written."""
    by_resident: dict[int, list[Edit]] = defaultdict(list)
    for e in edits:
        by_resident[e.resident_id].append(e)
    lost = []
    for rid, items in sorted(by_resident.items()):
        succeeded = [e for e in items if 200 <= e.status < 300]
        if not succeeded:
            continue
        last_start = max(e.t0 for e in succeeded)  # that edit itself survives: t1 > t0
        allowed = {e.value for e in items if e.t1 >= last_start and (200 <= e.status < 300 or e.status >= 500
                                                                     or e.status == 0)}
        if final.get(rid) not in allowed:
            lost.append(f"resident {rid}: stored {final.get(rid)!r}, last 2xx edit sent "
                        f"{max(succeeded, key=lambda e: e.t0).value!r}")
    return lost


def check_edits(http: Http, edits: list[Edit]) -> list[str]:
    """Read every edited resident back through the API and apply lost_edits."""
    final = {}
    for rid in sorted({e.resident_id for e in edits}):
        rep = http.call("", "GET", f"/api/v1/residents/{rid}")
        final[rid] = rep.resp.json()["result"].get("occupation") if rep.ok else f"<HTTP {rep.status}>"
    return lost_edits(edits, final)


def check_uploads(http: Http, uploads: list[tuple[int, str]]) -> list[str]:
    """Every 2xx upload downloads with the sha256 of what was sent."""
    lost = []
    for mid, sha in uploads[:MAX_UPLOAD_CHECKS]:
        rep = http.call("", "GET", f"/api/v1/materials/{mid}/file")
        if not rep.ok:
            lost.append(f"material {mid}: download answered {rep.status}")
        elif hashlib.sha256(rep.resp.content).hexdigest() != sha:
            lost.append(f"material {mid}: sha256 differs from the upload")
    return lost


def still_valid(base: str, logout: Logout) -> bool:
    """Reuse the credentials from before the logout: True when the app still lets them in."""
    http = Http(base, None, logout.headers)
    try:
        if logout.kind == "api":
            return http.call("", "GET", "/api/v1/residents/?q=(page_size:1)").ok
        rep = http.call("", "GET", "/users/userinfo/", cookies=logout.cookies)  # every signed-in user's page
        return rep.ok and 'name="password"' not in text_of(rep)
    finally:
        http.close()


def check_logouts(base: str, logouts: list[Logout]) -> list[str]:
    """Logouts after which the old cookie or token still works."""
    return [f"{lo.kind} logout of {lo.username} (answered {lo.status}): still signed in afterwards"
            for lo in logouts if still_valid(base, lo)]
