"""Default roles, record scopes (own / team / all) and the permissions there are.

Checking them is ``kehu.platform.permissions``; which exist is the ``permissions()`` hook's answer
(core's own come from the built-in plugin).
"""
from flask_babel import lazy_gettext as _l

from kehu.plugins.builtin import CORE_PERMISSIONS

SCOPES = ("own", "team", "all")

_SALES = ["customer.read", "customer.create", "customer.update", "customer.pii",
          "interaction.read", "interaction.write"]
DEFAULT_ROLES = {
    # name: (title, permissions, scope)
    "admin": (_l("管理员"), sorted(CORE_PERMISSIONS), "all"),
    "manager": (_l("销售经理"), _SALES + ["customer.delete", "customer.export", "customer.import", "tag.manage",
                                        "audit.read"], "team"),
    "sales": (_l("销售"), _SALES, "own"),
    "service": (_l("客服"), ["customer.read", "customer.update", "customer.pii",
                            "interaction.read", "interaction.write"], "team"),
    # Marketing reads everyone for segments but sees masked phone numbers.
    "marketing": (_l("市场"), ["customer.read", "interaction.read", "tag.manage"], "all"),
}
