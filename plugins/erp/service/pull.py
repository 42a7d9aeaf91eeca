"""Pulling from the ERP into kehu: customers (by the conflict rule below), then orders, invoices, payments.

Conflict rule (field ownership, see docs/erp.md): the ERP owns the legal name and the tax number,
kehu owns phone, e-mail and address. A pull overwrites the ERP-owned fields and fills the
kehu-owned ones only where kehu has nothing; a push sends only the kehu-owned fields (plus the
name when it creates the partner).
"""
import contextvars
from datetime import datetime, time

from flask import current_app
from flask_babel import force_locale, gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from kehu_sdk.customers import (Customer, CustomerInvalid, InvalidPhone, create_customer, match_customer,
                                normalize_phone, update_customer)
from kehu_sdk.db import db
from kehu_sdk.interactions import log_interaction
from kehu_sdk.signals import plugin_signal
from kehu_sdk.time import from_china, utcnow
from kehu_plugins.erp.adapters import ErpError
from kehu_plugins.erp.models import DOCUMENT_STATES, ErpInvoice, ErpPayment, ErpSalesOrder
from kehu_plugins.erp.service import connections

DOCUMENT_BATCH = 200

erp_order_synced = plugin_signal("erp_order_synced", doc="""
Called when a sales order pulled from the ERP was stored for the first time. Keyword args:
``order_id`` (erp_sales_order.id), ``customer_id``, ``amount`` (Decimal, CNY) and ``order_date``.
""")

# Set while a pull writes customers, so that those writes are not pushed back (no echo loop).
applying_pull = contextvars.ContextVar("erp_applying_pull", default=False)

DOCUMENTS = {
    # entity: (model, date column)
    "orders": (ErpSalesOrder, "order_date"),
    "invoices": (ErpInvoice, "invoice_date"),
    "payments": (ErpPayment, "payment_date"),
}


class SyncActor:
    """Who creates and updates customers during a pull: sees everything, owns nothing itself.

    New customers get the configured ``owner_user_id`` (or no owner).
    """

    scope = "all"
    team_id = None

    def __init__(self, owner_user_id):
        self.id = owner_user_id

    def has_permission(self, permission):
        return True


class Counts:
    def __init__(self):
        self.by_entity = {}

    def start(self, entity):
        self.by_entity.setdefault(entity, {"created": 0, "updated": 0, "skipped": 0, "failed": 0})

    def add(self, entity, outcome):
        self.start(entity)
        self.by_entity[entity][outcome] += 1


class Puller:
    """Applies what one adapter fetches; counts every record and collects the errors of the run."""

    def __init__(self, adapter, counts: Counts, errors: list, owner_user_id=None):
        self.adapter = adapter
        self.name = adapter.name
        self.counts = counts
        self.errors = errors
        self.actor = SyncActor(owner_user_id)

    def fail(self, entity, external_id, message):
        self.counts.add(entity, "failed")
        self.errors.append({"entity": entity, "external_id": external_id, "message": message})

    def pull(self, entity, ids=None):
        """Pull ``entity``: the records changed since its cursor, or exactly ``ids`` (cursor untouched)."""
        records = self.adapter.fetch(entity, None if ids else connections.cursor(self.name, entity), ids)
        self.counts.start(entity)
        if entity == "customers":
            failed_times = self.pull_customers(records)
        else:
            failed_times = self.pull_documents(entity, records)
        if not ids:
            self.move_cursor(entity, records, failed_times)

    def move_cursor(self, entity, records, failed_times):
        """Past everything seen, but never past a record that failed: it is fetched again next time."""
        times = [r.updated_at for r in records if r.updated_at is not None]
        if times:
            connections.move_cursor(self.name, entity, min(failed_times) if failed_times else max(times))

    # customers ---------------------------------------------------------------------------
    def pull_customers(self, records) -> list:
        """One transaction per customer: each goes through the customer service, which commits."""
        failed_times = []
        for record in records:
            try:
                self.apply_customer(record)
            except (CustomerInvalid, ErpError, ValueError, SQLAlchemyError) as exc:
                message = str(getattr(exc, "errors", None) or exc)
                if isinstance(exc, SQLAlchemyError):
                    message = _("数据库拒绝了这条记录：%(kind)s", kind=type(exc).__name__)
                db.session.rollback()
                self.fail("customers", record.external_id, message)
                if record.updated_at is not None:
                    failed_times.append(record.updated_at)
        return failed_times

    def _phone(self, record):
        if not record.phone:
            return None
        try:
            return normalize_phone(record.phone)
        except InvalidPhone:
            self.errors.append({"entity": "customers", "external_id": record.external_id,
                                "message": _("电话号码无效，已忽略：%(phone)s", phone=record.phone)})
            return None

    def _match_by_phone(self, phone):
        """kehu's one rule (``match_customer``), passing over customers linked to another partner."""
        if phone is None:
            return None
        exclude = []
        while True:
            customer = match_customer({"phone": phone, "exclude": exclude})
            if customer is None or customer.id in exclude:
                return None
            if connections.link_of_customer(self.name, customer.id) is None:
                return customer
            exclude.append(customer.id)

    def apply_customer(self, record):
        if not record.name:
            raise ErpError(_("ERP 客户没有名称"))
        phone = self._phone(record)
        link = connections.link_of(self.name, record.external_id)
        customer = db.session.get(Customer, link.customer_id) if link else self._match_by_phone(phone)
        if customer is not None and customer.deleted_at is not None:
            self.counts.add("customers", "skipped")  # deleted in kehu on purpose: the ERP does not bring it back
            return
        if customer is None:
            customer = create_customer({"name": record.name, "kind": "company", "status": "customer",
                                        "source": "erp", "phone": phone, "email": record.email,
                                        "address": record.address}, self.actor)
            outcome = "created"
        else:
            changes = {"name": record.name} if customer.name != record.name else {}
            for field, value in (("phone", phone), ("email", record.email), ("address", record.address)):
                if value and not getattr(customer, field):
                    changes[field] = value
            if changes:
                update_customer(customer, changes, self.actor)
            outcome = "updated" if changes or link is None or (link.tax_id != record.tax_id) else "skipped"
        connections.save_link(self.name, record.external_id, customer.id, link, tax_id=record.tax_id,
                              erp_updated_at=record.updated_at, last_pulled_at=utcnow())
        db.session.commit()
        self.counts.add("customers", outcome)

    def ensure_customers(self, external_ids):
        """Partners named by documents but not linked yet (changed before our customer cursor,
        or new since): fetched and applied first, in one call."""
        if not external_ids:
            return
        linked = connections.linked_external_ids(self.name, list(external_ids))
        missing = sorted(external_id for external_id in external_ids if external_id not in linked)
        if missing:
            self.pull_customers(self.adapter.fetch("customers", None, missing))

    # documents ---------------------------------------------------------------------------
    def pull_documents(self, entity, records) -> list:
        """Committed in batches (a commit per row is most of the time on SQLite).

        A record is refused (ErpError) before it touches the session, so a refusal costs the
        batch nothing; a database error fails the run, and the cursor of this entity stays put.
        """
        self.ensure_customers({r.customer_external_id for r in records if r.customer_external_id})
        failed_times, created_orders = [], []
        for number, record in enumerate(records, 1):
            try:
                row, outcome = self.apply_document(entity, record)
            except ErpError as exc:
                self.fail(entity, record.external_id, str(exc))
                if record.updated_at is not None:
                    failed_times.append(record.updated_at)
                continue
            self.counts.add(entity, outcome)
            if entity == "orders" and outcome == "created":
                created_orders.append(row)
            if number % DOCUMENT_BATCH == 0:
                self._commit_documents(created_orders)
        self._commit_documents(created_orders)
        return failed_times

    def _commit_documents(self, created_orders):
        db.session.commit()
        app = current_app._get_current_object()
        for row in created_orders:
            erp_order_synced.send(app, order_id=row.id, customer_id=row.customer_id, amount=row.amount,
                                  order_date=row.order_date)
        created_orders.clear()

    def customer_id_for(self, external_id):
        if external_id is None:
            raise ErpError(_("单据没有客户"))
        link = connections.link_of(self.name, external_id)
        if link is None:
            raise ErpError(_("ERP 中找不到客户 %(id)s", id=external_id))
        return link.customer_id

    def apply_document(self, entity, record):
        model, date_column = DOCUMENTS[entity]
        customer_id = self.customer_id_for(record.customer_external_id)
        row = db.session.scalar(select(model).where(model.adapter == self.name,
                                                    model.external_id == record.external_id))
        values = {"customer_id": customer_id, "number": record.number, date_column: record.date,
                  "amount": record.amount, "currency": record.currency, "state": record.state}
        if model is ErpInvoice:
            values["amount_due"] = record.amount if record.amount_due is None else record.amount_due
        if row is None:
            row = model(adapter=self.name, external_id=record.external_id, **values)
            db.session.add(row)
            outcome = "created"
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            outcome = "updated"
        else:
            outcome = "skipped"
        row.erp_updated_at = record.updated_at
        if entity == "orders" and outcome == "created":
            log_interaction(customer_id, "erp_order", subject=f"ERP 销售订单 {record.number}",
                            content=f"金额 {record.amount} {record.currency}，状态 {_state_word(record.state)}",
                            channel="erp", direction="inbound",
                            occurred_at=from_china(datetime.combine(record.date, time(12))),
                            source_plugin="erp", external_ref=f"{self.name}:order:{record.external_id}")
        return row, outcome


def _state_word(state: str) -> str:
    """A document state as the (Chinese, like the rest of the entry) timeline text names it, not its code."""
    with force_locale("zh_Hans_CN"):
        return str(DOCUMENT_STATES.get(state, state))
