"""A backup made while another connection keeps writing is one moment of the data: every transaction of the
writer is in it whole or not at all, and its header counts are those of the restored copy."""
import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from kehu.backups.keys import KeyFile, write_new_key_file
from kehu.backups.service import create_backup, verify_backup
from kehu.extensions import db

pytestmark = pytest.mark.kehu_plugins("erp", "sms", "sample")


class Writer(threading.Thread):
    """Commits, until stopped, transactions that each add one SMS template and one sample note."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.engine = create_engine(url, poolclass=NullPool)
        self.stop, self.error, self.commits = threading.Event(), None, []

    def run(self):
        number = 0
        try:
            while not self.stop.is_set():
                number += 1
                with self.engine.begin() as conn:
                    conn.execute(text("INSERT INTO sms_template (name, kind, body, created_at, updated_at) "
                                      "VALUES (:name, 'notification', '您好', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                                 {"name": f"并发模板{number}"})
                    conn.execute(text("INSERT INTO sample_note (customer_id, text) VALUES (1, :text)"),
                                 {"text": f"并发备注{number}"})
                self.commits.append(time.monotonic())
                time.sleep(0.002)
        except Exception as exc:  # the test reads it
            self.error = exc
        finally:
            self.engine.dispose()


def test_a_backup_while_another_connection_writes_is_one_moment(app, filled_database, kehu_database_url, tmp_path):
    write_new_key_file(tmp_path / "backup.key")
    key = KeyFile(tmp_path / "backup.key")
    db.session.commit()
    writer = Writer(kehu_database_url)
    writer.start()
    while len(writer.commits) < 20 and writer.error is None:
        time.sleep(0.01)
    started = time.monotonic()
    try:
        info = create_backup(key, tmp_path / "backups")
    finally:
        finished = time.monotonic()
        time.sleep(0.05)
        writer.stop.set()
        writer.join(30)
    assert writer.error is None
    assert any(started <= at <= finished for at in writer.commits), "the writer wrote nothing during the backup"
    assert any(at > finished for at in writer.commits)

    templates, notes = info.tables["sms_template"], info.tables["sample_note"]
    assert templates - 1 == notes - 1 >= 20  # filled_database's one row each, then the writer's pairs
    assert templates - 1 < len(writer.commits)  # the commits after the snapshot are not in it
    report = verify_backup(info.path, key)
    assert report.ok, (report.differences, report.problems)
    assert report.found["sms_template"] == templates
