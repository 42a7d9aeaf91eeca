"""Reading the timeline: which kinds exist, a customer's timeline, interactions a user may see."""
from flask import current_app
from flask_login import current_user
from sqlalchemy import and_, func, select

from kehu.customers.models import Customer
from kehu.extensions import db
from kehu.interactions.models import Interaction, MessageChannel
from kehu.platform.permissions import scope_criterion

FOLLOW_UPS_LIMIT = 200
QUICK_KINDS = ("call", "visit", "note")  # first in the quick-log form
TIMELINE_LIMIT = 100


def kinds() -> dict[str, str]:
    """``{kind: title}`` of core and the enabled plugins (hook ``interaction_kinds``), core's first."""
    found = {}
    for contributed in current_app.extensions["kehu_plugins"].hook("interaction_kinds")():
        for item in contributed or []:
            found.setdefault(item["kind"], item.get("title") or item["kind"])
    return found


def kind_title(kind: str | None) -> str:
    """The title of an interaction kind in the user's language (``"sms"`` → 短信); an unknown kind as it is."""
    return str(kinds().get(kind, kind or ""))


def message_channels(user) -> dict[str, MessageChannel]:
    """``{name: channel}`` of the enabled plugins' ``message_channels()`` that ``user`` may send through."""
    found = {}
    for contributed in current_app.extensions["kehu_plugins"].hook("message_channels")():
        for channel in contributed or []:
            if isinstance(channel, MessageChannel) and (channel.permission is None
                                                        or user.has_permission(channel.permission)):
                found.setdefault(channel.name, channel)
    return found


def known_kinds() -> set[str]:
    return set(kinds())


def timeline_order():
    """Newest first: what happened by when it happened, what is planned by when it is due."""
    return (func.coalesce(Interaction.occurred_at, Interaction.due_at, Interaction.created_at).desc(),
            Interaction.id.desc())


def timeline(customer_id: int):
    """SELECT of one customer's interactions, newest first (the caller checked the customer is visible)."""
    return select(Interaction).where(Interaction.customer_id == customer_id).order_by(*timeline_order())


def visible_interactions(user):
    """SELECT of the interactions on customers ``user`` may see (not deleted, in scope)."""
    return select(Interaction).join(Customer, Customer.id == Interaction.customer_id).where(and_(
        Customer.deleted_at.is_(None), scope_criterion(user, Customer.owner_id, Customer.team_id)))


def visible_interaction(interaction_id: int, user) -> Interaction | None:
    return db.session.scalar(visible_interactions(user).where(Interaction.id == interaction_id))


def filtered(query, args: dict, user):
    """``query`` narrowed by the list arguments (status, kind, due_before, mine)."""
    if args.get("status"):
        query = query.where(Interaction.status.in_(args["status"]))
    if args.get("kind"):
        query = query.where(Interaction.kind.in_(args["kind"]))
    if args.get("due_before"):
        query = query.where(Interaction.due_at < args["due_before"])
    if args.get("mine"):
        query = query.where(Interaction.user_id == user.id)
    return query


def planned_for(user, mine: bool = False) -> list[Interaction]:
    """Planned follow-ups, earliest due first, on customers ``user`` can still see: their own, or with a
    team or all scope everybody's there (a manager watches the team's), unless ``mine``."""
    query = visible_interactions(user).where(Interaction.status == "planned")
    if mine or user.scope == "own":
        query = query.where(Interaction.user_id == user.id)
    return list(db.session.scalars(query.order_by(Interaction.due_at.asc(), Interaction.id.asc())
                                   .limit(FOLLOW_UPS_LIMIT)))


# the timeline on the customer page ------------------------------------------------------------
def kind_choices() -> list[tuple[str, str]]:
    """Call, visit and note first (the quick ones), then the other core and plugin kinds."""
    titles = kinds()
    others = sorted(set(titles) - set(QUICK_KINDS))
    return [(k, str(titles.get(k, k))) for k in (*QUICK_KINDS, *others)]


def timeline_context(customer, values=None, errors=None) -> dict:
    if not current_user.has_permission("interaction.read"):
        return {"interactions": None, "log_values": {}, "log_errors": {}, "kinds": []}
    interactions = db.session.scalars(timeline(customer.id).limit(TIMELINE_LIMIT)).all()
    return {"interactions": interactions, "log_values": values or {"kind": "call"}, "log_errors": errors or {},
            "kinds": kind_choices(), "channels": list(message_channels(current_user).values())}
