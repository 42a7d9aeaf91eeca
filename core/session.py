"""The SQLAlchemy session class: collects domain events during flush, sends them after commit.

Sending from an overridden ``commit`` (not the ``after_commit`` event) lets receivers use
the session again; a rollback drops whatever was collected, so nothing is announced that
did not happen.
"""
from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session

PENDING = "kehu_pending_signals"
PENDING_RELAY = "kehu_pending_relay"


class KehuSession(Session):
    def commit(self):
        super().commit()
        pending = self.info.pop(PENDING, [])
        relay_needed = self.info.pop(PENDING_RELAY, False)
        sender = current_app._get_current_object() if has_app_context() else None
        for signal, kwargs in pending:
            signal.send(sender, **kwargs)
        if relay_needed:
            from kehu.outbox import kick_relay  # late: outbox imports models, models import this
            kick_relay()

    def rollback(self):
        self.info.pop(PENDING, None)
        self.info.pop(PENDING_RELAY, None)
        super().rollback()

    def close(self):
        self.info.pop(PENDING, None)
        super().close()


def announce(session, signal, **kwargs):
    """Queue a signal to be sent once the session's transaction commits."""
    session.info.setdefault(PENDING, []).append((signal, kwargs))
