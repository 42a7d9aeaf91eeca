"""Pulling from the ERP into kehu: customers (conflict rule below), then orders, invoices, payments.

Conflict rule (field ownership, see docs/erp.md): the ERP owns the legal name and the tax number,
kehu owns phone, e-mail and address. A pull overwrites the ERP-owned fields and fills the
kehu-owned ones only where kehu has nothing; a push sends only the kehu-owned fields (plus the
name when it creates the partner).
"""
import contextvars
import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from kehu_sdk import settings_of
from kehu_sdk.customers import (Customer, CustomerInvalid, InvalidPhone, blind_index, create_customer,
                                normalize_phone, update_customer)
from kehu_sdk.db import db
from kehu_sdk.interactions import log_interaction
from kehu_sdk.signals import plugin_signal
from kehu_plugins.erp.adapters import ENTITIES, ErpError, adapter_for
from kehu_plugins.erp.models import (ErpConnection, ErpCustomerLink, ErpInvoice, ErpPayment, ErpSalesOrder,
                                     ErpSyncRun, utcnow)

log = logging.getLogger(__name__)
MAX_ERRORS = 100
STALE_RUN = timedelta(minutes=30)
DOCUMENT_BATCH = 200
BEIJING = ZoneInfo("Asia/Shanghai")

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


def erp_settings() -> dict:
    return settings_of("erp")


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

    def add(self, entity, outcome):
        entity_counts = self.by_entity.setdefault(entity, {"created": 0, "updated": 0, "skipped": 0, "failed": 0})
        entity_counts[outcome] += 1


def start_run(trigger: str, entities=None, requested_by=None) -> ErpSyncRun:
    """A queued run row (committed), so callers can answer with its id before it runs."""
    settings = erp_settings()
    run = ErpSyncRun(adapter=settings.get("adapter") or "", trigger=trigger,
                     entities=list(entities or ENTITIES), requested_by=requested_by)
    db.session.add(run)
    db.session.commit()
    return run


def run_is_busy() -> bool:
    """Another run started recently and has not finished (scheduled runs then skip)."""
    return db.session.scalar(select(ErpSyncRun.id).where(
        ErpSyncRun.status == "running", ErpSyncRun.started_at > utcnow() - STALE_RUN).limit(1)) is not None


def execute_run(run_id: int, ids: dict | None = None) -> ErpSyncRun:
    """Run a queued sync: pull every entity of the run; ``ids`` ({entity: [ids]}) limits it to those."""
    run = db.session.get(ErpSyncRun, run_id)
    if run is None or run.status not in ("queued",):
        return run
    run.status, run.started_at = "running", utcnow()
    db.session.commit()
    counts, errors = Counts(), []
    status = "success"
    token = applying_pull.set(True)
    try:
        adapter = adapter_for(erp_settings())
        try:
            puller = Puller(adapter, counts, errors)
            for entity in [e for e in ENTITIES if e in run.entities]:
                puller.pull(entity, (ids or {}).get(entity))
        finally:
            adapter.close()
    except ErpError as exc:  # includes ErpUnavailable: the run failed; unfinished entities keep their cursor
        db.session.rollback()
        errors.append({"entity": None, "external_id": None, "message": str(exc)})
        status = "failed"
    except Exception as exc:  # a bug or a database failure: the run must not stay "running"
        log.exception("erp sync run %s crashed", run_id)
        db.session.rollback()
        message = _("内部错误：%(kind)s，详见服务器日志", kind=type(exc).__name__)
        errors.append({"entity": None, "external_id": None, "message": message})
        status = "failed"
    finally:
        applying_pull.reset(token)
    run = db.session.get(ErpSyncRun, run_id)
    if status == "success" and errors:
        status = "partial"
    run.status, run.finished_at = status, utcnow()
    run.counts, run.errors = counts.by_entity, errors[:MAX_ERRORS]
    db.session.commit()
    log.info("erp sync run %s: %s %s", run.id, status, counts.by_entity)
    return run


class Puller:
    def __init__(self, adapter, counts: Counts, errors: list):
        self.adapter = adapter
        self.name = adapter.name
        self.counts = counts
        self.errors = errors
        self.actor = SyncActor(erp_settings().get("owner_user_id"))

    # cursors ---------------------------------------------------------------------------
    def _connection(self) -> ErpConnection:
        connection = db.session.get(ErpConnection, self.name)
        if connection is None:
            connection = ErpConnection(adapter=self.name, cursors={})
            db.session.add(connection)
        return connection

    def cursor(self, entity) -> datetime | None:
        value = self._connection().cursors.get(entity)
        return datetime.fromisoformat(value) if value else None

    def move_cursor(self, entity, records, failed_times):
        """Past everything seen, but never past a record that failed: it is fetched again next time."""
        times = [r.updated_at for r in records if r.updated_at is not None]
        if not times:
            return
        target = min(failed_times) if failed_times else max(times)
        connection = self._connection()
        current = connection.cursors.get(entity)
        if current is None or datetime.fromisoformat(current) < target:
            connection.cursors = {**connection.cursors, entity: target.isoformat()}
        db.session.commit()

    def fail(self, entity, external_id, message):
        self.counts.add(entity, "failed")
        self.errors.append({"entity": entity, "external_id": external_id, "message": message})

    # pulling ---------------------------------------------------------------------------
    def pull(self, entity, ids=None):
        records = self.adapter.fetch(entity, None if ids else self.cursor(entity), ids)
        self.counts.by_entity.setdefault(entity, {"created": 0, "updated": 0, "skipped": 0, "failed": 0})
        if entity == "customers":
            failed_times = self.pull_customers(records)
        else:
            failed_times = self.pull_documents(entity, records)
        if not ids:
            self.move_cursor(entity, records, failed_times)

    def pull_customers(self, records) -> list:
        """One transaction per customer: each goes through the customer service, which commits."""
        failed_times = []
        for record in records:
            try:
                self.apply_customer("customers", record)
            except (CustomerInvalid, ErpError, ValueError, SQLAlchemyError) as exc:
                message = str(getattr(exc, "errors", None) or exc)
                if isinstance(exc, SQLAlchemyError):
                    message = _("数据库拒绝了这条记录：%(kind)s", kind=type(exc).__name__)
                db.session.rollback()
                self.fail("customers", record.external_id, message)
                if record.updated_at is not None:
                    failed_times.append(record.updated_at)
        return failed_times

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

    def link_of(self, external_id) -> ErpCustomerLink | None:
        return db.session.scalar(select(ErpCustomerLink).where(
            ErpCustomerLink.adapter == self.name, ErpCustomerLink.external_id == external_id))

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
        if phone is None:
            return None
        linked = select(ErpCustomerLink.customer_id).where(ErpCustomerLink.adapter == self.name)
        return db.session.scalar(select(Customer).where(
            Customer.phone_index == blind_index(phone), Customer.deleted_at.is_(None),
            Customer.id.not_in(linked)).order_by(Customer.id).limit(1))

    def apply_customer(self, entity, record):
        if not record.name:
            raise ErpError(_("ERP 客户没有名称"))
        phone = self._phone(record)
        link = self.link_of(record.external_id)
        customer = db.session.get(Customer, link.customer_id) if link else self._match_by_phone(phone)
        if customer is not None and customer.deleted_at is not None:
            self.counts.add(entity, "skipped")  # deleted in kehu on purpose: the ERP does not bring it back
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
        if link is None:
            link = ErpCustomerLink(adapter=self.name, external_id=record.external_id, customer_id=customer.id)
            db.session.add(link)
        link.tax_id, link.erp_updated_at, link.last_pulled_at = record.tax_id, record.updated_at, utcnow()
        db.session.commit()
        self.counts.add(entity, outcome)

    def ensure_customers(self, external_ids):
        """Partners named by documents but not linked yet (changed before our customer cursor,
        or new since): fetched and applied first, in one call."""
        if not external_ids:
            return
        wanted, linked = sorted(external_ids), set()
        for start in range(0, len(wanted), 500):  # bounded IN lists (SQLite limits bound parameters)
            linked.update(db.session.scalars(select(ErpCustomerLink.external_id).where(
                ErpCustomerLink.adapter == self.name, ErpCustomerLink.external_id.in_(wanted[start:start + 500]))))
        missing = [external_id for external_id in wanted if external_id not in linked]
        if missing:
            self.pull_customers(self.adapter.fetch("customers", None, missing))

    def customer_id_for(self, external_id):
        if external_id is None:
            raise ErpError(_("单据没有客户"))
        link = self.link_of(external_id)
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
                            content=f"金额 {record.amount} {record.currency}，状态 {record.state}",
                            channel="erp", direction="inbound",
                            occurred_at=datetime.combine(record.date, time(12), tzinfo=BEIJING),
                            source_plugin="erp", external_ref=f"{self.name}:order:{record.external_id}")
        return row, outcome
