"""Field types with kehu's validation rules, shared by every schema."""
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError, fields

from kehu import phones, regions


class Phone(fields.String):
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


class CountyCode(fields.String):
    """A GB/T 2260 county-level code, e.g. 370811 (济宁市任城区)."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip()
        if not code:
            return None
        if not regions.is_county(code):
            raise ValidationError(_("不是有效的县级行政区划代码：%(code)s", code=code))
        return code


class RegionPrefix(fields.String):
    """A province, prefecture or county code used as a filter prefix (37, 3708, 370800, 370811)."""

    def _deserialize(self, value, attr, data, **kwargs):
        code = super()._deserialize(value, attr, data, **kwargs).strip()
        padded = code.ljust(6, "0")
        if not (padded.isdigit() and len(padded) == 6 and len(code) in (2, 4, 6) and regions.region_name(padded)):
            raise ValidationError(_("不是有效的行政区划代码：%(code)s", code=code))
        return padded


class TrimmedString(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()
