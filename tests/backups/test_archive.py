"""The backup file refuses what it must: a wrong passphrase, a truncated or altered file, a file that is no
backup; with a clear message and nothing restored (the whole file is authenticated before any write)."""
import json
import struct
from pathlib import Path

import pytest

from kehu.backups import archive
from kehu.backups.errors import DamagedBackup, WrongKey
from kehu.backups.keys import Passphrase
from kehu.backups.service import create_backup, verify_backup

pytestmark = pytest.mark.kehu_plugins("erp", "sms", "sample")


@pytest.fixture
def small_chunks(monkeypatch):
    """1 KiB chunks instead of 1 MiB: the test database's backup has many, so cuts can fall between them."""
    monkeypatch.setattr(archive, "CHUNK_SIZE", 1024)


@pytest.fixture
def backup(app, filled_database, passphrase, small_chunks, tmp_path) -> Path:
    return create_backup(Passphrase(passphrase.text), tmp_path / "backups").path


def frames(path: Path) -> list[tuple[int, int, bool]]:
    """(offset, size with its length prefix, last) of every encrypted chunk."""
    data = path.read_bytes()
    (envelope_size,) = struct.unpack(">I", data[8:12])
    offset, found = 12 + envelope_size, []
    while offset < len(data):
        (frame,) = struct.unpack(">I", data[offset:offset + 4])
        size = frame & ~archive.LAST
        found.append((offset, 4 + size, bool(frame & archive.LAST)))
        offset += 4 + size
    return found


def damaged_copies(path: Path) -> dict[str, bytes]:
    data = path.read_bytes()
    parts = frames(path)
    middle_offset, middle_size, _ = parts[len(parts) // 2]
    flipped = bytearray(data)
    flipped[middle_offset + middle_size // 2] ^= 0x01
    envelope = bytearray(data)
    at = data.index(b'"site": "') + len(b'"site": "')
    envelope[at] = ord("X") if envelope[at] != ord("X") else ord("Y")  # same length, other text
    last_offset, _, _ = parts[-1]
    return {
        "inside the envelope": data[:20],
        "after the envelope": data[:parts[0][0]],
        "inside a chunk": data[:middle_offset + middle_size // 2],
        "between two chunks": data[:last_offset],
        "a flipped bit in a chunk": bytes(flipped),
        "an altered envelope": bytes(envelope),
        "bytes after the end": data + b"\0" * 16,
    }


def test_the_backup_has_many_chunks_and_one_last(backup):
    parts = frames(backup)
    assert len(parts) > 10 and [last for _, _, last in parts] == [False] * (len(parts) - 1) + [True]


def test_a_wrong_passphrase_is_said_and_nothing_is_restored(app, backup, backup_cli, fresh_app, empty_database_url,
                                                           count_rows, monkeypatch):
    with pytest.raises(WrongKey, match="wrong passphrase"):
        verify_backup(backup, Passphrase("not the passphrase at all"))
    restoring = fresh_app(empty_database_url, "restored")
    generated = Path(restoring.config["KEHU_PII_KEY_FILE"]).read_text()
    monkeypatch.setenv("WRONG_PASSPHRASE", "not the passphrase at all")
    result = backup_cli(restoring, "restore", str(backup), "--passphrase-env", "WRONG_PASSPHRASE")
    assert result.exit_code == 1 and "Error: wrong passphrase" in result.output
    assert count_rows(empty_database_url) == {}
    assert Path(restoring.config["KEHU_PII_KEY_FILE"]).read_text() == generated


@pytest.mark.parametrize("damage", ["inside the envelope", "after the envelope", "inside a chunk", "between two chunks",
                                    "a flipped bit in a chunk", "an altered envelope", "bytes after the end"])
def test_a_damaged_file_is_said_and_nothing_is_restored(app, backup, damage, passphrase, backup_cli, fresh_app,
                                                       empty_database_url, count_rows):
    backup.write_bytes(damaged_copies(backup)[damage])
    with pytest.raises(DamagedBackup) as raised:
        verify_backup(backup, Passphrase(passphrase.text))
    assert backup.name in str(raised.value) or "damaged" in str(raised.value)
    expected = "truncated" if damage in ("inside the envelope", "after the envelope", "inside a chunk",
                                         "between two chunks") else "damaged"
    assert expected in str(raised.value)
    result = backup_cli(fresh_app(empty_database_url, "restored"), "restore", str(backup), *passphrase.options)
    assert result.exit_code == 1 and expected in result.output
    assert count_rows(empty_database_url) == {}


def test_a_file_that_is_no_backup_is_listed_as_unreadable(app, backup, backup_cli, passphrase):
    (backup.parent / "notes.kbak").write_text("这不是备份")
    listed = backup_cli(app, "list", str(backup.parent))
    assert listed.exit_code == 0
    assert "notes.kbak  unreadable: notes.kbak is not a kehu backup" in listed.output and backup.name in listed.output
    result = backup_cli(app, "verify", str(backup.parent / "notes.kbak"), *passphrase.options)
    assert result.exit_code == 1 and "is not a kehu backup" in result.output


def test_the_envelope_names_no_secret_and_no_table(app, backup, passphrase):
    envelope = archive.read_envelope(backup)
    assert set(envelope) == {"format", "site", "created_at", "kehu_version", "dialect", "cipher", "chunk_size", "key",
                             "salt", "key_check"}
    assert envelope["key"]["kind"] == "passphrase" and envelope["key"]["n"] >= 2**17
    plain = backup.read_bytes()
    assert app.config["KEHU_PII_KEY"].encode() not in plain and b"customer" not in plain
    assert json.loads(plain[12:12 + struct.unpack(">I", plain[8:12])[0]]) == envelope
