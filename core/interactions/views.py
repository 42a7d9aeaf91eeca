"""A customer's interaction timeline, quick logging, and the user's planned follow-ups."""
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2 import pass_context
from marshmallow import ValidationError

from kehu.customers.query import visible_customer
from kehu.interactions import query, service
from kehu.interactions.query import timeline_context
from kehu.interactions.schemas import InteractionSchema
from kehu.platform.permissions import require
from kehu.platform.time import utcnow
from kehu.web.form_errors import field_errors

pages = Blueprint("interaction_pages", __name__, template_folder="templates")



@pages.app_template_filter("interaction_kind")
@pass_context  # never folded into a compiled template: the title depends on the request's language
def kind_title(context, kind: str) -> str:
    return query.kind_title(kind)


def _customer_or_404(customer_id):
    customer = visible_customer(customer_id, current_user)
    if customer is None:  # outside the user's scope looks the same as missing
        abort(404)
    return customer


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


def _form_errors(messages: dict) -> dict:
    """The form calls the planned item's due time "follow_up_at"."""
    found = {}
    for key, items in field_errors(messages).items():
        found.setdefault("follow_up_at" if key == "due_at" else key, []).extend(items)
    return found


def _validated(customer, items) -> tuple[list, dict]:
    """The items loaded with the API's schema and checked by the service's rules, or the errors."""
    loaded, errors = [], {}
    for item in items:
        try:
            data = InteractionSchema().load(item)
        except ValidationError as exc:
            for key, messages in _form_errors(exc.messages).items():
                errors.setdefault(key, []).extend(messages)
            continue
        for key, messages in service.check(data, customer.id).items():
            errors.setdefault(key, []).extend(messages)
        loaded.append(data)
    if items and not items[0].get("content") and items[0]["status"] == "done":
        errors.setdefault("content", []).append(_("请填写内容或下次跟进时间"))
    return loaded, errors


@pages.route("/customers/<id:customer_id>/interactions", methods=["POST"])
@login_required
@require("interaction.write")
def log_interaction(customer_id):
    customer = _customer_or_404(customer_id)
    values = request.form.to_dict()
    loaded, errors = _validated(customer, _quick_log_items(request.form))
    if errors:
        return render_template("interactions/_timeline.html", customer=customer,
                               **timeline_context(customer, values, errors)), 422
    service.create_interactions(customer, loaded, current_user)
    return render_template("interactions/_timeline.html", customer=customer,
                           **timeline_context(customer, {"kind": values.get("kind", "call")}))


@pages.route("/interactions/<id:interaction_id>/done", methods=["POST"])
@login_required
@require("interaction.write")
def follow_up_done(interaction_id):
    interaction = query.visible_interaction(interaction_id, current_user)
    if interaction is None:
        abort(404)
    try:
        service.complete(interaction, current_user)
    except service.InteractionLocked:
        abort(403)
    if request.form.get("from") == "follow-ups":
        return render_template("interactions/_follow_up_row.html", item=interaction)
    return render_template("interactions/_timeline.html", customer=interaction.customer,
                           **timeline_context(interaction.customer))


@pages.route("/follow-ups")
@login_required
@require("interaction.read")
def follow_ups():
    """Planned follow-ups, earliest due first: mine, or the team's / everybody's for wider scopes."""
    mine = request.args.get("mine") == "1"
    return render_template("interactions/follow_ups.html", items=query.planned_for(current_user, mine=mine),
                           mine=mine, shared=current_user.scope != "own", now=utcnow())


@pages.route("/customers/<id:customer_id>/messages", methods=["POST"])
@login_required
@require("interaction.write")
def send_message(customer_id):
    customer = _customer_or_404(customer_id)
    values = request.form.to_dict()
    try:
        service.send_message(customer, values.get("channel", ""), values.get("text", ""), current_user)
    except service.InteractionInvalid as exc:
        return render_template("interactions/_timeline.html", customer=customer, message_values=values,
                               message_errors=field_errors(exc.errors), **timeline_context(customer)), 422
    return render_template("interactions/_timeline.html", customer=customer, message_sent=True,
                           **timeline_context(customer))
