"""What the interactions domain announces: ``interaction_logged`` after commit, ``interaction.logged`` for webhooks."""
from sqlalchemy import String, cast, select

from kehu.customers.models import Customer
from kehu.interactions.models import Interaction
from kehu.platform.audit import AuditLog, audit_scope, track
from kehu.platform.events import publish
from kehu.platform.permissions import scope_criterion
from kehu.platform.session import announce
from kehu.plugins import signals


def _logged(session, interaction, taken):
    announce(session, signals.interaction_logged, interaction=interaction, interaction_id=interaction.id,
             customer_id=interaction.customer_id)
    publish(session, "interaction.logged", {"interaction": taken})


def _interaction_rows(user):
    visible = select(cast(Interaction.id, String)).join(Customer, Customer.id == Interaction.customer_id).where(
        scope_criterion(user, Customer.owner_id, Customer.team_id))
    return AuditLog.entity_id.in_(visible)


def register() -> None:
    track(Interaction, created=_logged)
    audit_scope(Interaction.__tablename__, _interaction_rows)
