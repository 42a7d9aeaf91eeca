"""ERP sync tables: cursors, customer links, the documents pulled from the ERP and the run log."""
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kehu_sdk import PluginModel
from kehu_sdk.db import UTCDateTime, utcnow

# a document's state (orders, invoices, payments), as pages and the timeline name it
DOCUMENT_STATES = {"draft": _l("草稿"), "confirmed": _l("已确认"), "cancelled": _l("已取消")}


class ErpConnection(PluginModel):
    """Per adapter: the watermark (ERP ``updated_at``) up to which each entity has been pulled."""

    __plugin__ = "erp"
    __tablename__ = "erp_connection"

    adapter: Mapped[str] = mapped_column(String(20), primary_key=True)
    cursors: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class ErpCustomerLink(PluginModel):
    """Which ERP partner a kehu customer is, per adapter; also holds the ERP-owned tax number."""

    __plugin__ = "erp"
    __tablename__ = "erp_customer_link"
    __table_args__ = (UniqueConstraint("adapter", "external_id", name="uq_erp_customer_link_adapter"),
                      UniqueConstraint("adapter", "customer_id", name="uq_erp_customer_link_adapter_customer_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    adapter: Mapped[str] = mapped_column(String(20), nullable=False)
    external_id: Mapped[str] = mapped_column(String(80), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    tax_id: Mapped[str | None] = mapped_column(String(40))
    erp_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_pushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class _ErpDocument:
    """Columns shared by orders, invoices and payments (all linked to a customer, amounts in CNY)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    adapter: Mapped[str] = mapped_column(String(20), nullable=False)
    external_id: Mapped[str] = mapped_column(String(80), nullable=False)
    number: Mapped[str] = mapped_column(String(80), default="", nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), default="CNY", nullable=False)
    state: Mapped[str] = mapped_column(String(20), default="", nullable=False)
    erp_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class ErpSalesOrder(_ErpDocument, PluginModel):
    __plugin__ = "erp"
    __tablename__ = "erp_sales_order"
    __table_args__ = (UniqueConstraint("adapter", "external_id"),
                      Index("ix_erp_sales_order_customer_date", "customer_id", "order_date"))

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    order_date: Mapped[date] = mapped_column(Date, nullable=False)


class ErpInvoice(_ErpDocument, PluginModel):
    __plugin__ = "erp"
    __tablename__ = "erp_invoice"
    __table_args__ = (UniqueConstraint("adapter", "external_id"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    invoice_date: Mapped[date] = mapped_column(Date, nullable=False)
    amount_due: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"), nullable=False)


class ErpPayment(_ErpDocument, PluginModel):
    __plugin__ = "erp"
    __tablename__ = "erp_payment"
    __table_args__ = (UniqueConstraint("adapter", "external_id"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    payment_date: Mapped[date] = mapped_column(Date, nullable=False)


class ErpSyncRun(PluginModel):
    """One sync run: what started it, what it did per entity, and every error it met."""

    __plugin__ = "erp"
    __tablename__ = "erp_sync_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    adapter: Mapped[str] = mapped_column(String(20), nullable=False)
    trigger: Mapped[str] = mapped_column(String(10), nullable=False)  # manual | schedule | webhook
    entities: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    status: Mapped[str] = mapped_column(String(10), default="queued", nullable=False, index=True)
    counts: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    errors: Mapped[list] = mapped_column(JSON, default=list, nullable=False)
    requested_by: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
