"""Reading export jobs: a user's own only. A file holds what its user's scope and permissions let them
see, so nobody else gets it, not even an admin (the audit log tells admins that it was made)."""
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from kehu.exports.models import ExportJob
from kehu.extensions import db
from kehu.platform.time import utcnow


def own_jobs(user):
    """SELECT of ``user``'s exports, newest first."""
    return select(ExportJob).where(ExportJob.user_id == user.id).order_by(ExportJob.id.desc())


def own_job(job_id: int, user) -> ExportJob | None:
    """The export if it is ``user``'s; None for anybody else's (answered as missing)."""
    return db.session.scalar(select(ExportJob).where(ExportJob.id == job_id, ExportJob.user_id == user.id))


def is_expired(job: ExportJob) -> bool:
    """Its file is gone or past its time (the sweep deletes it within minutes of that)."""
    return job.status == "expired" or (job.status == "done" and job.expires_at is not None
                                       and job.expires_at <= utcnow())


def stored_file(job: ExportJob) -> Path | None:
    """The file of a finished, unexpired export, when it is still there."""
    if job.status != "done" or is_expired(job) or not job.file_path:
        return None
    path = Path(current_app.config["KEHU_EXPORT_DIR"]) / job.file_path
    return path if path.is_file() else None
