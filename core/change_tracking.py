"""Watches every flush: writes the audit log and queues the domain signals.

Both are derived from the same attribute history, in the same transaction, so an audit
row exists exactly when the change does.
"""
import contextvars
from datetime import date, datetime
from decimal import Decimal

from flask import g, has_request_context, request
from sqlalchemy import event, insert, inspect

from kehu import signals
from kehu.models import AuditLog, Customer, Interaction
from kehu.models.base import AuditedMixin, utcnow
from kehu.session import PENDING, KehuSession, announce
from kehu.webhooks.events import publish_event

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


def _jsonable(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _snapshot(obj):
    """{field: value} of the audited columns as loaded, without emitting SQL."""
    state = inspect(obj)
    excluded = set(obj.__audit_exclude__)
    return {a.key: _jsonable(state.dict.get(a.key)) for a in state.mapper.column_attrs
            if a.key not in excluded}


def _tag_names(tags):
    return sorted(t.name for t in tags)


def _field_changes(obj):
    """{field: (old, new)} for the audited columns and tags changed on ``obj``."""
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
    if "tags" in state.mapper.relationships:
        hist = state.attrs.tags.history
        if hist.has_changes():
            kept = list(hist.unchanged)
            changes["tags"] = (_tag_names(kept + list(hist.deleted)), _tag_names(kept + list(hist.added)))
    return changes


def _entity_id(obj):
    return ",".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))


@event.listens_for(AuditedMixin, "mapper_configured", propagate=True)
def _load_old_values(mapper, cls):
    """Make SQLAlchemy load the old value before a set, even on an expired object,
    so that the audit log and ``customer_updated`` get real before/after pairs."""
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
            log(obj, "create", {k: (None, v) for k, v in _snapshot(obj).items() if v is not None})
        if isinstance(obj, Customer):
            announce(session, signals.customer_created, customer=obj, customer_id=obj.id)
            publish_event(session, "customer.created", {"customer": _snapshot(obj)})
        elif isinstance(obj, Interaction):
            announce(session, signals.interaction_logged, interaction=obj,
                     interaction_id=obj.id, customer_id=obj.customer_id)
            publish_event(session, "interaction.logged", {"interaction": _snapshot(obj)})
    for obj in session.dirty:
        if not isinstance(obj, AuditedMixin) or not session.is_modified(obj):
            continue
        changes = _field_changes(obj)
        if not changes:
            continue
        soft_deleted = "deleted_at" in changes and changes["deleted_at"][0] is None
        log(obj, "delete" if soft_deleted else "update", changes)
        if isinstance(obj, Customer):
            if soft_deleted:
                announce(session, signals.customer_deleted, customer=obj, customer_id=obj.id)
                publish_event(session, "customer.deleted", {"customer": {"id": obj.id}})
            else:
                announce(session, signals.customer_updated, customer=obj, customer_id=obj.id,
                         changes=changes)
                publish_event(session, "customer.updated", {"customer": _snapshot(obj), "changes": changes})
    for obj in session.deleted:
        if isinstance(obj, AuditedMixin):
            log(obj, "delete", {k: (v, None) for k, v in _snapshot(obj).items() if v is not None})
        if isinstance(obj, Customer):
            announce(session, signals.customer_deleted, customer=obj, customer_id=obj.id)
            publish_event(session, "customer.deleted", {"customer": {"id": obj.id}})
    if rows:
        session.connection().execute(insert(AuditLog.__table__), rows)


@event.listens_for(KehuSession, "after_rollback")
def _forget_signals(session):
    session.info.pop(PENDING, None)
