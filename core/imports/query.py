"""Reading imports: a user sees the imports they started; a user whose scope is "all" sees every one."""
from sqlalchemy import select

from kehu.extensions import db
from kehu.imports.models import ImportJob, ImportRow


def jobs_for(user):
    query = select(ImportJob).order_by(ImportJob.id.desc())
    return query if user.scope == "all" else query.where(ImportJob.created_by_id == user.id)


def visible_job(job_id: int, user) -> ImportJob | None:
    # populate_existing: a job's state is written by tasks in other sessions; read it as it is now
    return db.session.scalar(jobs_for(user).where(ImportJob.id == job_id).execution_options(populate_existing=True))


def rows_of(job: ImportJob, action: str | None = None):
    query = select(ImportRow).where(ImportRow.job_id == job.id).order_by(ImportRow.line)
    return query.where(ImportRow.action == action) if action else query
