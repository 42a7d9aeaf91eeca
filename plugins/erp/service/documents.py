"""What a customer bought: the newest orders, invoices and payments from the ERP, and the order totals."""
from sqlalchemy import func, select

from kehu_sdk.db import db
from kehu_plugins.erp.models import ErpInvoice, ErpPayment, ErpSalesOrder

DOCUMENT_LIMIT = 50


def _newest(model, date_column, customer_id):
    return db.session.scalars(select(model).where(model.customer_id == customer_id)
                              .order_by(getattr(model, date_column).desc(), model.id.desc())
                              .limit(DOCUMENT_LIMIT)).all()


def customer_documents(customer_id: int) -> dict:
    """``orders``, ``invoices``, ``payments`` (newest first, at most 50 each), ``order_count`` and
    ``order_total`` (confirmed orders only: a quotation or a cancelled order is not a purchase)."""
    totals = select(func.count(ErpSalesOrder.id), func.coalesce(func.sum(ErpSalesOrder.amount), 0))
    count, total = db.session.execute(totals.where(ErpSalesOrder.customer_id == customer_id,
                                                   ErpSalesOrder.state == "confirmed")).one()
    return {"orders": _newest(ErpSalesOrder, "order_date", customer_id),
            "invoices": _newest(ErpInvoice, "invoice_date", customer_id),
            "payments": _newest(ErpPayment, "payment_date", customer_id),
            "order_count": count, "order_total": total}
