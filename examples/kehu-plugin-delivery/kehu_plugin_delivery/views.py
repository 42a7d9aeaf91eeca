"""The plugin's pages: none of its own; this blueprint puts ``templates/delivery/`` on the template path
for the customer panel."""
from flask import render_template
from markupsafe import Markup

from kehu_sdk import PluginBlueprint

from kehu_plugin_delivery.service import recent_receipts

pages = PluginBlueprint("delivery", __name__)


def customer_panel(customer_id: int, limit: int) -> Markup:
    """The 「送货签收」 panel: the customer's latest receipts, in China time."""
    html = render_template("delivery/panel.html", receipts=recent_receipts(customer_id, limit))
    return Markup(html)  # rendered (and escaped) by our template
