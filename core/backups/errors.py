"""What can go wrong with a backup, in words an administrator acts on."""


class BackupError(Exception):
    """A backup cannot be made, read, verified or restored; the message says why and what to do."""


class WrongKey(BackupError):
    """The passphrase or key file is not the one the backup was encrypted with."""


class DamagedBackup(BackupError):
    """The file is truncated, altered or not a kehu backup at all."""


class DatabaseNotEmpty(BackupError):
    """A restore goes into an empty database only: it never mixes a backup into existing data."""
