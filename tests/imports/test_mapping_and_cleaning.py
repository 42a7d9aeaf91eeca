"""Headers as people write them map to fields; a corrected mapping is remembered; cells are read in
their everyday forms, and what cannot be read is an error on its field."""
import pytest

from kehu.custom_fields.service import save_admin_schema
from kehu.imports import cleaning, mapping
from kehu.imports.service import _custom_fields


@pytest.mark.parametrize("header, target", [
    ("单位名称", "name"), ("公司名称", "name"), ("企业名称", "name"), ("客户名称*", "name"), ("Customer Name", "name"),
    ("手机", "phone"), ("手机号", "phone"), ("电话", "phone"), ("联系电话：", "phone"), ("Mobile", "phone"),
    ("所属区县", "region_code"), ("地址（必填）", "address"), ("行业", "industry"), ("统一社会信用代码", "uscc"),
    ("客户编号", "external_id"), ("负责人", "owner"), ("ＥＭＡＩＬ", "email"),
    ("联系人", "contact.name"), ("联系人手机", "contact.phone"), ("职务", "contact.title"),
    ("联系人1", "contacts.1.name"), ("联系人2电话", "contacts.2.phone"), ("联系电话2", "contacts.2.phone"),
    ("Contact 3 Phone", "contacts.3.phone"), ("备注", ""), ("", ""),
])
def test_headers_people_write(header, target):
    assert mapping.target_of(header, {}) == target


def test_custom_fields_by_their_titles_in_either_language(app, admin):
    save_admin_schema("orchard", "果园", {"type": "object", "properties": {
        "area_mu": {"type": "number", "title": "种植面积（亩）", "x-title-en": "Planted area (mu)"}}}, admin)
    by_title, props, titles = _custom_fields()
    assert mapping.target_of("种植面积（亩）", by_title) == "extra.area_mu"
    assert mapping.target_of("Planted area (mu)", by_title) == "extra.area_mu"
    assert titles["extra.area_mu"] == "种植面积（亩）"


def test_a_second_column_for_the_same_field_is_left_for_the_user():
    targets, repeated = mapping.guess(["单位名称", "手机", "手机", "备注"], {})
    assert targets == ["name", "phone", "", ""] and repeated == [2]


def test_the_signature_ignores_how_headers_are_decorated():
    assert mapping.signature(["单位名称*", " 手机 "]) == mapping.signature(["单位名称", "手机"])
    assert mapping.signature(["单位名称", "手机"]) != mapping.signature(["手机", "单位名称"])


@pytest.mark.parametrize("reader, raw, value", [
    (cleaning.kind, "企业", "company"), (cleaning.kind, "个人", "person"), (cleaning.kind, "Person", "person"),
    (cleaning.status, "意向客户", "intent"), (cleaning.status, "成交", "customer"), (cleaning.status, "lead", "lead"),
    (cleaning.scale, "小型", "small"), (cleaning.scale, "个体户", "individual"),
    (cleaning.region, "370811", "370811"), (cleaning.region, "济宁市任城区", "370811"), (cleaning.region, "汶上县", "370830"),
    (cleaning.birthday, "1981-09-27", "1981-09-27"), (cleaning.birthday, "1981/9/27", "1981-09-27"),
    (cleaning.birthday, "1981年9月27日", "1981-09-27"), (cleaning.birthday, "19810927", "1981-09-27"),
    (cleaning.birthday, "１９８１－０９－２７", "1981-09-27"),
    (cleaning.tags, "老客户|重点，需回访、 高价值 ", ["老客户", "重点", "需回访", "高价值"]),
    (cleaning.yes_no, "是", True), (cleaning.yes_no, "N", False),
    (cleaning.text, "  济宁\u3000鸿达   机械  ", "济宁 鸿达 机械"),
])
def test_cells_in_their_everyday_forms(app, reader, raw, value):
    assert reader(raw) == value


@pytest.mark.parametrize("reader, raw, message", [
    (cleaning.kind, "公司吧", "不认识的客户类型：公司吧（可填 企业 或 个人）"),
    (cleaning.region, "市中区", "不认识的区县：市中区（可填区划代码如 370811，或名称如 济宁市任城区）"),
    (cleaning.birthday, "1981-02-30", "不是日期：1981-02-30（写作 1981-09-27）"),
    (cleaning.yes_no, "也许", "请填 是 或 否：也许"),
])
def test_cells_that_cannot_be_read(app, reader, raw, message):
    with pytest.raises(cleaning.CellInvalid) as refused:
        reader(raw)
    assert str(refused.value) == message


def test_custom_field_cells_by_their_property(app):
    number = cleaning.custom_field_reader({"type": "number"})
    assert number("1,320亩") == 1320 and number("2.5") == 2.5
    options = cleaning.custom_field_reader({"type": "string", "enum": ["apple", "pear"],
                                            "x-enumNames": ["苹果", "梨"], "x-enumNames-en": ["Apple", "Pear"]})
    assert options("苹果") == "apple" and options("Pear") == "pear" and options("apple") == "apple"
    crops = cleaning.custom_field_reader({"type": "array", "items": {"enum": ["apple", "pear"],
                                                                      "x-enumNames": ["苹果", "梨"]}})
    assert crops("苹果、梨") == ["apple", "pear"]
    with pytest.raises(cleaning.CellInvalid, match="请输入整数"):
        cleaning.custom_field_reader({"type": "integer"})("3.5")


def test_a_company_name_beside_a_persons_name_is_the_company():
    targets, repeated = mapping.guess(["姓名", "电话", "公司名称"], {})
    assert targets == ["name", "phone", "company"] and repeated == []
