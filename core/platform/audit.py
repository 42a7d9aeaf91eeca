"""The audit log and change tracking: every flush records who changed what and tells the domains.

Models opt in with ``AuditedMixin``. A domain says what it announces about its models with
``track(Model, created=…, updated=…, deleted=…)`` in its ``events.py``; this module names no domain
model. Audit rows and the domains' signals and events come from the same attribute history, in the
same transaction, so an audit row exists exactly when the change does.
"""
import contextvars
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Callable

from flask import g, has_request_context, request
from sqlalchemy import JSON, ForeignKey, String, and_, event, false, insert, inspect, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from kehu.platform.columns import UTCDateTime
from kehu.platform.db import db
from kehu.platform.session import PENDING, KehuSession
from kehu.platform.time import utcnow


class AuditedMixin:
    """Marks a model whose creates, updates and deletes are written to the audit log.

    ``__audit_exclude__`` names columns never written there (secrets, ciphertext);
    ``__audit_collections__`` names relationships recorded as the sorted ``name`` of their members
    (a customer's tags).
    """

    __audit_exclude__: tuple[str, ...] = ("created_at", "updated_at")
    __audit_collections__: tuple[str, ...] = ()


class AuditLog(db.Model):
    """One create, update or delete of an audited row, with the before/after of each field."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(80), nullable=False)
    action: Mapped[str] = mapped_column(String(8), nullable=False)
    entity: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(60), nullable=False)
    changes: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    ip: Mapped[str | None] = mapped_column(String(45))


_INSERT_LOG = insert(AuditLog.__table__)  # built once: every audited save runs it


@dataclass
class Tracker:
    """What a domain does when one of its models is created, updated or deleted (during flush).

    ``created(session, obj, snapshot)``, ``updated(session, obj, changes)``, ``deleted(session, obj)``;
    a soft delete (``deleted_at`` set) counts as a delete.
    """

    created: Callable | None = None
    updated: Callable | None = None
    deleted: Callable | None = None


_trackers: dict[type, Tracker] = {}
# entity (table name) -> criterion_for(user): which audit rows of that entity ``user`` may read
_read_scopes: dict[str, Callable] = {}
ADMIN_ROLE = "admin"


def track(model: type, *, created=None, updated=None, deleted=None) -> None:
    """Register what happens when ``model`` rows change (a domain's ``events.py`` calls it)."""
    _trackers[model] = Tracker(created, updated, deleted)


def audit_scope(entity: str, criterion_for: Callable) -> None:
    """Let users read audit rows of ``entity`` as far as ``criterion_for(user)`` (an SQL criterion on
    ``AuditLog.entity_id``) allows: the same scope as the records they describe. A domain's
    ``events.py`` calls it; rows of entities without a scope are for admins only."""
    _read_scopes[entity] = criterion_for


def visible_entries(user):
    """SELECT of the audit rows ``user`` may read, newest first."""
    query = select(AuditLog).order_by(AuditLog.id.desc())
    if user.role.name == ADMIN_ROLE:
        return query
    allowed = [and_(AuditLog.entity == entity, criterion_for(user)) for entity, criterion_for in _read_scopes.items()]
    return query.where(or_(*allowed)) if allowed else query.where(false())


def _tracker(obj) -> Tracker:
    for cls in type(obj).__mro__:
        if cls in _trackers:
            return _trackers[cls]
    return Tracker()


def _names(members):
    return sorted(m.name for m in members)


# Who acts outside a request (CLI, Celery task): set with ``acting_as``.
_actor = contextvars.ContextVar("kehu_actor", default=(None, "system"))


class acting_as:
    """Context manager naming the actor recorded in the audit log outside requests."""

    def __init__(self, user_id, name):
        self.value = (user_id, name)

    def __enter__(self):
        self.token = _actor.set(self.value)

    def __exit__(self, *exc):
        _actor.reset(self.token)


def _current_actor():
    user = g.get("_login_user") if has_request_context() else None
    if user is not None and getattr(user, "is_authenticated", False):
        return user.id, user.username, request.remote_addr
    user_id, name = _actor.get()
    return user_id, name, (request.remote_addr if has_request_context() else None)


def record_action(action: str, entity: str, entity_id, details: dict) -> None:
    """An audit entry for an action that changes no audited row (an export made): by whoever acts now
    (the request's user, else ``acting_as``), written with the session's transaction. ``details``
    are the entry's ``changes``: plain values, not before/after pairs."""
    user_id, actor, ip = _current_actor()
    db.session.add(AuditLog(at=utcnow(), user_id=user_id, actor=actor, action=action, entity=entity,
                            entity_id=str(entity_id), changes=details, ip=ip))


def _jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(obj):
    """{field: value} of the audited columns as loaded, without emitting SQL."""
    state = inspect(obj)
    excluded = set(obj.__audit_exclude__)
    return {a.key: _jsonable(state.dict.get(a.key)) for a in state.mapper.column_attrs
            if a.key not in excluded}


def _field_changes(obj):
    """{field: (old, new)} for the audited columns and collections changed on ``obj``."""
    state = inspect(obj)
    excluded = set(obj.__audit_exclude__)
    changes = {}
    for attr in state.mapper.column_attrs:
        hist = state.attrs[attr.key].history
        if attr.key in excluded or not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old != new:
            changes[attr.key] = (_jsonable(old), _jsonable(new))
    for key in obj.__audit_collections__:
        hist = state.attrs[key].history
        if hist.has_changes():
            kept = list(hist.unchanged)
            changes[key] = (_names(kept + list(hist.deleted)), _names(kept + list(hist.added)))
    return changes


def _entity_id(obj):
    return ",".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))


@event.listens_for(AuditedMixin, "mapper_configured", propagate=True)
def _load_old_values(mapper, cls):
    """Make SQLAlchemy load the old value before a set, even on an expired object,
    so that the audit log and the domains' update events get real before/after pairs."""
    excluded = set(cls.__audit_exclude__)
    for attr in mapper.column_attrs:
        if attr.key not in excluded:
            event.listen(getattr(cls, attr.key), "set", _ignore, active_history=True)


def _ignore(target, value, oldvalue, initiator):
    return value


@event.listens_for(KehuSession, "after_flush")
def _record_changes(session, flush_context):
    user_id, actor, ip = _current_actor()
    rows = []

    def log(obj, action, changes):
        rows.append({"at": utcnow(), "user_id": user_id, "actor": actor, "action": action,
                     "entity": obj.__tablename__, "entity_id": _entity_id(obj),
                     "changes": changes, "ip": ip})

    for obj in session.new:
        if isinstance(obj, AuditedMixin):
            taken = snapshot(obj)
            log(obj, "create", {k: (None, v) for k, v in taken.items() if v is not None})
            if (tracker := _tracker(obj)).created:
                tracker.created(session, obj, taken)
    for obj in session.dirty:
        if not isinstance(obj, AuditedMixin) or not session.is_modified(obj):
            continue
        changes = _field_changes(obj)
        if not changes:
            continue
        soft_deleted = "deleted_at" in changes and changes["deleted_at"][0] is None
        log(obj, "delete" if soft_deleted else "update", changes)
        tracker = _tracker(obj)
        if soft_deleted and tracker.deleted:
            tracker.deleted(session, obj)
        elif not soft_deleted and tracker.updated:
            tracker.updated(session, obj, changes)
    for obj in session.deleted:
        if isinstance(obj, AuditedMixin):
            log(obj, "delete", {k: (v, None) for k, v in snapshot(obj).items() if v is not None})
            if (tracker := _tracker(obj)).deleted:
                tracker.deleted(session, obj)
    if rows:  # one row (the common save) as a plain execute: executemany's batching costs more than it saves
        session.connection().execute(_INSERT_LOG, rows[0] if len(rows) == 1 else rows)


@event.listens_for(KehuSession, "after_rollback")
def _forget_signals(session):
    session.info.pop(PENDING, None)
