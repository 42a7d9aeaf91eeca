"""What the customers domain announces: blinker signals after commit, domain events for webhooks."""
from sqlalchemy import String, cast, select

from kehu.customers.models import Contact, Customer
from kehu.platform.audit import AuditLog, audit_scope, snapshot, track
from kehu.platform.events import publish
from kehu.platform.permissions import scope_criterion
from kehu.platform.session import announce
from kehu.plugins import signals


def _created(session, customer, taken):
    announce(session, signals.customer_created, customer=customer, customer_id=customer.id)
    publish(session, "customer.created", {"customer": taken})


def _updated(session, customer, changes):
    announce(session, signals.customer_updated, customer=customer, customer_id=customer.id, changes=changes)
    publish(session, "customer.updated", {"customer": snapshot(customer), "changes": changes})


def _deleted(session, customer):
    announce(session, signals.customer_deleted, customer=customer, customer_id=customer.id)
    publish(session, "customer.deleted", {"customer": {"id": customer.id}})


def _visible_ids(user):
    return select(cast(Customer.id, String)).where(scope_criterion(user, Customer.owner_id, Customer.team_id))


def _customer_rows(user):
    return AuditLog.entity_id.in_(_visible_ids(user))


def _contact_rows(user):
    contacts = select(cast(Contact.id, String)).join(Customer, Customer.id == Contact.customer_id).where(
        scope_criterion(user, Customer.owner_id, Customer.team_id))
    return AuditLog.entity_id.in_(contacts)


def register() -> None:
    track(Customer, created=_created, updated=_updated, deleted=_deleted)
    audit_scope(Customer.__tablename__, _customer_rows)  # deleted customers too: the audit outlives them
    audit_scope(Contact.__tablename__, _contact_rows)
