"""kehu plugin `erp`: ERP sync: customers, orders, invoices, payments."""
import click
from flask import url_for
from flask_babel import lazy_gettext as _l

from kehu_sdk import Plugin, hookimpl
from kehu_sdk.webhooks import WebhookReceiver
from kehu_plugins.erp import api, views
from kehu_plugins.erp.adapters import ENTITIES
from kehu_plugins.erp.service import SCHEDULED_SYNC, facts, push, sync, webhook
from kehu_plugins.erp.service.connections import webhook_secrets

SECRET = {"type": "string", "writeOnly": True, "maxLength": 500}
TEXT = {"type": "string", "maxLength": 200}
SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "adapter": {"type": "string", "enum": ["odoo", "kingdee", "generic_rest"], "default": "odoo",
                    "title": "ERP 类型", "x-title-en": "ERP type"},
        "base_url": {"type": "string", "maxLength": 300, "title": "ERP 地址", "x-title-en": "ERP address",
                     "pattern": "^https?://"},
        "timeout_seconds": {"type": "number", "minimum": 1, "maximum": 120, "default": 15},
        "schedule_minutes": {"type": "integer", "minimum": 0, "maximum": 1440, "default": 15,
                             "title": "定时同步间隔（分钟，0 为关闭）", "x-title-en": "Scheduled sync every (minutes, 0 = off)"},
        "push_customers": {"type": "boolean", "default": True, "title": "把客户资料推送到 ERP",
                           "x-title-en": "Push customer data to the ERP"},
        "owner_user_id": {"type": ["integer", "null"], "minimum": 1, "default": None,
                          "title": "ERP 新客户的负责人（用户 ID）", "x-title-en": "Owner of customers new from the ERP (user id)"},
        "webhook_secret": SECRET,
        "webhook_secret_previous": SECRET,
        # Odoo 19+ JSON-2
        "odoo_database": {**TEXT, "maxLength": 100},
        "odoo_api_key": SECRET,
        # Kingdee K/3 Cloud
        "kingdee_acct_id": {**TEXT, "maxLength": 100},
        "kingdee_username": {**TEXT, "maxLength": 100},
        "kingdee_password": SECRET,
        "kingdee_app_id": {**TEXT, "maxLength": 100},
        "kingdee_app_secret": SECRET,
        "kingdee_lcid": {"type": "integer", "default": 2052},
        "kingdee_org_number": {**TEXT, "maxLength": 40, "default": "100"},
        # generic REST
        "rest_token": SECRET,
        "rest_items_path": {**TEXT, "default": "items"},
        "rest_item_path": {**TEXT, "default": ""},
        "rest_since_param": {**TEXT, "maxLength": 60, "default": "updated_since"},
        **{f"rest_{entity}_endpoint": {**TEXT, "default": f"/{entity}"} for entity in ENTITIES},
        **{f"rest_path_{field}": {**TEXT, "default": field}
           for field in ("id", "name", "phone", "email", "address", "tax_id", "updated_at", "customer",
                         "number", "date", "amount", "state")},
    },
    "additionalProperties": False,
}


class ErpPlugin(Plugin):
    """ERP sync: customers, orders, invoices, payments."""

    name = "erp"
    title = _l("ERP 对接")
    version = "0.1.0"
    settings_schema = SETTINGS_SCHEMA

    @hookimpl
    def configure(self, app):
        push.install_listeners()

    @hookimpl
    def register_blueprints(self):
        return [views.pages, api.api]

    @hookimpl
    def periodic_tasks(self):
        # Every minute; the task itself waits for `schedule_minutes`, which can change at run time.
        return {SCHEDULED_SYNC: {"task": SCHEDULED_SYNC, "schedule": 60.0}}

    @hookimpl
    def permissions(self):
        return {"erp.view": _l("查看 ERP 订单和同步记录"), "erp.sync": _l("发起 ERP 同步")}

    @hookimpl
    def interaction_kinds(self):
        return [{"kind": "erp_order", "title": _l("ERP 订单")}]

    @hookimpl
    def segment_fields(self):
        return facts.segment_fields()

    @hookimpl
    def webhook_receivers(self):
        return [WebhookReceiver(source="erp", secrets=webhook_secrets, handle=webhook.handle_webhook)]

    @hookimpl
    def menu_items(self, user):
        if not user.has_permission("erp.view"):
            return []
        return [{"title": _l("ERP 同步"), "url": url_for("erp.runs_page"), "icon": "arrow-repeat"}]

    @hookimpl
    def customer_panels(self, customer, user):
        if not user.has_permission("erp.view"):
            return []
        return [{"title": _l("ERP 订单"), "html": views.customer_panel(customer.id)}]

    @hookimpl
    def register_commands(self):
        @click.group("erp")
        def erp_group():
            """ERP sync (plugin erp)."""

        @erp_group.command("sync")
        @click.option("--entity", "entities", multiple=True, type=click.Choice(ENTITIES),
                      help="only these entities (repeatable; default all)")
        def sync_command(entities):
            """Pull changes from the ERP now and print the counts."""
            if not self.enabled:
                raise click.ClickException("the erp plugin is disabled: kehu plugins enable erp")
            run = sync.sync_now("manual", entities or None)
            for entity, counts in run.counts.items():
                click.echo(f"{entity:10} " + " ".join(f"{k}={v}" for k, v in counts.items()))
            for error in run.errors:
                click.echo(f"error: {error['entity'] or '-'} {error['external_id'] or '-'}: {error['message']}",
                           err=True)
            click.echo(f"run {run.id}: {run.status}")
            if run.status == "failed":
                raise SystemExit(1)

        return [erp_group]
