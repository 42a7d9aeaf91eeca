"""Customer facts from ERP purchase history, for filters and segments (``segment_fields`` hook).

Each criterion is a correlated subquery over erp_sales_order, so it composes with every other
customer filter and runs the same on SQLite and PostgreSQL. Only confirmed orders count (a
quotation or a cancelled order is not a purchase). ``days`` limits the period to the last N
days, counted in China dates; None means all time.
"""
import operator
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from kehu_sdk.customers import Customer
from kehu_sdk.time import china_now
from kehu_plugins.erp.models import ErpSalesOrder

OPS = {"eq": operator.eq, "gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


class FactInvalid(ValueError):
    """A fact filter with an unknown operator or a value of the wrong type."""


def _orders_of_customer(days):
    where = [ErpSalesOrder.customer_id == Customer.id, ErpSalesOrder.state == "confirmed"]
    if days is not None:
        if int(days) < 1:
            raise FactInvalid("days must be at least 1")
        where.append(ErpSalesOrder.order_date > china_now().date() - timedelta(days=int(days)))
    return where


def _compare(op, left, right):
    if op not in OPS:
        raise FactInvalid(f"unknown operator {op!r}; use one of {', '.join(OPS)}")
    return OPS[op](left, right)


def order_count(op, value, days=None):
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FactInvalid(f"not a whole number: {value!r}") from None
    count = select(func.count(ErpSalesOrder.id)).where(*_orders_of_customer(days)).scalar_subquery()
    return _compare(op, count, number)


def order_amount(op, value, days=None):
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise FactInvalid(f"not an amount: {value!r}") from None
    total = select(func.coalesce(func.sum(ErpSalesOrder.amount), 0)).where(
        *_orders_of_customer(days)).scalar_subquery()
    return _compare(op, total, amount)


def last_order_date(op, value, days=None):
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise FactInvalid(f"not a date (YYYY-MM-DD): {value!r}") from None
    last = select(func.max(ErpSalesOrder.order_date)).where(*_orders_of_customer(days)).scalar_subquery()
    return _compare(op, last, day)


def segment_fields():
    return [
        {"name": "erp_order_count", "title": _l("ERP 订单数"), "type": "integer", "criterion": order_count},
        {"name": "erp_last_order_date", "title": _l("最近下单日期"), "type": "date", "criterion": last_order_date},
        {"name": "erp_order_amount", "title": _l("ERP 订单金额合计（元）"), "type": "number", "criterion": order_amount},
    ]
