"""The webhook handler: the logistics provider's ``shipment.signed`` event becomes a receipt.

The provider sends (Standard Webhooks headers, JSON body)::

    {"type": "shipment.signed",
     "data": {"waybill_no": "SF1402245566", "consignee_phone": "138 0537 1234",
              "signed_by": "王建国", "signed_at": "2026-11-23T09:30:00+08:00", "pieces": 12}}

kehu verifies the signature, stores the event once per ``webhook-id`` and runs ``handle_signed``
in a Celery task. The handler is idempotent: one receipt per waybill, one timeline entry per waybill.
"""
import logging
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from kehu_sdk.customers import Customer, InvalidPhone, blind_index, normalize_phone
from kehu_sdk.db import db
from kehu_sdk.interactions import log_interaction
from kehu_sdk.signals import plugin_signal

from kehu_plugin_delivery.models import Receipt

log = logging.getLogger(__name__)
BEIJING = timezone(timedelta(hours=8))
SIGNED = "shipment.signed"

delivery_signed = plugin_signal("delivery_signed", doc="""
Called when a customer signed for a delivery. Keyword args: ``customer_id``, ``waybill_no``.
""")


class BadEvent(ValueError):
    """The event cannot become a receipt (it stays stored in core's inbound events)."""


def _text(data, key, limit):
    value = data.get(key)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > limit:
        raise BadEvent(f"{key} must be text of 1-{limit} characters")
    return value.strip()


def _signed_at(value):
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise BadEvent("signed_at must be an ISO 8601 time") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)).astimezone(timezone.utc)


def _pieces(value):
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 1_000_000:
        raise BadEvent("pieces must be a positive whole number")
    return value


def customer_with_phone(raw) -> int | None:
    """The id of the (not deleted) customer with this phone number, if exactly one has it."""
    try:
        index = blind_index(normalize_phone(str(raw or "")))
    except InvalidPhone:
        return None
    ids = db.session.scalars(select(Customer.id).where(Customer.phone_index == index,
                                                       Customer.deleted_at.is_(None)).limit(2)).all()
    return ids[0] if len(ids) == 1 else None


def handle_signed(event: dict) -> None:
    payload = event["payload"]
    if not isinstance(payload, dict) or payload.get("type") != SIGNED:
        log.info("delivery webhook %s: ignoring event type %r", event["webhook_id"], event.get("type"))
        return
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    try:
        waybill_no = _text(data, "waybill_no", 40)
        signed_by = _text(data, "signed_by", 60)
        signed_at = _signed_at(data.get("signed_at"))
        pieces = _pieces(data.get("pieces"))
    except BadEvent as bad:
        log.warning("delivery webhook %s cannot be used: %s", event["webhook_id"], bad)
        return
    receipt = db.session.scalar(select(Receipt).where(Receipt.waybill_no == waybill_no))
    if receipt is None:
        receipt = Receipt(waybill_no=waybill_no, webhook_id=event["webhook_id"])
        db.session.add(receipt)
    known_customer = receipt.customer_id
    receipt.signed_by, receipt.signed_at, receipt.pieces = signed_by, signed_at, pieces
    receipt.customer_id = customer_with_phone(data.get("consignee_phone"))
    if receipt.customer_id is not None:
        count = f"，{pieces} 件" if pieces else ""
        log_interaction(receipt.customer_id, "delivery_signed", subject=f"送货签收 {waybill_no}",
                        content=f"{signed_by} 签收{count}", direction="inbound", occurred_at=signed_at,
                        source_plugin="delivery", external_ref=waybill_no)
    db.session.commit()
    if receipt.customer_id is not None and receipt.customer_id != known_customer:  # a fact once, not per retry
        delivery_signed.send(current_app._get_current_object(), customer_id=receipt.customer_id,
                             waybill_no=waybill_no)
