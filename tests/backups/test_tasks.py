"""The daily backup: on beat's schedule, only when a folder and a key file are configured, keeping the
newest KEHU_BACKUP_KEEP of this site's backups (another site's files in the same folder stay)."""
import logging
import os
import time

import pytest
from celery.schedules import crontab

from kehu.backups.keys import KeyFile, write_new_key_file
from kehu.backups.service import create_backup, list_backups
from kehu.config import load_config
from kehu.platform.tasks import BACKUP_TASK, daily_at, dispatch


@pytest.fixture
def configured(app, monkeypatch, tmp_path):
    write_new_key_file(tmp_path / "keys" / "backup.key")
    for name, value in {"KEHU_BACKUP_DIR": str(tmp_path / "backups"), "KEHU_BACKUP_KEEP": 2,
                        "KEHU_BACKUP_KEY_FILE": str(tmp_path / "keys" / "backup.key"),
                        "KEHU_SITE_NAME": "济宁总部"}.items():
        monkeypatch.setitem(app.config, name, value)
    return tmp_path / "backups"


def run_daily_backup(app):
    return app.extensions["celery"].tasks[BACKUP_TASK].apply().get()


def test_it_is_on_beats_schedule_every_day_at_three_china_time(app, tmp_path):
    entry = app.extensions["celery"].conf.beat_schedule[BACKUP_TASK]
    assert entry["task"] == BACKUP_TASK and entry["schedule"] == crontab(hour=3, minute=0)
    assert load_config(str(tmp_path))["CELERY"]["timezone"] == "Asia/Shanghai"  # the tests' Celery has none
    with pytest.raises(ValueError, match="HH:MM"):
        daily_at("3 Uhr")


def test_it_keeps_the_newest_backups_of_this_site(app, make_customer, configured, monkeypatch):
    make_customer()
    monkeypatch.setitem(app.config, "KEHU_SITE_NAME", "泰安分店")
    other_site = create_backup(KeyFile(app.config["KEHU_BACKUP_KEY_FILE"]), configured).path
    monkeypatch.setitem(app.config, "KEHU_SITE_NAME", "济宁总部")
    stale = configured / ".kehu-backup-died"
    stale.mkdir()
    os.utime(stale, (time.time() - 2 * 86400,) * 2)

    results = [run_daily_backup(app) for _ in range(3)]
    assert [len(result["removed"]) for result in results] == [0, 0, 1]
    kept = [info.path for info in list_backups(configured) if info.site == "济宁总部"]
    assert [str(path) for path in kept] == [results[1]["file"], results[2]["file"]]
    assert all(path.name.startswith("kehu-backup-济宁总部-") for path in kept)
    assert other_site.exists() and not stale.exists()


def test_it_does_nothing_unless_a_folder_and_a_key_file_are_set(app, configured, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "KEHU_BACKUP_DIR", None)
    assert run_daily_backup(app) is None
    assert not configured.exists()

    monkeypatch.setitem(app.config, "KEHU_BACKUP_DIR", str(configured))
    monkeypatch.setitem(app.config, "KEHU_BACKUP_KEY_FILE", None)
    with caplog.at_level(logging.WARNING, logger="kehu.backups.service"):
        assert run_daily_backup(app) is None
    assert "KEHU_BACKUP_KEY_FILE is not" in caplog.text
    assert not configured.exists()


def test_a_failing_backup_is_logged_and_leaves_no_file(app, configured, monkeypatch, caplog):
    monkeypatch.setitem(app.config, "KEHU_BACKUP_KEY_FILE", str(configured.parent / "keys" / "missing.key"))
    with caplog.at_level(logging.ERROR, logger="kehu.backups.service"):
        result = run_daily_backup(app)
    assert "cannot read the key file" in result["error"] and "scheduled backup failed" in caplog.text
    assert not configured.exists() or not list(configured.iterdir())


def test_dispatching_it_runs_it(app, configured, make_customer):
    make_customer()
    dispatch(BACKUP_TASK)  # eager in tests, as beat's message would run in the worker
    assert len(list_backups(configured)) == 1
