"""Customers and contacts as the API and the forms read and write them (one set of rules for both)."""
import unicodedata
from datetime import date

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from stdnum.cn import uscc as uscc_number
from stdnum.exceptions import ValidationError as NumberInvalid

from kehu.customers import phones, regions
from kehu.customers.models import KINDS, SCALES, STATUSES
from kehu.platform.schema_fields import Boolean, Email, JsonObject, Moment, RowId, Text, TrimmedString
from kehu.platform.time import china_now

SORT_KEYS = ("name", "created_at", "updated_at", "status")  # kehu.customers.query.SORTS: their columns



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


TagName = TrimmedString(validate=validate.Length(1, 40))


class ContactSchema(Schema):
    id = fields.Integer(dump_only=True)
    customer_id = fields.Integer(dump_only=True)
    name = TrimmedString(required=True, validate=validate.Length(1, 80))
    title = TrimmedString(allow_none=True, validate=validate.Length(max=80))
    phone = Phone(allow_none=True, load_only=True)
    phone_display = MaskedPhone(attribute="phone", dump_only=True, data_key="phone", allow_none=True)
    email = Email(allow_none=True, validate=validate.Length(max=254))
    wechat = TrimmedString(allow_none=True, validate=validate.Length(max=80))
    is_primary = Boolean()
    notes = Text(allow_none=True, validate=validate.Length(max=5000))
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


EARLIEST_BIRTHDAY = date(1900, 1, 1)


def _birthday_in_bounds(value):
    """Between 1900-01-01 and today (China's date): 1800-01-01 or 2999-12-31 is a typing slip."""
    if value is not None and not EARLIEST_BIRTHDAY <= value <= china_now().date():
        raise ValidationError(_("生日须在 %(earliest)s 至今天之间", earliest=EARLIEST_BIRTHDAY.isoformat()))


class Uscc(Text):
    """A 统一社会信用代码 (18 characters with a check digit, python-stdnum checks it); loads upper-cased."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            return None
        try:
            return uscc_number.validate(unicodedata.normalize("NFKC", text))
        except NumberInvalid:
            raise ValidationError(_("统一社会信用代码无效：%(value)s", value=text)) from None


class CustomerSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(load_default="company", validate=validate.OneOf(KINDS))
    name = TrimmedString(required=True, validate=validate.Length(1, 200))
    name_pinyin = fields.String(dump_only=True)
    company = TrimmedString(allow_none=True, validate=validate.Length(max=200))
    uscc = Uscc(allow_none=True)
    external_id = TrimmedString(allow_none=True, validate=validate.Length(max=64))
    allow_duplicate = Boolean(load_only=True, metadata={
        "description": "create even when a likely duplicate exists (same phone or USCC, similar name); "
                       "without it such a create answers 409 with `duplicates`"})
    phone = Phone(allow_none=True, load_only=True)
    phone_display = MaskedPhone(attribute="phone", dump_only=True, data_key="phone", allow_none=True)
    email = Email(allow_none=True, validate=validate.Length(max=254))
    address = TrimmedString(allow_none=True, validate=validate.Length(max=300))
    region_code = CountyCode(allow_none=True)
    region_name = fields.Function(lambda c: regions.full_name(c.region_code) if c.region_code else None,
                                  dump_only=True)
    industry = TrimmedString(allow_none=True, validate=validate.Length(max=40))
    scale = fields.String(allow_none=True, validate=validate.OneOf(SCALES))
    status = fields.String(load_default="lead", validate=validate.OneOf(STATUSES))
    source = TrimmedString(allow_none=True, validate=validate.Length(max=40))
    owner_id = RowId(allow_none=True, strict=True)
    team_id = RowId(allow_none=True, strict=True)
    birthday = fields.Date(allow_none=True, validate=_birthday_in_bounds)
    tags = fields.List(TagName, validate=validate.Length(max=50))
    extra = JsonObject(keys=Text(validate=validate.Length(1, 80)))
    extra_schema = Text(allow_none=True, validate=validate.Length(max=80))
    extra_schema_version = fields.Integer(dump_only=True, allow_none=True)
    consent_sms = Boolean()
    consent_email = Boolean()
    consent_phone = Boolean()
    consent_updated_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    def get_attribute(self, obj, attr, default):
        if attr == "tags":
            return [t.name for t in obj.tags]
        return super().get_attribute(obj, attr, default)


class CustomerDetailSchema(CustomerSchema):
    contacts = fields.List(fields.Nested(ContactSchema), dump_only=True)


class CustomerPatchSchema(CustomerSchema):
    """Every field optional; defaults are not applied on a partial update."""

    class Meta:
        exclude = ("allow_duplicate",)  # 查重 is a create's question

    kind = fields.String(validate=validate.OneOf(KINDS))
    status = fields.String(validate=validate.OneOf(STATUSES))
    name = TrimmedString(validate=validate.Length(1, 200))


class CustomerListArgs(Schema):
    q = Text(validate=validate.Length(max=100), metadata={"description": "name, pinyin, company or phone"})
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)))
    kind = fields.String(validate=validate.OneOf(KINDS))
    tags = fields.List(TagName)
    tag_mode = fields.String(load_default="all", validate=validate.OneOf(("all", "any")))
    region = RegionPrefix(metadata={"description": "GB/T 2260 code or prefix: 37, 3708, 370811"})
    industry = fields.List(Text(validate=validate.Length(1, 40)))
    owner_id = RowId()
    team_id = RowId()
    created_from = Moment()
    created_to = Moment()
    sort = fields.String(load_default="-created_at",
                         validate=validate.OneOf([s for k in SORT_KEYS for s in (k, f"-{k}")]))
    cursor = Text(validate=validate.Length(1, 600), metadata={
        "description": "keyset cursor from a previous page's `X-Next-Cursor` header: the page after that one "
                       "(`page` is then ignored), as fast at row 1,000,000 as at row 50; same filters and sort"})
    fact = fields.List(Text(validate=validate.Length(5, 200)), metadata={
        "description": "plugin fact `name:op:value[:days]` (op: eq, gt, gte, lt, lte), e.g. "
                       "`erp_order_count:gt:3:90` = more than 3 orders in the last 90 days; repeatable. "
                       "Custom fields: `extra.<field>=value`, `extra.<field>__gte=100` (also __gt, __lt, "
                       "__lte; __contains for text), only fields of an active custom field schema."})

    @validates_schema
    def _range(self, data, **kwargs):
        start, end = data.get("created_from"), data.get("created_to")
        if start and end and start > end:
            raise ValidationError(_("开始时间不能晚于结束时间"), "created_from")


class FilterFieldSchema(Schema):
    name = fields.String(metadata={"description": "`extra.<name>` or the fact name"})
    title = fields.String()
    kind = fields.String(metadata={"description": "number, date, string, boolean, array; facts: integer, number, date"})
    ops = fields.List(fields.String(), metadata={"description": "operators: `eq` is the plain argument, others `__op`"})
    options = fields.List(fields.Raw(), metadata={"description": "allowed values, when the field has a list"})


class FilterFieldsSchema(Schema):
    extra = fields.List(fields.Nested(FilterFieldSchema), metadata={"description": "custom fields (extra.<name>)"})
    facts = fields.List(fields.Nested(FilterFieldSchema), metadata={"description": "plugin facts (fact=...)"})
