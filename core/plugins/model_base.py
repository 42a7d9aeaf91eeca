"""Base class for plugin tables: enforces the ``<plugin>_`` table-name prefix."""
from kehu.extensions import db


class PluginModel(db.Model):
    """Subclass with ``__plugin__ = "name"`` and ``__tablename__ = "name_..."``."""

    __abstract__ = True
    __plugin__: str = ""

    def __init_subclass__(cls, **kwargs):
        if not cls.__dict__.get("__abstract__"):
            prefix = f"{cls.__plugin__}_"
            table = cls.__dict__.get("__tablename__", "")
            if not cls.__plugin__ or not table.startswith(prefix):
                raise TypeError(f"{cls.__name__}: set __plugin__ and a __tablename__ starting with {prefix!r}")
            cls.__table_args__ = _with_owner(cls.__dict__.get("__table_args__"), cls.__plugin__)
        super().__init_subclass__(**kwargs)


def _with_owner(table_args, plugin):
    """Mark the table as the plugin's, so core's migrations leave it to the plugin's lineage."""
    info = {"kehu_plugin": plugin}
    if table_args is None:
        return {"info": info}
    if isinstance(table_args, dict):
        return {**table_args, "info": {**table_args.get("info", {}), **info}}
    *positional, last = table_args
    if isinstance(last, dict):
        return (*positional, {**last, "info": {**last.get("info", {}), **info}})
    return (*table_args, {"info": info})
