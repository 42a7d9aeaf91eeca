"""Every write to the timeline: the API, the pages, tasks and plugins all come through here.

One rule each: a done interaction has ``occurred_at`` (now, unless given); a planned one needs
``due_at``; the kind must be one the hooks declare; a contact must belong to the customer.
"""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from kehu.customers.models import Contact
from kehu.extensions import db
from kehu.interactions.models import Interaction, MessageRefused
from kehu.interactions.query import known_kinds, message_channels
from kehu.platform.time import utcnow


class InteractionInvalid(Exception):
    """The data breaks a rule; ``errors`` maps each field to messages in the user's language."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def _settle(interaction: Interaction) -> None:
    if interaction.status == "done" and interaction.occurred_at is None:
        interaction.occurred_at = utcnow()


def check(data: dict, customer_id: int) -> dict:
    """``{field: [messages]}`` for what ``data`` breaks on ``customer_id``'s timeline (empty when valid)."""
    errors = {}
    if "kind" in data and data["kind"] not in known_kinds():
        errors["kind"] = [_("未知的跟进方式：%(kind)s", kind=data["kind"])]
    contact_id = data.get("contact_id")
    if contact_id is not None:
        contact = db.session.get(Contact, contact_id)
        if contact is None or contact.customer_id != customer_id:
            errors["contact_id"] = [_("联系人不属于这个客户")]
    return errors


def log_interaction(customer_id: int, kind: str, *, subject: str = "", content: str | None = None,
                    channel: str | None = None, direction: str = "outbound", status: str = "done",
                    occurred_at: datetime | None = None, due_at: datetime | None = None,
                    user_id: int | None = None, contact_id: int | None = None, satisfaction: int | None = None,
                    source_plugin: str | None = None, external_ref: str | None = None) -> Interaction:
    """Add an interaction to the session (the caller commits); for code that has checked its data.

    With ``source_plugin`` and ``external_ref`` the call is idempotent: the existing row for that
    pair is returned unchanged, so a retried task never logs the same event twice.
    """
    if source_plugin and external_ref:
        existing = db.session.scalar(select(Interaction).where(
            Interaction.source_plugin == source_plugin, Interaction.external_ref == external_ref))
        if existing is not None:
            return existing
    interaction = Interaction(
        customer_id=customer_id, kind=kind, subject=subject, content=content, channel=channel,
        direction=direction, status=status, occurred_at=occurred_at, due_at=due_at, user_id=user_id,
        contact_id=contact_id, satisfaction=satisfaction, source_plugin=source_plugin, external_ref=external_ref)
    _settle(interaction)
    db.session.add(interaction)
    return interaction


def create_interactions(customer, items: list[dict], user) -> list[Interaction]:
    """Record schema-loaded ``items`` on ``customer``'s timeline by ``user``, all or none; commits.

    Raises InteractionInvalid with the first item's errors.
    """
    for data in items:
        errors = check(data, customer.id)
        if errors:
            raise InteractionInvalid(errors)
    created = [log_interaction(customer.id, user_id=user.id, **data) for data in items]
    db.session.commit()
    return created


def create_interaction(customer, data: dict, user) -> Interaction:
    return create_interactions(customer, [data], user)[0]


class InteractionLocked(Exception):
    """``user`` may not change this entry; the message says why in the user's language."""


def check_may_change(interaction: Interaction, user) -> None:
    """Entries written by the system (SMS, ERP, webhooks, imports) stay as written; people change their
    own entries, a team-scoped user also the team's, an all-scoped user anyone's. The audit log keeps
    every earlier version."""
    if interaction.source_plugin:
        raise InteractionLocked(_("系统记录的跟进（%(source)s）不能修改或删除", source=interaction.source_plugin))
    if user.scope == "all" or interaction.user_id == user.id:
        return
    author = interaction.user
    if user.scope == "team" and author is not None and user.team_id is not None and author.team_id == user.team_id:
        return
    raise InteractionLocked(_("只能修改自己记录的跟进"))


def update_interaction(interaction: Interaction, data: dict, user) -> Interaction:
    """Change fields of ``interaction`` (e.g. mark a planned follow-up done) as ``user``; commits."""
    check_may_change(interaction, user)
    errors = check(data, interaction.customer_id)
    if errors:
        raise InteractionInvalid(errors)
    for key, value in data.items():
        setattr(interaction, key, value)
    if interaction.status == "planned" and interaction.due_at is None:
        db.session.rollback()
        raise InteractionInvalid({"due_at": [_("计划的跟进需要填写到期时间")]})
    _settle(interaction)
    db.session.commit()
    return interaction


def complete(interaction: Interaction, user) -> Interaction:
    """Mark a planned follow-up done now; anything else stays as it is."""
    if interaction.status != "planned":
        return interaction
    return update_interaction(interaction, {"status": "done", "occurred_at": utcnow()}, user)


def delete_interaction(interaction: Interaction, user) -> None:
    check_may_change(interaction, user)
    db.session.delete(interaction)
    db.session.commit()


def send_message(customer, channel_name: str, text: str, user) -> str:
    """Send ``text`` to ``customer`` through a plugin's channel (it logs the message on the timeline).

    Returns the channel's status ("sent", "queued"); raises InteractionInvalid for an unknown channel,
    an empty text or a channel that refuses.
    """
    channel = message_channels(user).get(channel_name)
    if channel is None:
        raise InteractionInvalid({"channel": [_("没有这个消息渠道：%(name)s", name=channel_name)]})
    if not (text or "").strip():
        raise InteractionInvalid({"text": [_("请填写消息内容")]})
    try:
        return str(channel.send(customer=customer, text=text.strip(), user=user) or "sent")
    except MessageRefused as exc:
        db.session.rollback()
        raise InteractionInvalid({"channel": [str(exc)]}) from None
