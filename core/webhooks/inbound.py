"""POST /webhooks/<source>: verify, store once per webhook-id, hand to Celery, answer 202.

No session or token authentication applies here: the signature is the authentication. The
answer never waits for the plugin's handler (except with eager tasks, when debugging).
"""
import json
import logging
from datetime import timedelta

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kehu.extensions import db
from kehu.platform.problems import problem
from kehu.platform.tasks import dispatch
from kehu.platform.time import utcnow
from kehu.webhooks.models import InboundEvent
from kehu.webhooks.schemas import InboundAcceptedSchema
from kehu.webhooks.signing import VerificationFailed, verify

log = logging.getLogger(__name__)
inbound = Blueprint("webhooks_inbound", __name__, url_prefix="/webhooks",
                    description="Signed webhooks into kehu (Standard Webhooks) from ERP/OA and other systems")
PROCESS_TASK = "kehu.webhooks.process_inbound"


def receivers() -> dict:
    """{source: WebhookReceiver} of the enabled plugins."""
    found = {}
    for listed in current_app.extensions["kehu_plugins"].hook("webhook_receivers")():
        for receiver in listed or []:
            found.setdefault(receiver.source, receiver)
    return found


def check_unique_sources(manager) -> None:
    """Two installed plugins claiming one source is a start-up error (see the hookspec)."""
    owners = {}
    for plugin in manager.installed.values():
        try:
            claimed = getattr(plugin, "webhook_receivers", lambda: [])() or []
        except Exception:  # a broken plugin must not stop the CRM; its webhooks answer 404 or 503
            log.exception("webhook_receivers() of plugin %s failed", plugin.name)
            continue
        for receiver in claimed:
            if receiver.source in owners:
                raise RuntimeError(f"webhook source {receiver.source!r} is claimed by both "
                                   f"{owners[receiver.source]} and {plugin.name}")
            owners[receiver.source] = plugin.name


def _accepted(event: InboundEvent, duplicate: bool):
    response = current_app.json.response({"id": event.id, "webhook_id": event.webhook_id,
                                          "status": event.status, "duplicate": duplicate})
    response.status_code = 202
    return response


def dispatch_event(event_id: int) -> None:
    """Send the processing task; a broker failure is not the sender's problem (the sweep resends)."""
    try:
        dispatch(PROCESS_TASK, event_id)
    except Exception:
        log.exception("could not queue inbound webhook %s; the periodic sweep will", event_id)


SIGNATURE_HEADERS = [
    {"in": "header", "name": name, "required": True, "schema": {"type": "string"}, "description": text}
    for name, text in (("webhook-id", "the event's id; a repeated id is accepted once"),
                       ("webhook-timestamp", "Unix seconds; more than 5 minutes off is refused"),
                       ("webhook-signature", "v1,<base64 HMAC-SHA256 of id.timestamp.body>, space-separated"))]


@inbound.route("/<source>")
class Receive(MethodView):
    @inbound.doc(security=[], parameters=SIGNATURE_HEADERS,
                 requestBody={"required": True, "content": {"application/json": {"schema": {}}}})
    @inbound.response(202, InboundAcceptedSchema)
    @inbound.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    def post(self, source):
        """Receive a signed webhook for ``source`` (the plugin that handles it); processed in the background.

        The signature is checked against the source's secrets (several during a rotation); the event is
        stored once per ``webhook-id`` and answered 202, also when it arrives again.
        """
        return receive(source)


def receive(source):
    receiver = receivers().get(source)
    if receiver is None:
        return problem(404, "Unknown webhook source", f"no enabled plugin receives webhooks for {source!r}")
    limit = current_app.config["WEBHOOK_MAX_BODY_BYTES"]
    if (request.content_length or 0) > limit:
        return problem(413, "Payload Too Large", f"webhook bodies are limited to {limit} bytes")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        return problem(413, "Payload Too Large", f"webhook bodies are limited to {limit} bytes")
    try:
        secrets = list(receiver.secrets() or [])
    except Exception:  # a plugin bug must not become a 500 for the sender
        log.exception("webhook receiver %s could not list its secrets", source)
        secrets = []
    try:
        text = verify(secrets, body, request.headers)
    except VerificationFailed as failure:
        log.info("webhook for %s refused: %s", source, failure.detail)
        return problem(failure.status, failure.title, failure.detail)
    try:
        payload = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return problem(400, "Body is not JSON", "the webhook body must be a JSON document")
    webhook_id = request.headers["webhook-id"].strip()
    existing = _stored(source, webhook_id)
    if existing is not None:
        return _accepted(existing, duplicate=True)
    now = utcnow()
    event_type = payload.get("type") if isinstance(payload, dict) else None
    if not (isinstance(event_type, str) and event_type.isprintable()):
        event_type = None  # only a label for the log; the handler gets the payload as sent
    event = InboundEvent(source=source, webhook_id=webhook_id, payload=payload, event_type=event_type and event_type[:120],
                         received_at=now, next_attempt_at=now + _redispatch_after())
    db.session.add(event)
    try:
        db.session.commit()
    except IntegrityError:  # the same webhook-id arrived concurrently
        db.session.rollback()
        return _accepted(_stored(source, webhook_id), duplicate=True)
    event_id = event.id
    dispatch_event(event_id)
    return _accepted(db.session.get(InboundEvent, event_id, populate_existing=True), duplicate=False)


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")  # Python reads NaN and Infinity; the database does not


def _stored(source, webhook_id):
    return db.session.scalar(select(InboundEvent).where(InboundEvent.source == source,
                                                        InboundEvent.webhook_id == webhook_id))


def _redispatch_after() -> timedelta:
    return timedelta(seconds=current_app.config["WEBHOOK_INBOUND_REDISPATCH_SECONDS"])
