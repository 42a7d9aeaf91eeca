"""The SQLAlchemy session class: collects signals and after-commit work during flush, runs them after commit.

Sending from an overridden ``commit`` (not the ``after_commit`` event) lets receivers use
the session again; a rollback drops whatever was collected, so nothing is announced that
did not happen.
"""
from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session

PENDING = "kehu_pending_signals"
AFTER_COMMIT = "kehu_after_commit"


class KehuSession(Session):
    def commit(self):
        super().commit()
        pending = self.info.pop(PENDING, [])
        callbacks = self.info.pop(AFTER_COMMIT, {})
        sender = current_app._get_current_object() if has_app_context() else None
        for signal, kwargs in pending:
            signal.send(sender, **kwargs)
        for callback in callbacks:
            callback()

    def rollback(self):
        self.info.pop(PENDING, None)
        self.info.pop(AFTER_COMMIT, None)
        super().rollback()

    def close(self):
        self.info.pop(PENDING, None)
        super().close()


def announce(session, signal, **kwargs):
    """Queue a signal to be sent once the session's transaction commits."""
    session.info.setdefault(PENDING, []).append((signal, kwargs))


def after_commit(session, callback) -> None:
    """Run ``callback()`` once after the session's transaction commits (once however often it is asked)."""
    session.info.setdefault(AFTER_COMMIT, {})[callback] = None


def commit_as_written(scoped_session) -> None:
    """Commit without expiring what the session holds: for a write whose response shows the rows it
    just wrote. Their state as flushed is what the database holds (ids and Python-side defaults come
    back from the INSERT), so reloading them would cost a query per row and relationship."""
    session = scoped_session()
    session.expire_on_commit = False
    try:
        scoped_session.commit()
    finally:
        session.expire_on_commit = True
