"""Checking customer ``extra`` data against a schema, and checking a schema itself.

Both use JSON Schema Draft 2020-12 with format checks on (dates, emails, URIs are really checked).
Errors are dicts ``{path: [messages]}`` in the user's language, the path naming the field
(``capacity_tons``, ``certifications.1``) so a form can show each message beside its input.
"""
import json
import re

from flask_babel import gettext as _, lazy_gettext as _l
from jsonschema import Draft202012Validator
from referencing.exceptions import Unresolvable

VALIDATOR = Draft202012Validator
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
FIELD_TYPES = ("string", "integer", "number", "boolean", "array")
MAX_SCHEMA_BYTES = 64_000
MAX_FIELDS = 200
MAX_DEPTH = 12
_FORMATS = {"date": (_l("日期"), "YYYY-MM-DD"), "date-time": (_l("日期时间"), "YYYY-MM-DDTHH:MM:SS+08:00"),
            "email": (_l("邮箱"), "name@example.com"), "uri": (_l("网址"), "https://…"),
            "time": (_l("时间"), "HH:MM:SS+08:00")}
_TYPE_NAMES = {"string": _l("文字"), "integer": _l("整数"), "number": _l("数字"), "boolean": _l("是/否"),
               "array": _l("列表"), "object": _l("对象"), "null": _l("空")}


def _path(parts) -> str:
    return ".".join(str(p) for p in parts) or "_schema"


def _type_names(expected) -> str:
    kinds = expected if isinstance(expected, list) else [expected]
    return "、".join(str(_TYPE_NAMES.get(k, k)) for k in kinds)


def _message(error) -> str:
    """A readable message for one jsonschema error (the library's own is English and technical)."""
    value, kind = error.validator_value, error.validator
    messages = {
        "type": lambda: _("应为%(kind)s", kind=_type_names(value)),
        "minimum": lambda: _("不能小于 %(limit)s", limit=value),
        "maximum": lambda: _("不能大于 %(limit)s", limit=value),
        "exclusiveMinimum": lambda: _("必须大于 %(limit)s", limit=value),
        "exclusiveMaximum": lambda: _("必须小于 %(limit)s", limit=value),
        "minLength": lambda: _("至少 %(count)s 个字", count=value),
        "maxLength": lambda: _("最多 %(count)s 个字", count=value),
        "minItems": lambda: _("至少选 %(count)s 项", count=value),
        "maxItems": lambda: _("最多选 %(count)s 项", count=value),
        "uniqueItems": lambda: _("不能重复"),
        "enum": lambda: _("必须是以下之一：%(options)s", options="、".join(str(v) for v in value)),
        "const": lambda: _("必须是 %(value)s", value=value),
        "pattern": lambda: _("格式不正确"),
        "multipleOf": lambda: _("必须是 %(step)s 的整数倍", step=value),
        "format": lambda: _("不是有效的%(format)s（%(example)s）", format=str(_FORMATS.get(value, (value,))[0]),
                            example=_FORMATS.get(value, (value, value))[1]),
    }
    return messages[kind]() if kind in messages else error.message


def _errors_of(validator, data) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(path, message):
        if message not in errors.setdefault(path, []):
            errors[path].append(message)

    for error in validator.iter_errors(data):
        where = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, dict):
            for name in error.validator_value:
                if name not in error.instance:
                    add(_path([*where, name]), _("必填"))
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            declared = error.schema.get("properties", {})
            patterns = error.schema.get("patternProperties", {})
            for name in error.instance:
                if name not in declared and not any(re.search(p, name) for p in patterns):
                    add(_path([*where, name]), _("没有这个字段"))
        else:
            add(_path(where), _message(error))
    return errors


def validate_extra(schema_row, data) -> dict[str, list[str]]:
    """Errors of ``data`` (a customer's ``extra``) under ``schema_row`` (a CustomFieldSchema); {} if valid."""
    validator = VALIDATOR(schema_row.schema, format_checker=VALIDATOR.FORMAT_CHECKER)
    try:
        return _errors_of(validator, data)
    except Unresolvable as exc:  # stored before $ref rules existed, or a plugin pack with a bad $ref
        return {"_schema": [_("字段模式引用了无法解析的地址：%(ref)s", ref=exc)]}


def _depth(value, level=0) -> int:
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _remote_refs(value, where=()):
    """Paths of $ref/$dynamicRef that point outside the schema (validation must never fetch URLs)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("$ref", "$dynamicRef") and not (isinstance(item, str) and item.startswith("#")):
                yield _path([*where, key])
            yield from _remote_refs(item, (*where, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _remote_refs(item, (*where, index))


def _field_rules(schema: dict) -> dict[str, list[str]]:
    """kehu's rules on top of the meta-schema: an object of named, typed fields that can be filtered."""
    errors: dict[str, list[str]] = {}
    if schema.get("type") != "object":
        errors["type"] = [_("字段模式的 type 必须是 object")]
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        errors.setdefault("properties", []).append(_("至少要定义一个字段（properties）"))
        return errors
    if len(properties) > MAX_FIELDS:
        errors.setdefault("properties", []).append(_("字段太多（最多 %(count)s 个）", count=MAX_FIELDS))
    for name, prop in properties.items():
        where = f"properties.{name}"
        if not FIELD_NAME.match(name):
            errors.setdefault(where, []).append(
                _("字段名只能用小写字母、数字和下划线，并以字母开头：%(name)s", name=name))
        if not isinstance(prop, dict):
            continue
        kinds = prop.get("type") if isinstance(prop.get("type"), list) else [prop.get("type")]
        if not any(k in FIELD_TYPES for k in kinds):
            errors.setdefault(f"{where}.type", []).append(
                _("字段类型必须是 %(types)s 之一", types=", ".join(FIELD_TYPES)))
        if not isinstance(prop.get("title"), str) or not prop.get("title", "").strip():
            errors.setdefault(f"{where}.title", []).append(_("每个字段都要有标题（title）"))
        for place, messages in _limit_rules(prop).items():
            errors.setdefault(f"{where}.{place}", []).extend(messages)
    return errors


_LIMITS = (("minimum", "maximum", _l("最大值不能小于最小值")),
           ("minLength", "maxLength", _l("最大长度不能小于最小长度")),
           ("minItems", "maxItems", _l("最多选几项不能小于最少选几项")))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _choice_rules(prop: dict, where: str) -> dict[str, list[str]]:
    """A choice needs options, each once, and as many labels (``x-enumNames``…) as options."""
    errors: dict[str, list[str]] = {}
    values = prop.get("enum")
    if not isinstance(values, list):
        return errors
    if not values:
        errors[f"{where}enum"] = [_("单选或多选至少要有一个选项")]
    elif len({json.dumps(v, sort_keys=True) for v in values}) < len(values):
        errors[f"{where}enum"] = [_("选项不能重复")]
    for names in ("enumNames", "x-enumNames", "x-enumNames-en"):
        if isinstance(prop.get(names), list) and len(prop[names]) != len(values):
            errors[f"{where}{names}"] = [_("选项名称的个数要与选项相同")]
    return errors


def _limit_rules(prop: dict) -> dict[str, list[str]]:
    """Limits that contradict each other (the meta-schema allows minimum > maximum) and empty choices."""
    errors = {upper: [str(message)] for lower, upper, message in _LIMITS
              if _is_number(prop.get(lower)) and _is_number(prop.get(upper)) and prop[lower] > prop[upper]}
    errors.update(_choice_rules(prop, ""))
    if isinstance(prop.get("items"), dict):
        errors.update(_choice_rules(prop["items"], "items."))
    return errors


def schema_problems(schema) -> dict[str, list[str]]:
    """Why ``schema`` cannot be a custom field schema ({} when it can): meta-schema, then kehu's rules."""
    if not isinstance(schema, dict):
        return {"_schema": [_("字段模式必须是 JSON 对象")]}
    if len(json.dumps(schema, ensure_ascii=False).encode()) > MAX_SCHEMA_BYTES:
        return {"_schema": [_("字段模式太大（最多 %(size)s 字节）", size=MAX_SCHEMA_BYTES)]}
    if _depth(schema) > MAX_DEPTH:
        return {"_schema": [_("字段模式嵌套太深（最多 %(depth)s 层）", depth=MAX_DEPTH)]}
    errors: dict[str, list[str]] = {}
    for where in _remote_refs(schema):
        errors.setdefault(where, []).append(_("只能引用本模式内部的定义（以 # 开头）"))
    meta = VALIDATOR(VALIDATOR.META_SCHEMA, format_checker=VALIDATOR.FORMAT_CHECKER)
    for error in meta.iter_errors(schema):
        errors.setdefault(_path(error.absolute_path), []).append(error.message)
    if errors:
        return errors
    return _field_rules(schema)
