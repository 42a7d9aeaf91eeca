"""The database for plugin code: ``db`` (``db.session``, ``db.select`` …) and column helpers.

Plugin tables subclass ``kehu_sdk.PluginModel``. Use ``UTCDateTime`` for timestamp columns in
models (aware UTC datetimes on SQLite too) and ``sa.DateTime(timezone=True)`` in migrations.
"""
from kehu.extensions import db
from kehu.platform.columns import UTCDateTime
from kehu.platform.time import utcnow

__all__ = ["UTCDateTime", "db", "utcnow"]
