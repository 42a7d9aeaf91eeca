"""What the customers domain announces: blinker signals after commit, domain events for webhooks."""
from kehu.customers.models import Customer
from kehu.platform.audit import snapshot, track
from kehu.platform.events import publish
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


def register() -> None:
    track(Customer, created=_created, updated=_updated, deleted=_deleted)
