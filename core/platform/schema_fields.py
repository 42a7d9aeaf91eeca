"""Field types with kehu's validation rules, shared by every schema.

Input that the database cannot store is refused here with a 422, before it reaches a query:
ids beyond INTEGER, NUL characters (PostgreSQL text cannot hold them), times that do not exist
in UTC, numbers that are not JSON (NaN, Infinity).
"""
import math
from datetime import timezone

from flask_babel import gettext as _
from marshmallow import ValidationError, fields, validate

from kehu.platform.time import CHINA_TZ  # a time typed without offset is China time

MAX_ROW_ID = 2**31 - 1  # ids are INTEGER columns


class Boolean(fields.Boolean):
    """``true`` or ``false`` in a JSON body; marshmallow's own also takes 1, 0.0 and "yes", which is
    how a client with a bug sets a consent flag nobody gave."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)


class RowId(fields.Integer):
    """The id of a row; out of the column's range it cannot name one."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(1, MAX_ROW_ID), **kwargs)


def _refuse_nul(text: str) -> str:
    """Text the database can store: no NUL (PostgreSQL refuses it), no lone surrogate (not UTF-8)."""
    if "\x00" in text:
        raise ValidationError(_("不能包含空字符（\\u0000）"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(_("不是有效的文本（含有单独的代理字符）")) from None
    return text


class Text(fields.String):
    """A string the database can store."""

    def _deserialize(self, value, attr, data, **kwargs):
        return _refuse_nul(super()._deserialize(value, attr, data, **kwargs))


class Email(Text, fields.Email):
    """An email address the database can store."""


class JsonObject(fields.Dict):
    """A JSON object stored as it is (custom fields, plugin settings)."""

    def _deserialize(self, value, attr, data, **kwargs):
        loaded = super()._deserialize(value, attr, data, **kwargs)
        _check_json(loaded)
        return loaded


def _check_json(value):
    if isinstance(value, str):
        _refuse_nul(value)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValidationError(_("不是有效的 JSON 数值：%(value)s", value=value))
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_json(key)
            _check_json(item)
    elif isinstance(value, list):
        for item in value:
            _check_json(item)


class Moment(fields.AwareDateTime):
    """A point in time; typed without offset it is China time. Stored in UTC, so it must exist there."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=CHINA_TZ, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            moment.astimezone(timezone.utc)
        except OverflowError:
            raise ValidationError(_("时间超出范围：%(value)s", value=value)) from None
        return moment


class TrimmedString(Text):
    """Text kept without the blanks around it. Its maximum length (what OpenAPI documents) holds for
    the text as sent, its minimum for the text once trimmed (so "  " is not a name)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        for validator in self.validators:
            if isinstance(validator, validate.Length) and validator.max is not None and len(text) > validator.max:
                validator(text)  # raises its own message
        return text.strip()
