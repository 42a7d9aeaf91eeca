"""The connection to the ERP: its settings, how far each entity has been pulled (the cursors), and
which ERP partner each kehu customer is (the links). The only writer of ``erp_connection`` and
``erp_customer_link``.
"""
from datetime import datetime

from sqlalchemy import select

from kehu_sdk import settings_of
from kehu_sdk.db import db
from kehu_plugins.erp.adapters import adapter_for
from kehu_plugins.erp.models import ErpConnection, ErpCustomerLink


def erp_settings() -> dict:
    """The plugin's settings, secrets in clear (never show them: ``kehu_sdk.plugins.masked_settings_of``)."""
    return settings_of("erp")


def webhook_secrets() -> list[str]:
    """The secrets ``POST /webhooks/erp`` accepts: the current one and, while rotating, the previous one."""
    settings = erp_settings()
    return [s for s in (settings.get("webhook_secret"), settings.get("webhook_secret_previous")) if s]


def open_adapter(settings: dict | None = None):
    """An adapter for the configured ERP (close it when done); ErpError when the settings are incomplete."""
    return adapter_for(settings if settings is not None else erp_settings())


# cursors -------------------------------------------------------------------------------------
def _connection(adapter: str) -> ErpConnection:
    connection = db.session.get(ErpConnection, adapter)
    if connection is None:
        connection = ErpConnection(adapter=adapter, cursors={})
        db.session.add(connection)
    return connection


def cursor(adapter: str, entity: str) -> datetime | None:
    """The ERP ``updated_at`` up to which ``entity`` has been pulled (None: never)."""
    connection = db.session.get(ErpConnection, adapter)
    value = connection.cursors.get(entity) if connection else None
    return datetime.fromisoformat(value) if value else None


def move_cursor(adapter: str, entity: str, target: datetime) -> None:
    """Move the cursor forward to ``target`` (never back) and commit."""
    connection = _connection(adapter)
    current = connection.cursors.get(entity)
    if current is None or datetime.fromisoformat(current) < target:
        connection.cursors = {**connection.cursors, entity: target.isoformat()}
    db.session.commit()


# links ---------------------------------------------------------------------------------------
def link_of(adapter: str, external_id: str) -> ErpCustomerLink | None:
    return db.session.scalar(select(ErpCustomerLink).where(
        ErpCustomerLink.adapter == adapter, ErpCustomerLink.external_id == external_id))


def link_of_customer(adapter: str, customer_id: int) -> ErpCustomerLink | None:
    return db.session.scalar(select(ErpCustomerLink).where(
        ErpCustomerLink.adapter == adapter, ErpCustomerLink.customer_id == customer_id))


def linked_customer_ids(adapter: str):
    """A subquery of the customers already linked to a partner of ``adapter``."""
    return select(ErpCustomerLink.customer_id).where(ErpCustomerLink.adapter == adapter)


def linked_external_ids(adapter: str, external_ids: list[str]) -> set[str]:
    """Which of ``external_ids`` are linked to a customer already."""
    wanted, linked = sorted(external_ids), set()
    for start in range(0, len(wanted), 500):  # bounded IN lists (SQLite limits bound parameters)
        linked.update(db.session.scalars(select(ErpCustomerLink.external_id).where(
            ErpCustomerLink.adapter == adapter, ErpCustomerLink.external_id.in_(wanted[start:start + 500]))))
    return linked


def save_link(adapter: str, external_id: str, customer_id: int, link: ErpCustomerLink | None = None,
              **fields) -> ErpCustomerLink:
    """Link ``customer_id`` to the partner ``external_id`` (or update ``link``) with ``fields`` such as
    ``tax_id``, ``erp_updated_at``, ``last_pulled_at``, ``last_pushed_at``. The caller commits: a pull
    with the customer it saved, the push consumer with its consumption record."""
    if link is None:
        link = ErpCustomerLink(adapter=adapter, external_id=external_id, customer_id=customer_id)
        db.session.add(link)
    for name, value in fields.items():
        setattr(link, name, value)
    return link

