"""SQLite: snapshots by the online backup API, restores by it too.

The backup API copies the whole database in one step: a consistent snapshot while the app goes on
writing (writers wait for the copy, a few seconds at most for the databases embedded mode is for; in
WAL mode they do not wait at all). The copy is counted, then compressed into the backup.
"""
import os
import sqlite3
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from kehu.backups.contents import Snapshot, migration_heads, row_counts
from kehu.backups.errors import BackupError, DamagedBackup

FORMAT = "sqlite3+zlib"
READ_SIZE = 1 << 20
BUSY_SECONDS = 30.0  # how long the copy waits for a writer's lock


def database_file(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError("backups need the SQLite database as a plain file path (sqlite:////srv/kehu/kehu.sqlite)")
    return Path(url.database)


def _private_file(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _copy(source: Path, target: Path) -> None:
    """The backup API from ``source`` into ``target`` in one step (pages=-1): one moment of the data."""
    if not source.is_file():
        raise BackupError(f"the SQLite database {source} does not exist")
    reader = sqlite3.connect(source, timeout=BUSY_SECONDS)
    try:
        writer = sqlite3.connect(target, timeout=BUSY_SECONDS)
        try:
            reader.backup(writer)
        finally:
            writer.close()
    finally:
        reader.close()


def contents_of(path: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Row counts and migration heads of a SQLite file."""
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return row_counts(conn), migration_heads(conn)
    finally:
        engine.dispose()


@contextmanager
def snapshot(url: URL, work: Path) -> Iterator[Snapshot]:
    copy = work / "snapshot.sqlite"
    _private_file(copy)
    _copy(database_file(url), copy)
    tables, heads = contents_of(copy)
    chunks = _compressed(copy)
    try:
        yield Snapshot(tables, heads, {"format": FORMAT, "sqlite_version": sqlite3.sqlite_version}, chunks)
    finally:
        chunks.close()


def _compressed(path: Path) -> Iterator[bytes]:
    compressor = zlib.compressobj(6)
    with open(path, "rb") as handle:
        while piece := handle.read(READ_SIZE):
            if packed := compressor.compress(piece):
                yield packed
    yield compressor.flush()


def unpack(chunks: Iterable[bytes], work: Path) -> Path:
    """The snapshot of a backup as a SQLite file in ``work``, every chunk authenticated on the way."""
    path = work / "restored.sqlite"
    _private_file(path)
    decompressor = zlib.decompressobj()
    try:
        with open(path, "wb") as out:
            for piece in chunks:
                out.write(decompressor.decompress(piece))
            out.write(decompressor.flush())
    except zlib.error:
        raise DamagedBackup("the backup's database part does not decompress: the file is damaged") from None
    if not decompressor.eof:
        raise DamagedBackup("the backup's database part is incomplete: the file is damaged")
    _check_integrity(path)
    return path


def _check_integrity(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        raise DamagedBackup(f"the backup's database is not a readable SQLite file: {exc}") from None
    finally:
        conn.close()
    if problems != ["ok"]:
        raise DamagedBackup(f"the backup's database fails SQLite's integrity check: {'; '.join(problems[:3])}")


def restore(snapshot_file: Path, url: URL) -> None:
    """Copy an unpacked snapshot into the configured (empty) database file, through the backup API so
    the target keeps its permissions and no reader ever sees half a file."""
    target = database_file(url)
    if not target.parent.is_dir():
        raise BackupError(f"the folder of the SQLite database {target} does not exist")
    if not target.exists():
        _private_file(target)
    _copy(snapshot_file, target)
