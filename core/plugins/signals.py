"""blinker signals: facts announced after the transaction that made them has committed.

Every signal is sent with the Flask app as sender and keyword arguments. Receivers are
quick, idempotent, ignore return values and hand heavy work to Celery. Connect with
``weak=False`` (or use ``kehu_sdk.Plugin.connect``, which also skips disabled plugins).
"""
from blinker import Namespace

_signals = Namespace()

customer_created = _signals.signal("customer-created", doc="""
Called when a customer was created. Keyword args: ``customer`` (the object), ``customer_id``.
""")
customer_updated = _signals.signal("customer-updated", doc="""
Called when a customer was changed. Keyword args: ``customer``, ``customer_id`` and
``changes``, a dict ``{field: (old, new)}`` of the changed fields.
""")
customer_deleted = _signals.signal("customer-deleted", doc="""
Called when a customer was (soft-)deleted. Keyword args: ``customer``, ``customer_id``.
""")
customers_merged = _signals.signal("customers-merged", doc="""
Called when duplicates were merged into one. Keyword args: ``customer_id`` (the survivor)
and ``merged_ids`` (the customers folded into it).
""")
interaction_logged = _signals.signal("interaction-logged", doc="""
Called when an interaction was recorded. Keyword args: ``interaction``, ``interaction_id``,
``customer_id``.
""")
plugin_enabled = _signals.signal("plugin-enabled", doc="Called when a plugin was enabled. Keyword arg: ``plugin`` (its name).")
plugin_disabled = _signals.signal("plugin-disabled", doc="Called when a plugin was disabled. Keyword arg: ``plugin``.")
plugin_settings_changed = _signals.signal("plugin-settings-changed", doc="""
Called when a plugin's settings were saved. Keyword args: ``plugin``, ``settings`` (new values).
""")


def plugin_signal(name: str, doc: str):
    """Create (or return) a plugin-defined signal such as ``sms_delivered``."""
    return _signals.signal(name, doc=doc)
