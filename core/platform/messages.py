"""Marshmallow's built-in messages are English; the API and the forms say them in the user's language."""
import re

from flask_babel import gettext as _

_MESSAGES = [
    (re.compile(r"^Missing data for required field\.$"), lambda m: _("必填")),
    (re.compile(r"^Field may not be null\.$"), lambda m: _("必填")),
    (re.compile(r"^Shorter than minimum length 1\.$"), lambda m: _("必填")),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), lambda m: _("最多 %(max)s 个字符", max=m.group(1))),
    (re.compile(r"^Length must be between 1 and (\d+)\.$"), lambda m: _("必填，最多 %(max)s 个字符", max=m.group(1))),
    (re.compile(r"^Not a valid email address\.$"), lambda m: _("邮箱地址无效")),
    (re.compile(r"^Not a valid date\.$"), lambda m: _("日期无效")),
    (re.compile(r"^Not a valid datetime\.$"), lambda m: _("时间无效")),
    (re.compile(r"^Not a valid integer\.$"), lambda m: _("请输入整数")),
    (re.compile(r"^Must be one of: .*$"), lambda m: _("请选择列表中的一项")),
    (re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
     lambda m: _("应在 %(min)s 到 %(max)s 之间", min=m.group(1), max=m.group(2))),
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
