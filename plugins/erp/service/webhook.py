"""Inbound ERP webhooks (``POST /webhooks/erp``): a change notice becomes a sync of those records."""
import re

from kehu_plugins.erp.service.sync import sync_now

EXTERNAL_ID = re.compile(r"[\w.-]{1,80}")
MAX_IDS = 500

# What ERPs call the things we sync: Odoo models, Kingdee form ids, and our own names.
ENTITY_NAMES = {
    "customers": "customers", "customer": "customers", "res.partner": "customers", "BD_Customer": "customers",
    "orders": "orders", "order": "orders", "sale.order": "orders", "SAL_SaleOrder": "orders",
    "invoices": "invoices", "invoice": "invoices", "account.move": "invoices", "AR_receivable": "invoices",
    "payments": "payments", "payment": "payments", "account.payment": "payments", "AR_RECEIVEBILL": "payments",
}


def _notice(event: dict) -> dict:
    """The part of the body naming the records: the body itself or its Standard Webhooks ``data``."""
    payload = event.get("payload")
    if not isinstance(payload, dict):
        return {}
    return payload["data"] if isinstance(payload.get("data"), dict) else payload


def entity_of(event: dict) -> str | None:
    payload = _notice(event)
    for candidate in (payload.get("entity"), payload.get("model"), payload.get("form_id"),
                      (event.get("type") or "").rsplit(".", 1)[0], event.get("type")):
        if isinstance(candidate, str) and candidate in ENTITY_NAMES:
            return ENTITY_NAMES[candidate]
    return None


def handle_webhook(event: dict):
    """Sync the records the notice names (all changes since the cursor when it names none).

    Idempotent: pulling the same records twice writes nothing new the second time.
    """
    payload = _notice(event)
    entity = entity_of(event)
    ids = payload.get("ids") or ([payload["id"]] if payload.get("id") is not None else [])
    if not isinstance(ids, list):
        ids = []
    ids = [str(i) for i in ids if isinstance(i, (int, str)) and EXTERNAL_ID.fullmatch(str(i))][:MAX_IDS]
    return sync_now("webhook", [entity] if entity else None, {entity: ids} if entity and ids else None).status
