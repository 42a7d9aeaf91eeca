"""pg_dump and pg_restore are found by major version: an older pg_dump than the server is refused with
what to install, before anything is dumped."""
import pytest

from kehu.backups.errors import BackupError
from kehu.backups.postgresql import tool


def fake_tool(folder, name, version):
    path = folder / name
    path.write_text(f"#!/bin/sh\necho '{name} (PostgreSQL) {version} (Debian {version}-1)'\n")
    path.chmod(0o755)
    return path


def test_a_tool_of_the_servers_major_version_or_newer_is_used(tmp_path):
    path = fake_tool(tmp_path, "pg_dump", "16.4")
    assert tool("pg_dump", 15, str(tmp_path)) == str(path)
    assert tool("pg_dump", 16, str(tmp_path)) == str(path)


def test_an_older_or_missing_tool_is_refused_with_what_to_install(tmp_path):
    fake_tool(tmp_path, "pg_dump", "13.2")
    with pytest.raises(BackupError, match=r"no pg_dump of PostgreSQL 15 or newer .*13.*postgresql-client-15"):
        tool("pg_dump", 15, str(tmp_path))
    with pytest.raises(BackupError, match="not found"):
        tool("pg_restore", 15, str(tmp_path))
