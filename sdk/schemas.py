"""``PluginSchema``: marshmallow schemas for plugin APIs, named inside their plugin in OpenAPI.

Core's OpenAPI names a schema after its class (``CampaignSchema`` → ``Campaign``); two plugins with a
``CampaignSchema`` would overwrite each other's component. A ``PluginSchema`` says its plugin
(``__plugin__ = "sms"``) and appears as ``sms.Campaign``; unknown input fields are refused.

Field types with core's input rules, so plugin input the database cannot store is a 422, never a
500: ``Text`` (no NUL characters), ``TrimmedString`` (and without surrounding spaces), ``Moment``
(typed without an offset it is China time; it must exist in UTC), ``RowId`` (an id within the
INTEGER range), ``Boolean`` (JSON true or false only), ``JsonObject`` (a JSON object stored as it is: no NaN, no NUL).

Marshmallow's own messages are English: ``translated(errors)`` says them in the user's language, as
the API's problem documents do, for a page that loads its form with the same schema.
"""
from marshmallow import RAISE, Schema

from kehu.platform.messages import translated
from kehu.platform.schema_fields import Boolean, JsonObject, Moment, RowId, Text, TrimmedString
from kehu.plugins.naming import check_plugin_name


class PluginSchema(Schema):
    __plugin__: str = ""

    class Meta:
        unknown = RAISE

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        plugin = cls.__dict__.get("__plugin__") or getattr(cls, "__plugin__", "")
        if not plugin:
            raise TypeError(f"{cls.__name__}: a PluginSchema needs __plugin__ = '<plugin name>'")
        check_plugin_name(plugin)


__all__ = ["Boolean", "JsonObject", "Moment", "PluginSchema", "RowId", "Text", "TrimmedString", "translated"]
