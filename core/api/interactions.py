"""Interactions: each customer's timeline, and planned follow-ups across customers."""
from flask import current_app
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort
from sqlalchemy import and_, func, select

from kehu.api.customers import customer_or_404
from kehu.api.pagination import page_of
from kehu.auth.permissions import require, scope_criterion
from kehu.extensions import db
from kehu.models import Contact, Customer, Interaction
from kehu.models.base import utcnow
from kehu.models.interaction import CORE_KINDS
from kehu.schemas.interaction import InteractionListArgs, InteractionPatchSchema, InteractionSchema

blp = Blueprint("interactions", __name__, url_prefix="", description="Calls, visits, meetings, messages, notes, follow-ups")


def known_kinds() -> set[str]:
    kinds = set(CORE_KINDS)
    for contributed in current_app.extensions["kehu_plugins"].hook("interaction_kinds")():
        kinds.update(k["kind"] for k in contributed or [])
    return kinds


def _check(data, customer_id):
    errors = {}
    if "kind" in data and data["kind"] not in known_kinds():
        errors["kind"] = [f"unknown interaction kind {data['kind']!r}"]
    contact_id = data.get("contact_id")
    if contact_id is not None:
        contact = db.session.get(Contact, contact_id)
        if contact is None or contact.customer_id != customer_id:
            errors["contact_id"] = ["contact does not belong to this customer"]
    if errors:
        abort(422, message="invalid interaction", messages={"json": errors})


def _timeline_order():
    return func.coalesce(Interaction.occurred_at, Interaction.due_at, Interaction.created_at).desc()


def _filtered(query, args):
    if args.get("status"):
        query = query.where(Interaction.status.in_(args["status"]))
    if args.get("kind"):
        query = query.where(Interaction.kind.in_(args["kind"]))
    if args.get("due_before"):
        query = query.where(Interaction.due_at < args["due_before"])
    if args.get("mine"):
        query = query.where(Interaction.user_id == current_user.id)
    return query


@blp.route("/customers/<id:customer_id>/interactions")
class CustomerTimeline(MethodView):
    @require("interaction.read")
    @blp.arguments(InteractionListArgs, location="query", as_kwargs=False)
    @blp.response(200, InteractionSchema(many=True))
    @blp.paginate()
    def get(self, args, customer_id, pagination_parameters):
        """The customer's timeline, newest first (planned items by due time)."""
        customer_or_404(customer_id)
        query = select(Interaction).where(Interaction.customer_id == customer_id).order_by(
            _timeline_order(), Interaction.id.desc())
        return page_of(_filtered(query, args), pagination_parameters)

    @require("interaction.write")
    @blp.arguments(InteractionSchema)
    @blp.response(201, InteractionSchema)
    def post(self, data, customer_id):
        customer = customer_or_404(customer_id)
        _check(data, customer.id)
        if data["status"] == "done" and not data.get("occurred_at"):
            data["occurred_at"] = utcnow()
        interaction = Interaction(customer_id=customer.id, user_id=current_user.id, **data)
        db.session.add(interaction)
        db.session.commit()
        return interaction


def _visible_interactions():
    return select(Interaction).join(Customer, Customer.id == Interaction.customer_id).where(and_(
        Customer.deleted_at.is_(None), scope_criterion(current_user, Customer.owner_id, Customer.team_id)))


def interaction_or_404(interaction_id):
    found = db.session.scalar(_visible_interactions().where(Interaction.id == interaction_id))
    if found is None:
        abort(404, message="interaction not found")
    return found


@blp.route("/interactions")
class Interactions(MethodView):
    @require("interaction.read")
    @blp.arguments(InteractionListArgs, location="query", as_kwargs=False)
    @blp.response(200, InteractionSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Interactions across visible customers, e.g. ``status=planned&mine=true`` for my follow-ups."""
        query = _visible_interactions().order_by(_timeline_order(), Interaction.id.desc())
        return page_of(_filtered(query, args), pagination_parameters)


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
        interaction = interaction_or_404(interaction_id)
        _check(data, interaction.customer_id)
        for key, value in data.items():
            setattr(interaction, key, value)
        if interaction.status == "planned" and interaction.due_at is None:
            abort(422, message="invalid interaction", messages={"json": {"due_at": ["planned needs due_at"]}})
        if interaction.status == "done" and interaction.occurred_at is None:
            interaction.occurred_at = utcnow()
        db.session.commit()
        return interaction

    @require("interaction.write")
    @blp.response(204)
    def delete(self, interaction_id):
        db.session.delete(interaction_or_404(interaction_id))
        db.session.commit()
