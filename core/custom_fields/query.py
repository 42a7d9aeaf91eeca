"""Reading custom field schemas, and filtering customers on their custom fields.

The schemas: the active version of each key, any stored version, the declared fields. The filters:
SQL criteria on one field of a JSON column (``extra``) that mean the same on SQLite and PostgreSQL.
Comparisons are guarded by the JSON type of the stored value, so a record written under an older
schema version where the field had another type simply does not match (instead of failing a cast).
"""
import math
from typing import NamedTuple
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB

from kehu.custom_fields.models import CustomFieldSchema
from kehu.custom_fields.service import KEY, contributions, ensure_synced
from kehu.extensions import db
from kehu.platform.json_schema import field_kind
from kehu.web.schema_form import title_of


def _offered_origin(key, origin, contributed) -> bool:
    """Admin schemas always; a plugin's pack only while the plugin is enabled and still offers the key.

    ``contributed``: the packs by plugin, or a function giving them (asked only for a plugin's pack)."""
    if not origin.startswith("plugin:"):
        return True
    packs = (contributed() if callable(contributed) else contributed).get(origin.removeprefix("plugin:"), [])
    return any(p["key"] == key for p in packs)


def _offered(row, contributed) -> bool:
    return _offered_origin(row.key, row.origin, contributed)


def active_schemas() -> list[CustomFieldSchema]:
    """The active version of each key on offer, ordered by key."""
    ensure_synced()
    contributed = contributions()
    rows = db.session.scalars(select(CustomFieldSchema).where(CustomFieldSchema.is_active.is_(True))
                              .order_by(CustomFieldSchema.key)).all()
    return [r for r in rows if _offered(r, contributed)]


def get_schema(key: str, version: int | None = None) -> CustomFieldSchema | None:
    """Version ``version`` of ``key`` (any version ever stored), or the active one when None."""
    if not isinstance(key, str) or not KEY.match(key):
        return None
    if version is None:
        ensure_synced()
        row = db.session.scalar(select(CustomFieldSchema).where(
            CustomFieldSchema.key == key, CustomFieldSchema.is_active.is_(True)))
        return row if row is not None and _offered(row, contributions) else None
    return db.session.scalar(select(CustomFieldSchema).where(
        CustomFieldSchema.key == key, CustomFieldSchema.version == version))


class ActiveSchema(NamedTuple):
    """What validating a record needs of a key's active version: no ORM row, as every customer write asks."""
    key: str
    version: int
    schema: dict


_ACTIVE_VERSION = (select(CustomFieldSchema.version, CustomFieldSchema.origin, CustomFieldSchema.schema)
                   .where(CustomFieldSchema.key == bindparam("key"), CustomFieldSchema.is_active.is_(True)))


def active_schema(key: str) -> ActiveSchema | None:
    """The active version of ``key`` while it is on offer (as ``get_schema(key)``), read as plain columns."""
    if not isinstance(key, str) or not KEY.match(key):
        return None
    ensure_synced()
    row = db.session.execute(_ACTIVE_VERSION, {"key": key}).one_or_none()
    if row is None or not _offered_origin(key, row.origin, contributions):
        return None
    return ActiveSchema(key, row.version, row.schema)


def schema_of(customer) -> CustomFieldSchema | None:
    """The schema version a customer's ``extra`` was validated with (how to read an old record)."""
    if not customer.extra_schema or customer.extra_schema_version is None:
        return None
    return get_schema(customer.extra_schema, customer.extra_schema_version)


def versions_of(key: str) -> list[CustomFieldSchema]:
    """Every stored version of ``key``, newest first."""
    if not isinstance(key, str) or not KEY.match(key):
        return []
    ensure_synced()
    return list(db.session.scalars(select(CustomFieldSchema).where(CustomFieldSchema.key == key)
                                   .order_by(CustomFieldSchema.version.desc())))


def declared_fields() -> dict[str, dict]:
    """``{field: property schema}`` over every active schema (first by key wins on a clash)."""
    fields = {}
    for row in active_schemas():
        for name, prop in row.schema.get("properties", {}).items():
            fields.setdefault(name, prop)
    return fields


def schema_for(industry: str | None):
    """The active custom field schema whose key is the industry code (None when there is none)."""
    return get_schema(industry) if industry else None


def schema_for_customer(customer):
    """The schema version the customer's custom fields were saved with, else the industry's active one."""
    if customer.extra_schema:
        row = get_schema(customer.extra_schema, customer.extra_schema_version)
        if row is not None:
            return row
    return schema_for(customer.industry)


def schema_title(row) -> str:
    """A stored schema's title in the user's language (packs carry ``x-title-en``)."""
    return title_of({**row.schema, "title": row.title})


def schema_titles() -> dict[str, str]:
    return {row.key: schema_title(row) for row in active_schemas()}


# filtering on custom fields ----------------------------------------------------------------------
RANGE_OPS = ("gt", "gte", "lt", "lte")
MAX_ABS_NUMBER = 1e15
MAX_TEXT = 200
_TRUE = ("true", "1", "yes", "是")
_FALSE = ("false", "0", "no", "否")


class ConditionInvalid(ValueError):
    """The value or operator does not fit the field; the message says why in the user's language."""


def ops_for(kind: str) -> tuple[str, ...]:
    return {"number": ("eq", *RANGE_OPS), "date": ("eq", *RANGE_OPS), "boolean": ("eq",),
            "array": ("eq",), "string": ("eq", "contains")}[kind]


def parse_value(kind: str, value):
    """The filter value typed for comparison; raises ConditionInvalid."""
    if kind == "number":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConditionInvalid(_("不是数字：%(value)s", value=value)) from None
        if not math.isfinite(number) or abs(number) > MAX_ABS_NUMBER:
            raise ConditionInvalid(_("数字超出范围：%(value)s", value=value))
        return number
    if kind == "date":
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ConditionInvalid(_("不是有效的日期（YYYY-MM-DD）：%(value)s", value=value)) from None
    if kind == "boolean":
        text = str(value).strip().lower()
        if isinstance(value, bool) or text in _TRUE + _FALSE:
            return value if isinstance(value, bool) else text in _TRUE
        raise ConditionInvalid(_("应为 true 或 false：%(value)s", value=value))
    text = str(value)
    if "\x00" in text or not text or len(text) > MAX_TEXT:
        raise ConditionInvalid(_("值不能为空、不能超过 %(count)s 个字符", count=MAX_TEXT))
    return text


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _path(name: str) -> str:
    return f'$."{name}"'  # names are checked against FIELD_NAME, so they need no escaping


def _json_type(extra, name: str):
    """The JSON type of the stored value, as PostgreSQL names it (number/string/boolean/array...)."""
    if _postgres():
        return func.json_typeof(extra[name])
    sqlite_type = func.json_type(extra, _path(name))
    return case((sqlite_type.in_(("integer", "real")), "number"), (sqlite_type.in_(("true", "false")), "boolean"),
                (sqlite_type == "text", "string"), else_=sqlite_type)


def _compare(column, op: str, value):
    return {"eq": column == value, "gt": column > value, "gte": column >= value,
            "lt": column < value, "lte": column <= value}[op]


def _array_contains(extra, name: str, value):
    if _postgres():
        stored = func.jsonb_extract_path(cast(extra, JSONB), name)
        return stored.op("@>")(literal([value], JSONB))
    items = func.json_each(extra, _path(name)).table_valued("value")
    return select(literal(1)).select_from(items).where(items.c.value == value).exists()


def extra_criterion(extra, name: str, prop: dict, op: str, value):
    """The criterion ``extra[name] <op> value`` on the JSON column ``extra`` for a field declared as ``prop``; raises ConditionInvalid."""
    kind = field_kind(prop)
    if op not in ops_for(kind):
        raise ConditionInvalid(_("这个字段不支持 %(op)s 比较（可用：%(ops)s）", op=op, ops=", ".join(ops_for(kind))))
    typed = parse_value(kind, value)
    if kind == "number":
        number = case((_json_type(extra, name) == "number", extra[name].as_float()))
        return _compare(number, op, typed)
    if kind == "boolean":
        if not _postgres():
            return func.json_type(extra, _path(name)) == ("true" if typed else "false")
        return and_(_json_type(extra, name) == "boolean", extra[name].as_string() == str(typed).lower())
    if kind == "array":
        return _array_contains(extra, name, typed)
    text = extra[name].as_string()
    if kind == "date":
        return and_(_json_type(extra, name) == "string", _compare(text, op, typed.isoformat()))
    if op == "contains":
        return and_(_json_type(extra, name) == "string", text.contains(typed, autoescape=True))
    return and_(_json_type(extra, name) == "string", text == typed)
