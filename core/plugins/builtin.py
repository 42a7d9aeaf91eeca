"""Core's own contributions, registered through the same hooks as any plugin (datasette's way).

The built-in plugin is always on: it is not in the plugin list admins switch. It names pages by
endpoint and permissions by string, so it imports no domain.
"""
from flask import url_for
from flask_babel import lazy_gettext as _l

from kehu.plugins.hookspecs import hookimpl

BUILTIN_NAME = "kehu"

CORE_PERMISSIONS = {
    "customer.read": _l("查看客户"),
    "customer.create": _l("新建客户"),
    "customer.update": _l("编辑客户"),
    "customer.delete": _l("删除客户"),
    "customer.pii": _l("查看完整手机号"),
    "customer.import": _l("导入客户"),
    "customer.export": _l("导出客户"),
    "interaction.read": _l("查看跟进记录"),
    "interaction.write": _l("记录跟进"),
    "tag.manage": _l("管理标签"),
    "user.manage": _l("管理用户和角色"),
    "plugin.manage": _l("管理插件"),
    "fields.manage": _l("管理自定义字段"),
    "audit.read": _l("查看审计日志"),
    "webhooks.manage": _l("管理 Webhook（订阅、投递记录、接收记录）"),
}
CORE_INTERACTION_KINDS = {
    "call": _l("电话"), "visit": _l("拜访"), "meeting": _l("会议"), "message": _l("消息"), "note": _l("备注"),
}
CORE_EVENT_TYPES = {
    "customer.created": _l("新建了客户"),
    "customer.updated": _l("修改了客户"),
    "customer.deleted": _l("删除了客户"),
    "interaction.logged": _l("记录了跟进"),
    "plugin.enabled": _l("启用了插件"),
    "plugin.disabled": _l("停用了插件"),
}
# (section, title, endpoint, permission or None)
CORE_MENU = (
    ("main", _l("工作台"), "dashboard_pages.home", None),
    ("main", _l("客户"), "customer_pages.customer_list", "customer.read"),
    ("main", _l("待办跟进"), "interaction_pages.follow_ups", "interaction.read"),
    ("main", _l("导入"), "import_pages.imports", "customer.import"),
    ("admin", _l("插件"), "admin_pages.admin_plugins", "plugin.manage"),
    ("admin", _l("用户"), "admin_pages.admin_users", "user.manage"),
    ("admin", _l("角色"), "admin_pages.admin_roles", "user.manage"),
    ("admin", _l("自定义字段"), "custom_field_pages.admin_fields", "fields.manage"),
    ("admin", "Webhook", "webhook_pages.endpoints", "webhooks.manage"),
    ("admin", _l("审计日志"), "admin_pages.audit_log", "audit.read"),
)


class BuiltinPlugin:
    """Registered by the plugin manager under the name ``kehu``; its hooks run before the plugins'."""

    name = BUILTIN_NAME

    @hookimpl
    def permissions(self):
        return dict(CORE_PERMISSIONS)

    @hookimpl
    def interaction_kinds(self):
        return [{"kind": kind, "title": title} for kind, title in CORE_INTERACTION_KINDS.items()]

    @hookimpl
    def event_types(self):
        return dict(CORE_EVENT_TYPES)

    @hookimpl
    def menu_items(self, user):
        return [{"section": section, "title": title, "url": url_for(endpoint), "endpoint": endpoint}
                for section, title, endpoint, permission in CORE_MENU
                if permission is None or user.has_permission(permission)]
