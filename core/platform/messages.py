"""Marshmallow's built-in messages are English; the API and the forms say them in the user's language."""
import re

from flask_babel import gettext as _

_N = r"(-?[\d.eE+]+)"
_OPS = {"greater than or equal to": "≥", "greater than": ">", "less than or equal to": "≤", "less than": "<"}
_OP = r"(greater than or equal to|greater than|less than or equal to|less than)"

# Every message marshmallow's fields, schemas and validators have (tests/web/test_i18n.py checks the
# list against marshmallow's own), in the order tried: the first match wins.
_MESSAGES = [
    (re.compile(r"^Missing data for required field\.$"), lambda m: _("必填")),
    (re.compile(r"^Field may not be null\.$"), lambda m: _("必填")),
    (re.compile(r"^Shorter than minimum length 1\.$"), lambda m: _("必填")),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), lambda m: _("至少 %(min)s 个字符", min=m.group(1))),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), lambda m: _("最多 %(max)s 个字符", max=m.group(1))),
    (re.compile(r"^Length must be between 1 and (\d+)\.$"), lambda m: _("必填，最多 %(max)s 个字符", max=m.group(1))),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
     lambda m: _("长度应在 %(min)s 到 %(max)s 之间", min=m.group(1), max=m.group(2))),
    (re.compile(r"^Length must be (\d+)\.$"), lambda m: _("长度应为 %(count)s", count=m.group(1))),
    (re.compile(r"^Not a valid email address\.$"), lambda m: _("邮箱地址无效")),
    (re.compile(r"^Not a valid date\.$"), lambda m: _("日期无效")),
    (re.compile(r"^Not a valid (?:aware |naive )?datetime\.$"), lambda m: _("时间无效")),
    (re.compile(r"^Not a valid (?:aware |naive )?time\.$"), lambda m: _("时间无效")),
    (re.compile(r'^".*" cannot be formatted as a (?:date|datetime|time)\.$'), lambda m: _("时间无效")),
    (re.compile(r"^Not a valid period of time\.$|^.* cannot be formatted as a timedelta\.$"), lambda m: _("时长无效")),
    (re.compile(r"^Not a valid integer\.$"), lambda m: _("请输入整数")),
    (re.compile(r"^Not a valid number\.$"), lambda m: _("请输入数字")),
    (re.compile(r"^Number too large\.$"), lambda m: _("数字太大")),
    (re.compile(r"^Special numeric values \(nan or infinity\) are not permitted\.$"), lambda m: _("请输入有限的数字")),
    (re.compile(r"^Not a valid boolean\.$"), lambda m: _("应为 true 或 false")),
    (re.compile(r"^Not a valid (?:utf-8 )?string\.$"), lambda m: _("应为文本")),
    (re.compile(r"^Not a valid list\.$"), lambda m: _("应为列表")),
    (re.compile(r"^Not a valid tuple\.$"), lambda m: _("应为列表")),
    (re.compile(r"^Not a valid mapping type\.$"), lambda m: _("应为对象（键值对）")),
    (re.compile(r"^Not a valid URL\.$"), lambda m: _("网址无效")),
    (re.compile(r"^Not a valid UUID\.$"), lambda m: _("UUID 无效")),
    (re.compile(r"^Not a valid IP(?:v4|v6)? (?:address|interface)\.$"), lambda m: _("IP 地址无效")),
    (re.compile(r"^Unknown field\.$"), lambda m: _("不认识的字段")),
    (re.compile(r"^Invalid input type\.$|^Invalid type\.$"), lambda m: _("类型不对")),
    (re.compile(r"^Invalid value\.$|^Invalid input\.$"), lambda m: _("值无效")),
    (re.compile(r"^String does not match expected pattern\.$"), lambda m: _("格式不对")),
    (re.compile(r"^Must be equal to (.*)\.$"), lambda m: _("应等于 %(value)s", value=m.group(1))),
    (re.compile(r"^Must be one of: .*$"), lambda m: _("请选择列表中的一项")),
    (re.compile(r"^One or more of the choices you made was not in: .*$"), lambda m: _("有选项不在列表中")),
    (re.compile(r"^One or more of the choices you made was in: .*$"), lambda m: _("有选项不允许")),
    (re.compile(rf"^Must be greater than or equal to {_N} and less than or equal to {_N}\.$"),
     lambda m: _("应在 %(min)s 到 %(max)s 之间", min=m.group(1), max=m.group(2))),
    (re.compile(rf"^Must be {_OP} {_N} and {_OP} {_N}\.$"),
     lambda m: _("应 %(min_op)s %(min)s 且 %(max_op)s %(max)s", min_op=_OPS[m.group(1)], min=m.group(2),
                 max_op=_OPS[m.group(3)], max=m.group(4))),
    (re.compile(rf"^Must be {_OP} {_N}\.$"), lambda m: _("应 %(op)s %(value)s", op=_OPS[m.group(1)], value=m.group(2))),
]


def message(text: str) -> str:
    for pattern, translate in _MESSAGES:
        found = pattern.match(text)
        if found:
            return translate(found)
    return text


def translated(errors):
    """``errors`` (marshmallow's nested dicts and lists of messages) with the known messages translated."""
    if isinstance(errors, dict):
        return {key: translated(value) for key, value in errors.items()}
    if isinstance(errors, (list, tuple)):
        return [translated(value) for value in errors]
    return message(str(errors)) if isinstance(errors, str) else errors
