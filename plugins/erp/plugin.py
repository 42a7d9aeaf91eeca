"""kehu plugin `erp`: ERP sync: customers, orders, invoices, payments."""
import click
from flask import render_template, url_for
from flask_babel import lazy_gettext as _l

from kehu_sdk import Plugin, hookimpl
from kehu_sdk.webhooks import WebhookReceiver

from kehu_plugins.erp import models  # noqa: F401  plugin tables are registered at start-up

SECRET = {"type": "string", "writeOnly": True, "maxLength": 500}


def _text(default=None, max_length=200, **extra):
    prop = {"type": "string", "maxLength": max_length, **extra}
    if default is not None:
        prop["default"] = default
    return prop


class ErpPlugin(Plugin):
    """ERP sync: customers, orders, invoices, payments."""

    name = "erp"
    title = _l("ERP 对接")
    version = "0.1.0"
    settings_schema = {
        "type": "object",
        "properties": {
            "adapter": {"type": "string", "enum": ["odoo", "kingdee", "generic_rest"], "default": "odoo",
                        "title": "ERP 类型", "x-title-en": "ERP type"},
            "base_url": _text(max_length=300, title="ERP 地址", **{"x-title-en": "ERP address"}, pattern="^https?://"),
            "timeout_seconds": {"type": "number", "minimum": 1, "maximum": 120, "default": 15},
            "schedule_minutes": {"type": "integer", "minimum": 0, "maximum": 1440, "default": 15,
                                 "title": "定时同步间隔（分钟，0 为关闭）", "x-title-en": "Scheduled sync every (minutes, 0 = off)"},
            "push_customers": {"type": "boolean", "default": True, "title": "把客户资料推送到 ERP", "x-title-en": "Push customer data to the ERP"},
            "owner_user_id": {"type": ["integer", "null"], "minimum": 1, "default": None,
                              "title": "ERP 新客户的负责人（用户 ID）", "x-title-en": "Owner of customers new from the ERP (user id)"},
            "webhook_secret": SECRET,
            "webhook_secret_previous": SECRET,
            # Odoo 19+ JSON-2
            "odoo_database": _text(max_length=100),
            "odoo_api_key": SECRET,
            # Kingdee K/3 Cloud
            "kingdee_acct_id": _text(max_length=100),
            "kingdee_username": _text(max_length=100),
            "kingdee_password": SECRET,
            "kingdee_app_id": _text(max_length=100),
            "kingdee_app_secret": SECRET,
            "kingdee_lcid": {"type": "integer", "default": 2052},
            "kingdee_org_number": _text("100", max_length=40),
            # generic REST
            "rest_token": SECRET,
            "rest_items_path": _text("items"),
            "rest_item_path": _text(""),
            "rest_since_param": _text("updated_since", max_length=60),
            **{f"rest_{entity}_endpoint": _text(f"/{entity}")
               for entity in ("customers", "orders", "invoices", "payments")},
            **{f"rest_path_{field}": _text(field)
               for field in ("id", "name", "phone", "email", "address", "tax_id", "updated_at", "customer",
                             "number", "date", "amount", "state")},
        },
        "additionalProperties": False,
    }

    @hookimpl
    def configure(self, app):
        from kehu_plugins.erp.push import install_listeners
        install_listeners()

    @hookimpl
    def register_blueprints(self):
        from kehu_plugins.erp.views import api, web
        return [web, api]

    @hookimpl
    def task_modules(self):
        return ["kehu_plugins.erp.tasks"]

    @hookimpl
    def periodic_tasks(self):
        # Every minute; the task itself waits for `schedule_minutes`, which can change at run time.
        return {"kehu.erp.scheduled_sync": {"task": "kehu.erp.scheduled_sync", "schedule": 60.0}}

    @hookimpl
    def permissions(self):
        return {"erp.view": _l("查看 ERP 订单和同步记录"), "erp.sync": _l("发起 ERP 同步")}

    @hookimpl
    def interaction_kinds(self):
        return [{"kind": "erp_order", "title": _l("ERP 订单")}]

    @hookimpl
    def segment_fields(self):
        from kehu_plugins.erp.facts import segment_fields
        return segment_fields()

    @hookimpl
    def webhook_receivers(self):
        from kehu_plugins.erp.webhook import handle_webhook, webhook_secrets
        return [WebhookReceiver(source="erp", secrets=webhook_secrets, handle=handle_webhook)]

    @hookimpl
    def menu_items(self, user):
        if not user.has_permission("erp.view"):
            return []
        return [{"title": _l("ERP 同步"), "url": url_for("erp.runs_page"), "icon": "arrow-repeat"}]

    @hookimpl
    def customer_panels(self, customer, user):
        if not user.has_permission("erp.view"):
            return []
        from kehu_plugins.erp.views import LABELS, customer_documents
        return [{"title": _l("ERP 订单"),
                 "html": render_template("erp/customer_panel.html", labels=LABELS, **customer_documents(customer.id))}]

    @hookimpl
    def register_commands(self):
        @click.group("erp")
        def erp_group():
            """ERP sync (plugin erp)."""

        @erp_group.command("sync")
        @click.option("--entity", "entities", multiple=True,
                      type=click.Choice(["customers", "orders", "invoices", "payments"]),
                      help="only these entities (repeatable; default all)")
        def sync_command(entities):
            """Pull changes from the ERP now and print the counts."""
            from kehu_plugins.erp.sync import execute_run, start_run
            if not self.enabled:
                raise click.ClickException("the erp plugin is disabled: kehu plugins enable erp")
            run = execute_run(start_run("manual", entities or None).id)
            for entity, counts in run.counts.items():
                click.echo(f"{entity:10} " + " ".join(f"{k}={v}" for k, v in counts.items()))
            for error in run.errors:
                click.echo(f"error: {error['entity'] or '-'} {error['external_id'] or '-'}: {error['message']}",
                           err=True)
            click.echo(f"run {run.id}: {run.status}")
            if run.status == "failed":
                raise SystemExit(1)

        return [erp_group]
