"""Consent and opt-out: the suppression list, inbound replies (T/TD/R/退订) and delivery receipts.

Provider callbacks arrive in the providers' own shapes (Aliyun SmsReport / SmsUp HTTP push,
Tencent status report / reply callback); each handler here is idempotent, since providers retry.
"""
import hashlib
import logging
import re
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from kehu_sdk.customers import Customer, InvalidPhone, blind_index, normalize_phone
from kehu_sdk.db import db, utcnow
from kehu_sdk.interactions import log_interaction
from kehu_sdk.signals import plugin_signal

from kehu_plugins.sms.models import SmsInbound, SmsMessage, SmsSuppression
from kehu_plugins.sms.providers import mask

log = logging.getLogger(__name__)
CHINA = timezone(timedelta(hours=8))
_NOISE = re.compile(r"[\s\.,。，!！、:：;；\"'“”‘’()（）\[\]【】]+")

sms_delivered = plugin_signal("sms_delivered", doc="Called when a delivery receipt settled an SMS "
                              "(kwargs: message_id, customer_id, delivered).")
sms_opted_out = plugin_signal("sms_opted_out", doc="Called when a number was added to the SMS suppression "
                              "list (kwargs: customer_id or None, reason).")


def is_opt_out(text: str, keywords: list[str]) -> bool:
    """A reply that is just an opt-out keyword (any case, punctuation ignored), or says 退订 anywhere."""
    compact = _NOISE.sub("", text or "").upper()
    return compact in {k.upper() for k in keywords} or "退订" in compact


def suppress(phone_index: str, last4: str | None, reason: str, note: str | None = None) -> bool:
    """Add a number to the suppression list (the caller commits); False when it was there already."""
    if db.session.scalar(select(SmsSuppression.id).where(SmsSuppression.phone_index == phone_index)):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(SmsSuppression(phone_index=phone_index, phone_last4=last4, reason=reason, note=note))
    except IntegrityError:
        return False  # a concurrent callback added it
    return True


def suppress_if_opted_out(customer, error_code: str, settings: dict) -> None:
    """A provider error saying the recipient refuses SMS puts the number on the list."""
    if customer is not None and customer.phone_index and error_code in settings["opt_out_error_codes"]:
        if suppress(customer.phone_index, customer.phone_last4, "callback", f"provider error {error_code}"):
            db.session.commit()
            _announce_opt_out(customer.id, "callback")


def _announce_opt_out(customer_id, reason):
    sms_opted_out.send(current_app._get_current_object(), customer_id=customer_id, reason=reason)


def _customer_by_index(phone_index: str):
    return db.session.scalar(select(Customer).where(Customer.phone_index == phone_index,
                                                    Customer.deleted_at.is_(None)).order_by(Customer.id).limit(1))


def record_reply(provider: str, phone: str, text: str, received_at: datetime | None, external_id: str | None,
                 settings: dict) -> SmsInbound | None:
    """Store an inbound reply once, put it on the customer's timeline, suppress the number on opt-out.

    Returns None when the number is not a valid phone number or the reply was recorded already.
    """
    try:
        e164 = normalize_phone(phone)
    except InvalidPhone:
        log.warning("inbound SMS from an invalid number %s ignored", mask(phone))
        return None
    index = blind_index(e164)
    received_at = received_at or utcnow()
    external_id = external_id or hashlib.sha256(f"{index}|{received_at.isoformat()}|{text}".encode()).hexdigest()[:64]
    if db.session.scalar(select(SmsInbound.id).where(SmsInbound.provider == provider,
                                                     SmsInbound.external_id == external_id)):
        return None
    customer = _customer_by_index(index)
    opt_out = is_opt_out(text, settings["opt_out_keywords"])
    inbound = SmsInbound(provider=provider, external_id=external_id, phone_index=index, phone_last4=e164[-4:],
                         customer_id=customer.id if customer else None, content=text[:1000], opt_out=opt_out,
                         received_at=received_at)
    db.session.add(inbound)
    db.session.flush()
    newly_suppressed = opt_out and suppress(index, e164[-4:], "reply", text[:200])
    if customer is not None:
        log_interaction(customer.id, "sms", subject="短信回复", content=text[:1000], channel="sms",
                        direction="inbound", occurred_at=received_at, source_plugin="sms",
                        external_ref=f"inbound:{inbound.id}")
    db.session.commit()
    if newly_suppressed:
        _announce_opt_out(customer.id if customer else None, "reply")
    return inbound


def record_receipt(provider: str, *, out_id: str | None, provider_message_id: str | None, delivered: bool,
                   error_code: str | None, received_at: datetime | None, settings: dict) -> bool:
    """A delivery receipt: sent (or still sending) -> delivered | undelivered. False if no message matches."""
    conditions = []
    if out_id and str(out_id).isdigit():
        conditions.append(SmsMessage.id == int(out_id))
    if provider_message_id:
        conditions.append(SmsMessage.provider_message_id == provider_message_id)
    if not conditions:
        return False
    message = db.session.scalar(select(SmsMessage).where(or_(*conditions)).limit(1))
    if message is None:
        return False
    status = "delivered" if delivered else "undelivered"
    db.session.execute(update(SmsMessage).where(
        SmsMessage.id == message.id, SmsMessage.status.in_(("sending", "sent", "delivered", "undelivered")))
        .values(status=status, receipt_at=received_at or utcnow(),
                error_code=None if delivered else (error_code or "UNDELIVERED")[:64],
                provider_message_id=message.provider_message_id or provider_message_id,
                sent_at=message.sent_at or received_at or utcnow()))
    customer = db.session.get(Customer, message.customer_id)
    newly_suppressed = bool(not delivered and error_code and customer is not None and customer.phone_index
                            and error_code in settings["opt_out_error_codes"]
                            and suppress(customer.phone_index, customer.phone_last4, "callback",
                                         f"receipt {error_code}"))
    db.session.commit()
    sms_delivered.send(current_app._get_current_object(), message_id=message.id,
                       customer_id=message.customer_id, delivered=delivered)
    if newly_suppressed:
        _announce_opt_out(message.customer_id, "callback")
    return True


def china_time(text: str | None) -> datetime | None:
    """'2026-11-23 10:00:00' (Beijing time, as both providers write it) -> aware UTC."""
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA).astimezone(timezone.utc)
    except (TypeError, ValueError):
        return None
