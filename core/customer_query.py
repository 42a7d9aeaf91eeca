"""The one query builder for customer filters, used by list, search, segments and exports."""
import re
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from sqlalchemy import and_, func, or_, select

from kehu import phones, regions
from kehu.auth.permissions import scope_criterion
from kehu.extensions import db
from kehu.models import Contact, Customer, Tag, customer_tags

SORTS = {
    "name": Customer.name_pinyin, "created_at": Customer.created_at,
    "updated_at": Customer.updated_at, "status": Customer.status,
}
_DIGITS = re.compile(r"^[\d\s+\-()０-９]{4,}$")


@dataclass
class CustomerFilter:
    q: str | None = None
    status: list[str] = field(default_factory=list)
    kind: str | None = None
    tags: list[str] = field(default_factory=list)
    tag_mode: str = "all"
    region: str | None = None
    industry: list[str] = field(default_factory=list)
    owner_id: int | None = None
    team_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    sort: str = "-created_at"


def _text_criterion(q: str):
    q = q.strip()
    like = f"%{q}%"
    options = [Customer.name.ilike(like), Customer.company.ilike(like)]
    compact = re.sub(r"\s+", "", q).lower()
    if compact.isascii() and compact.isalnum():
        options.append(Customer.name_pinyin.like(f"%{compact}%"))
    if _DIGITS.match(q):
        try:
            index = phones.blind_index(phones.normalize(q))
        except phones.InvalidPhone:
            digits = re.sub(r"\D", "", q.translate(str.maketrans("０１２３４５６７８９", "0123456789")))
            if len(digits) == 4:
                options.append(Customer.phone_last4 == digits)
        else:
            contact_match = select(Contact.customer_id).where(Contact.phone_index == index)
            options += [Customer.phone_index == index, Customer.id.in_(contact_match)]
    return or_(*options)


def _tags_criterion(names: list[str], mode: str):
    tagged = (select(customer_tags.c.customer_id)
              .join(Tag, Tag.id == customer_tags.c.tag_id).where(Tag.name.in_(names)))
    if mode == "any":
        return Customer.id.in_(tagged)
    having_all = tagged.group_by(customer_tags.c.customer_id).having(
        func.count(func.distinct(Tag.id)) == len(set(names)))
    return Customer.id.in_(having_all)


def criteria(filters: CustomerFilter, user) -> list:
    """Every WHERE criterion for ``filters`` as seen by ``user`` (scope and plugin filters included)."""
    found = [Customer.deleted_at.is_(None), scope_criterion(user, Customer.owner_id, Customer.team_id)]
    if filters.q and filters.q.strip():
        found.append(_text_criterion(filters.q))
    if filters.status:
        found.append(Customer.status.in_(filters.status))
    if filters.kind:
        found.append(Customer.kind == filters.kind)
    if filters.tags:
        found.append(_tags_criterion(filters.tags, filters.tag_mode))
    if filters.region:
        found.append(Customer.region_code.startswith(regions.prefix_of(filters.region), autoescape=True))
    if filters.industry:
        found.append(Customer.industry.in_(filters.industry))
    if filters.owner_id is not None:
        found.append(Customer.owner_id == filters.owner_id)
    if filters.team_id is not None:
        found.append(Customer.team_id == filters.team_id)
    if filters.created_from:
        found.append(Customer.created_at >= filters.created_from)
    if filters.created_to:
        found.append(Customer.created_at < filters.created_to)
    for plugin_criteria in current_app.extensions["kehu_plugins"].hook("customer_query_filters")(user=user):
        found.extend(plugin_criteria or [])
    return found


def customer_select(filters: CustomerFilter, user):
    """SELECT of customers matching ``filters`` for ``user``, sorted (id breaks ties)."""
    descending = filters.sort.startswith("-")
    column = SORTS[filters.sort.lstrip("-")]
    order = [column.desc(), Customer.id.desc()] if descending else [column.asc(), Customer.id.asc()]
    return select(Customer).where(and_(*criteria(filters, user))).order_by(*order)


def visible_customer(customer_id: int, user):
    """The customer if it exists, is not deleted and ``user``'s scope covers it; else None."""
    return db.session.scalar(select(Customer).where(
        Customer.id == customer_id, Customer.deleted_at.is_(None),
        scope_criterion(user, Customer.owner_id, Customer.team_id)))
