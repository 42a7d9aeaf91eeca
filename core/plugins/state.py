"""Run-time plugin state (enabled flag and settings) cached per process.

Every process polls ``max(plugin_state.generation)`` at most once per ``ttl`` seconds and
reloads the rows when it moved, so a change made anywhere is seen everywhere within
about a second without restarting.
"""
import contextlib
import threading
import time

from sqlalchemy import func, select

from kehu.extensions import db
from kehu.platform.secrets import decrypt_secrets
from kehu.plugins.models import PluginState


class PluginStateCache:
    def __init__(self, ttl: float):
        self.ttl = ttl
        self.generation = None
        self.enabled: frozenset[str] = frozenset()
        self.settings: dict[str, dict] = {}
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked_at < self.ttl:
            return
        with self._lock, self._connection() as conn:
            generation = conn.execute(select(func.max(PluginState.generation))).scalar()
            if force or generation != self.generation:
                rows = conn.execute(select(PluginState.name, PluginState.enabled, PluginState.settings)).all()
                self.enabled = frozenset(r.name for r in rows if r.enabled)
                self.settings = {r.name: decrypt_secrets(r.settings) for r in rows}  # stored encrypted
                self.generation = generation
            self._checked_at = now

    @contextlib.contextmanager
    def _connection(self):
        """A connection of its own, so that reading the state opens no transaction in the session; but
        the session's when it has one open: on SQLite a second connection cannot read while that
        transaction writes (an import's batch of 500 customers spills its pages), and would wait for it."""
        session = db.session()
        if session.in_transaction() and db.engine.dialect.name == "sqlite":
            yield session.connection()
            return
        with db.engine.connect() as conn:
            yield conn
