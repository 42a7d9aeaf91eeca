"""SQL criteria on one field of ``Customer.extra`` that mean the same on SQLite and PostgreSQL.

Comparisons are guarded by the JSON type of the stored value, so a record written under an older
schema version where the field had another type simply does not match (instead of failing a cast).
"""
import math
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import and_, case, cast, func, literal, select
from sqlalchemy.dialects.postgresql import JSONB

from kehu.extensions import db
from kehu.models import Customer

RANGE_OPS = ("gt", "gte", "lt", "lte")
MAX_ABS_NUMBER = 1e15
MAX_TEXT = 200
_TRUE = ("true", "1", "yes", "是")
_FALSE = ("false", "0", "no", "否")


class ConditionInvalid(ValueError):
    """The value or operator does not fit the field; the message says why in the user's language."""


def field_kind(prop: dict) -> str:
    """number, boolean, date, array or string: how a declared field is compared."""
    kinds = prop.get("type") if isinstance(prop.get("type"), list) else [prop.get("type")]
    kind = next((k for k in kinds if k and k != "null"), "string")
    if kind in ("integer", "number"):
        return "number"
    if kind == "string" and prop.get("format") == "date":
        return "date"
    return kind if kind in ("boolean", "array") else "string"


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


def _json_type(name: str):
    """The JSON type of the stored value, as PostgreSQL names it (number/string/boolean/array...)."""
    if _postgres():
        return func.json_typeof(Customer.extra[name])
    sqlite_type = func.json_type(Customer.extra, _path(name))
    return case((sqlite_type.in_(("integer", "real")), "number"), (sqlite_type.in_(("true", "false")), "boolean"),
                (sqlite_type == "text", "string"), else_=sqlite_type)


def _compare(column, op: str, value):
    return {"eq": column == value, "gt": column > value, "gte": column >= value,
            "lt": column < value, "lte": column <= value}[op]


def _array_contains(name: str, value):
    if _postgres():
        stored = func.jsonb_extract_path(cast(Customer.extra, JSONB), name)
        return stored.op("@>")(literal([value], JSONB))
    items = func.json_each(Customer.extra, _path(name)).table_valued("value")
    return select(literal(1)).select_from(items).where(items.c.value == value).exists()


def extra_criterion(name: str, prop: dict, op: str, value):
    """The criterion ``extra[name] <op> value`` for a field declared as ``prop``; raises ConditionInvalid."""
    kind = field_kind(prop)
    if op not in ops_for(kind):
        raise ConditionInvalid(_("这个字段不支持 %(op)s 比较（可用：%(ops)s）", op=op, ops=", ".join(ops_for(kind))))
    typed = parse_value(kind, value)
    if kind == "number":
        number = case((_json_type(name) == "number", Customer.extra[name].as_float()))
        return _compare(number, op, typed)
    if kind == "boolean":
        if not _postgres():
            return func.json_type(Customer.extra, _path(name)) == ("true" if typed else "false")
        return and_(_json_type(name) == "boolean", Customer.extra[name].as_string() == str(typed).lower())
    if kind == "array":
        return _array_contains(name, typed)
    text = Customer.extra[name].as_string()
    if kind == "date":
        return and_(_json_type(name) == "string", _compare(text, op, typed.isoformat()))
    if op == "contains":
        return and_(_json_type(name) == "string", text.contains(typed, autoescape=True))
    return and_(_json_type(name) == "string", text == typed)
