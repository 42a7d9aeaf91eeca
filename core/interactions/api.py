"""Interactions: each customer's timeline, and planned follow-ups across customers."""
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint, abort

from kehu.customers.query import visible_customer
from kehu.interactions import query, service
from kehu.interactions.schemas import (InteractionListArgs, InteractionPatchSchema, InteractionSchema,
                                       MessageChannelSchema, MessageSchema, MessageSentSchema)
from kehu.platform.pagination import page_of
from kehu.platform.permissions import require

blp = Blueprint("interactions", __name__, url_prefix="", description="Calls, visits, meetings, messages, notes, follow-ups")


def _invalid(exc: service.InteractionInvalid):
    abort(422, message="invalid interaction", messages={"json": exc.errors})


def _customer_or_404(customer_id):
    customer = visible_customer(customer_id, current_user)
    if customer is None:  # also for customers outside the user's scope: do not reveal they exist
        abort(404, message=_("客户不存在"))
    return customer


def interaction_or_404(interaction_id):
    found = query.visible_interaction(interaction_id, current_user)
    if found is None:
        abort(404, message=_("跟进记录不存在"))
    return found


@blp.route("/customers/<id:customer_id>/interactions")
class CustomerTimeline(MethodView):
    @require("interaction.read")
    @blp.arguments(InteractionListArgs, location="query", as_kwargs=False)
    @blp.response(200, InteractionSchema(many=True))
    @blp.paginate()
    def get(self, args, customer_id, pagination_parameters):
        """The customer's timeline, newest first (planned items by due time)."""
        _customer_or_404(customer_id)
        return page_of(query.filtered(query.timeline(customer_id), args, current_user), pagination_parameters)

    @require("interaction.write")
    @blp.arguments(InteractionSchema)
    @blp.response(201, InteractionSchema)
    def post(self, data, customer_id):
        customer = _customer_or_404(customer_id)
        try:
            return service.create_interaction(customer, data, current_user)
        except service.InteractionInvalid as exc:
            _invalid(exc)


@blp.route("/interactions")
class Interactions(MethodView):
    @require("interaction.read")
    @blp.arguments(InteractionListArgs, location="query", as_kwargs=False)
    @blp.response(200, InteractionSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Interactions across visible customers, e.g. ``status=planned&mine=true`` for my follow-ups."""
        visible = query.visible_interactions(current_user).order_by(*query.timeline_order())
        return page_of(query.filtered(visible, args, current_user), pagination_parameters)


@blp.route("/interactions/<id:interaction_id>")
class InteractionById(MethodView):
    @require("interaction.read")
    @blp.response(200, InteractionSchema)
    def get(self, interaction_id):
        return interaction_or_404(interaction_id)

    @require("interaction.write")
    @blp.arguments(InteractionPatchSchema(partial=True))
    @blp.response(200, InteractionSchema)
    def patch(self, data, interaction_id):
        """Change an interaction, e.g. mark a planned follow-up done."""
        try:
            return service.update_interaction(interaction_or_404(interaction_id), data, current_user)
        except service.InteractionLocked as exc:
            abort(403, message=str(exc))
        except service.InteractionInvalid as exc:
            _invalid(exc)

    @require("interaction.write")
    @blp.response(204)
    def delete(self, interaction_id):
        try:
            service.delete_interaction(interaction_or_404(interaction_id), current_user)
        except service.InteractionLocked as exc:
            abort(403, message=str(exc))


@blp.route("/message-channels")
class MessageChannels(MethodView):
    @require("interaction.write")
    @blp.response(200, MessageChannelSchema(many=True))
    def get(self):
        """The channels (from plugins: SMS …) the caller may send customers messages through."""
        return list(query.message_channels(current_user).values())


@blp.route("/customers/<id:customer_id>/messages", methods=["POST"])
@require("interaction.write")
@blp.arguments(MessageSchema)
@blp.response(202, MessageSentSchema)
def send_message(data, customer_id):
    """Send the customer a message through a channel; it appears on the timeline."""
    customer = _customer_or_404(customer_id)
    try:
        status = service.send_message(customer, data["channel"], data["text"], current_user)
    except service.InteractionInvalid as exc:
        _invalid(exc)
    return {"channel": data["channel"], "status": status}
