"""Permissions, default roles and record scopes (own / team / all), checked server-side."""
import functools

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, or_, true

CORE_PERMISSIONS = {
    "customer.read": _l("查看客户"),
    "customer.create": _l("新建客户"),
    "customer.update": _l("编辑客户"),
    "customer.delete": _l("删除客户"),
    "customer.pii": _l("查看完整手机号"),
    "interaction.read": _l("查看跟进记录"),
    "interaction.write": _l("记录跟进"),
    "tag.manage": _l("管理标签"),
    "user.manage": _l("管理用户和角色"),
    "plugin.manage": _l("管理插件"),
    "fields.manage": _l("管理自定义字段"),
    "audit.read": _l("查看审计日志"),
    "webhooks.manage": _l("管理 Webhook（订阅、投递记录、接收记录）"),
}
SCOPES = ("own", "team", "all")

_SALES = ["customer.read", "customer.create", "customer.update", "customer.pii",
          "interaction.read", "interaction.write"]
DEFAULT_ROLES = {
    # name: (title, permissions, scope)
    "admin": (_l("管理员"), sorted(CORE_PERMISSIONS), "all"),
    "manager": (_l("销售经理"), _SALES + ["customer.delete", "tag.manage", "audit.read"], "team"),
    "sales": (_l("销售"), _SALES, "own"),
    "service": (_l("客服"), ["customer.read", "customer.update", "customer.pii",
                            "interaction.read", "interaction.write"], "team"),
    # Marketing reads everyone for segments but sees masked phone numbers.
    "marketing": (_l("市场"), ["customer.read", "interaction.read", "tag.manage"], "all"),
}


def require(permission: str):
    """View decorator: 401 without a logged-in user, 403 without ``permission``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if not current_user.has_permission(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def scope_criterion(user, owner_column, team_column):
    """The SQL criterion limiting rows to what ``user``'s role scope may see."""
    if user.scope == "all":
        return true()
    if user.scope == "team" and user.team_id is not None:
        return or_(team_column == user.team_id, owner_column == user.id)
    if user.scope in ("own", "team"):
        return owner_column == user.id
    return false()
