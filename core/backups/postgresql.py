"""PostgreSQL: ``pg_dump --format=custom`` of an exported snapshot, ``pg_restore`` in one transaction.

The row counts and the dump must describe the same moment: a REPEATABLE READ transaction exports its
snapshot, counts every table in it and stays open while ``pg_dump --snapshot`` dumps exactly that
snapshot. The dump streams from pg_dump's stdout into the encrypted file: no plain copy on disk.
pg_dump must be at least the server's major version, pg_restore at least the dump's; the tools are
looked for in KEHU_PG_BIN_DIR, then Debian's /usr/lib/postgresql/<major>/bin, then PATH.
"""
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from kehu.backups.contents import Snapshot, migration_heads, row_counts
from kehu.backups.errors import BackupError

FORMAT = "pg_dump-custom"
READ_SIZE = 1 << 20
DEBIAN_BIN = Path("/usr/lib/postgresql")


def _major(version_text: str) -> int | None:
    found = re.search(r"\(PostgreSQL\)\s+(\d+)", version_text)
    return int(found.group(1)) if found else None


def _tool_major(path: str) -> int | None:
    try:
        result = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    return _major(result.stdout)


def tool(name: str, at_least: int, bin_dir: str | None) -> str:
    """The ``pg_dump``/``pg_restore`` of the lowest major version >= ``at_least`` (the closest match
    writes archives the most pg_restores read)."""
    if bin_dir:
        candidates = [str(Path(bin_dir) / name)]
    else:
        versions = sorted(int(p.name) for p in DEBIAN_BIN.glob("*") if p.name.isdigit()) if DEBIAN_BIN.is_dir() else []
        candidates = [str(DEBIAN_BIN / str(v) / "bin" / name) for v in versions if v >= at_least]
        candidates.append(shutil.which(name) or name)
    found = []
    for candidate in candidates:
        major = _tool_major(candidate)
        if major is not None and major >= at_least:
            return candidate
        found.append(f"{candidate} ({major or 'not found'})")
    raise BackupError(f"no {name} of PostgreSQL {at_least} or newer (found: {', '.join(found)}): install "
                      f"postgresql-client-{at_least} or set KEHU_PG_BIN_DIR to the folder that holds it")


def _libpq(url: URL) -> tuple[str, dict]:
    """A libpq URI without the password (command lines are visible to every user of the machine) and the
    environment that carries it."""
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = {**os.environ, "PGAPPNAME": "kehu-backup"}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return uri, env


def _server_major(conn) -> int:
    return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _failure(tool_name: str, errors) -> BackupError:
    errors.seek(0)
    lines = errors.read().decode("utf-8", "replace").strip().splitlines()
    return BackupError(f"{tool_name} failed: {' / '.join(lines[-3:]) or 'no message'}")


@contextmanager
def snapshot(url: URL, bin_dir: str | None) -> Iterator[Snapshot]:
    """The exporting transaction on a connection of its own (not the app's pool), open until the dump ends."""
    engine = create_engine(url, poolclass=NullPool, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn, conn.begin():
            snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            tables, heads = row_counts(conn), migration_heads(conn)
            server = conn.execute(text("SHOW server_version")).scalar_one()
            pg_dump = tool("pg_dump", _server_major(conn), bin_dir)
            details = {"format": FORMAT, "server_version": server, "pg_dump_major": _tool_major(pg_dump)}
            chunks = _dump(pg_dump, url, snapshot_id)
            try:
                yield Snapshot(tables, heads, details, chunks)
            finally:
                chunks.close()  # a backup that failed half-way stops pg_dump before the snapshot goes
    finally:
        engine.dispose()


def _dump(pg_dump: str, url: URL, snapshot_id: str) -> Iterator[bytes]:
    """pg_dump's output as it comes; raises (before the backup file is complete) when pg_dump fails."""
    uri, env = _libpq(url)
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen([pg_dump, "--format=custom", f"--snapshot={snapshot_id}", "--no-password",
                                    f"--dbname={uri}"], stdout=subprocess.PIPE, stderr=errors, env=env)
        try:
            while piece := process.stdout.read(READ_SIZE):
                yield piece
            process.stdout.close()
            if process.wait() != 0:
                raise _failure("pg_dump", errors)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def unpack(chunks: Iterable[bytes], work: Path) -> Path:
    """The dump of a backup as a file in ``work`` (pg_restore reads a file; the folder is private)."""
    path = work / "restored.pgdump"
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        for piece in chunks:
            out.write(piece)
    return path


def restore(dump_file: Path, url: URL, details: dict, bin_dir: str | None) -> None:
    """pg_restore into ``url`` in a single transaction: it restores all or nothing. Objects belong to
    the user restoring (--no-owner), grants are not replayed (--no-privileges): the target server's
    roles need not match the source's."""
    pg_restore = tool("pg_restore", int(details.get("pg_dump_major") or 0), bin_dir)
    uri, env = _libpq(url)
    with tempfile.TemporaryFile() as errors:
        result = subprocess.run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
                                 "--single-transaction", "--no-password", f"--dbname={uri}", str(dump_file)],
                                stdout=subprocess.DEVNULL, stderr=errors, env=env)
        if result.returncode != 0:
            raise _failure("pg_restore", errors)


def contents_of(url: URL) -> tuple[dict[str, int], dict[str, list[str]]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return row_counts(conn), migration_heads(conn)
    finally:
        engine.dispose()


@contextmanager
def scratch_database(server: URL) -> Iterator[URL]:
    """A new, empty database on ``server``, dropped afterwards whatever happens (the user needs CREATEDB)."""
    name = f"kehu_verify_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
    except Exception as exc:
        admin.dispose()
        raise BackupError(f"cannot create a throwaway database on {server.render_as_string()} "
                          f"({str(exc).splitlines()[0]}): give --scratch-url of a server where this user may") from None
    try:
        yield server.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
