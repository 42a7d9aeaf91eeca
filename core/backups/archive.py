"""The ``.kbak`` file: a plain envelope, then everything else encrypted in authenticated chunks.

    MAGIC | u32 length | envelope (JSON) | frame* ; frame = u32 (length, top bit: last) | AES-256-GCM chunk

The envelope says what ``kehu backup list`` shows without a key (site, time, dialect, kehu version, which
key) and how to derive the file key (salt, scrypt cost or key id). It is the associated data of every
chunk, so altering it breaks them all. Each file derives its own cipher key (HKDF over the master key and
a random salt), so a chunk's nonce is just its number; the last chunk carries a flag in its nonce, so a
file cut at a chunk boundary is told apart from a complete one. Decrypted, the chunks are one stream:
    u32 length | header (JSON) | u32 length | secrets (JSON) | database snapshot up to the end
Chunks are 1 MiB: a multi-GB dump goes through without being held in memory.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kehu.backups.errors import BackupError, DamagedBackup, WrongKey

MAGIC = b"KEHUBAK\n"
FORMAT = 1
SUFFIX = ".kbak"
CHUNK_SIZE = 1 << 20
TAG_SIZE = 16
LAST = 1 << 31
MAX_ENVELOPE = 64 * 1024
MAX_SECTION = 64 * 1024 * 1024
_LENGTH = struct.Struct(">I")
ENVELOPE_FIELDS = {"format", "site", "created_at", "kehu_version", "dialect", "key", "salt", "key_check"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _file_keys(master: bytes, salt: bytes) -> tuple[bytes, bytes]:
    """The file's cipher key and the key of its key check (which tells a wrong key from a damaged file)."""
    both = HKDF(algorithm=hashes.SHA256(), length=64, salt=salt, info=b"kehu backup file keys v1").derive(master)
    return both[:32], both[32:]


def _key_check(check_key: bytes) -> str:
    return _b64(hmac.new(check_key, b"kehu backup key check", hashlib.sha256).digest()[:16])


def _nonce(number: int, last: bool) -> bytes:
    return number.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def backup_name(site: str, stamp: str) -> str:
    """``kehu-backup-<site>-<UTC time>.kbak``; the site as a file name can hold it."""
    safe = re.sub(r"[^\w.-]+", "-", site).strip("-.") or "kehu"
    return f"kehu-backup-{safe}-{stamp}{SUFFIX}"


def _free_path(directory: Path, name: str) -> Path:
    """``name`` in ``directory``, with ``-2``, ``-3``… when two backups fall in the same second."""
    path, number = directory / name, 1
    while path.exists():
        number += 1
        path = directory / f"{name[:-len(SUFFIX)]}-{number}{SUFFIX}"
    return path


class _EncryptingSink:
    """Plaintext in, frames out: sealed whenever a chunk is full, the last one on ``close``."""

    def __init__(self, out, cipher_key: bytes, envelope: bytes):
        self.out, self.aead, self.envelope = out, AESGCM(cipher_key), envelope
        self.buffer, self.number = bytearray(), 0

    def write(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= CHUNK_SIZE:
            self._seal(bytes(self.buffer[:CHUNK_SIZE]), last=False)
            del self.buffer[:CHUNK_SIZE]

    def close(self) -> None:
        self._seal(bytes(self.buffer), last=True)
        self.buffer.clear()

    def _seal(self, plain: bytes, last: bool) -> None:
        sealed = self.aead.encrypt(_nonce(self.number, last), plain, self.envelope)
        self.out.write(_LENGTH.pack(len(sealed) | (LAST if last else 0)) + sealed)
        self.number += 1


def _section(value: dict) -> bytes:
    data = json.dumps(value, ensure_ascii=False, sort_keys=True).encode()
    return _LENGTH.pack(len(data)) + data


def write_backup(directory: Path, name: str, key, envelope: dict, header: dict, secrets: dict,
                 database: Iterable[bytes]) -> Path:
    """Write a backup file and return its path. It appears under its name only once complete and
    synced to disk: a failure (in ``database`` too) leaves no file that looks like a backup."""
    spec, master = key.new_spec()
    salt = os.urandom(32)
    cipher_key, check_key = _file_keys(master, salt)
    envelope = {**envelope, "format": FORMAT, "cipher": "AES-256-GCM", "chunk_size": CHUNK_SIZE, "key": spec,
                "salt": _b64(salt), "key_check": _key_check(check_key)}
    envelope_bytes = json.dumps(envelope, ensure_ascii=False, sort_keys=True).encode()
    partial = directory / f".{name}.{os.urandom(4).hex()}.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + _LENGTH.pack(len(envelope_bytes)) + envelope_bytes)
            sink = _EncryptingSink(out, cipher_key, envelope_bytes)
            sink.write(_section(header))
            sink.write(_section(secrets))
            for piece in database:
                sink.write(piece)
            sink.close()
            out.flush()
            os.fsync(out.fileno())
        path = _free_path(directory, name)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    _sync_directory(directory)
    return path


def _sync_directory(directory: Path) -> None:
    """The rename itself survives a power cut."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_envelope(handle, path: Path) -> tuple[dict, bytes]:
    start = handle.read(len(MAGIC) + _LENGTH.size)
    if len(start) < len(MAGIC) or start[:len(MAGIC)] != MAGIC:
        raise DamagedBackup(f"{path.name} is not a kehu backup")
    if len(start) < len(MAGIC) + _LENGTH.size:
        raise DamagedBackup(f"{path.name} is truncated: it ends inside its header")
    (length,) = _LENGTH.unpack(start[len(MAGIC):])
    raw = handle.read(length) if length <= MAX_ENVELOPE else b""
    if len(raw) != length:
        raise DamagedBackup(f"{path.name} is truncated or damaged: its header is incomplete")
    try:
        envelope = json.loads(raw)
    except ValueError:
        envelope = None
    if not isinstance(envelope, dict) or not ENVELOPE_FIELDS <= set(envelope):
        raise DamagedBackup(f"{path.name} is damaged: its header is not readable")
    if envelope.get("format") != FORMAT:
        raise BackupError(f"{path.name} is in backup format {envelope.get('format')}, which this kehu "
                          f"({FORMAT}) does not read: restore it with the kehu version that made it")
    return envelope, raw


def read_envelope(path) -> dict:
    """The plain part of a backup: enough to list it and to know which key it needs."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            return _read_envelope(handle, path)[0]
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None


class _PlainStream:
    """The decrypted stream, read as sections and then as the database snapshot."""

    def __init__(self, chunks: Iterator[bytes]):
        self.chunks, self.buffer = chunks, bytearray()

    def read_exact(self, size: int, path: Path) -> bytes:
        while len(self.buffer) < size:
            piece = next(self.chunks, None)
            if piece is None:
                raise DamagedBackup(f"{path.name} is damaged: it ends inside its contents")
            self.buffer += piece
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def section(self, path: Path) -> dict:
        (length,) = _LENGTH.unpack(self.read_exact(_LENGTH.size, path))
        if length > MAX_SECTION:
            raise DamagedBackup(f"{path.name} is damaged: a section claims {length} bytes")
        return json.loads(self.read_exact(length, path))

    def rest(self) -> Iterator[bytes]:
        if self.buffer:
            yield bytes(self.buffer)
            self.buffer.clear()
        yield from self.chunks


class OpenedBackup:
    """A backup opened with its key: ``envelope``, ``header``, ``secrets``, then ``database()`` once.

    The database part is authenticated chunk by chunk as it is read: a consumer that must not act on
    a damaged file (restore) reads it all into its work folder before touching any database.
    """

    def __init__(self, path, key):
        self.path = Path(path)
        try:
            self._handle = open(self.path, "rb")
        except OSError as exc:
            raise BackupError(f"cannot read {self.path}: {exc.strerror}") from None
        try:
            self.envelope, aad = _read_envelope(self._handle, self.path)
            cipher_key, check_key = _file_keys(key.master_for(self.envelope["key"]), base64.urlsafe_b64decode(
                self.envelope["salt"]))
            if not hmac.compare_digest(_key_check(check_key), self.envelope.get("key_check", "")):
                raise WrongKey("wrong passphrase" if key.kind == "passphrase" else
                               f"the key file {getattr(key, 'path', '')} does not open this backup")
            self._stream = _PlainStream(self._frames(AESGCM(cipher_key), aad))
            self.header = self._stream.section(self.path)
            self.secrets = self._stream.section(self.path)
        except BaseException:
            self._handle.close()
            raise

    def _frames(self, aead: AESGCM, aad: bytes) -> Iterator[bytes]:
        limit = int(self.envelope.get("chunk_size", CHUNK_SIZE)) + TAG_SIZE
        number = 0
        while True:
            offset = self._handle.tell()
            head = self._handle.read(_LENGTH.size)
            if len(head) < _LENGTH.size:
                raise DamagedBackup(f"{self.path.name} is truncated: it ends at byte {offset}, before its last part")
            (frame,) = _LENGTH.unpack(head)
            last, length = bool(frame & LAST), frame & ~LAST
            if not TAG_SIZE <= length <= limit:
                raise DamagedBackup(f"{self.path.name} is damaged at byte {offset}")
            sealed = self._handle.read(length)
            if len(sealed) < length:
                raise DamagedBackup(f"{self.path.name} is truncated: it ends inside the part at byte {offset}")
            try:
                plain = aead.decrypt(_nonce(number, last), sealed, aad)
            except InvalidTag:
                raise DamagedBackup(f"{self.path.name} is damaged: the part at byte {offset} was altered "
                                    "(it fails authentication)") from None
            yield plain
            if last:
                if self._handle.read(1):
                    raise DamagedBackup(f"{self.path.name} is damaged: it goes on after its last part")
                return
            number += 1

    def database(self) -> Iterator[bytes]:
        return self._stream.rest()

    def close(self) -> None:
        self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
