"""Sending a running campaign: quiet hours, the shared rate limit, claims, sends, and reconciliation.

Each recipient is one ``sms_message`` row (unique per campaign and customer) moving
pending -> sending -> sent | failed. A worker claims a batch with one conditional UPDATE
(pending -> sending, with a claim token and time) and commits; it then sends each message with
the message id as the provider's idempotency key and commits ``sent`` right after the provider
accepted it. A worker that dies leaves at most its claimed rows in ``sending``; once they are
older than ``claim_timeout_seconds`` they are reconciled: the provider is asked whether it
accepted that key (then ``sent``), else they go back to ``pending``. See docs/sms.md.
"""
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, time as clock_time, timedelta, timezone, tzinfo

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from kehu_plugins.sms.models import SmsCampaign, SmsMessage, SmsRateSlot, SmsSuppression
from kehu_plugins.sms.providers import provider_from_settings
from kehu_plugins.sms.providers.base import OutgoingSms, ProviderError, mask
from kehu_plugins.sms.service import consent, templates
from kehu_sdk.customers import Customer
from kehu_sdk.db import db
from kehu_sdk.interactions import log_interaction
from kehu_sdk.plugins import settings_of
from kehu_sdk.time import CHINA_TZ, utcnow, zone

log = logging.getLogger(__name__)
SLICE_SECONDS = 20.0      # one task runs this long, then hands over to a fresh task
THROTTLE_PAUSE = 0.2      # seconds to wait after the provider said "too fast"
MAX_THROTTLED_TRIES = 50
COMMIT_EVERY_MESSAGES = 50
COMMIT_EVERY_SECONDS = 0.25


# quiet hours ------------------------------------------------------------------------------------
def _clock(text: str) -> clock_time:
    hours, minutes = text.split(":")
    return clock_time(int(hours), int(minutes))


def next_send_time(now: datetime, start: str = "08:00", end: str = "21:00", where: tzinfo = CHINA_TZ) -> datetime:
    """``now`` when it is inside the daily window, else the next moment the window opens (UTC, aware).

    A window whose end is before its start runs across midnight (22:00–06:00); equal ends mean all day.
    """
    local = now.astimezone(where)
    opens, closes = _clock(start), _clock(end)
    clock = local.time()
    if opens == closes:
        return now
    inside = opens <= clock < closes if opens < closes else (clock >= opens or clock < closes)
    if inside:
        return now
    day = local.date() if clock < opens else local.date() + timedelta(days=1)
    return datetime.combine(day, opens, tzinfo=where).astimezone(timezone.utc)


# the rate limit ---------------------------------------------------------------------------------
def reserve(provider: str, count: int, rate: float) -> float:
    """Reserve ``count`` sends; returns the epoch second the first may go (then one every 1/rate s).

    A per-provider limit shared by every worker process, kept in the database, GCRA-style: the
    row holds the earliest moment the next message may leave, and reserving is one atomic
    UPDATE … RETURNING moving it ``count / rate`` seconds on — workers never exceed the rate
    together, whatever their number, and nobody polls. Runs and commits its own short transaction.
    """
    cost = count / rate
    for _attempt in range(3):
        now = time.time()
        start = case((SmsRateSlot.next_free_at < now, now), else_=SmsRateSlot.next_free_at)
        with db.engine.begin() as conn:
            moved = conn.execute(update(SmsRateSlot).where(SmsRateSlot.provider == provider)
                                 .values(next_free_at=start + cost).returning(SmsRateSlot.next_free_at)).scalar()
            if moved is not None:
                return moved - cost
        try:
            with db.engine.begin() as conn:
                conn.execute(insert(SmsRateSlot).values(provider=provider, next_free_at=now + cost))
            return now
        except IntegrityError:
            continue  # another worker created the row first: go through the UPDATE
    raise RuntimeError(f"cannot reserve SMS rate for {provider}")


# the work loop ----------------------------------------------------------------------------------
@dataclass
class WorkResult:
    sent: int = 0
    outcome: str = "idle"      # more | wait | done | stopped


def work(campaign_id: int, budget_seconds: float = SLICE_SECONDS, provider=None) -> WorkResult:
    """Send the campaign's pending messages for up to ``budget_seconds``.

    ``more``: time is up and work is left (start another task); ``wait``: outside the send
    window or waiting on other workers' claims (``resume_at`` says until when); ``done``;
    ``stopped``: the campaign is not running.
    """
    deadline = time.monotonic() + budget_seconds
    result = WorkResult()
    while True:
        campaign = db.session.get(SmsCampaign, campaign_id, populate_existing=True)
        if campaign is None or campaign.status != "running":
            result.outcome = "stopped"
            return result
        settings = settings_of("sms")
        provider = provider or provider_from_settings(settings, campaign.provider)
        now = utcnow()
        window = next_send_time(now, settings["send_window_start"], settings["send_window_end"],
                                zone(settings["timezone"]))
        if window > now and campaign.template.kind == "marketing":
            _wait(campaign, window)
            result.outcome = "wait"
            return result
        reconcile(campaign, provider, settings)
        batch = claim(campaign.id, settings["batch_size"])
        if not batch:
            result.outcome = _finish_or_wait(campaign, settings)
            return result
        result.sent += send_batch(campaign_id, batch, provider, settings)
        db.session.execute(update(SmsCampaign).where(SmsCampaign.id == campaign_id)
                           .values(heartbeat_at=utcnow(), resume_at=None))
        db.session.commit()
        if time.monotonic() >= deadline:
            result.outcome = "more"
            return result


def _wait(campaign: SmsCampaign, until: datetime) -> None:
    campaign.resume_at = until
    campaign.heartbeat_at = utcnow()
    db.session.commit()


def _finish_or_wait(campaign: SmsCampaign, settings: dict) -> str:
    in_flight = db.session.scalar(select(func.min(SmsMessage.claimed_at)).where(
        SmsMessage.campaign_id == campaign.id, SmsMessage.status == "sending"))
    if in_flight is not None:  # another worker's claim, or one that is not stale yet
        _wait(campaign, in_flight + timedelta(seconds=settings["claim_timeout_seconds"]))
        return "wait"
    done = db.session.execute(update(SmsCampaign).where(SmsCampaign.id == campaign.id, SmsCampaign.status == "running")
                              .values(status="done", finished_at=utcnow(), resume_at=None))
    db.session.commit()
    return "done" if done.rowcount else "stopped"


def claim(campaign_id: int, size: int) -> list[int]:
    """pending -> sending for up to ``size`` messages; returns their ids (committed).

    The UPDATE re-checks ``status = 'pending'``, so two workers never claim the same row.
    """
    token = uuid.uuid4().hex
    candidates = (select(SmsMessage.id).where(SmsMessage.campaign_id == campaign_id, SmsMessage.status == "pending")
                  .order_by(SmsMessage.id).limit(size).scalar_subquery())
    db.session.execute(update(SmsMessage).where(SmsMessage.id.in_(candidates), SmsMessage.status == "pending")
                       .values(status="sending", claim_token=token, claimed_at=utcnow(),
                               attempts=SmsMessage.attempts + 1), execution_options={"synchronize_session": False})
    db.session.commit()
    return list(db.session.scalars(select(SmsMessage.id).where(SmsMessage.claim_token == token,
                                                               SmsMessage.status == "sending")
                                   .order_by(SmsMessage.id)))


def send_batch(campaign_id: int, message_ids: list[int], provider, settings: dict) -> int:
    """Send claimed messages at the shared rate, committing outcomes in small groups.

    Committing every message would cost a disk sync per SMS; a group that is lost in a crash is
    still in ``sending`` and is reconciled with the provider by idempotency key, so grouping
    does not weaken exactly-once for providers that can be asked (docs/sms.md).
    """
    rate = float(settings["rate_limit_per_second"])
    campaign = db.session.get(SmsCampaign, campaign_id)
    messages = {m.id: m for m in db.session.scalars(select(SmsMessage).where(
        SmsMessage.id.in_(message_ids), SmsMessage.status == "sending"))}
    customers = {c.id: c for c in db.session.scalars(select(Customer).options(lazyload("*")).where(
        Customer.id.in_([m.customer_id for m in messages.values()])))}
    suppressed = set(db.session.scalars(select(SmsSuppression.phone_index).where(
        SmsSuppression.phone_index.in_([c.phone_index for c in customers.values() if c.phone_index]))))
    first_at = reserve(provider.name, len(message_ids), rate)
    session = db.session()
    keep_loaded, session.expire_on_commit = session.expire_on_commit, False  # no reload per row after a commit
    try:
        return _send_claimed(message_ids, messages, customers, suppressed, campaign, provider, settings, first_at, rate)
    finally:
        session.expire_on_commit = keep_loaded


def _send_claimed(message_ids, messages, customers, suppressed, campaign, provider, settings, first_at, rate) -> int:
    sent, uncommitted, committed_at, last_send = 0, 0, time.monotonic(), 0.0
    for position, message_id in enumerate(message_ids):
        message = messages.get(message_id)
        if message is None:
            continue
        # at its reserved slot, and never closer than 1/rate to the previous send: a worker that
        # fell behind does not burst to catch up (providers count requests per second)
        delay = max(first_at + position / rate, last_send + 1 / rate) - time.time()
        if delay > 0:
            time.sleep(delay)
        last_send = time.time()
        customer = customers.get(message.customer_id)
        sent += send_one(message, campaign, customer, customer is not None and customer.phone_index in suppressed,
                         provider, settings)
        uncommitted += 1
        if not provider.reconcilable or uncommitted >= COMMIT_EVERY_MESSAGES or time.monotonic() - committed_at >= COMMIT_EVERY_SECONDS:
            db.session.commit()
            uncommitted, committed_at = 0, time.monotonic()
    db.session.commit()
    return sent


def send_one(message: SmsMessage, campaign: SmsCampaign, customer, suppressed: bool, provider, settings: dict) -> int:
    """Send one claimed message (the caller commits); returns 1 when the provider accepted it."""
    template = campaign.template
    skip = _skip_reason(customer, template, suppressed)
    if skip:
        _settle(message, status="skipped", error_code=skip)
        return 0
    phone = customer.phone  # decrypted here only, never stored or logged in clear
    text = templates.render(template.body, customer, templates.opt_out_text(template, settings), campaign.message)
    outgoing = OutgoingSms(out_id=str(message.id), phone=phone, text=text,
                           sign_name=template.sign_name or settings["sign_name"],
                           template_code=template.provider_template_code,
                           params=templates.provider_params(template.body, customer, campaign.message))
    for _try in range(MAX_THROTTLED_TRIES):
        try:
            provider_id = provider.send(outgoing)
        except ProviderError as exc:
            if exc.outcome == "throttled":
                time.sleep(THROTTLE_PAUSE)
                continue
            if exc.outcome == "unknown":
                # may have been accepted: stays "sending" and is reconciled after the claim timeout
                log.warning("SMS %s to %s: outcome unknown (%s), will reconcile", message.id, mask(phone), exc.code)
                return 0
            _settle(message, status="failed", error_code=exc.code[:64], error_message=exc.message[:300])
            consent.suppress_if_opted_out(customer, exc.code, settings)
            return 0
        mark_sent(message, provider.name, provider_id, text, campaign)
        return 1
    # still throttled after many tries: give it back
    _settle(message, status="pending", claim_token=None, claimed_at=None)
    return 0


def _skip_reason(customer, template, suppressed: bool) -> str | None:
    if customer is None or customer.deleted_at is not None:
        return "customer_deleted"
    if not customer.phone_index:
        return "no_phone"
    if template.kind == "marketing" and not customer.consent_sms:
        return "no_consent"
    if template.kind == "marketing" and suppressed:
        return "suppressed"
    return None


def _settle(message: SmsMessage, **values) -> None:
    db.session.execute(update(SmsMessage).where(SmsMessage.id == message.id, SmsMessage.status == "sending")
                       .values(**values))


def mark_sent(message: SmsMessage, provider_name: str, provider_id: str, text: str, campaign: SmsCampaign) -> None:
    """sending -> sent and the customer's timeline entry, in the same transaction (the caller commits)."""
    now = utcnow()
    db.session.execute(update(SmsMessage).where(SmsMessage.id == message.id, SmsMessage.status == "sending")
                       .values(status="sent", provider=provider_name, provider_message_id=(provider_id or "")[:64],
                               content=text, sent_at=now, error_code=None, error_message=None))
    log_interaction(message.customer_id, "sms", subject=campaign.name[:200], content=text, channel="sms",
                    direction="outbound", occurred_at=now, user_id=campaign.created_by_id,
                    source_plugin="sms", external_ref=f"message:{message.id}")


def reconcile(campaign: SmsCampaign, provider, settings: dict) -> int:
    """Settle this campaign's stale claims by asking the provider; returns how many went back to pending."""
    stale_before = utcnow() - timedelta(seconds=settings["claim_timeout_seconds"])
    stale = list(db.session.scalars(select(SmsMessage).where(
        SmsMessage.campaign_id == campaign.id, SmsMessage.status == "sending",
        SmsMessage.claimed_at < stale_before).limit(500)))
    returned = 0
    for message in stale:
        customer = db.session.get(Customer, message.customer_id)
        phone = customer.phone if customer is not None else None
        try:
            provider_id = provider.find_sent(str(message.id), phone, message.claimed_at) if phone else None
        except ProviderError as exc:
            log.warning("cannot reconcile SMS %s (%s): will try again", message.id, exc.code)
            continue
        if provider_id:
            text = templates.render(campaign.template.body, customer,
                                    templates.opt_out_text(campaign.template, settings), campaign.message)
            mark_sent(message, provider.name, provider_id, text, campaign)
            db.session.commit()
            log.info("SMS %s was accepted before a worker stopped: marked sent", message.id)
        else:
            db.session.execute(update(SmsMessage).where(SmsMessage.id == message.id, SmsMessage.status == "sending",
                                                        SmsMessage.claim_token == message.claim_token)
                               .values(status="pending", claim_token=None, claimed_at=None))
            db.session.commit()
            returned += 1
    return returned
