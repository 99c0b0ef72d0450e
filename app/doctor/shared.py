"""Checks of what several app servers share: Redis, the file folders every server mounts, the queue worker."""
from __future__ import annotations

import json
import os
import socket
import time
import uuid
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import select

from . import ERROR, OK, SKIPPED, WARNING, Finding

MARKERS = ".hukou-servers"  # in each shared folder: one small file per server that ran the doctor
MATERIAL_SAMPLE = 50
HEARTBEAT_MAX_AGE = 90  # seconds: a live worker beats every 15


def host() -> str:
    """This server's name (markers and messages)."""
    return socket.gethostname()


def _redis_client(app):
    """A Redis client for REDIS_URL, or None when none is configured."""
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)


def _is_postgres(app) -> bool:
    """Whether the app runs on PostgreSQL (the several-servers setup)."""
    return str(app.config["SQLALCHEMY_DATABASE_URI"]).startswith("postgresql")


def redis(app) -> list[Finding]:
    """Redis reachable when configured; without it, login limits and the queue are per server."""
    name, client = gettext("Redis (shared state)"), _redis_client(app)
    if client is None:
        if _is_postgres(app):
            return [Finding(name, WARNING, gettext("No REDIS_URL: failed-login limits are counted per process "
                                                   "and the job queue is a file of this server, so a second "
                                                   "app server would not share them"),
                            gettext("Install Redis and set REDIS_URL on every app server and the worker"))]
        return [Finding(name, SKIPPED, gettext("No REDIS_URL (one server with SQLite: not needed)"))]
    try:
        client.ping()
    except Exception as err:  # noqa: BLE001  (refused, timeout, auth: all mean unreachable)
        return [Finding(name, ERROR, gettext("Redis at REDIS_URL cannot be reached: %(error)s",
                                             error=str(err)[:200]),
                        gettext("Start Redis (systemctl start redis-server) or correct REDIS_URL"))]
    return [Finding(name, OK, gettext("Redis reachable (login limits, revoked API tokens, job queue)"))]


def _folders(app) -> dict[str, Path]:
    """The folders every app server and the worker must see alike."""
    cfg, instance = app.config, Path(app.config.get("HUKOU_INSTANCE_DIR", "instance"))
    return {"UPLOAD_FOLDER": Path(cfg["UPLOAD_FOLDER"]),
            "HUKOU_EXPORT_DIR": Path(cfg.get("HUKOU_EXPORT_DIR") or instance / "exports"),
            "HUKOU_IMPORT_DIR": Path(cfg.get("HUKOU_IMPORT_DIR") or instance / "imports")}


def writable(folder: Path) -> str | None:
    """None when a file can be created, synced, read back and removed in `folder`, else the error."""
    probe = folder / f".doctor-{uuid.uuid4().hex}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(probe, "wb") as out:
            out.write(b"hukou")
            out.flush()
            os.fsync(out.fileno())
        ok = probe.read_bytes() == b"hukou"
        probe.unlink()
        return None if ok else "read back differs"
    except OSError as err:
        return f"{err.strerror or err} ({err.filename or folder})"


def leave_marker(folder: Path, me: str) -> str:
    """Write this server's marker into the folder; returns the token it holds."""
    token = uuid.uuid4().hex
    marks = folder / MARKERS
    marks.mkdir(exist_ok=True)
    (marks / me).write_text(json.dumps({"host": me, "token": token, "at": time.time()}))
    return token


def sharing(app, setting: str, folder: Path, me: str) -> Finding | None:
    """Compare with the marker another server left (announced through Redis, else seen in the folder)."""
    name, client = gettext("Shared folders"), _redis_client(app)
    key = f"{app.config.get('HUKOU_REDIS_PREFIX', 'hukou:')}doctor:{setting}"
    other = None
    token = leave_marker(folder, me)
    if client is not None:
        try:
            raw = client.get(key)
            other = json.loads(raw) if raw else None
            client.set(key, json.dumps({"host": me, "token": token}), ex=90 * 24 * 3600)
        except Exception:  # noqa: BLE001  (Redis down is the Redis check's finding, not this one's)
            return None
    if other and other.get("host") != me:
        seen = folder / MARKERS / other["host"]
        if not seen.exists() or other["token"] not in seen.read_text():
            return Finding(name, ERROR, gettext("%(setting)s (%(path)s) is not shared: the file server %(other)s "
                                                "wrote there is not visible on %(me)s", setting=setting,
                                                path=folder, other=other["host"], me=me),
                           gettext("Mount the same shared folder (e.g. NFS) at this path on every app server "
                                   "and the worker, then run the doctor on each"))
        return Finding(name, OK, gettext("%(setting)s is shared with %(other)s", setting=setting,
                                         other=other["host"]))
    return None


def material_files_missing(app) -> tuple[int, int]:
    """(missing, looked at) among the newest material files: another server's uploads must be here too."""
    from ..extensions import db
    from ..models import Material

    names = db.session.scalars(select(Material.storage_name).order_by(Material.id.desc())
                               .limit(MATERIAL_SAMPLE)).all()
    db.session.rollback()
    upload = Path(app.config["UPLOAD_FOLDER"])
    return sum(1 for n in names if not (upload / n).is_file()), len(names)


def folders(app) -> list[Finding]:
    """Each folder writable here, and shared (markers of other servers, the newest uploads present)."""
    name, me, found = gettext("Shared folders"), host(), []
    for setting, folder in _folders(app).items():
        error = writable(folder)
        if error:
            found.append(Finding(name, ERROR, gettext("%(setting)s (%(path)s) is not writable: %(error)s",
                                                      setting=setting, path=folder, error=error),
                                 gettext("Create the folder and give the service user (hukou) write access; "
                                         "on NFS check the export options and the mount")))
            continue
        shared = sharing(app, setting, folder, me)
        found.append(shared or Finding(name, OK, gettext("%(setting)s (%(path)s) is writable", setting=setting,
                                                         path=folder)))
    missing, looked = material_files_missing(app)
    if missing:
        found.append(Finding(name, ERROR, gettext("%(missing)s of the newest %(n)s material files are missing in "
                                                  "this server's upload folder", missing=missing, n=looked),
                             gettext("Mount the shared upload folder on this server; flask --app run hukou check "
                                     "lists every missing file")))
    return found


def worker(app) -> list[Finding]:
    """A queue consumer (`hukou worker`, or `python run.py`'s own) beat recently."""
    from ..jobs import huey_of, queue_mode
    from ..jobs.heartbeat import last_beat

    name, mode = gettext("Queue worker"), queue_mode(app)
    if mode == "immediate":
        return [Finding(name, WARNING, gettext("HUKOU_QUEUE=immediate: long exports and imports run inside the "
                                               "web request"),
                        gettext("Unset HUKOU_QUEUE (Redis queue with REDIS_URL) and run hukou-worker.service"))]
    found = []
    if mode == "sqlite" and _is_postgres(app):
        found.append(Finding(name, WARNING, gettext("The job queue is a file on this server (huey.db): a worker "
                                                    "on another server would never see its jobs"),
                             gettext("Set REDIS_URL so the queue lives in Redis")))
    beat = last_beat(huey_of(app))
    fix = gettext("Start the worker: systemctl enable --now hukou-worker (flask --app run hukou worker)")
    if beat is None:
        return found + [Finding(name, ERROR, gettext("No queue worker has ever reported: exports and imports "
                                                     "above HUKOU_JOB_THRESHOLD rows would wait forever"), fix)]
    age = time.time() - float(beat.get("at", 0))
    if age > HEARTBEAT_MAX_AGE:
        return found + [Finding(name, ERROR, gettext("The queue worker %(worker)s last reported %(s)s seconds ago",
                                                     worker=beat.get("worker", "?"), s=int(age)), fix)]
    pending = huey_of(app).pending_count()
    return found + [Finding(name, OK, gettext("Worker %(worker)s alive (%(s)s s ago), %(n)s jobs waiting",
                                              worker=beat.get("worker", "?"), s=int(age), n=pending))]
