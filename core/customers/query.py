"""The one query builder for customer filters, used by list, search, segments and exports.

``filter_from_args`` turns query arguments (or the same dict stored as JSON, e.g. an SMS campaign's
audience) into a ``CustomerFilter``; ``filter_to_args`` is its inverse. Besides the plain columns a
filter can test custom fields (``extra.<field>[__op]=value``) and plugin facts
(``fact=<name>:<op>:<value>[:<days>]``, hook ``segment_fields``).
"""
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _
from marshmallow import EXCLUDE, ValidationError, fields as ma_fields
from sqlalchemy import and_, func, select, tuple_

from kehu.custom_fields.query import ConditionInvalid, declared_fields, extra_criterion, ops_for
from kehu.customers import phones, regions, search
from sqlalchemy.orm import selectinload

from kehu.accounts.models import User
from kehu.customers.models import Contact, Customer, CustomerCount
from kehu.customers.schemas import CustomerListArgs
from kehu.extensions import db
from kehu.platform.json_schema import field_kind
from kehu.platform.pagination import ONE_PASS, encode_cursor
from kehu.platform.permissions import scope_criterion
from kehu.tags.models import Tag, customer_tags

SORTS = {
    "name": Customer.name_pinyin, "created_at": Customer.created_at,
    "updated_at": Customer.updated_at, "status": Customer.status,
}
EXTRA_PREFIX = "extra."
EXTRA_OPS = ("eq", "gt", "gte", "lt", "lte", "contains")
FACT_OPS = ("eq", "gt", "gte", "lt", "lte")
FACT_TYPES = ("integer", "number", "date")
MAX_FACT_DAYS = 36_500
MAX_CONDITIONS = 20
# the arguments that choose customers, besides extra.<field>: a cursor says where a page starts, not which
FILTER_ARGS = tuple(name for name in CustomerListArgs().fields if name != "cursor")


class FilterInvalid(ValueError):
    """A filter argument is wrong; ``errors`` maps each argument to messages in the user's language."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


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
    # custom fields: {"<field>": value} is equality, {"<field>__gte": value} etc. (EXTRA_OPS)
    extra: dict = field(default_factory=dict)
    # plugin facts (hook segment_fields): (name, op, value, days or None)
    facts: list = field(default_factory=list)


def _tags_criterion(names: list[str], mode: str):
    tagged = (select(customer_tags.c.customer_id)
              .join(Tag, Tag.id == customer_tags.c.tag_id).where(Tag.name.in_(names)))
    if mode == "any" or len(set(names)) == 1:  # one tag needs no count of distinct tags per customer
        return Customer.id.in_(tagged)
    having_all = tagged.group_by(customer_tags.c.customer_id).having(
        func.count(func.distinct(Tag.id)) == len(set(names)))
    return Customer.id.in_(having_all)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def criteria(filters: CustomerFilter, user) -> list:
    """Every WHERE criterion for ``filters`` as seen by ``user`` (scope and plugin filters included)."""
    found = [Customer.deleted_at.is_(None), scope_criterion(user, Customer.owner_id, Customer.team_id)]
    if filters.q and filters.q.strip():
        found.append(search.criterion(filters.q, user.has_permission("customer.pii"), _dialect()))
    if filters.status:
        found.append(Customer.status.in_(filters.status))
    if filters.kind:
        found.append(Customer.kind == filters.kind)
    if filters.tags:
        found.append(_tags_criterion(filters.tags, filters.tag_mode))
    if filters.region:
        # a range, not LIKE '3708%': a B-tree serves it under any collation (codes are six digits)
        prefix = regions.prefix_of(filters.region)
        found.append(Customer.region_code.between(prefix.ljust(6, "0"), prefix.ljust(6, "9")))
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
    found.extend(_extra_criteria(filters.extra))
    found.extend(_fact_criteria(filters.facts))
    found.extend(plugin_criteria(user))
    return found


def known_total(filters: CustomerFilter, user) -> int | None:
    """How many customers an unfiltered list of ``user`` has, from ``customer_count`` without counting
    a million rows; None when ``filters`` narrow the list or a plugin adds criteria for the user."""
    narrowing = {name: value for name, value in vars(filters).items() if name not in ("sort", "tag_mode")}
    if any(value not in (None, "", [], {}) for value in narrowing.values()) or plugin_criteria(user):
        return None
    return int(db.session.scalar(
        select(func.coalesce(func.sum(CustomerCount.count), 0)).where(
            CustomerCount.dimension == "status",
            scope_criterion(user, CustomerCount.owner_id, CustomerCount.team_id))))


def plugin_criteria(user) -> list:
    """The criteria enabled plugins add to every customer query of ``user`` (hook ``customer_query_filters``)."""
    found = []
    for contributed in current_app.extensions["kehu_plugins"].hook("customer_query_filters")(user=user):
        found.extend(contributed or [])
    return found


def customer_select(filters: CustomerFilter, user, after: tuple | None = None):
    """SELECT of customers matching ``filters`` for ``user``, sorted (id breaks ties); ``after`` is a
    keyset cursor's (sort value, id): only the rows after that one, so deep pages need no OFFSET."""
    descending = filters.sort.startswith("-")
    column = SORTS[filters.sort.lstrip("-")]
    order = [column.desc(), Customer.id.desc()] if descending else [column.asc(), Customer.id.asc()]
    found = criteria(filters, user)
    if after is not None:
        keys, values = tuple_(column, Customer.id), tuple_(*after)
        found.append(keys < values if descending else keys > values)
    # the owner and team of the page's rows in their own small queries: joined to the SELECT they would be
    # joined to every matching row before the sort and LIMIT (SQLite cannot push the LIMIT past them)
    query = (select(Customer).where(and_(*found)).order_by(*order)
             .options(selectinload(Customer.owner), selectinload(Customer.team)))
    # a search's matches come from its index and are read whole for the sort: count them in that pass
    return query.execution_options(**{ONE_PASS: True}) if filters.q else query


def cursor_after(filters: CustomerFilter, customer: Customer) -> str:
    """The keyset cursor of the rows after ``customer`` in the list sorted by ``filters.sort``."""
    value = getattr(customer, SORTS[filters.sort.lstrip("-")].key)
    return encode_cursor(filters.sort, value, customer.id)


def visible_customer(customer_id: int, user):
    """The customer if it exists, is not deleted and ``user``'s scope covers it; else None."""
    return db.session.scalar(select(Customer).where(
        Customer.id == customer_id, Customer.deleted_at.is_(None),
        scope_criterion(user, Customer.owner_id, Customer.team_id)))


# matching an outside identity to a customer ------------------------------------------------------
def match_customer(identity: dict) -> Customer | None:
    """The customer an outside identity (a phone that replied, an ERP record, a WeChat user…) belongs to.

    ``identity`` is a dict: ``phone`` (as typed anywhere), optionally ``exclude`` (customer ids to pass
    over) and whatever else a plugin's ``match_customer`` hook understands. The hook comes first
    (firstresult: the first plugin in hook order that answers an id wins); then core's one rule:

    - only customers that are not deleted; a customer's own phone wins over a contact's phone;
    - among several customers with the number at the same level, the oldest (lowest id) wins, so a
      match stays put when a duplicate is added later (merging duplicates removes the ambiguity).
    """
    found = current_app.extensions["kehu_plugins"].hook("match_customer")(identity=identity)
    if found is not None:
        customer = db.session.get(Customer, found)
        return customer if customer is not None and customer.deleted_at is None else None
    try:
        index = phones.blind_index(phones.normalize(str(identity.get("phone") or "")))
    except phones.InvalidPhone:
        return None
    exclude = [int(i) for i in identity.get("exclude") or ()]
    alive = [Customer.deleted_at.is_(None), Customer.id.not_in(exclude)] if exclude else [Customer.deleted_at.is_(None)]
    by_contact = select(Contact.customer_id).where(Contact.phone_index == index)
    for criterion in (Customer.phone_index == index, Customer.id.in_(by_contact)):
        customer = db.session.scalar(select(Customer).where(criterion, *alive).order_by(Customer.id).limit(1))
        if customer is not None:
            return customer
    return None


# custom fields and facts ---------------------------------------------------------------------
def _split_condition(key: str) -> tuple[str, str]:
    name, _sep, op = key.partition("__")
    return name, op or "eq"


def _extra_criteria(conditions: dict) -> list:
    if not conditions:
        return []
    declared = declared_fields()
    found, errors = [], {}
    for key, value in conditions.items():
        name, op = _split_condition(key)
        arg = f"{EXTRA_PREFIX}{key}"
        if name not in declared:
            errors[arg] = [_("没有这个自定义字段：%(name)s", name=name)]
            continue
        try:
            found.append(extra_criterion(Customer.extra, name, declared[name], op, value))
        except ConditionInvalid as exc:
            errors[arg] = [str(exc)]
    if errors:
        raise FilterInvalid(errors)
    return found


def available_facts() -> dict[str, dict]:
    """``{name: {"name", "title", "type", "criterion"}}`` from the enabled plugins' ``segment_fields``."""
    found = {}
    for contributed in current_app.extensions["kehu_plugins"].hook("segment_fields")():
        for fact in contributed or []:
            if isinstance(fact, dict) and fact.get("type") in FACT_TYPES and callable(fact.get("criterion")):
                found.setdefault(fact["name"], fact)
    return found


def _fact_value(kind: str, text):
    if kind == "date":
        return text if isinstance(text, date) else date.fromisoformat(str(text))
    number = int(text) if kind == "integer" else float(text)
    if abs(number) > 1e15 or number != number:
        raise ValueError(text)
    return number


def parse_fact(text: str, facts: dict | None = None) -> tuple:
    """``"erp_order_count:gt:3:90"`` -> ``("erp_order_count", "gt", 3, 90)``; raises FilterInvalid."""
    facts = available_facts() if facts is None else facts
    parts = str(text).split(":")
    if len(parts) not in (3, 4):
        raise FilterInvalid({"fact": [_("格式应为 名称:比较:值[:天数]，例如 erp_order_count:gt:3:90")]})
    name, op, value = parts[:3]
    if name not in facts:
        raise FilterInvalid({"fact": [_("没有这个客户指标：%(name)s", name=name)]})
    if op not in FACT_OPS:
        raise FilterInvalid({"fact": [_("比较方式只能是 %(ops)s", ops=", ".join(FACT_OPS))]})
    try:
        typed = _fact_value(facts[name]["type"], value)
    except (TypeError, ValueError):
        raise FilterInvalid({"fact": [_("%(name)s 的值无效：%(value)s", name=name, value=value)]}) from None
    days = None
    if len(parts) == 4:
        if not (parts[3].isdigit() and 1 <= int(parts[3]) <= MAX_FACT_DAYS):
            raise FilterInvalid({"fact": [_("天数应为 1 到 %(max)s 的整数", max=MAX_FACT_DAYS)]})
        days = int(parts[3])
    return name, op, typed, days


def _fact_criteria(conditions: list) -> list:
    if not conditions:
        return []
    facts = available_facts()
    found = []
    for condition in conditions:
        name, op, value, days = condition if isinstance(condition, (tuple, list)) else parse_fact(condition, facts)
        if name not in facts or op not in FACT_OPS:
            raise FilterInvalid({"fact": [_("没有这个客户指标：%(name)s", name=name)]})
        try:
            found.append(facts[name]["criterion"](op, value, days))
        except (TypeError, ValueError) as exc:  # the plugin refused the value
            raise FilterInvalid({"fact": [_("%(name)s 的值无效：%(value)s", name=name, value=exc)]}) from None
    return found


def filter_fields() -> dict:
    """What can be filtered beyond the plain columns: ``{"extra": [...], "facts": [...]}``.

    Each entry is ``{"name", "title", "kind", "ops", "options"}`` (options: the enum values).
    """
    extra = []
    for name, prop in declared_fields().items():
        kind = field_kind(prop)
        choices = (prop.get("items") or {}) if kind == "array" else prop
        extra.append({"name": name, "title": prop.get("title", name), "kind": kind, "ops": list(ops_for(kind)),
                      "options": list(choices.get("enum", []))})
    facts = [{"name": name, "title": str(fact.get("title", name)), "kind": fact["type"], "ops": list(FACT_OPS),
              "options": []} for name, fact in sorted(available_facts().items())]
    return {"extra": extra, "facts": facts}


# arguments <-> filter --------------------------------------------------------------------------
def _values(args: Mapping) -> dict[str, list]:
    """Every argument as a list of values, from a MultiDict (query string) or a plain JSON dict."""
    if hasattr(args, "getlist"):
        return {key: args.getlist(key) for key in args.keys()}
    return {key: list(value) if isinstance(value, (list, tuple)) else [value] for key, value in args.items()}


def filter_from_args(args: Mapping) -> CustomerFilter:
    """A CustomerFilter from query arguments or their JSON form; raises FilterInvalid ({arg: [messages]}).

    Arguments that are not filters (``page``, ``page_size``) are ignored.
    """
    values = _values(args)
    schema = CustomerListArgs(unknown=EXCLUDE)
    plain = {name: (values[name] if isinstance(f, ma_fields.List) else values[name][0])
             for name, f in schema.load_fields.items() if name in values}
    errors = {}
    try:
        loaded = schema.load(plain)
    except ValidationError as exc:
        errors.update(exc.messages)
        loaded = exc.valid_data or {}
    extra = {}
    conditions = [(key, items) for key, items in values.items() if key.startswith(EXTRA_PREFIX)]
    if len(conditions) + len(loaded.get("fact", [])) > MAX_CONDITIONS:
        errors["_filter"] = [_("条件太多（最多 %(count)s 个）", count=MAX_CONDITIONS)]
        conditions = []
    for key, items in conditions:
        name, op = _split_condition(key.removeprefix(EXTRA_PREFIX))
        if op not in EXTRA_OPS or len(items) != 1:
            errors[key] = [_("比较方式只能是 %(ops)s，且每个条件只写一次", ops=", ".join(EXTRA_OPS))]
            continue
        extra[key.removeprefix(EXTRA_PREFIX)] = items[0]
    try:
        _extra_criteria(extra)  # checks names, operators and values now, so the caller gets a 422
    except FilterInvalid as exc:
        errors.update(exc.errors)
    facts = []
    if loaded.get("fact"):
        known = available_facts()
        for text in loaded.pop("fact"):
            try:
                facts.append(parse_fact(text, known))
            except FilterInvalid as exc:
                errors.setdefault("fact", []).extend(exc.errors["fact"])
        try:
            _fact_criteria(facts)
        except FilterInvalid as exc:
            errors.setdefault("fact", []).extend(exc.errors["fact"])
    loaded.pop("fact", None)
    loaded.pop("cursor", None)  # where the page starts, not which customers
    if errors:
        raise FilterInvalid(errors)
    return CustomerFilter(**loaded, extra=extra, facts=facts)


def _arg_text(value) -> str:
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


def filter_to_args(filters: CustomerFilter) -> dict:
    """The JSON-safe arguments ``filter_from_args`` turns back into an equal filter."""
    defaults = CustomerFilter()
    args = {}
    for name in ("q", "status", "kind", "tags", "tag_mode", "region", "industry", "owner_id", "team_id",
                 "created_from", "created_to", "sort"):
        value = getattr(filters, name)
        if value != getattr(defaults, name) and value not in (None, [], ""):
            args[name] = [_arg_text(v) for v in value] if isinstance(value, list) else _arg_text(value)
    for key, value in filters.extra.items():
        args[f"{EXTRA_PREFIX}{key}"] = _arg_text(value).lower() if isinstance(value, bool) else _arg_text(value)
    if filters.facts:
        args["fact"] = [":".join(_arg_text(p) for p in fact if p is not None) for fact in filters.facts]
    return args


def assignable_owners(user) -> list:
    """The users ``user`` may make owners: everybody, the team, or only themself (scope all, team, own)."""
    query = select(User).where(User.active.is_(True)).order_by(User.display_name)
    if user.scope == "team" and user.team_id is not None:
        query = query.where(User.team_id == user.team_id)
    elif user.scope != "all":
        query = query.where(User.id == user.id)
    return list(db.session.scalars(query))
