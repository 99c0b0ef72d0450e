"""「我的任务」: the user's background jobs, one job's progress page, its JSON status and its result file.

No FAB permission: any signed-in user sees their own jobs; a job of someone else is a 404 (Admin sees all).
Downloading a result is audited.
"""
from __future__ import annotations

import json
import os

from flask import abort, current_app, jsonify, redirect, url_for
from flask_appbuilder import BaseView, expose
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from ..domain.errors import N_
from ..extensions import db
from ..models.jobs import JOB_STATUSES, Job
from ..security.actor import current_actor, request_unit
from ..views.formatters import fmt_date
from . import KINDS, progress as prog

# Codes the worker stores as a failed job's message.
MESSAGES = {
    "stale": N_("The job stopped responding and was marked as failed; nothing was written."),
    "worker_gone": N_("The process running the job stopped; the job was marked as failed and nothing was written."),
    "error": N_("The job failed; nothing was written. Please try again or contact the administrator."),
}
MY_JOBS = 50


def job_message(job: Job) -> str:
    """The job's message in the user's language."""
    if job.message in MESSAGES:
        return gettext(MESSAGES[job.message])
    return job.message or ""


def job_state(job: Job) -> dict:
    """What the progress page shows: status, rows done / total, percent, message, download link."""
    done, total = job.done or 0, job.total
    side = prog.side_progress(job) if job.status == "running" else None
    if side:
        done, total = max(done, side.get("done") or 0), side.get("total") or total
    percent = 100 if job.status == "done" else (int(done * 100 / total) if total else 0)
    return {"id": job.id, "status": job.status, "status_label": gettext(JOB_STATUSES.get(job.status, job.status)),
            "done": done, "total": total, "percent": min(percent, 100), "message": job_message(job),
            "kind": gettext(KINDS[job.kind].label) if job.kind in KINDS and KINDS[job.kind].label else job.kind,
            "download": url_for("JobsView.download", job_id=job.id) if job.status == "done" and job.result_path
            else None, "name": job.result_name}


class JobsView(BaseView):
    """/jobs/: my jobs; /jobs/<id>: progress; /jobs/<id>/status: JSON; /jobs/<id>/download: the file."""

    route_base = "/jobs"
    default_view = "index"

    def _job(self, job_id: int) -> Job:
        """The job if the signed-in user owns it (or is Admin), refreshed and checked for staleness; else 404."""
        if not current_user.is_authenticated:
            abort(404)
        job = db.session.get(Job, job_id)
        actor = current_actor()
        if job is None or (job.created_by_id != actor.user_id and "Admin" not in actor.roles):
            abort(404)
        if prog.fail_if_stale(job):
            db.session.rollback()  # the failure committed on its own connection: read it in a new snapshot
            job = db.session.get(Job, job_id)
        return job

    @expose("/")
    def index(self):
        """The signed-in user's latest jobs."""
        if not current_user.is_authenticated:
            return redirect(url_for(current_app.appbuilder.sm.auth_view.endpoint + ".login"))
        jobs = db.session.scalars(select(Job).where(Job.created_by_id == current_actor().user_id)
                                  .order_by(Job.id.desc()).limit(MY_JOBS)).all()
        if [job for job in jobs if prog.fail_if_stale(job)]:
            db.session.rollback()
            jobs = db.session.scalars(select(Job).where(Job.created_by_id == current_actor().user_id)
                                      .order_by(Job.id.desc()).limit(MY_JOBS)).all()
        return self.render_template("jobs_list.html", jobs=[(job, job_state(job)) for job in jobs],
                                    title=gettext("My jobs"), fmt_date=fmt_date)

    @expose("/<int:job_id>")
    def show(self, job_id: int):
        """The progress bar of one job (hukou_jobs.js polls the status), then its result."""
        job = self._job(job_id)
        return self.render_template("job_show.html", job=job, state=job_state(job), title=gettext("My jobs"),
                                    status_url=url_for(".status", job_id=job_id))

    @expose("/<int:job_id>/status")
    def status(self, job_id: int):
        """The job's state as JSON (polled by the progress page)."""
        response = jsonify(job_state(self._job(job_id)))
        response.headers["Cache-Control"] = "no-store, private"
        return response

    @expose("/<int:job_id>/download")
    def download(self, job_id: int):
        """The result file under its Chinese name, for its owner (or Admin); the download is audited."""
        from ..web.files import send_download

        job = self._job(job_id)
        if job.status != "done" or not job.result_path or not os.path.isfile(job.result_path):
            abort(404)
        params = json.loads(job.params or "{}")
        with request_unit() as uow:
            uow.record("download", object_type=_resource(params), object_id=str(job.id),
                       detail={"job": job.id, "name": job.result_name})
        fmt = "csv" if job.result_path.endswith(".csv") else "xlsx"
        return send_download(open(job.result_path, "rb"), job.result_name or os.path.basename(job.result_path), fmt)


def _resource(params: dict) -> str | None:
    """The audited object type of a job's result (the exported list's resource)."""
    from ..exports.specs import SPECS

    spec = SPECS.get(params.get("kind", ""))
    return spec.resource if spec else None


def register(appbuilder) -> None:
    """The jobs pages and the top-level 「我的任务」 menu link (every role has its menu_access, see roles.py)."""
    appbuilder.add_view_no_menu(JobsView)
    appbuilder.add_link("MyJobs", href="/jobs/", label=_l("My jobs"), icon="fa-tasks")
