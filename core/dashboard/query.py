"""The dashboard's figures, each counting only the customers the user may see."""
from flask_babel import gettext as _
from sqlalchemy import func, select

from kehu.customers import regions
from kehu.customers.models import Customer
from kehu.customers.query import CustomerFilter, criteria
from kehu.extensions import db
from kehu.interactions.models import Interaction
from kehu.platform.time import CHINA_TZ_NAME, china_now
from kehu.web import labels

GROWTH_MONTHS = 12
TOP_COUNTIES = 15


def _visible(user):
    return criteria(CustomerFilter(), user)


def _month_of(column):
    """``YYYY-MM`` of a timestamp, in China time (users read months as local months)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(CHINA_TZ_NAME, column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")  # China keeps UTC+8 all year


def _months(count: int) -> list[str]:
    now = china_now()
    year, month = now.year, now.month
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return found[::-1]


def growth(user) -> dict:
    months = _months(GROWTH_MONTHS)
    month = _month_of(Customer.created_at)
    counts = dict(db.session.execute(
        select(month, func.count(Customer.id)).where(*_visible(user)).group_by(month)).all())
    before = sum(n for m, n in counts.items() if m < months[0])
    new, total, running = [], [], before
    for m in months:
        running += counts.get(m, 0)
        new.append(counts.get(m, 0))
        total.append(running)
    return {"months": months, "new": new, "total": total}


def by_county(user) -> list[dict]:
    rows = db.session.execute(
        select(Customer.region_code, func.count(Customer.id)).where(*_visible(user), Customer.region_code.is_not(None))
        .group_by(Customer.region_code).order_by(func.count(Customer.id).desc(), Customer.region_code)
        .limit(TOP_COUNTIES)).all()
    return [{"code": code, "name": _county_name(code), "count": count} for code, count in rows]


def _county_name(code: str) -> str:
    """"济宁市任城区" reads better than "任城区" when counties of several cities are compared."""
    city = regions.region_name(code[:4] + "00") or ""
    return city + (regions.region_name(code) or code)


def by_industry(user) -> list[dict]:
    rows = db.session.execute(
        select(Customer.industry, func.count(Customer.id)).where(*_visible(user))
        .group_by(Customer.industry).order_by(func.count(Customer.id).desc())).all()
    return [{"code": code, "name": str(labels.label(labels.INDUSTRIES, code)) if code else _("未填写"),
             "count": count} for code, count in rows]


def funnel(user) -> dict:
    counts = dict(db.session.execute(
        select(Customer.status, func.count(Customer.id)).where(*_visible(user)).group_by(Customer.status)).all())
    stages = [{"code": s, "name": str(labels.CUSTOMER_STATUSES[s]), "count": counts.get(s, 0)}
              for s in labels.FUNNEL_STATUSES]
    return {"stages": stages, "lost": counts.get("lost", 0)}


def total_customers(user) -> int:
    return db.session.scalar(select(func.count(Customer.id)).where(*_visible(user)))


def planned_count(user) -> int:
    return db.session.scalar(select(func.count(Interaction.id)).where(
        Interaction.status == "planned", Interaction.user_id == user.id))
