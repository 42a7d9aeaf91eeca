"""Field types with kehu's validation rules, shared by every schema.

Input that the database cannot store is refused here with a 422, before it reaches a query:
ids beyond INTEGER, NUL characters (PostgreSQL text cannot hold them), times that do not exist
in UTC, numbers that are not JSON (NaN, Infinity).
"""
import math
from datetime import timezone
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError, fields, validate

from kehu import phones, regions

CHINA_TZ = ZoneInfo("Asia/Shanghai")  # a time typed without offset is local time
MAX_ROW_ID = 2**31 - 1  # ids are INTEGER columns


class RowId(fields.Integer):
    """The id of a row; out of the column's range it cannot name one."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(1, MAX_ROW_ID), **kwargs)


def _refuse_nul(text: str) -> str:
    if "\x00" in text:
        raise ValidationError(_("不能包含空字符（\\u0000）"))
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


class Phone(Text):
    """Accepts what people type (+86, spaces, full-width digits); loads as E.164."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.strip():
            return None
        try:
            return phones.normalize(text)
        except phones.InvalidPhone:
            raise ValidationError(_("不是有效的电话号码：%(value)s", value=text)) from None


class MaskedPhone(fields.String):
    """Dumps the full number to users allowed to see PII, a masked one to everybody else."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value and not (current_user.is_authenticated and current_user.has_permission("customer.pii")):
            value = phones.mask(value)
        return super()._serialize(value, attr, obj, **kwargs)


class CountyCode(Text):
    """A GB/T 2260 county-level code, e.g. 370811 (济宁市任城区)."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip()
        if not code:
            return None
        if not regions.is_county(code):
            raise ValidationError(_("不是有效的县级行政区划代码：%(code)s", code=code))
        return code


class RegionPrefix(Text):
    """A province, prefecture or county code used as a filter prefix (37, 3708, 370800, 370811)."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip()
        padded = code.ljust(6, "0")
        if not (padded.isdigit() and len(padded) == 6 and len(code) in (2, 4, 6) and regions.region_name(padded)):
            raise ValidationError(_("不是有效的行政区划代码：%(code)s", code=code))
        return padded


class TrimmedString(Text):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()
