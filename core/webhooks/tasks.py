"""Celery tasks: process inbound webhooks, fan events out to endpoints, deliver them, sweep.

Retries are driven by ``next_attempt_at`` in the database, not by Celery's countdowns: the
periodic sweep sends whatever is due, so nothing waits in a broker for hours (Redis would
redeliver it) and nothing is lost when a worker or the broker goes away. Short first retries
are also sent with a countdown so that they are not late by a sweep interval.
"""
import json
import logging
import time
from datetime import timedelta

import requests
from celery import shared_task
from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

import kehu
from kehu.extensions import db
from kehu.platform.outbox import OutboxConsumption
from kehu.platform.tasks import dispatch
from kehu.platform.time import utcnow
from kehu.webhooks.events import FAN_OUT_TASK
from kehu.webhooks.inbound import PROCESS_TASK, dispatch_event as dispatch_inbound, receivers
from kehu.webhooks.models import InboundEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from kehu.webhooks.signing import decrypt_secret, sign_headers

log = logging.getLogger(__name__)
DELIVER_TASK = "kehu.webhooks.deliver"
SWEEP_TASK = "kehu.webhooks.sweep"
BATCH = 500
COUNTDOWN_LIMIT = 60  # longer waits are left to the sweep
MAX_ERROR = 2000


def _config(name):
    return current_app.config[name]


def _eager() -> bool:
    return bool(current_app.extensions["celery"].conf.task_always_eager)


# inbound --------------------------------------------------------------------------------------
@shared_task(name=PROCESS_TASK, acks_late=True, reject_on_worker_lost=True)
def process_inbound(event_id: int) -> str | None:
    """Run the source's receiver on a stored event, once. The row lock and the status check
    make a second delivery of this task a no-op; a failure is retried with backoff."""
    event = db.session.get(InboundEvent, event_id, with_for_update=True, populate_existing=True)
    if event is None or not _inbound_due(event):
        db.session.rollback()
        return None
    source = event.source
    receiver = receivers().get(source)
    try:
        if receiver is None:
            raise LookupError(f"no enabled plugin receives webhooks for {source!r}")
        receiver.handle({"webhook_id": event.webhook_id, "type": event.event_type, "payload": event.payload,
                         "received_at": event.received_at.isoformat()})
        event = db.session.get(InboundEvent, event_id)  # the handler may have committed
        event.status, event.processed_at, event.next_attempt_at = "processed", utcnow(), None
        event.attempts += 1
        event.last_error = None
        db.session.commit()
        return event.status
    except Exception as exc:  # any handler error: keep the event, retry later
        db.session.rollback()
        log.warning("inbound webhook %s (%s) failed: %r", event_id, source, exc)
        return _inbound_failed(event_id, exc)


def _inbound_due(event) -> bool:
    if event.status == "received":
        return True
    return event.status == "failed" and (event.next_attempt_at is None or event.next_attempt_at <= utcnow())


def _inbound_failed(event_id, exc) -> str:
    event = db.session.get(InboundEvent, event_id, with_for_update=True, populate_existing=True)
    event.attempts += 1
    event.last_error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    delay = _backoff(_config("WEBHOOK_INBOUND_RETRY_SCHEDULE"), event.attempts)
    event.status = "dead" if delay is None else "failed"
    event.next_attempt_at = None if delay is None else utcnow() + timedelta(seconds=delay)
    db.session.commit()
    return event.status


def _backoff(schedule, attempts) -> float | None:
    """Seconds until the next try after ``attempts`` failed tries, or None when they are used up."""
    return schedule[attempts - 1] if attempts <= len(schedule) else None


# outbound -------------------------------------------------------------------------------------
@shared_task(name=FAN_OUT_TASK, acks_late=True, reject_on_worker_lost=True)
def fan_out(outbox_id: str, message: dict) -> int:
    """One delivery per enabled endpoint subscribed to the event; once per outbox row."""
    if db.session.get(OutboxConsumption, (outbox_id, FAN_OUT_TASK)) is not None:
        return 0
    endpoints = [e for e in db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled))
                 if message.get("type") in (e.event_types or [])]
    deliveries = [WebhookDelivery(endpoint_id=e.id, event_type=message["type"], webhook_id=outbox_id,
                                  payload=message, status="pending", next_attempt_at=utcnow())
                  for e in endpoints]
    db.session.add_all(deliveries)
    db.session.add(OutboxConsumption(outbox_id=outbox_id, consumer=FAN_OUT_TASK))
    try:
        db.session.commit()
    except IntegrityError:  # a concurrent relay of the same row won
        db.session.rollback()
        return 0
    for delivery in deliveries:
        dispatch_delivery(delivery.id)
    return len(deliveries)


def dispatch_delivery(delivery_id: int, trigger: str = "auto", countdown: float | None = None) -> None:
    try:
        dispatch(DELIVER_TASK, delivery_id, trigger, countdown=countdown)
    except Exception:
        log.exception("could not queue webhook delivery %s; the periodic sweep will", delivery_id)


def _claim(delivery_id: int) -> bool:
    """Take a due delivery for one attempt. The lease (timeout + a minute) keeps other workers
    and the sweep off it while the request is under way, without holding a lock."""
    now = utcnow()
    lease = now + timedelta(seconds=_config("WEBHOOK_TIMEOUT_SECONDS") + 60)
    result = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status.in_(("pending", "failed")),
               or_(WebhookDelivery.next_attempt_at.is_(None), WebhookDelivery.next_attempt_at <= now))
        .values(next_attempt_at=lease).execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def endpoint_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The current secret, plus the previous one while its grace period after a rotation lasts."""
    found = [decrypt_secret(endpoint.secret_encrypted)]
    if endpoint.previous_secret_encrypted and endpoint.previous_secret_expires_at \
            and endpoint.previous_secret_expires_at > utcnow():
        found.append(decrypt_secret(endpoint.previous_secret_encrypted))
    return found


@shared_task(name=DELIVER_TASK, acks_late=True, reject_on_worker_lost=True)
def deliver(delivery_id: int, trigger: str = "auto") -> str | None:
    """POST one delivery, signed; record the attempt; schedule the retry or give up."""
    if not _claim(delivery_id):
        return None
    delivery = db.session.get(WebhookDelivery, delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.enabled:  # resumes when an admin enables the endpoint again
        delivery.next_attempt_at = utcnow()
        db.session.commit()
        return None
    attempt = WebhookAttempt(trigger=trigger, attempted_at=utcnow())
    try:
        body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"))
        headers = sign_headers(endpoint_secrets(endpoint), delivery.webhook_id, body)
        url = endpoint.url
        db.session.commit()  # no transaction stays open during the HTTP request
        _post(attempt, url, body, headers)
    except Exception as exc:  # e.g. a secret that no longer decrypts: an attempt that failed at home
        db.session.rollback()
        log.exception("webhook delivery %s could not be sent", delivery_id)
        attempt.error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    return _record(delivery_id, attempt)


def _post(attempt: WebhookAttempt, url, body, headers) -> None:
    headers = {**headers, "content-type": "application/json",
               "user-agent": f"kehu-webhooks/{kehu.__version__}"}
    started = time.monotonic()
    try:
        # stream: read only the start of whatever the receiver answers
        with requests.post(url, data=body.encode(), headers=headers, allow_redirects=False, stream=True,
                           timeout=_config("WEBHOOK_TIMEOUT_SECONDS")) as response:
            attempt.status_code = response.status_code
            excerpt = response.raw.read(500, decode_content=True) or b""
        attempt.response_excerpt = excerpt.decode("utf-8", "replace") or None
        if not 200 <= response.status_code < 300:
            attempt.error = f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        attempt.error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR]
    finally:
        attempt.duration_ms = int((time.monotonic() - started) * 1000)


def _record(delivery_id, attempt: WebhookAttempt) -> str | None:
    delivery = db.session.get(WebhookDelivery, delivery_id, with_for_update=True, populate_existing=True)
    if delivery is None:  # its endpoint was deleted meanwhile
        db.session.rollback()
        return None
    attempt.delivery_id = delivery.id
    db.session.add(attempt)
    delivery.attempts += 1
    delivery.last_status_code = attempt.status_code
    delivery.last_error = attempt.error
    countdown = None
    if attempt.error is None:
        delivery.status, delivery.next_attempt_at = "succeeded", None
    elif attempt.status_code == 410:  # Gone: the receiver asks us to stop
        delivery.status, delivery.next_attempt_at = "dead", None
        endpoint = delivery.endpoint
        endpoint.enabled = False
        endpoint.disabled_reason = f"410 Gone at {attempt.attempted_at.isoformat(timespec='seconds')}"
    else:
        delay = _backoff(_config("WEBHOOK_RETRY_SCHEDULE"), delivery.attempts)
        delivery.status = "dead" if delay is None else "failed"
        delivery.next_attempt_at = None if delay is None else utcnow() + timedelta(seconds=delay)
        if delay is not None and delay <= COUNTDOWN_LIMIT and not _eager():
            countdown = delay
    db.session.commit()
    if countdown is not None:
        dispatch_delivery(delivery_id, countdown=countdown)
    return delivery.status


def replay(delivery: WebhookDelivery) -> None:
    """Send a delivery again (same webhook-id, a new attempt), whatever its status."""
    delivery.status, delivery.next_attempt_at = "pending", utcnow()
    db.session.commit()
    dispatch_delivery(delivery.id, trigger="replay")


# sweep ----------------------------------------------------------------------------------------
@shared_task(name=SWEEP_TASK)
def sweep() -> dict:
    """Send what is due: delivery retries, inbound retries, and inbound events whose first
    task was lost (still "received" after WEBHOOK_INBOUND_REDISPATCH_SECONDS)."""
    now = utcnow()
    delivery_ids = db.session.scalars(
        select(WebhookDelivery.id).join(WebhookEndpoint)
        .where(WebhookDelivery.status.in_(("pending", "failed")), WebhookDelivery.next_attempt_at <= now,
               WebhookEndpoint.enabled)
        .order_by(WebhookDelivery.next_attempt_at).limit(BATCH)).all()
    grace = timedelta(seconds=_config("WEBHOOK_INBOUND_REDISPATCH_SECONDS"))
    lost = db.session.scalars(
        select(InboundEvent.id).where(
            InboundEvent.status == "received",
            or_(InboundEvent.next_attempt_at <= now,
                InboundEvent.next_attempt_at.is_(None) & (InboundEvent.received_at <= now - grace)))
        .limit(BATCH)).all()
    retries = db.session.scalars(
        select(InboundEvent.id).where(InboundEvent.status == "failed", InboundEvent.next_attempt_at <= now)
        .limit(BATCH)).all()
    if lost:  # not again at the next sweep while this send is on its way
        db.session.execute(update(InboundEvent).where(InboundEvent.id.in_(lost))
                           .values(next_attempt_at=now + grace).execution_options(synchronize_session=False))
    db.session.commit()
    for delivery_id in delivery_ids:
        dispatch_delivery(delivery_id)
    for event_id in lost + retries:
        dispatch_inbound(event_id)
    return {"deliveries": len(delivery_ids), "inbound": len(lost) + len(retries)}
