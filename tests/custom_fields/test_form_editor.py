"""The form-based field editor: schema ↔ form rows both ways, and saving through the one service path."""
import json
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from kehu.custom_fields import form_editor
from kehu.custom_fields.query import get_schema, versions_of
from kehu.custom_fields.service import SchemaInvalid, save_admin_schema
from kehu.custom_fields.validation import schema_problems
from kehu_plugins.industry.plugin import DATA, PACKS

POND = {"type": "object", "additionalProperties": False, "required": ["pond_mu"], "properties": {
    "pond_mu": {"type": "number", "title": "水面（亩）", "x-title-en": "Pond (mu)", "minimum": 0},
    "fish": {"type": "string", "title": "鱼种", "enum": ["草鱼", "鲤鱼"]},
}}


def pack(key: str) -> dict:
    return json.loads((DATA / f"{key}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("key", PACKS)
def test_every_shipped_pack_goes_through_the_form_unchanged(key):
    schema = pack(key)
    editor = form_editor.editor_of(SimpleNamespace(title=schema["title"], schema=schema), 1)
    written = form_editor.schema_of(editor)
    assert written == schema
    assert list(written["properties"]) == list(schema["properties"])  # the order is the form's order


def test_labelled_options_and_every_kind_written_and_read_back():
    schema = {"type": "object", "properties": {
        "grade": {"type": "string", "title": "等级", "x-title-en": "Grade", "enum": ["a", "b"],
                  "x-enumNames": ["甲级", "乙级"], "x-enumNames-en": ["Grade A", "Grade B"]},
        "crops": {"type": "array", "title": "作物", "items": {"type": "string", "enum": ["蒜", "麦"]},
                  "minItems": 1, "maxItems": 2},
        "notes": {"type": "string", "title": "备注", "x-widget": "textarea", "maxLength": 2000},
        "since": {"type": "string", "format": "date", "title": "开始合作"},
        "site": {"type": "string", "format": "uri", "title": "网站"},
        "seats": {"type": "integer", "title": "座位", "minimum": 1, "maximum": 900},
        "vip": {"type": "boolean", "title": "重点客户", "description": "说明", "x-description-en": "Help"}}}
    editor = form_editor.editor_of(SimpleNamespace(title="样例", schema=schema), 1)
    assert [row.kind for row in editor.rows] == ["choice", "multichoice", "textarea", "date", "url", "integer",
                                                 "boolean"]
    assert [(o.value, o.zh, o.en) for o in editor.rows[0].options] == [("a", "甲级", "Grade A"), ("b", "乙级", "Grade B")]
    assert editor.rows[1].unique is False and all(row.kept is None for row in editor.rows)
    assert form_editor.schema_of(editor) == schema


def test_what_the_form_cannot_express_is_kept_and_named():
    schema = {"type": "object", "allOf": [{"required": ["code"]}], "properties": {
        "code": {"type": "string", "title": "编号", "pattern": "^[0-9]+$"},
        "tags": {"type": "array", "title": "标签", "items": {"type": "string", "maxLength": 8}}}}
    editor = form_editor.editor_of(SimpleNamespace(title="样例", schema=schema), 1)
    assert [row.unexpressed for row in editor.rows] == [["pattern"], ["type", "items"]]
    assert editor.unexpressed_root == ["allOf"]
    assert form_editor.schema_of(editor) == schema


def test_buttons_without_script_add_move_and_remove_rows():
    editor = form_editor.editor_of(SimpleNamespace(title="鱼塘", schema=POND), 1)
    form_editor.apply(editor, "down:f1")
    assert [row.name for row in editor.rows] == ["fish", "pond_mu"]
    form_editor.apply(editor, "add")
    form_editor.apply(editor, "up:" + editor.rows[2].uid)
    assert [row.name for row in editor.rows] == ["fish", "", "pond_mu"]
    form_editor.apply(editor, "unoption:f2:0")
    assert [o.value for o in editor.rows[0].options] == ["鲤鱼"]
    form_editor.apply(editor, "remove:f1")
    assert [row.name for row in editor.rows] == ["fish", ""]


# the web page ---------------------------------------------------------------------------------
class FormReader(HTMLParser):
    """What a browser posts for the form with data-testid=field-editor (not the <template>'s inputs)."""

    def __init__(self):
        super().__init__()
        self.data, self.inside, self.in_template, self.select, self.chosen = MultiDict(), False, 0, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("data-testid") == "field-editor"
        if not self.inside:
            return
        if tag == "template":
            self.in_template += 1
        if self.in_template:
            return
        if tag == "input" and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") != "checkbox" or "checked" in attrs:
                self.data.add(attrs["name"], attrs.get("value", ""))
        elif tag == "select":
            self.select, self.chosen = attrs["name"], None
        elif tag == "option" and self.select and (self.chosen is None or "selected" in attrs):
            self.chosen = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "template" and self.inside:
            self.in_template -= 1
        elif tag == "select" and self.select and not self.in_template:
            self.data.add(self.select, self.chosen)
            self.select = None
        elif tag == "form":
            self.inside = False


def posted(html: str) -> MultiDict:
    reader = FormReader()
    reader.feed(html)
    return reader.data


def changed(data: MultiDict, values: dict) -> MultiDict:
    """``data`` with ``values`` typed over what the inputs held."""
    data = data.copy()
    for key, value in values.items():
        data[key] = value
    return data


@pytest.fixture
def pond(admin):
    return save_admin_schema("fishery", "渔业", POND, admin)


def test_saving_the_page_as_it_is_stores_every_pack_unchanged(admin, web_client_as, enable_plugins):
    enable_plugins("industry")
    client = web_client_as(admin)
    for key in PACKS:
        page = client.get(f"/admin/fields/{key}")
        assert page.status_code == 200 and 'data-testid="field-editor"' in page.text
        stored = get_schema(key).version
        saved = client.post(f"/admin/fields/{key}", data=posted(page.text))
        assert saved.status_code == 302, key
        assert get_schema(key).version == stored + 1 and get_schema(key).schema == pack(key)
        assert list(get_schema(key).schema["properties"]) == list(pack(key)["properties"])
    assert "pattern" in client.get("/admin/fields/catering").text  # the kept field names what the form cannot edit


def test_admin_adds_a_choice_field_and_reorders_in_the_form(admin, web_client_as, pond):
    client = web_client_as(admin)
    data = posted(client.get("/admin/fields/fishery").text)
    added = client.post("/admin/fields/fishery", data=changed(data, {"op": "add"}))  # without script: the server adds the row
    assert added.status_code == 200 and [v.version for v in versions_of("fishery")] == [1]
    data = posted(added.text)
    new = [uid for uid in data.getlist("row") if uid not in ("f1", "f2")][0]
    data = changed(data, {f"field-{new}-name": "feed", f"field-{new}-kind": "choice", f"field-{new}-title": "饲料",
                 f"field-{new}-title_en": "Feed", f"field-{new}-required": "1"})
    data.setlist(f"field-{new}-opt-value", ["pellet", "grass", ""])
    data.setlist(f"field-{new}-opt-zh", ["颗粒料", "青草", ""])
    data.setlist(f"field-{new}-opt-en", ["Pellets", "", ""])
    data.setlist("row", [new, "f1", "f2"])  # the order of the rows in the page is the order of the fields
    saved = client.post("/admin/fields/fishery", data=data)
    assert saved.status_code == 302
    schema = get_schema("fishery").schema
    assert get_schema("fishery").version == 2 and list(schema["properties"]) == ["feed", "pond_mu", "fish"]
    assert schema["properties"]["feed"] == {"type": "string", "title": "饲料", "x-title-en": "Feed",
                                            "enum": ["pellet", "grass"], "x-enumNames": ["颗粒料", "青草"],
                                            "x-enumNames-en": ["Pellets", "青草"]}
    assert schema["required"] == ["feed", "pond_mu"] and schema["additionalProperties"] is False
    assert get_schema("fishery", 1).schema == POND  # records saved under version 1 keep reading it


def error_beside(html: str, uid: str, part: str) -> str:
    """The message shown under the input ``part`` of row ``uid`` (which is marked invalid)."""
    found = re.search(rf'class="[^"]*is-invalid[^"]*" id="field-{uid}-{part}".*?<div class="invalid-feedback">([^<]+)',
                      html, re.S)
    assert found, f"no error beside {uid}-{part}"
    return found.group(1)


def test_errors_come_back_beside_the_fields(admin, web_client_as, pond):
    client = web_client_as(admin)
    page = client.get("/admin/fields/fishery")
    data = posted(client.post("/admin/fields/fishery", data=changed(posted(page.text), {"op": "add"})).text)
    data = posted(client.post("/admin/fields/fishery", data=changed(data, {"op": "add"})).text)
    first, second = [uid for uid in data.getlist("row") if uid not in ("f1", "f2")]
    data = changed(data, {f"field-{first}-name": "Depth", f"field-{first}-title": "水深", f"field-{first}-kind": "integer",
                 f"field-{second}-name": "fish", f"field-{second}-title": "又一个鱼种",
                 "field-f1-minimum": "10", "field-f1-maximum": "5", "field-f2-kind": "multichoice"})
    data.setlist("field-f2-opt-value", [""])
    data.setlist("field-f2-opt-zh", [""])
    refused = client.post("/admin/fields/fishery", data=data)
    assert refused.status_code == 422
    assert error_beside(refused.text, second, "name") == "字段名重复：fish"
    assert [v.version for v in versions_of("fishery")] == [1]
    data[f"field-{second}-name"] = "water_source"  # the form's own check passes: now the service's rules speak
    refused = client.post("/admin/fields/fishery", data=data)
    assert refused.status_code == 422
    assert "字段名只能用小写字母" in error_beside(refused.text, first, "name")
    assert error_beside(refused.text, "f1", "maximum") == "最大值不能小于最小值"
    assert "单选或多选至少要有一个选项" in refused.text.split('id="field-f2-kind"')[1].split("data-field-row")[0]
    assert [v.version for v in versions_of("fishery")] == [1]


def test_errors_are_in_the_users_language(admin, web_client_as, pond):
    admin.locale = "en"
    client = web_client_as(admin)
    data = posted(client.get("/admin/fields/fishery").text)
    data["field-f1-title"] = ""
    refused = client.post("/admin/fields/fishery", data=data)
    assert refused.status_code == 422 and '<html lang="en">' in refused.text
    assert error_beside(refused.text, "f1", "title") == "Every field needs a title"


def test_a_version_saved_meanwhile_is_not_undone(admin, web_client_as, pond):
    client = web_client_as(admin)
    data = posted(client.get("/admin/fields/fishery").text)
    save_admin_schema("fishery", "渔业", {**POND, "properties": {**POND["properties"],
                                                              "boats": {"type": "integer", "title": "船"}}}, admin)
    data["field-f2-title"] = "鱼的品种"
    refused = client.post("/admin/fields/fishery", data=data)
    assert refused.status_code == 422 and "另一位管理员刚刚保存了这个字段模式" in refused.text
    assert [v.version for v in versions_of("fishery")] == [2, 1] and "boats" in get_schema("fishery").schema["properties"]
    json_tab = client.get("/admin/fields/fishery?editor=json")
    assert 'name="base_version" value="2"' in json_tab.text and 'data-testid="schema-editor"' in json_tab.text


def test_the_service_refuses_contradicting_limits_and_empty_choices(admin):
    bad = {"type": "object", "properties": {
        "depth": {"type": "number", "title": "水深", "minimum": 5, "maximum": 1},
        "fish": {"type": "string", "title": "鱼种", "enum": []},
        "kinds": {"type": "array", "title": "品种", "items": {"type": "string", "enum": ["a", "a"]},
                  "minItems": 3, "maxItems": 1},
        "grade": {"type": "string", "title": "等级", "enum": ["a", "b"], "x-enumNames": ["甲"]}}}
    with pytest.raises(SchemaInvalid) as refused:
        save_admin_schema("fishery", "渔业", bad, admin)
    assert set(refused.value.errors["schema"]) == {"properties.depth.maximum", "properties.fish.enum",
                                                   "properties.kinds.items.enum", "properties.kinds.maxItems",
                                                   "properties.grade.x-enumNames"}
    assert schema_problems(POND) == {}


def test_readers_see_the_schema_but_no_editor(make_user, web_client_as, pond):
    page = web_client_as(make_user("sales")).get("/admin/fields/fishery")
    assert page.status_code == 200 and "field-editor" not in page.text and "pond_mu" in page.text
