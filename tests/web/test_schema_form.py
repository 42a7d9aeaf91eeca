"""The JSON Schema → form renderer shared by custom fields and plugin settings."""
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from kehu.platform.secrets import SECRET_MASK
from kehu.web.schema_form import fields_for, options_of, read_form

SCHEMA = {
    "type": "object", "required": ["name"],
    "properties": {
        "name": {"type": "string", "title": {"zh": "名称", "en": "Name"}, "maxLength": 40},
        "notes": {"type": "string", "title": "备注", "maxLength": 2000},
        "kind": {"type": "string", "title": "类型", "enum": ["a", "b"], "enumNames": ["甲", "乙"]},
        "level": {"type": "integer", "title": "等级", "oneOf": [{"const": 1, "title": "一级"}, {"const": 2, "title": "二级"}]},
        "hives": {"type": "integer", "title": "蜂箱数", "minimum": 0, "maximum": 500},
        "price": {"type": "number", "title": "单价"},
        "organic": {"type": "boolean", "title": "有机"},
        "since": {"type": "string", "format": "date", "title": "开始日期"},
        "token": {"type": "string", "title": "密钥", "writeOnly": True},
        "crops": {"type": "array", "title": "作物", "items": {"type": "string", "enum": ["麦", "玉米"]}},
        "email": {"type": ["string", "null"], "format": "email", "title": "邮箱"},
    },
}


def test_widgets_follow_the_schema(app):
    rows = {r.key: r for r in fields_for(SCHEMA, {"token": "s3cret", "crops": ["麦"]}, {"hives": ["太多"]}, "x.")}
    assert {k: r.widget for k, r in rows.items()} == {
        "name": "text", "notes": "textarea", "kind": "select", "level": "select", "hives": "number",
        "price": "number", "organic": "checkbox", "since": "date", "token": "password", "crops": "multiselect",
        "email": "email"}
    assert rows["name"].label == "名称" and rows["name"].required and rows["name"].attrs == {"maxlength": 40}
    assert rows["kind"].options == [("a", "甲"), ("b", "乙")] and rows["level"].options == [(1, "一级"), (2, "二级")]
    assert rows["hives"].attrs == {"step": "1", "min": 0, "max": 500} and rows["hives"].errors == ["太多"]
    assert rows["token"].value == SECRET_MASK  # a stored secret is never put into the page
    assert rows["crops"].selected("麦") and not rows["crops"].selected("玉米")
    assert rows["name"].input_name == "x.name"


def test_option_labels_follow_the_language(app):
    prop = {"type": "string", "title": "等级", "enum": ["a", "b"], "x-enumNames": ["甲级", "乙级"],
            "x-enumNames-en": ["Grade A", "Grade B"]}
    one_of = {"type": "integer", "title": "等级", "oneOf": [{"const": 1, "title": "一级", "x-title-en": "First"}]}
    with force_locale("en"):
        assert options_of(prop) == [("a", "Grade A"), ("b", "Grade B")] and options_of(one_of) == [(1, "First")]
    with force_locale("zh_Hans_CN"):
        assert options_of(prop) == [("a", "甲级"), ("b", "乙级")] and options_of(one_of) == [(1, "一级")]


def test_read_form_types_values_and_reports_what_cannot_be_converted(app):
    form = MultiDict([("x.name", " 蜂场 "), ("x.kind", "b"), ("x.level", "2"), ("x.hives", "12"), ("x.price", "3.5"),
                      ("x.organic", "1"), ("x.since", "2020-04-01"), ("x.crops", "麦"), ("x.crops", "玉米"),
                      ("x.token", "")])
    data, errors = read_form(SCHEMA, form, "x.", stored={"token": "old"})
    assert errors == {}
    assert data == {"name": "蜂场", "kind": "b", "level": 2, "hives": 12, "price": 3.5, "organic": True,
                    "since": "2020-04-01", "crops": ["麦", "玉米"], "token": SECRET_MASK}
    bad = MultiDict([("x.hives", "十二"), ("x.price", "x"), ("x.since", "2020-13-01"), ("x.kind", "z"),
                     ("x.crops", "稻"), ("x.token", "new-secret")])
    data, errors = read_form(SCHEMA, bad, "x.")
    assert set(errors) == {"hives", "price", "since", "kind", "crops"}
    assert errors["hives"] == ["请输入整数"]
    assert data == {"organic": False, "token": "new-secret"}  # unchecked box is false; no stored secret to keep
    assert "token" not in read_form(SCHEMA, MultiDict(), "x.")[0]  # empty secret, nothing stored: left out
