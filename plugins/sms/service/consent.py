"""Consent and opt-out: the suppression list, inbound replies (T/TD/R/退订) and delivery receipts.

Provider callbacks arrive in the providers' own shapes and are read by the provider modules into
``Receipt`` and ``Reply``; each handler here is idempotent, since providers retry.
"""
import hashlib
import hmac
import logging
import re

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from kehu_plugins.sms.models import SmsInbound, SmsMessage, SmsSuppression
from kehu_plugins.sms.providers.base import Receipt, Reply, mask
from kehu_sdk.customers import Customer, InvalidPhone, blind_index, match_customer, normalize_phone
from kehu_sdk.db import db
from kehu_sdk.interactions import log_interaction
from kehu_sdk.plugins import settings_of
from kehu_sdk.signals import plugin_signal
from kehu_sdk.time import utcnow

log = logging.getLogger(__name__)
_NOISE = re.compile(r"[\s\.,。，!！、:：;；\"'“”‘’()（）\[\]【】]+")

sms_delivered = plugin_signal("sms_delivered", doc="Called when a delivery receipt settled an SMS "
                              "(kwargs: message_id, customer_id, delivered).")
sms_opted_out = plugin_signal("sms_opted_out", doc="Called when a number was added to the SMS suppression "
                              "list (kwargs: customer_id or None, reason).")


def is_opt_out(text: str, keywords: list[str]) -> bool:
    """A reply that is just an opt-out keyword (any case, punctuation ignored), or says 退订 anywhere."""
    compact = _NOISE.sub("", text or "").upper()
    return compact in {k.upper() for k in keywords} or "退订" in compact


# the suppression list ---------------------------------------------------------------------------
def suppressions():
    """SELECT of the suppression list, newest first."""
    return select(SmsSuppression).order_by(SmsSuppression.id.desc())


def _suppress(phone_index: str, last4: str | None, reason: str, note: str | None = None) -> bool:
    """Add a number to the suppression list (the caller commits); False when it was there already."""
    if db.session.scalar(select(SmsSuppression.id).where(SmsSuppression.phone_index == phone_index)):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(SmsSuppression(phone_index=phone_index, phone_last4=last4, reason=reason, note=note))
    except IntegrityError:
        return False  # a concurrent callback added it
    return True


def add_suppression(e164: str, note: str | None = None) -> bool:
    """Put a number (E.164) on the list by hand; False when it was there already."""
    added = _suppress(blind_index(e164), e164[-4:], "manual", note)
    db.session.commit()
    return added


def delete_suppression(row: SmsSuppression) -> None:
    db.session.delete(row)
    db.session.commit()


def suppress_if_opted_out(customer, error_code: str, settings: dict) -> None:
    """A provider error saying the recipient refuses SMS puts the number on the list."""
    if customer is not None and customer.phone_index and error_code in settings["opt_out_error_codes"]:
        if _suppress(customer.phone_index, customer.phone_last4, "callback", f"provider error {error_code}"):
            db.session.commit()
            _announce_opt_out(customer.id, "callback")


def _announce_opt_out(customer_id, reason):
    sms_opted_out.send(current_app._get_current_object(), customer_id=customer_id, reason=reason)


# provider callbacks -----------------------------------------------------------------------------
def callback_settings(token: str) -> dict | None:
    """The settings when ``token`` is the configured callback token (constant time), else None."""
    settings = settings_of("sms")
    expected = settings.get("callback_token") or ""
    if not expected or not hmac.compare_digest(expected.encode(), (token or "").encode()):
        return None
    return settings


def record_reply(provider: str, reply: Reply, settings: dict) -> SmsInbound | None:
    """Store an inbound reply once, put it on the customer's timeline, suppress the number on opt-out.

    Returns None when the number is not a valid phone number or the reply was recorded already.
    """
    try:
        e164 = normalize_phone(reply.phone)
    except InvalidPhone:
        log.warning("inbound SMS from an invalid number %s ignored", mask(reply.phone))
        return None
    index = blind_index(e164)
    received_at = reply.received_at or utcnow()
    external_id = reply.external_id or hashlib.sha256(
        f"{index}|{received_at.isoformat()}|{reply.text}".encode()).hexdigest()[:64]
    if db.session.scalar(select(SmsInbound.id).where(SmsInbound.provider == provider,
                                                     SmsInbound.external_id == external_id)):
        return None
    customer = match_customer({"phone": e164})
    opt_out = is_opt_out(reply.text, settings["opt_out_keywords"])
    inbound = SmsInbound(provider=provider, external_id=external_id, phone_index=index, phone_last4=e164[-4:],
                         customer_id=customer.id if customer else None, content=reply.text[:1000], opt_out=opt_out,
                         received_at=received_at)
    db.session.add(inbound)
    db.session.flush()
    newly_suppressed = opt_out and _suppress(index, e164[-4:], "reply", reply.text[:200])
    if customer is not None:
        log_interaction(customer.id, "sms", subject="短信回复", content=reply.text[:1000], channel="sms",
                        direction="inbound", occurred_at=received_at, source_plugin="sms",
                        external_ref=f"inbound:{inbound.id}")
    db.session.commit()
    if newly_suppressed:
        _announce_opt_out(customer.id if customer else None, "reply")
    return inbound


def record_receipt(provider: str, receipt: Receipt, settings: dict) -> bool:
    """A delivery receipt: sent (or still sending) -> delivered | undelivered. False if no message matches."""
    conditions = []
    if receipt.out_id and receipt.out_id.isascii() and receipt.out_id.isdigit() and int(receipt.out_id) < 2**31:
        conditions.append(SmsMessage.id == int(receipt.out_id))
    if receipt.provider_message_id:
        conditions.append(SmsMessage.provider_message_id == receipt.provider_message_id)
    if not conditions:
        return False
    message = db.session.scalar(select(SmsMessage).where(or_(*conditions)).limit(1))
    if message is None:
        return False
    delivered, error_code, received_at = receipt.delivered, receipt.error_code, receipt.received_at
    db.session.execute(update(SmsMessage).where(
        SmsMessage.id == message.id, SmsMessage.status.in_(("sending", "sent", "delivered", "undelivered")))
        .values(status="delivered" if delivered else "undelivered", receipt_at=received_at or utcnow(),
                error_code=None if delivered else (error_code or "UNDELIVERED")[:64],
                provider_message_id=message.provider_message_id or receipt.provider_message_id,
                sent_at=message.sent_at or received_at or utcnow()))
    customer = db.session.get(Customer, message.customer_id)
    newly_suppressed = bool(not delivered and error_code and customer is not None and customer.phone_index
                            and error_code in settings["opt_out_error_codes"]
                            and _suppress(customer.phone_index, customer.phone_last4, "callback",
                                          f"receipt {error_code}"))
    db.session.commit()
    sms_delivered.send(current_app._get_current_object(), message_id=message.id,
                       customer_id=message.customer_id, delivered=delivered)
    if newly_suppressed:
        _announce_opt_out(message.customer_id, "callback")
    return True
