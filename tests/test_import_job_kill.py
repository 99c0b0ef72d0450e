"""A confirmed import running as a background job and killed half-way (kill -9 after its first batch of
residents and audit rows was written) leaves nothing written: no resident, no audit row, the batch still a
dry run that can be confirmed again; the job shows as failed."""
from __future__ import annotations

import json
import socket
import textwrap
from pathlib import Path

from sqlalchemy import func, select

from app.extensions import db
from app.jobs import progress as prog
from app.models import AuditLog, ImportBatch, Resident
from app.models.jobs import Job
from tests.import_support import new_id, run, write_xlsx
from tests.test_jobs import kill_half_way
from tests.import_support import import_folder  # noqa: F401  (autouse: files in a temp folder)

ROOT = Path(__file__).resolve().parent.parent
ROWS = 300

KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from app import create_app
    import app.imports.apply as apply

    app = create_app({{"SQLALCHEMY_DATABASE_URI": {url!r}, "TESTING": True, "HUKOU_QUEUE": "immediate",
                      "HUKOU_INSTANCE_DIR": {tmp!r}, "HUKOU_IMPORT_DIR": {imports!r},
                      "RATELIMIT_STORAGE_URI": "memory://"}})
    apply.BATCH = 100  # three batches: the kill lands after the first one was written
    written = apply.insert_residents

    def halfway(uow, creates, rows, batch_id, progress):
        def report(n):
            progress(n)
            open({marker!r}, "w").close()
            time.sleep(60)
        return written(uow, creates, rows, batch_id, report)

    apply.insert_residents = halfway
    with app.app_context():
        from app.jobs import enqueue
        enqueue("import", None, {params!r})
""")


def _count(model, *where) -> int:
    """Rows of a model matching the conditions."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_import_job_killed_half_way_leaves_nothing(app, tmp_path):
    numbers = [new_id("330106") for _ in range(ROWS)]
    rows = [["姓名", "公民身份号码"]] + [[f"杀{i}", n] for i, n in enumerate(numbers)]
    path = write_xlsx(tmp_path / "roster.xlsx", rows)
    dry = run(app, "roster", path, dry_run=True)
    assert dry.status == "dry_run" and dry.plan.counts["created"] == ROWS
    with app.app_context():
        batch = db.session.get(ImportBatch, dry.batch_id)
        stored, imports = json.loads(batch.summary)["stored"], app.config["HUKOU_IMPORT_DIR"]
    params = {"kind": "roster", "stored": stored, "rows": ROWS, "file_name": "roster.xlsx",
              "batch_id": dry.batch_id}
    marker = tmp_path / "half-way"
    script = tmp_path / "killed_import.py"
    script.write_text(KILL_SCRIPT.format(root=str(ROOT), url=app.config["SQLALCHEMY_DATABASE_URI"],
                                         tmp=str(tmp_path), imports=imports, marker=str(marker), params=params))
    proc = kill_half_way(script, marker)
    with app.app_context():
        job = db.session.scalars(select(Job).where(Job.kind == "import").order_by(Job.id.desc())).first()
        assert job.status == "running" and job.worker.endswith(f":{proc.pid}")
        assert prog.fail_orphans(socket.gethostname()) == [job.id]
        assert _count(Resident, Resident.id_number.in_(numbers)) == 0
        assert _count(AuditLog, AuditLog.object_type == "Resident", AuditLog.username == "系统（人事同步）",
                      AuditLog.at >= job.started_at) == 0
        assert db.session.get(ImportBatch, dry.batch_id).status == "dry_run"
        assert db.session.get(Job, job.id).status == "failed"
