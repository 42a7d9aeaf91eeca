"""The dashboard's figures, each counting only the customers the user may see.

They are read from ``customer_count`` (kept by triggers on ``customer``: a few thousand rows however
many customers there are) with the user's record scope. A count table cannot apply the criteria a
plugin adds to customer queries (hook ``customer_query_filters``), so while a plugin adds some for
the user the figures are counted directly on ``customer``, as the customer list would count them.
"""
from flask_babel import gettext as _
from sqlalchemy import func, select

from kehu.customers import regions
from kehu.customers.models import Customer, CustomerCount, counted_keys
from kehu.customers.query import CustomerFilter, criteria, plugin_criteria
from kehu.extensions import db
from kehu.interactions.models import Interaction
from kehu.platform.permissions import scope_criterion
from kehu.platform.time import china_now
from kehu.web import labels

GROWTH_MONTHS = 12
TOP_COUNTIES = 15


def counts(user, dimension: str) -> dict[str, int]:
    """``{key: customers}`` of one dimension of ``customer_count`` ("" is none), within ``user``'s view."""
    if plugin_criteria(user):
        found = _direct_counts(user, dimension)
    else:
        found = dict(db.session.execute(
            select(CustomerCount.key, func.sum(CustomerCount.count))
            .where(CustomerCount.dimension == dimension,
                   scope_criterion(user, CustomerCount.owner_id, CustomerCount.team_id))
            .group_by(CustomerCount.key)).all())
    return {key: int(n) for key, n in found.items() if n}


def _direct_counts(user, dimension: str) -> dict[str, int]:
    key = counted_keys(db.session.get_bind().dialect.name)[dimension]
    return dict(db.session.execute(
        select(key, func.count(Customer.id)).where(*criteria(CustomerFilter(), user)).group_by(key)).all())


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
    by_month = counts(user, "month")
    before = sum(n for m, n in by_month.items() if m < months[0])
    new, total, running = [], [], before
    for m in months:
        running += by_month.get(m, 0)
        new.append(by_month.get(m, 0))
        total.append(running)
    return {"months": months, "new": new, "total": total}


def _largest_first(found: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(found.items(), key=lambda item: (-item[1], item[0]))


def by_county(user) -> list[dict]:
    found = counts(user, "county")
    found.pop("", None)
    return [{"code": code, "name": _county_name(code), "count": count}
            for code, count in _largest_first(found)[:TOP_COUNTIES]]


def _county_name(code: str) -> str:
    """"济宁市任城区" reads better than "任城区" when counties of several cities are compared."""
    city = regions.region_name(code[:4] + "00") or ""
    return city + (regions.region_name(code) or code)


def by_industry(user) -> list[dict]:
    return [{"code": code or None, "name": str(labels.label(labels.INDUSTRIES, code)) if code else _("未填写"),
             "count": count} for code, count in _largest_first(counts(user, "industry"))]


def funnel(user) -> dict:
    found = counts(user, "status")
    stages = [{"code": s, "name": str(labels.CUSTOMER_STATUSES[s]), "count": found.get(s, 0)}
              for s in labels.FUNNEL_STATUSES]
    return {"stages": stages, "lost": found.get("lost", 0)}


def total_customers(user) -> int:
    return sum(counts(user, "status").values())  # every customer has exactly one status


def planned_count(user) -> int:
    return db.session.scalar(select(func.count(Interaction.id)).where(
        Interaction.status == "planned", Interaction.user_id == user.id))
