"""/api/v1/webhooks: endpoints (subscriptions), deliveries with attempts and replay, inbound events.

Everything needs ``webhooks.manage``. A secret is in the answer exactly twice in its life: when
the endpoint is created and when it is rotated.
"""
from datetime import timedelta

from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint, abort
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from kehu.extensions import db
from kehu.platform.pagination import page_of
from kehu.platform.permissions import require
from kehu.platform.time import utcnow
from kehu.webhooks import tasks
from kehu.webhooks.events import known_event_types
from kehu.webhooks.models import InboundEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from kehu.webhooks.schemas import (DeliveryDetailSchema, DeliveryListArgs, DeliverySchema, EndpointPatchSchema,
                                   EndpointSchema, EndpointWithSecretSchema, EventTypeSchema, InboundEventDetailSchema,
                                   InboundEventSchema, InboundListArgs, RotateSecretSchema)
from kehu.webhooks.signing import encrypt_secret, new_secret

blp = Blueprint("webhooks", __name__, url_prefix="/webhooks",
                description="Outbound webhook endpoints and deliveries; inbound webhook log")
PERMISSION = "webhooks.manage"


def create_endpoint(data: dict, user) -> WebhookEndpoint:
    """Store a new endpoint; ``plain_secret`` on the result holds the secret for this answer only."""
    secret = new_secret()
    endpoint = WebhookEndpoint(url=data["url"], description=data.get("description", ""),
                               event_types=sorted(set(data["event_types"])), enabled=data.get("enabled", True),
                               secret_encrypted=encrypt_secret(secret), created_by_id=user.id)
    db.session.add(endpoint)
    db.session.commit()
    endpoint.plain_secret = secret
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, data: dict) -> WebhookEndpoint:
    for key in ("url", "description"):
        if key in data:
            setattr(endpoint, key, data[key])
    if "event_types" in data:
        endpoint.event_types = sorted(set(data["event_types"]))
    if "enabled" in data and data["enabled"] != endpoint.enabled:
        endpoint.enabled = data["enabled"]
        endpoint.disabled_reason = None if data["enabled"] else "disabled by an administrator"
    db.session.commit()
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint, grace_hours: int) -> WebhookEndpoint:
    """A new secret; the old one keeps signing beside it for ``grace_hours``."""
    secret = new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted if grace_hours else None
    endpoint.previous_secret_expires_at = utcnow() + timedelta(hours=grace_hours) if grace_hours else None
    endpoint.secret_encrypted = encrypt_secret(secret)
    db.session.commit()
    endpoint.plain_secret = secret
    return endpoint


def delete_endpoint(endpoint: WebhookEndpoint) -> None:
    """With its deliveries and their attempts (explicitly: SQLite does not enforce ON DELETE here)."""
    deliveries = select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id)
    db.session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
    db.session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.commit()


def endpoint_or_404(endpoint_id) -> WebhookEndpoint:
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        abort(404, message=_("没有这个订阅地址"))
    return endpoint


def delivery_or_404(delivery_id) -> WebhookDelivery:
    delivery = db.session.get(WebhookDelivery, delivery_id, options=[selectinload(WebhookDelivery.attempt_log)])
    if delivery is None:
        abort(404, message=_("没有这次投递"))
    return delivery


def delivery_select(args: dict):
    query = select(WebhookDelivery).order_by(WebhookDelivery.id.desc())
    for key in ("endpoint_id", "status", "event_type"):
        if args.get(key) is not None:
            query = query.where(getattr(WebhookDelivery, key) == args[key])
    return query


@blp.route("/event-types")
@require(PERMISSION)
@blp.response(200, EventTypeSchema(many=True))
def event_types():
    """Event types endpoints can subscribe to (core and enabled plugins)."""
    return [{"type": name, "description": str(text)} for name, text in sorted(known_event_types().items())]


@blp.route("/endpoints")
class Endpoints(MethodView):
    @require(PERMISSION)
    @blp.response(200, EndpointSchema(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        return page_of(select(WebhookEndpoint).order_by(WebhookEndpoint.id), pagination_parameters)

    @require(PERMISSION)
    @blp.arguments(EndpointSchema)
    @blp.response(201, EndpointWithSecretSchema)
    def post(self, data):
        """Subscribe a URL to event types. The answer carries the signing secret, once."""
        return create_endpoint(data, current_user)


@blp.route("/endpoints/<id:endpoint_id>")
class EndpointById(MethodView):
    @require(PERMISSION)
    @blp.response(200, EndpointSchema)
    def get(self, endpoint_id):
        return endpoint_or_404(endpoint_id)

    @require(PERMISSION)
    @blp.arguments(EndpointPatchSchema(partial=True))
    @blp.response(200, EndpointSchema)
    def patch(self, data, endpoint_id):
        """Change URL, description, event types; ``enabled: true`` re-enables after a 410."""
        return update_endpoint(endpoint_or_404(endpoint_id), data)

    @require(PERMISSION)
    @blp.response(204)
    def delete(self, endpoint_id):
        """Remove the endpoint with its deliveries."""
        delete_endpoint(endpoint_or_404(endpoint_id))


@blp.route("/endpoints/<id:endpoint_id>/rotate-secret", methods=["POST"])
@require(PERMISSION)
@blp.arguments(RotateSecretSchema)
@blp.response(200, EndpointWithSecretSchema)
def rotate(data, endpoint_id):
    """New signing secret (shown once); the old one also signs during ``grace_hours``."""
    return rotate_secret(endpoint_or_404(endpoint_id), data["grace_hours"])


@blp.route("/deliveries")
@require(PERMISSION)
@blp.arguments(DeliveryListArgs, location="query", as_kwargs=False)
@blp.response(200, DeliverySchema(many=True))
@blp.paginate()
def deliveries(args, pagination_parameters):
    """Deliveries, newest first; filter by endpoint, status, event type."""
    return page_of(delivery_select(args), pagination_parameters)


@blp.route("/deliveries/<id:delivery_id>")
@require(PERMISSION)
@blp.response(200, DeliveryDetailSchema)
def delivery(delivery_id):
    """A delivery with its payload and every attempt."""
    return delivery_or_404(delivery_id)


@blp.route("/deliveries/<id:delivery_id>/replay", methods=["POST"])
@require(PERMISSION)
@blp.response(202, DeliverySchema)
def replay(delivery_id):
    """Send the delivery again: a new attempt with the same webhook-id."""
    found = delivery_or_404(delivery_id)
    tasks.replay(found)
    return db.session.get(WebhookDelivery, delivery_id, populate_existing=True)


@blp.route("/inbound")
@require(PERMISSION)
@blp.arguments(InboundListArgs, location="query", as_kwargs=False)
@blp.response(200, InboundEventSchema(many=True))
@blp.paginate()
def inbound_events(args, pagination_parameters):
    """Received webhooks, newest first."""
    query = select(InboundEvent).order_by(InboundEvent.id.desc())
    for key in ("source", "status"):
        if args.get(key):
            query = query.where(getattr(InboundEvent, key) == args[key])
    return page_of(query, pagination_parameters)


@blp.route("/inbound/<id:event_id>")
@require(PERMISSION)
@blp.response(200, InboundEventDetailSchema)
def inbound_event(event_id):
    event = db.session.get(InboundEvent, event_id)
    if event is None:
        abort(404, message=_("没有这条收到的事件"))
    return event
