"""The database handle for plugin code (``db.session``, ``db.select`` …)."""
from kehu.extensions import db

__all__ = ["db"]
