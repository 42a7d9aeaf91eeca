"""Backups: create, verify, restore, list and prune them; the CLI and the daily task call only these.

A backup is one file (archive.py): a consistent snapshot of the configured database (sqlite.py,
postgresql.py), its row counts and migration heads taken in that same snapshot, and the PII key its
phone numbers and secret settings are encrypted with. Restoring goes into an empty database only and
puts the key where this installation reads it, never silently over a different one.
"""
import logging
import os
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy.engine import make_url

import kehu
from kehu.backups import lineages, postgresql, sqlite
from kehu.backups.archive import SUFFIX, OpenedBackup, backup_name, read_envelope, write_backup
from kehu.backups.contents import count_differences, has_tables
from kehu.backups.errors import BackupError, DatabaseNotEmpty
from kehu.backups.keys import KeyFile, Passphrase, write_new_key_file
from kehu.extensions import db
from kehu.platform.pii import pii_secret
from kehu.platform.time import utcnow

__all__ = ["BackupError", "KeyFile", "Passphrase", "create_backup", "list_backups", "new_key_file",
           "prune_backups", "read_backup_info", "restore_backup", "scheduled_backup", "verify_backup"]
log = logging.getLogger(__name__)
DIALECTS = ("sqlite", "postgresql")
LEFTOVER_SECONDS = 24 * 3600  # work folders and partial files of a run that died: removed after a day


@dataclass
class BackupInfo:
    """A backup file as ``list`` shows it: its plain envelope, or why it cannot be read."""

    path: Path
    size: int
    envelope: dict = field(default_factory=dict)
    error: str | None = None
    tables: dict[str, int] = field(default_factory=dict)  # known once opened (after create, verify, restore)

    @property
    def created_at(self) -> datetime | None:
        stamp = self.envelope.get("created_at")
        return datetime.fromisoformat(stamp) if stamp else None

    @property
    def site(self) -> str | None:
        return self.envelope.get("site")

    @property
    def key_label(self) -> str:
        spec = self.envelope.get("key", {})
        return {KeyFile.kind: f"key {spec.get('key_id')}", Passphrase.kind: "passphrase"}.get(spec.get("kind"), "?")


@dataclass
class VerifyReport:
    backup: BackupInfo
    found: dict[str, int]
    differences: dict[str, tuple[int | None, int | None]]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.differences and not self.problems


@dataclass
class RestoreReport:
    backup: BackupInfo
    key_note: str
    notes: list[str]


def new_key_file(path) -> str:
    """Write a new backup key file (0600, never over an existing file); returns the key's id."""
    return write_new_key_file(path)


def site_name() -> str:
    return current_app.config.get("KEHU_SITE_NAME") or socket.gethostname()


def _config_url():
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() not in DIALECTS:
        raise BackupError(f"backups support SQLite and PostgreSQL databases, not {url.get_backend_name()}")
    return url


def _folder(directory, create: bool) -> Path:
    chosen = directory or current_app.config.get("KEHU_BACKUP_DIR")
    if not chosen:
        raise BackupError("no backup folder: give one (--to) or set KEHU_BACKUP_DIR")
    path = Path(chosen)
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise BackupError(f"cannot create the backup folder {path}: {exc.strerror}") from None
    elif not path.is_dir():
        raise BackupError(f"the backup folder {path} does not exist")
    return path


@contextmanager
def _work_folder(parent: Path | None = None):
    """A private (0700) folder for the snapshot being written or read; removed whatever happens."""
    path = Path(tempfile.mkdtemp(prefix=".kehu-backup-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _snapshot(url, work: Path):
    if url.get_backend_name() == "sqlite":
        return sqlite.snapshot(url, work)
    return postgresql.snapshot(url, current_app.config.get("KEHU_PG_BIN_DIR"))


def create_backup(key, directory=None) -> BackupInfo:
    """Write a backup of the configured database into ``directory`` (default KEHU_BACKUP_DIR) while the
    app keeps running; encrypted with ``key`` (a Passphrase or a KeyFile)."""
    key.check_strength()
    folder, url, created, site = _folder(directory, create=True), _config_url(), utcnow(), site_name()
    envelope = {"site": site, "created_at": created.isoformat(), "kehu_version": kehu.__version__,
                "dialect": url.get_backend_name()}
    manager = current_app.extensions["kehu_plugins"]
    try:
        with _work_folder(folder) as work, _snapshot(url, work) as snapshot:
            header = {"tables": snapshot.tables, "migrations": snapshot.heads, "database": snapshot.details,
                      "plugins": {name: plugin.version for name, plugin in manager.installed.items()}}
            path = write_backup(folder, backup_name(site, created.strftime("%Y%m%dT%H%M%SZ")), key, envelope,
                                header, {"pii_key": pii_secret()}, snapshot.chunks)
    except OSError as exc:  # a full disk, a folder kehu may not write
        raise BackupError(f"cannot write the backup in {folder}: {exc.strerror or exc}") from None
    log.info("backup %s written: %d tables, %d rows", path.name, len(snapshot.tables), sum(snapshot.tables.values()))
    return BackupInfo(path, path.stat().st_size, read_envelope(path), tables=snapshot.tables)


def read_backup_info(path) -> BackupInfo:
    path = Path(path)
    try:
        return BackupInfo(path, path.stat().st_size, read_envelope(path))
    except (BackupError, OSError) as exc:
        return BackupInfo(path, path.stat().st_size if path.exists() else 0, error=str(exc))


def list_backups(directory=None) -> list[BackupInfo]:
    """The backup files of a folder (default KEHU_BACKUP_DIR), oldest first."""
    infos = [read_backup_info(path) for path in _folder(directory, create=False).glob(f"*{SUFFIX}")]
    return sorted(infos, key=lambda info: (info.envelope.get("created_at", ""), info.path.name))


def prune_backups(directory, keep: int, site: str) -> list[Path]:
    """Delete ``site``'s oldest backups beyond the newest ``keep`` (other sites' files in a shared folder
    and unreadable files are left alone); also what a run that died left behind."""
    if keep < 1:
        raise BackupError(f"KEHU_BACKUP_KEEP must be at least 1, not {keep}")
    folder = _folder(directory, create=False)
    own = [info for info in list_backups(folder) if info.error is None and info.site == site]
    doomed = [info.path for info in own[:-keep]]
    for path in doomed:
        path.unlink(missing_ok=True)
    _remove_leftovers(folder)
    return doomed


def _remove_leftovers(folder: Path) -> None:
    stale = time.time() - LEFTOVER_SECONDS
    for path in folder.glob(".kehu-backup-*"):
        if path.is_dir() and path.stat().st_mtime < stale:
            shutil.rmtree(path, ignore_errors=True)
    for path in folder.glob(f".kehu-backup-*{SUFFIX}.*.partial"):
        if path.stat().st_mtime < stale:
            path.unlink(missing_ok=True)


def scheduled_backup() -> dict | None:
    """The daily task's work: a backup with KEHU_BACKUP_KEY_FILE into KEHU_BACKUP_DIR, then keep the newest
    KEHU_BACKUP_KEEP. Nothing unless both are set (a passphrase needs a person to type it)."""
    config = current_app.config
    if not config.get("KEHU_BACKUP_DIR"):
        return None
    if not config.get("KEHU_BACKUP_KEY_FILE"):
        log.warning("KEHU_BACKUP_DIR is set but KEHU_BACKUP_KEY_FILE is not: no scheduled backup "
                    "(make a key with `kehu backup key new FILE`)")
        return None
    try:
        info = create_backup(KeyFile(config["KEHU_BACKUP_KEY_FILE"]), config["KEHU_BACKUP_DIR"])
        removed = prune_backups(config["KEHU_BACKUP_DIR"], config["KEHU_BACKUP_KEEP"], info.site)
    except BackupError as exc:
        log.error("scheduled backup failed: %s", exc)
        return {"error": str(exc)}
    log.info("scheduled backup %s; %d older backup(s) removed", info.path.name, len(removed))
    return {"file": str(info.path), "removed": [path.name for path in removed]}


def _unpack(dialect: str, backup: OpenedBackup, work: Path) -> Path:
    module = sqlite if dialect == "sqlite" else postgresql
    return module.unpack(backup.database(), work)


def verify_backup(path, key, scratch_url=None) -> VerifyReport:
    """Restore a backup into a throwaway database (a SQLite file, or a PostgreSQL database created and
    dropped on ``scratch_url``, default the configured server) and compare its row counts with the header."""
    with OpenedBackup(path, key) as backup, _work_folder() as work:
        dialect = backup.envelope["dialect"]
        snapshot_file = _unpack(dialect, backup, work)
        if dialect == "sqlite":
            found, heads = sqlite.contents_of(snapshot_file)
        else:
            with postgresql.scratch_database(_scratch_server(scratch_url)) as scratch:
                postgresql.restore(snapshot_file, scratch, backup.header["database"],
                                   current_app.config.get("KEHU_PG_BIN_DIR"))
                found, heads = postgresql.contents_of(scratch)
        problems = [] if backup.secrets.get("pii_key") else ["the backup holds no PII key"]
        if heads != backup.header["migrations"]:
            problems.append(f"migration heads differ: {backup.header['migrations']} in the header, {heads} restored")
        info = BackupInfo(backup.path, backup.path.stat().st_size, backup.envelope, tables=backup.header["tables"])
    report = VerifyReport(info, found, count_differences(info.tables, found), problems)
    log.info("backup %s verified: %s", info.path.name, "ok" if report.ok else "FAILED")
    return report


def _scratch_server(scratch_url):
    if scratch_url:
        return make_url(scratch_url)
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "postgresql":
        raise BackupError("verifying a PostgreSQL backup needs a PostgreSQL server: give --scratch-url")
    return url


def _refuse_unless_empty() -> None:
    with db.engine.connect() as conn:
        if has_tables(conn):
            raise DatabaseNotEmpty("the configured database is not empty: a backup is restored into an empty "
                                   "database only (create a new one, or point KEHU_DATABASE_URL at one)")


def restore_backup(path, key) -> RestoreReport:
    """Restore a backup into the configured database, which must be empty, and put its PII key where this
    installation reads it. The whole file is decrypted and authenticated before anything is written."""
    url = _config_url()
    envelope = read_envelope(path)
    if envelope.get("dialect") != url.get_backend_name():
        raise BackupError(f"this is a {envelope.get('dialect')} backup; the configured database is "
                          f"{url.get_backend_name()}")
    _refuse_unless_empty()
    with OpenedBackup(path, key) as backup, _work_folder() as work:
        snapshot_file = _unpack(url.get_backend_name(), backup, work)
        notes = lineages.restore_notes(backup.header["migrations"], envelope.get("kehu_version"))
        pii_key = backup.secrets["pii_key"]
        key_path = _key_destination(pii_key)
        _refuse_unless_empty()  # again: decrypting a large backup takes a while
        key_note = _write_pii_key(key_path, pii_key) if key_path else "the PII key in use is already the backup's"
        db.engine.dispose()  # no pooled connection holds the empty database while it is filled
        if url.get_backend_name() == "sqlite":
            sqlite.restore(snapshot_file, url)
            found, _ = sqlite.contents_of(sqlite.database_file(url))
        else:
            postgresql.restore(snapshot_file, url, backup.header["database"], current_app.config.get("KEHU_PG_BIN_DIR"))
            found, _ = postgresql.contents_of(url)
        info = BackupInfo(backup.path, backup.path.stat().st_size, envelope, tables=backup.header["tables"])
    differences = count_differences(info.tables, found)
    if differences:
        raise BackupError(f"restored, but the row counts of {', '.join(differences)} differ from the backup's")
    log.info("backup %s restored: %d tables", info.path.name, len(found))
    return RestoreReport(info, key_note, notes)


def _key_destination(backup_key: str) -> Path | None:
    """Where the backup's PII key goes (None: the key in use is already it), decided before any writing."""
    config = current_app.config
    if config.get("KEHU_PII_KEY") == backup_key:
        return None
    if config.get("KEHU_PII_KEY_PATH") is None:
        raise BackupError("KEHU_PII_KEY is set to another key than the backup's: with it the restored phone "
                          "numbers and secrets could not be read. Unset KEHU_PII_KEY for the restore (set "
                          "KEHU_PII_KEY_FILE to where the key belongs): the backup's key is written there")
    return Path(config["KEHU_PII_KEY_PATH"])


def _write_pii_key(path: Path, backup_key: str) -> str:
    """The backup's key into ``path`` (0600, atomically); a different key found there is kept beside it,
    unless this very start generated it (then it protects nothing: the database was empty)."""
    kept = None
    try:
        if path.exists() and not current_app.config.get("KEHU_PII_KEY_GENERATED"):
            kept = path.with_name(f"{path.name}.before-restore-{utcnow().strftime('%Y%m%dT%H%M%SZ')}")
            os.replace(path, kept)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        partial = path.with_name(f".{path.name}.{os.urandom(4).hex()}.partial")
        with open(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as out:
            out.write(backup_key)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except OSError as exc:
        raise BackupError(f"cannot write the PII key to {path} ({exc.strerror or exc}): nothing was restored") from None
    current_app.config["KEHU_PII_KEY"] = backup_key
    current_app.config["KEHU_PII_KEY_GENERATED"] = False
    note = f"the backup's PII key is written to {path}"
    if kept:
        note += f"; the different key found there is kept in {kept} (delete it once no other database needs it)"
    return note
