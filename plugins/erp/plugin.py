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
# titles of the generic REST adapter's settings: (中文, English)
REST_ENTITY_TITLES = {"customers": ("客户", "customers"), "orders": ("订单", "orders"), "invoices": ("发票", "invoices"),
                      "payments": ("收款", "payments")}
REST_FIELD_TITLES = {"id": ("编号", "id"), "name": ("名称", "name"), "phone": ("电话", "phone"), "email": ("邮箱", "email"),
                     "address": ("地址", "address"), "tax_id": ("统一社会信用代码", "tax id"),
                     "updated_at": ("更新时间", "updated at"), "customer": ("客户", "customer"),
                     "number": ("单号", "number"), "date": ("日期", "date"), "amount": ("金额", "amount"),
                     "state": ("状态", "state")}
TEXT = {"type": "string", "maxLength": 200}
SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "adapter": {"type": "string", "enum": ["odoo", "kingdee", "generic_rest"], "default": "odoo",
                    "title": "ERP 类型", "x-title-en": "ERP type",
                    "x-enumNames": ["Odoo", "金蝶云星空（K/3 Cloud）", "通用 REST 接口"],
                    "x-enumNames-en": ["Odoo", "Kingdee K/3 Cloud", "Generic REST API"]},
        "base_url": {"type": "string", "maxLength": 300, "title": "ERP 地址", "x-title-en": "ERP address",
                     "pattern": "^https?://"},
        "timeout_seconds": {"type": "number", "minimum": 1, "maximum": 120, "default": 15,
                            "title": "请求超时（秒）", "x-title-en": "Request timeout (seconds)"},
        "schedule_minutes": {"type": "integer", "minimum": 0, "maximum": 1440, "default": 15,
                             "title": "定时同步间隔（分钟，0 为关闭）", "x-title-en": "Scheduled sync every (minutes, 0 = off)"},
        "push_customers": {"type": "boolean", "default": True, "title": "把客户资料推送到 ERP",
                           "x-title-en": "Push customer data to the ERP"},
        "owner_user_id": {"type": ["integer", "null"], "minimum": 1, "default": None,
                          "title": "ERP 新客户的负责人（用户 ID）", "x-title-en": "Owner of customers new from the ERP (user id)"},
        "webhook_secret": {**SECRET, "title": "ERP 推送（webhook）的签名密钥", "x-title-en": "Signing secret of ERP pushes (webhooks)"},
        "webhook_secret_previous": {**SECRET, "title": "上一个签名密钥（轮换期间仍有效）",
                                    "x-title-en": "Previous signing secret (still accepted while rotating)"},
        # Odoo 19+ JSON-2
        "odoo_database": {**TEXT, "maxLength": 100, "title": "Odoo 数据库名", "x-title-en": "Odoo database"},
        "odoo_api_key": {**SECRET, "title": "Odoo API 密钥", "x-title-en": "Odoo API key"},
        # Kingdee K/3 Cloud
        "kingdee_acct_id": {**TEXT, "maxLength": 100, "title": "金蝶数据中心 ID", "x-title-en": "Kingdee data centre id"},
        "kingdee_username": {**TEXT, "maxLength": 100, "title": "金蝶用户名", "x-title-en": "Kingdee user name"},
        "kingdee_password": {**SECRET, "title": "金蝶密码", "x-title-en": "Kingdee password"},
        "kingdee_app_id": {**TEXT, "maxLength": 100, "title": "金蝶应用 ID", "x-title-en": "Kingdee app id"},
        "kingdee_app_secret": {**SECRET, "title": "金蝶应用密钥", "x-title-en": "Kingdee app secret"},
        "kingdee_lcid": {"type": "integer", "default": 2052, "title": "金蝶语言代码（2052 为简体中文）",
                         "x-title-en": "Kingdee language code (2052: Simplified Chinese)"},
        "kingdee_org_number": {**TEXT, "maxLength": 40, "default": "100", "title": "金蝶组织编码",
                               "x-title-en": "Kingdee organisation number"},
        # generic REST
        "rest_token": {**SECRET, "title": "REST 接口令牌（Bearer）", "x-title-en": "REST API token (Bearer)"},
        "rest_items_path": {**TEXT, "default": "items", "title": "REST：列表在回应中的路径",
                            "x-title-en": "REST: path of the list in a response"},
        "rest_item_path": {**TEXT, "default": "", "title": "REST：单条记录在列表项中的路径（空为整项）",
                           "x-title-en": "REST: path of a record inside a list item (empty: the whole item)"},
        "rest_since_param": {**TEXT, "maxLength": 60, "default": "updated_since", "title": "REST：增量同步的参数名",
                             "x-title-en": "REST: query parameter of incremental syncs"},
        **{f"rest_{entity}_endpoint": {**TEXT, "default": f"/{entity}", "title": f"REST：{REST_ENTITY_TITLES[entity][0]}接口路径",
                                       "x-title-en": f"REST: {REST_ENTITY_TITLES[entity][1]} endpoint"}
           for entity in ENTITIES},
        **{f"rest_path_{field}": {**TEXT, "default": field, "title": f"REST：字段“{title[0]}”的路径",
                                  "x-title-en": f"REST: path of the field '{title[1]}'"}
           for field, title in REST_FIELD_TITLES.items()},
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
    def default_role_permissions(self):
        # whoever talks to customers sees their orders, invoices and payments
        return {role: ["erp.view"] for role in ("manager", "sales", "service")}

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
