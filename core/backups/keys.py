"""The keys a backup is encrypted with: a passphrase (stretched by scrypt) or a key file the admin holds.

Either gives a 32-byte master key; each backup file derives its own file key from it (archive.py), so
one key file encrypts every scheduled backup without ever reusing a nonce. What the file records about
its key (``spec``) names the kind, the scrypt salt and cost, or the key file's id: never the key.
"""
import base64
import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from kehu.backups.errors import BackupError, WrongKey

KEY_BYTES = 32
KEY_FILE_PREFIX = "kehu-backup-key-1:"
# scrypt at 2**17 x 8: 128 MiB and a fraction of a second per backup, a guess costs an attacker as much
SCRYPT_COST = {"n": 2**17, "r": 8, "p": 1}
MAX_SCRYPT_N = 2**20  # a file asking for more (or a larger r, p) is refused rather than exhausting the machine
MIN_PASSPHRASE = 12


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


def key_id(key: bytes) -> str:
    """A short name of a key (its hash): says which key file a backup needs without revealing it."""
    return hashlib.sha256(b"kehu backup key id\0" + key).hexdigest()[:12]


class Passphrase:
    kind = "passphrase"

    def __init__(self, text: str):
        if not text:
            raise BackupError("the passphrase is empty")
        self._text = text

    def __repr__(self):
        return "Passphrase(********)"

    def check_strength(self) -> None:
        """Only for new backups: restoring accepts whatever passphrase a backup was made with."""
        if len(self._text) < MIN_PASSPHRASE:
            raise BackupError(f"the passphrase is shorter than {MIN_PASSPHRASE} characters: a backup holds every "
                              "customer and the key to their phone numbers")

    def new_spec(self) -> tuple[dict, bytes]:
        salt = os.urandom(16)
        spec = {"kind": self.kind, "kdf": "scrypt", "salt": _b64(salt), **SCRYPT_COST}
        return spec, self._stretch(salt, **SCRYPT_COST)

    def master_for(self, spec: dict) -> bytes:
        if spec.get("kind") != self.kind:
            raise WrongKey(f"this backup was encrypted with key file {spec.get('key_id')}, not a passphrase: "
                           "give --key-file")
        n, r, p = (int(spec.get("n", 0)), int(spec.get("r", 0)), int(spec.get("p", 0)))
        if spec.get("kdf") != "scrypt" or not (2 <= n <= MAX_SCRYPT_N and n & (n - 1) == 0 and 1 <= r <= 32
                                               and 1 <= p <= 16):
            raise BackupError(f"this backup's key derivation ({spec.get('kdf')}) is not one this kehu reads")
        return self._stretch(_unb64(spec["salt"]), n, r, p)

    def _stretch(self, salt: bytes, n: int, r: int, p: int) -> bytes:
        return Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(self._text.encode())


class KeyFile:
    kind = "key-file"

    def __init__(self, path):
        self.path = Path(path)
        self._key = read_key_file(self.path)
        self.key_id = key_id(self._key)

    def __repr__(self):
        return f"KeyFile({self.path}, id {self.key_id})"

    def check_strength(self) -> None:
        """A key file is 32 random bytes."""

    def new_spec(self) -> tuple[dict, bytes]:
        return {"kind": self.kind, "key_id": self.key_id}, self._key

    def master_for(self, spec: dict) -> bytes:
        if spec.get("kind") != self.kind:
            raise WrongKey("this backup was encrypted with a passphrase, not a key file: give the passphrase")
        if spec.get("key_id") != self.key_id:
            raise WrongKey(f"this backup was encrypted with key {spec.get('key_id')}; "
                           f"{self.path} holds key {self.key_id}")
        return self._key


def read_key_file(path: Path) -> bytes:
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise BackupError(f"cannot read the key file {path}: {exc.strerror}") from None
    try:
        if not text.startswith(KEY_FILE_PREFIX):
            raise ValueError
        key = _unb64(text[len(KEY_FILE_PREFIX):])
        if len(key) != KEY_BYTES:
            raise ValueError
    except ValueError:
        raise BackupError(f"{path} is not a kehu backup key file (make one with `kehu backup key new`)") from None
    return key


def write_new_key_file(path) -> str:
    """A new random key in ``path`` (0600; an existing file is never overwritten); returns its id."""
    path = Path(path)
    key = os.urandom(KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BackupError(f"{path} exists: a key file is never overwritten (the backups made with it would be lost)"
                          ) from None
    with os.fdopen(fd, "w") as handle:
        handle.write(KEY_FILE_PREFIX + _b64(key) + "\n")
    return key_id(key)
