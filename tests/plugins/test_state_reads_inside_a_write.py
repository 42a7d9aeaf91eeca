"""Reading the plugin state while this thread's session is writing (an import's batch): on SQLite a
second connection cannot read once that transaction has spilled its pages (an exclusive lock), and
the read would wait five seconds and fail with "database is locked"."""
import time

import pytest
from sqlalchemy import insert, text

from kehu.extensions import db
from kehu.tags.models import Tag


def test_the_state_is_read_inside_a_writing_transaction(app, kehu_database_url):
    if not kehu_database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL readers never wait for writers")
    manager = app.extensions["kehu_plugins"]
    db.session.execute(text("PRAGMA cache_size = 1"))  # every page written spills: the lock turns exclusive
    db.session.execute(insert(Tag), [{"name": f"标签{n}"} for n in range(300)])
    manager.state.ttl, manager.state.generation = 0, -1  # -1: no generation a table holds
    began = time.monotonic()
    manager.state.refresh()
    assert time.monotonic() - began < 2
    assert manager.state.generation != -1  # it read the table
    db.session.rollback()
    db.session.execute(text("PRAGMA cache_size = -2000"))
