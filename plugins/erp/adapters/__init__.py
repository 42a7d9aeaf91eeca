"""ERP adapters: one class per protocol, chosen by the ``adapter`` setting."""
from flask_babel import gettext as _

from kehu_plugins.erp.adapters.base import ENTITIES, ErpCustomer, ErpDocument, ErpError, ErpUnavailable
from kehu_plugins.erp.adapters.generic_rest import GenericRestAdapter
from kehu_plugins.erp.adapters.kingdee import KingdeeAdapter
from kehu_plugins.erp.adapters.odoo import OdooAdapter

ADAPTERS = {"odoo": OdooAdapter, "kingdee": KingdeeAdapter, "generic_rest": GenericRestAdapter}


def adapter_for(settings: dict):
    """An adapter instance for the configured ERP; ErpError when the settings are incomplete."""
    cls = ADAPTERS.get(settings.get("adapter"))
    if cls is None:
        raise ErpError(_("未知的 ERP 类型：%(name)s", name=settings.get("adapter")))
    return cls(settings)


__all__ = ["ADAPTERS", "ENTITIES", "ErpCustomer", "ErpDocument", "ErpError", "ErpUnavailable", "adapter_for"]
