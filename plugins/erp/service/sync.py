"""Sync runs, the one way anything is pulled: started by hand (page, API, CLI), by the schedule or
by a webhook, executed by a worker, and kept as the sync log. The only writer of ``erp_sync_run``.
"""
import logging
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from kehu_sdk.db import db
from kehu_sdk.tasks import dispatch
from kehu_sdk.time import utcnow
from kehu_plugins.erp.adapters import ENTITIES, ErpError
from kehu_plugins.erp.models import ErpSyncRun
from kehu_plugins.erp.service import RUN_SYNC, connections
from kehu_plugins.erp.service.pull import Counts, Puller, applying_pull

log = logging.getLogger(__name__)
TRIGGERS = ("manual", "schedule", "webhook", "push")
STATUSES = ("queued", "running", "success", "partial", "failed")
MAX_ERRORS = 100
STALE_RUN = timedelta(minutes=30)


class SyncInvalid(ValueError):
    """A sync request naming something that cannot be synced; ``errors`` maps fields to messages."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def check_entities(entities) -> list[str]:
    """The entities to sync (None: all of them, in sync order); SyncInvalid for anything else."""
    if entities is None:
        return list(ENTITIES)
    if not isinstance(entities, (list, tuple)) or not entities or any(e not in ENTITIES for e in entities):
        raise SyncInvalid({"entities": [_("无效的同步对象")]})
    return [e for e in ENTITIES if e in entities]


def _error(message, entity=None, external_id=None) -> dict:
    return {"entity": entity, "external_id": external_id, "message": message}


def start_run(trigger: str, entities=None, requested_by=None) -> ErpSyncRun:
    """A queued run row (committed), so callers can answer with its id before it runs."""
    run = ErpSyncRun(adapter=connections.erp_settings().get("adapter") or "", trigger=trigger,
                     entities=check_entities(entities), requested_by=requested_by)
    db.session.add(run)
    db.session.commit()
    return run


def queue_sync(entities=None, trigger="manual", requested_by=None) -> ErpSyncRun:
    """Start a run and hand it to a worker (eager mode: done on return). When the task queue cannot
    be reached the run is failed at once, with a message saying so, instead of staying queued."""
    run_id = start_run(trigger, entities, requested_by).id
    try:
        dispatch(RUN_SYNC, run_id)
    except Exception:  # the broker is unreachable: say so instead of leaving a run queued forever
        log.exception("could not queue erp sync run %s", run_id)
        db.session.rollback()
        run = db.session.get(ErpSyncRun, run_id)
        run.status, run.finished_at = "failed", utcnow()
        run.errors = [_error(_("后台任务队列不可用，同步未开始，请稍后重试"))]
        db.session.commit()
    db.session.expire_all()
    return db.session.get(ErpSyncRun, run_id)


def never_started(run: ErpSyncRun) -> bool:
    """The run failed before a worker took it (the task queue was unreachable)."""
    return run.status == "failed" and run.started_at is None


def sync_now(trigger: str, entities=None, ids: dict | None = None) -> ErpSyncRun:
    """Start and execute a run in this process (the CLI, scheduled and webhook runs); ``ids``
    ({entity: [ids]}) limits it to those records."""
    return execute_run(start_run(trigger, entities).id, ids)


def run_is_busy() -> bool:
    """Another run started recently and has not finished (scheduled runs then skip)."""
    return db.session.scalar(select(ErpSyncRun.id).where(
        ErpSyncRun.status == "running", ErpSyncRun.started_at > utcnow() - STALE_RUN).limit(1)) is not None


def run_scheduled_sync() -> str | None:
    """Beat asks every minute; a run starts when ``schedule_minutes`` have passed since the last
    scheduled one. Returns the run's status, None when no run was due."""
    settings = connections.erp_settings()
    minutes = settings.get("schedule_minutes") or 0
    if minutes <= 0 or not settings.get("base_url") or run_is_busy():
        return None  # off, not set up yet (no failed run every quarter hour), or another run is going
    last = db.session.scalar(select(ErpSyncRun.created_at).where(ErpSyncRun.trigger == "schedule")
                             .order_by(ErpSyncRun.created_at.desc()).limit(1))
    if last is not None and utcnow() - last < timedelta(minutes=minutes) - timedelta(seconds=5):
        return None
    return sync_now("schedule").status


def execute_run(run_id: int, ids: dict | None = None) -> ErpSyncRun | None:
    """Run a queued sync: pull every entity of the run; ``ids`` ({entity: [ids]}) limits it to those."""
    run = db.session.get(ErpSyncRun, run_id)
    if run is None or run.status != "queued":
        return run
    run.status, run.started_at = "running", utcnow()
    db.session.commit()
    counts, errors = Counts(), []
    status = "success"
    token = applying_pull.set(True)
    try:
        settings = connections.erp_settings()
        adapter = connections.open_adapter(settings)
        try:
            puller = Puller(adapter, counts, errors, owner_user_id=settings.get("owner_user_id"))
            for entity in [e for e in ENTITIES if e in run.entities]:
                puller.pull(entity, (ids or {}).get(entity))
        finally:
            adapter.close()
    except ErpError as exc:  # includes ErpUnavailable: the run failed; unfinished entities keep their cursor
        db.session.rollback()
        errors.append(_error(str(exc)))
        status = "failed"
    except Exception as exc:  # a bug or a database failure: the run must not stay "running"
        log.exception("erp sync run %s crashed", run_id)
        db.session.rollback()
        errors.append(_error(_("内部错误：%(kind)s，详见服务器日志", kind=type(exc).__name__)))
        status = "failed"
    finally:
        applying_pull.reset(token)
    run = db.session.get(ErpSyncRun, run_id)
    if status == "success" and errors:
        status = "partial"
    run.status, run.finished_at = status, utcnow()
    run.counts, run.errors = counts.by_entity, errors[:MAX_ERRORS]
    db.session.commit()
    log.info("erp sync run %s: %s %s", run.id, status, counts.by_entity)
    return run


def log_refused_push(customer_id: int, message: str) -> ErpSyncRun:
    """A push the ERP refused, as a failed run (trigger ``push``) in the log, for a person to fix.

    Not committed: the outbox consumer commits it together with its consumption record.
    """
    now = utcnow()
    run = ErpSyncRun(adapter=connections.erp_settings().get("adapter") or "", trigger="push",
                     entities=["customers"], status="failed", started_at=now, finished_at=now,
                     counts={"customers": {"created": 0, "updated": 0, "skipped": 0, "failed": 1}},
                     errors=[_error(f"customer {customer_id}: {message}", entity="customers")])
    db.session.add(run)
    return run
