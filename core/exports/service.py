"""Every write of exports: starting one, making its file (inline or in the Celery task), expiring files.

A small export (up to ``KEHU_EXPORT_INLINE_ROWS`` customers) is made in the request that asks for it;
a larger one is queued for the worker, which reports its progress per batch. Either way the same
``run_export`` makes the file, streamed, and writes the export to the audit log once.
"""
import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale, get_locale, gettext as _
from sqlalchemy import func, select

from kehu.accounts.models import User
from kehu.customers.models import Customer
from kehu.customers.query import (CustomerFilter, FilterInvalid, customer_select, filter_from_args, filter_to_args,
                                  known_total)
from kehu.exports.formats import available_formats, neutralized
from kehu.exports.models import UNFINISHED, ExportJob
from kehu.exports.rows import CustomerTable
from kehu.extensions import db
from kehu.platform.audit import acting_as, record_action
from kehu.platform.session import commit_as_written
from kehu.platform.tasks import dispatch
from kehu.platform.time import china_now, utcnow

log = logging.getLogger(__name__)
RUN_TASK = "kehu.exports.run"
AUDIT_ENTITY = ExportJob.__tablename__
MAX_UNFINISHED = 3  # a user's exports queued or running at once
STALE_AFTER = timedelta(minutes=15)  # a running job without a progress report this long has lost its worker
PART_SUFFIX = ".part"  # a file being written; renamed when complete, so a download never gets half a file


class ExportInvalid(Exception):
    """The export cannot be made as asked; ``errors`` maps each field to messages in the user's language."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


class ExportRefused(Exception):
    """The user has as many exports under way as allowed; the message says so in their language."""


def export_folder() -> Path:
    """Where export files live (``KEHU_EXPORT_DIR``): only the kehu user can enter it."""
    folder = Path(current_app.config["KEHU_EXPORT_DIR"])
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _capped_count(filters: CustomerFilter, user, limit: int) -> int:
    matching = customer_select(filters, user).with_only_columns(Customer.id, maintain_column_froms=True)
    return db.session.scalar(select(func.count()).select_from(matching.order_by(None).limit(limit).subquery()))


def _count(filters: CustomerFilter, user) -> int:
    total = known_total(filters, user)
    if total is not None:
        return total
    matching = customer_select(filters, user).with_only_columns(Customer.id, maintain_column_froms=True)
    return db.session.scalar(select(func.count()).select_from(matching.order_by(None).subquery()))


def start_export(filters: CustomerFilter, format_name: str, user) -> ExportJob:
    """Export the customers ``filters`` find for ``user`` (scope and masking applied) to ``format_name``.

    Small exports are made at once (the job comes back done); larger ones are queued for the worker.
    Raises ExportInvalid (no such format) or ExportRefused (too many of the user's exports under way).
    """
    if format_name not in available_formats():
        raise ExportInvalid({"format": [_("没有这种导出格式：%(name)s", name=format_name)]})
    unfinished = db.session.scalar(select(func.count()).select_from(ExportJob).where(
        ExportJob.user_id == user.id, ExportJob.status.in_(UNFINISHED)))
    if unfinished >= MAX_UNFINISHED:
        raise ExportRefused(_("已有 %(count)s 个导出正在进行，请等它们完成后再导出", count=unfinished))
    inline_limit = current_app.config["KEHU_EXPORT_INLINE_ROWS"]
    found = _capped_count(filters, user, inline_limit + 1)
    locale = get_locale()
    job = ExportJob(user_id=user.id, team_id=user.team_id, format=format_name, filter_args=filter_to_args(filters),
                    locale=str(locale) if locale else None, status="queued",
                    rows_total=found if found <= inline_limit else None)
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    if found <= inline_limit:
        run_export(job_id)
    else:
        dispatch(RUN_TASK, job_id)
    job = db.session.get(ExportJob, job_id, populate_existing=True)  # the task wrote it in its own session
    return job


def _claim(job_id: int) -> ExportJob | None:
    """The job, marked running, if it is for this run to make: queued, or running without a heartbeat
    (a redelivered task of a worker that died). Another run that is alive keeps it."""
    job = db.session.get(ExportJob, job_id, with_for_update=True, populate_existing=True)
    alive = job is not None and job.status == "running" and job.updated_at > utcnow() - STALE_AFTER
    if job is None or alive or job.status not in UNFINISHED:
        db.session.rollback()
        return None
    job.status, job.started_at, job.rows_done = "running", utcnow(), 0
    db.session.commit()
    return job


def run_export(job_id: int) -> None:
    """Make the file of a queued export (the Celery task and the inline path call this). Idempotent:
    a job already made, or being made by a live run, is left alone. Titles, labels and an error are
    in the language of the user who asked."""
    job = _claim(job_id)
    if job is None:
        return
    user = db.session.get(User, job.user_id)
    made = None  # the file this run writes: deleted when the run fails
    with force_locale(job.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            if user is None or not user.active or not user.has_permission("customer.export"):
                raise ExportInvalid({"user": [_("导出人已停用或不再有导出权限")]})
            export_format = available_formats().get(job.format)
            if export_format is None:
                raise ExportInvalid({"format": [_("没有这种导出格式：%(name)s", name=job.format)]})
            with acting_as(user.id, user.username):
                filters = filter_from_args(job.filter_args)
                if job.rows_total is None:
                    job.rows_total = _count(filters, user)
                    commit_as_written(db.session)
                table = CustomerTable(user)
                name = f"{job.id}-{secrets.token_hex(8)}.{export_format.extension}"
                made = export_folder() / f"{name}{PART_SUFFIX}"
                rows = table.rows(filters, progress=lambda done: _progressed(job, done))
                with os.fdopen(os.open(made, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "wb") as stream:
                    export_format.write(table.titles, neutralized(rows) if export_format.neutralize else rows, stream)
                made = made.replace(made.with_name(name))
                _finished(job, name, export_format.extension)
        except (ExportInvalid, FilterInvalid) as exc:  # the filter, format or user changed since it was queued
            _failed(job_id, made, "; ".join(str(m) for messages in exc.errors.values() for m in _flat(messages)))
        except Exception:
            log.exception("export %s failed", job_id)
            _failed(job_id, made, None)


def _flat(messages) -> list:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    return list(messages) if isinstance(messages, (list, tuple)) else [messages]


def _progressed(job: ExportJob, done: int) -> None:
    job.rows_done += done  # updated_at moves with it: the heartbeat
    commit_as_written(db.session)


def _finished(job: ExportJob, name: str, extension: str) -> None:
    now = utcnow()
    job.status, job.finished_at, job.file_path = "done", now, name
    job.expires_at = now + timedelta(hours=current_app.config["KEHU_EXPORT_TTL_HOURS"])
    job.file_name = f"{_('客户')}-{china_now():%Y%m%d-%H%M}.{extension}"
    record_action("export", AUDIT_ENTITY, job.id, {
        "format": job.format, "filter": audited_filter(job.filter_args), "row_count": job.rows_done})
    db.session.commit()


def _failed(job_id: int, made: Path | None, reason: str | None) -> None:
    db.session.rollback()
    if made is not None:
        made.unlink(missing_ok=True)
    job = db.session.get(ExportJob, job_id, populate_existing=True)
    job.status, job.finished_at = "failed", utcnow()
    job.error = (reason or _("导出失败，请稍后重试；一再失败请联系管理员。"))[:500]
    db.session.commit()


def _masked_number(text: str) -> str:
    """A search for a phone number (seven digits or more) with all but its last four digits as ``*``."""
    hidden = sum(c.isdigit() for c in text) - 4
    if hidden < 3:
        return text
    shown = []
    for character in text:
        if character.isdigit() and hidden > 0:
            character, hidden = "*", hidden - 1
        shown.append(character)
    return "".join(shown)


def audited_filter(args: dict) -> str:
    """The filter as the audit log keeps it: the list's arguments as in its address
    (``region=3708&status=lead``), unencoded for people to read; a phone number searched for keeps only
    its last four digits (the audit log never holds a full number)."""
    pairs = []
    for key, value in sorted(args.items()):
        for item in value if isinstance(value, list) else [value]:
            pairs.append(f"{key}={_masked_number(str(item)) if key == 'q' else item}")
    return "&".join(pairs)


def sweep() -> int:
    """The periodic clean-up: delete the files of expired exports, fail runs that lost their worker and
    queued exports no worker took, remove half-written files. Returns how many files expired."""
    now = utcnow()
    folder = export_folder()
    expired = db.session.scalars(select(ExportJob).where(ExportJob.status == "done", ExportJob.expires_at <= now))
    count = 0
    for job in expired:
        (folder / job.file_path).unlink(missing_ok=True)
        job.status, job.file_path = "expired", None
        count += 1
    ttl = timedelta(hours=current_app.config["KEHU_EXPORT_TTL_HOURS"])
    for status, since, reason in (("running", STALE_AFTER, _("导出中断（后台进程停止了），请重新导出")),
                                  ("queued", ttl, _("没有后台进程处理这个导出，请联系管理员"))):
        for job in db.session.scalars(select(ExportJob).where(ExportJob.status == status,
                                                              ExportJob.updated_at < now - since)):
            job.status, job.finished_at, job.error = "failed", now, reason
    db.session.commit()
    for part in folder.glob(f"*{PART_SUFFIX}"):
        if part.stat().st_mtime < (now - ttl).timestamp():
            part.unlink(missing_ok=True)
    return count
