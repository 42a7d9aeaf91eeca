"""A customer's interaction timeline, quick logging, and the user's planned follow-ups."""
from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from marshmallow import ValidationError
from sqlalchemy import and_, func, select

from kehu.api.interactions import known_kinds
from kehu.auth.permissions import require, scope_criterion
from kehu.customer_query import visible_customer
from kehu.extensions import db
from kehu.models import Customer, Interaction
from kehu.models.base import utcnow
from kehu.schemas.interaction import InteractionSchema
from kehu.web import labels
from kehu.web.blueprint import web
from kehu.web.form_errors import field_errors

QUICK_KINDS = ("call", "visit", "note")
TIMELINE_LIMIT = 100


def _timeline_order():
    return func.coalesce(Interaction.occurred_at, Interaction.due_at, Interaction.created_at).desc()


def kind_choices() -> list[tuple[str, str]]:
    """Call, visit and note first (the quick ones), then the other core and plugin kinds."""
    others = sorted(known_kinds() - set(QUICK_KINDS))
    return [(k, str(labels.label(labels.INTERACTION_KINDS, k))) for k in (*QUICK_KINDS, *others)]


def timeline_context(customer, values=None, errors=None) -> dict:
    if not current_user.has_permission("interaction.read"):
        return {"interactions": None, "log_values": {}, "log_errors": {}, "kinds": []}
    interactions = db.session.scalars(
        select(Interaction).where(Interaction.customer_id == customer.id)
        .order_by(_timeline_order(), Interaction.id.desc()).limit(TIMELINE_LIMIT)).all()
    return {"interactions": interactions, "log_values": values or {"kind": "call"}, "log_errors": errors or {},
            "kinds": kind_choices()}


def _quick_log_items(form) -> list[dict]:
    """What the quick form asks for: the interaction that happened and/or a planned follow-up."""
    kind = form.get("kind", "").strip()
    content = form.get("content", "").strip()
    follow_up = form.get("follow_up_at", "").strip()
    items = []
    if content or not follow_up:
        items.append({"kind": kind, "content": content or None, "status": "done",
                      "subject": form.get("subject", "").strip()})
    if follow_up:
        items.append({"kind": kind, "status": "planned", "due_at": follow_up,
                      "subject": form.get("follow_up_subject", "").strip() or _("跟进"),
                      "content": None})
    return items


def _validated(items) -> tuple[list, dict]:
    loaded, errors = [], {}
    for item in items:
        try:
            data = InteractionSchema().load(item)
        except ValidationError as exc:
            for key, messages in field_errors(exc.messages).items():
                errors.setdefault("follow_up_at" if key == "due_at" else key, []).extend(messages)
            continue
        if data["kind"] not in known_kinds():
            errors.setdefault("kind", []).append(_("未知的跟进方式"))
        loaded.append(data)
    if items and not items[0].get("content") and items[0]["status"] == "done":
        errors.setdefault("content", []).append(_("请填写内容或下次跟进时间"))
    return loaded, errors


@web.route("/customers/<id:customer_id>/interactions", methods=["POST"])
@login_required
@require("interaction.write")
def log_interaction(customer_id):
    customer = visible_customer(customer_id, current_user)
    if customer is None:
        abort(404)
    values = request.form.to_dict()
    loaded, errors = _validated(_quick_log_items(request.form))
    if errors:
        return render_template("customers/_timeline.html", customer=customer,
                               **timeline_context(customer, values, errors)), 422
    for data in loaded:
        if data["status"] == "done" and not data.get("occurred_at"):
            data["occurred_at"] = utcnow()
        db.session.add(Interaction(customer_id=customer.id, user_id=current_user.id, **data))
    db.session.commit()
    return render_template("customers/_timeline.html", customer=customer,
                           **timeline_context(customer, {"kind": values.get("kind", "call")}))


def _visible_interaction(interaction_id):
    found = db.session.scalar(
        select(Interaction).join(Customer, Customer.id == Interaction.customer_id).where(
            Interaction.id == interaction_id, Customer.deleted_at.is_(None),
            scope_criterion(current_user, Customer.owner_id, Customer.team_id)))
    if found is None:
        abort(404)
    return found


@web.route("/interactions/<id:interaction_id>/done", methods=["POST"])
@login_required
@require("interaction.write")
def follow_up_done(interaction_id):
    interaction = _visible_interaction(interaction_id)
    if interaction.status == "planned":
        interaction.status = "done"
        interaction.occurred_at = utcnow()
        db.session.commit()
    if request.form.get("from") == "follow-ups":
        return render_template("_follow_up_row.html", item=interaction)
    return render_template("customers/_timeline.html", customer=interaction.customer,
                           **timeline_context(interaction.customer))


@web.route("/follow-ups")
@login_required
@require("interaction.read")
def follow_ups():
    """My planned follow-ups, earliest due first, on customers I can still see."""
    items = db.session.scalars(
        select(Interaction).join(Customer, Customer.id == Interaction.customer_id).where(and_(
            Interaction.status == "planned", Interaction.user_id == current_user.id,
            Customer.deleted_at.is_(None),
            scope_criterion(current_user, Customer.owner_id, Customer.team_id)))
        .order_by(Interaction.due_at.asc(), Interaction.id.asc()).limit(200)).all()
    return render_template("follow_ups.html", items=items, now=utcnow())
