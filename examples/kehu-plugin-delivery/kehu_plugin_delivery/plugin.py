"""送货签收: a setting, a table, a webhook receiver, an API, a permission, an interaction kind and a panel."""
from flask_babel import lazy_gettext as _l

from kehu_sdk import Plugin, WebhookReceiver, hookimpl

from kehu_plugin_delivery import api, views
from kehu_plugin_delivery.service import handle_signed, webhook_secrets


class DeliveryPlugin(Plugin):
    name = "delivery"
    title = _l("送货签收")
    version = "0.2.0"
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

    @hookimpl
    def register_blueprints(self):
        return [views.pages, api.api]

    @hookimpl
    def webhook_receivers(self):
        return [WebhookReceiver(source="delivery", secrets=webhook_secrets, handle=handle_signed)]

    @hookimpl
    def permissions(self):
        return {"delivery.record": _l("登记送货签收")}

    @hookimpl
    def interaction_kinds(self):
        return [{"kind": "delivery_signed", "title": _l("送货签收")}]

    @hookimpl
    def customer_panels(self, customer, user):
        return [{"title": _l("送货签收"), "html": views.customer_panel(customer.id, self.settings["panel_limit"])}]
