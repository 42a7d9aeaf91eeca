"""送货签收: a setting, a table, a webhook receiver, an interaction kind and a customer panel."""
from datetime import timedelta, timezone

from flask import render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from kehu_sdk import Plugin, PluginBlueprint, WebhookReceiver, hookimpl

from kehu_plugin_delivery.models import recent_receipts
from kehu_plugin_delivery.receiving import handle_signed

BEIJING = timezone(timedelta(hours=8))
# no routes: it puts templates/delivery/ on the template path
blueprint = PluginBlueprint("delivery", __name__)


class DeliveryPlugin(Plugin):
    name = "delivery"
    title = _l("送货签收")
    version = "0.1.0"
    requires_core = ">=0.1"
    settings_schema = {
        "type": "object",
        "properties": {
            "panel_limit": {"type": "integer", "title": "客户页显示的签收记录条数", "minimum": 1, "maximum": 50,
                            "default": 5},
            # from the logistics provider's console; shown masked, never logged
            "webhook_secret": {"type": "string", "title": "物流平台签名密钥（whsec_…）", "writeOnly": True,
                               "pattern": "^whsec_[A-Za-z0-9+/]{32,}={0,2}$"},
        },
        "additionalProperties": False,
    }

    def webhook_secrets(self) -> list[str]:
        secret = self.settings.get("webhook_secret")
        return [secret] if secret else []

    @hookimpl
    def register_blueprints(self):
        return [blueprint]

    @hookimpl
    def webhook_receivers(self):
        return [WebhookReceiver(source="delivery", secrets=self.webhook_secrets, handle=handle_signed)]

    @hookimpl
    def interaction_kinds(self):
        return [{"kind": "delivery_signed", "title": _l("送货签收")}]

    @hookimpl
    def customer_panels(self, customer, user):
        receipts = recent_receipts(customer.id, self.settings["panel_limit"])
        html = render_template("delivery/panel.html", receipts=receipts, beijing=BEIJING)
        return [{"title": _l("送货签收"), "html": Markup(html)}]  # rendered (and escaped) by our template
