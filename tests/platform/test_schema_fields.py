"""Field types shared by every schema: what they accept is what OpenAPI says."""
import pytest
from marshmallow import Schema, ValidationError, validate

from kehu.platform.schema_fields import TrimmedString


class Named(Schema):
    name = TrimmedString(required=True, validate=validate.Length(1, 5))


def test_trimmed_text_keeps_the_documented_maximum_as_sent():
    assert Named().load({"name": " 张三 "}) == {"name": "张三"}
    with pytest.raises(ValidationError):
        Named().load({"name": " 张三李四王"})  # six characters as sent, five once trimmed: refused
    with pytest.raises(ValidationError):
        Named().load({"name": "   "})  # blank once trimmed
