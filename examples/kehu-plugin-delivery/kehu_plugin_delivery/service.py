"""Delivery receipts: ``record_receipt`` is the one write path, for the provider's webhook and the API.

The provider sends (Standard Webhooks headers, JSON body)::

    {"type": "shipment.signed",
     "data": {"waybill_no": "SF1402245566", "consignee_phone": "138 0537 1234",
              "signed_by": "王建国", "signed_at": "2026-11-23T09:30:00+08:00", "pieces": 12}}

kehu verifies the signature, stores the event once per ``webhook-id`` and runs ``handle_signed``
in a Celery task. Recording is idempotent: one receipt per waybill, one timeline entry per waybill.
"""
import logging

from flask import current_app
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError
from sqlalchemy import select

from kehu_sdk import settings_of
from kehu_sdk.customers import match_customer
from kehu_sdk.db import db
from kehu_sdk.interactions import log_interaction
from kehu_sdk.signals import plugin_signal
from kehu_sdk.time import from_china

from kehu_plugin_delivery.models import Receipt
from kehu_plugin_delivery.schemas import ReceiptSchema

log = logging.getLogger(__name__)
SIGNED = "shipment.signed"

delivery_signed = plugin_signal("delivery_signed", doc="""
Called when a customer signed for a delivery. Keyword args: ``customer_id``, ``waybill_no``.
""")


class ReceiptInvalid(ValueError):
    """A receipt that cannot be recorded; ``errors`` maps fields to messages."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def webhook_secrets() -> list[str]:
    """The secret ``POST /webhooks/delivery`` accepts (none set: the endpoint refuses every webhook)."""
    secret = settings_of("delivery").get("webhook_secret")
    return [secret] if secret else []


def customer_with_phone(raw) -> int | None:
    """The customer a consignee's phone belongs to, by kehu's one rule (``match_customer``): not
    deleted, a customer's own phone before a contact's, the oldest customer among equals."""
    customer = match_customer({"phone": raw})
    return customer.id if customer is not None else None


def receipts_of(customer_id: int):
    """A SELECT of the customer's receipts, newest signature first."""
    return (select(Receipt).where(Receipt.customer_id == customer_id)
            .order_by(Receipt.signed_at.desc(), Receipt.id.desc()))


def recent_receipts(customer_id: int, limit: int) -> list[Receipt]:
    return db.session.scalars(receipts_of(customer_id).limit(limit)).all()


def record_receipt(values: dict, customer_id: int | None, *, webhook_id: str | None = None,
                   recorded_by: int | None = None) -> Receipt:
    """Record the signature of one waybill and commit.

    ``values`` as ``ReceiptSchema`` loads them (``waybill_no``, ``signed_by``, ``signed_at``,
    ``pieces``); ``customer_id`` is whose delivery it is (None: nobody's yet). A waybill recorded
    again updates its receipt, which keeps its customer when none is named. The provider
    (``webhook_id``) is believed; by hand (``recorded_by``, a user id) a waybill already on another
    customer's record is refused (ReceiptInvalid). The customer's timeline gets one entry per
    waybill, and ``delivery_signed`` is sent once the receipt has its customer.
    """
    waybill_no = values["waybill_no"]
    receipt = db.session.scalar(select(Receipt).where(Receipt.waybill_no == waybill_no))
    if receipt is None:
        receipt = Receipt(waybill_no=waybill_no)
        db.session.add(receipt)
    elif recorded_by is not None and receipt.customer_id not in (None, customer_id):
        raise ReceiptInvalid({"waybill_no": [_("该运单号已登记在另一位客户名下：%(waybill)s", waybill=waybill_no)]})
    known_customer = receipt.customer_id
    receipt.signed_by, receipt.signed_at, receipt.pieces = values["signed_by"], from_china(values["signed_at"]), \
        values.get("pieces")
    receipt.webhook_id, receipt.recorded_by = webhook_id, recorded_by
    if customer_id is not None:
        receipt.customer_id = customer_id
    if receipt.customer_id is not None:
        count = f"，{receipt.pieces} 件" if receipt.pieces else ""
        log_interaction(receipt.customer_id, "delivery_signed", subject=f"送货签收 {waybill_no}",
                        content=f"{receipt.signed_by} 签收{count}", direction="inbound",
                        occurred_at=receipt.signed_at, user_id=recorded_by, source_plugin="delivery",
                        external_ref=waybill_no)
    db.session.commit()
    if receipt.customer_id is not None and receipt.customer_id != known_customer:  # a fact once, not per retry
        delivery_signed.send(current_app._get_current_object(), customer_id=receipt.customer_id,
                             waybill_no=waybill_no)
    return receipt


def handle_signed(event: dict) -> None:
    """The webhook receiver's handler: a ``shipment.signed`` event becomes a receipt; others are ignored."""
    payload = event["payload"]
    if not isinstance(payload, dict) or payload.get("type") != SIGNED:
        log.info("delivery webhook %s: ignoring event type %r", event["webhook_id"], event.get("type"))
        return
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    try:
        values = ReceiptSchema(unknown=EXCLUDE).load(data)  # the API's rules for the provider's data
    except ValidationError as bad:
        log.warning("delivery webhook %s cannot be used: %s", event["webhook_id"], bad.messages)
        return
    record_receipt(values, customer_with_phone(data.get("consignee_phone")), webhook_id=event["webhook_id"])
