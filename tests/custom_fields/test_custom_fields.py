"""Custom fields: versioned schemas, validation of ``extra``, filters on custom fields and plugin facts."""
import tempfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kehu.app import create_app
from kehu.custom_fields.models import CustomFieldSchema
from kehu.custom_fields.query import active_schemas, get_schema
from kehu.custom_fields.service import sync_plugin_schemas
from kehu.custom_fields.validation import schema_problems
from kehu.customers.models import Customer
from kehu.customers.query import CustomerFilter, FilterInvalid, filter_from_args, filter_to_args
from kehu.extensions import db
from kehu.interactions.models import Interaction
from kehu.platform.time import utcnow
from kehu.plugins.base import Plugin
from kehu.plugins.hookspecs import hookimpl
from kehu_plugins.industry.plugin import PACKS, IndustryPlugin

BEEKEEPING_V1 = {
    "type": "object", "additionalProperties": False, "required": ["hives"],
    "properties": {
        "hives": {"type": "integer", "title": "蜂箱数", "minimum": 0},
        "honey_kinds": {"type": "array", "title": "蜜种", "items": {"type": "string", "enum": ["槐花", "枣花"]}},
    },
}
BEEKEEPING_V2 = {**BEEKEEPING_V1, "properties": {**BEEKEEPING_V1["properties"],
                                                 "apiary_email": {"type": "string", "format": "email",
                                                                  "title": "蜂场邮箱"}}}


class FieldTestPlugin(Plugin):
    """A plugin defined here: contributes a pack whose version the tests raise, and one fact."""

    name = "fieldtest"
    title = "字段测试"
    version = "1.0.0"
    pack = {"key": "beekeeping", "version": 1, "title": "养蜂", "schema": BEEKEEPING_V1}

    @hookimpl
    def customer_field_schemas(self):
        return [self.pack]

    @hookimpl
    def segment_fields(self):
        def criterion(op, value, days):
            counted = select(func.count(Interaction.id)).where(Interaction.customer_id == Customer.id)
            if days is not None:
                counted = counted.where(Interaction.occurred_at >= utcnow() - timedelta(days=days))
            count = counted.scalar_subquery()
            return {"eq": count == value, "gt": count > value, "gte": count >= value,
                    "lt": count < value, "lte": count <= value}[op]

        return [{"name": "interaction_count", "title": "跟进次数", "type": "integer", "criterion": criterion}]


@pytest.fixture(scope="module")
def field_app(kehu_app, kehu_database_url):
    """A second app on the same database with FieldTestPlugin installed."""
    with tempfile.TemporaryDirectory() as instance_path:
        other = create_app({key: kehu_app.config[key] for key in (
            "TESTING", "SECRET_KEY", "KEHU_PII_KEY", "RATELIMIT_ENABLED", "KEHU_PASSWORD_PROFILE",
            "PLUGIN_STATE_TTL", "CELERY")} | {"SQLALCHEMY_DATABASE_URI": kehu_database_url},
            instance_path=instance_path, plugin_classes=[FieldTestPlugin])
        yield other
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def fieldtest(app, field_app):
    """field_app with FieldTestPlugin enabled and its pack at version 1."""
    FieldTestPlugin.pack = {**FieldTestPlugin.pack, "version": 1, "schema": BEEKEEPING_V1}
    with field_app.app_context():
        field_app.extensions["kehu_plugins"].enable("fieldtest")
    return field_app


def _client(application, token_client):
    client = application.test_client()
    client.environ_base.update(token_client.environ_base)
    return client


MANUFACTURER = {"main_products": "液压支架", "annual_capacity_tons": 1200, "equipment_count": 35,
                "certifications": ["ISO9001", "ISO14001"], "industrial_park": "济宁高新区", "exports": True,
                "next_audit_date": "2026-06-30"}


# schemas and versions ------------------------------------------------------------------------
def test_enabling_the_plugin_stores_its_packs_once(app, admin, api_client_as, enable_plugins):
    client = api_client_as(admin)
    assert client.get("/api/v1/custom-field-schemas").json == []
    enable_plugins("industry")
    listed = client.get("/api/v1/custom-field-schemas").json
    assert [s["key"] for s in listed] == ["agriculture", "catering", "logistics", "manufacturing", "retail",
                                          "services"]
    assert {(s["origin"], s["is_active"]) for s in listed} == {("plugin:industry", True)}
    # a fresh install stores each pack's current version (agriculture is at 2) and nothing older
    assert {s["key"]: s["version"] for s in listed} == {key: IndustryPlugin.load_pack(key)["version"] for key in PACKS}
    assert sync_plugin_schemas() == []  # idempotent
    assert db.session.scalar(select(func.count(CustomFieldSchema.id))) == 6


def test_a_new_pack_version_becomes_active_and_old_records_keep_theirs(fieldtest, admin, api_client_as):
    client = _client(fieldtest, api_client_as(admin))
    old = client.post("/api/v1/customers", json={"name": "微山湖蜂场", "industry": "beekeeping",
                                                 "extra": {"hives": 80, "honey_kinds": ["槐花"]}}).json
    assert (old["extra_schema"], old["extra_schema_version"]) == ("beekeeping", 1)

    FieldTestPlugin.pack = {**FieldTestPlugin.pack, "version": 2, "schema": BEEKEEPING_V2}
    with fieldtest.app_context():
        assert sync_plugin_schemas() == [("beekeeping", 2)]
        assert sync_plugin_schemas() == []
        assert get_schema("beekeeping").version == 2
        assert [r.key for r in active_schemas()] == ["beekeeping"]

    assert client.get(f"/api/v1/customers/{old['id']}").json["extra_schema_version"] == 1
    assert "apiary_email" not in client.get("/api/v1/custom-field-schemas/beekeeping/1").json["schema"]["properties"]
    versions = client.get("/api/v1/custom-field-schemas/beekeeping").json
    assert [(v["version"], v["is_active"]) for v in versions] == [(2, True), (1, False)]
    # editing the old record's fields validates against the active version and moves it there
    bad = client.patch(f"/api/v1/customers/{old['id']}", json={"extra": {"hives": 80, "apiary_email": "蜂场"}})
    assert bad.status_code == 422
    assert bad.json["errors"]["json"]["extra"] == {"apiary_email": ["不是有效的邮箱（name@example.com）"]}
    moved = client.patch(f"/api/v1/customers/{old['id']}",
                         json={"extra": {"hives": 90, "apiary_email": "feng@example.com"}}).json
    assert moved["extra_schema_version"] == 2


def test_a_broken_pack_is_logged_and_skipped(fieldtest, caplog):
    FieldTestPlugin.pack = {**FieldTestPlugin.pack, "version": 5, "schema": {
        "type": "object", "properties": {"Hive Count": {"type": "integer", "title": "蜂箱数"}}}}
    with fieldtest.app_context():
        assert sync_plugin_schemas() == []
        assert get_schema("beekeeping").version == 1
    assert "custom field pack 'beekeeping' skipped" in caplog.text


def test_admin_adds_a_version_and_old_records_still_read_with_theirs(
        admin, api_client_as, enable_plugins):
    enable_plugins("industry")
    client = api_client_as(admin)
    customer = client.post("/api/v1/customers", json={"name": "嘉祥石雕厂", "industry": "manufacturing",
                                                      "extra": MANUFACTURER}).json
    assert customer["extra_schema_version"] == 1
    v1 = client.get("/api/v1/custom-field-schemas/manufacturing/1").json["schema"]
    v2_schema = {**v1, "properties": {**v1["properties"], "stone_type": {
        "type": "string", "title": "石材种类", "enum": ["青石", "花岗岩"]}}, "required": ["main_products", "stone_type"]}
    saved = client.put("/api/v1/custom-field-schemas/manufacturing", json={"title": "制造业（石材）",
                                                                             "schema": v2_schema})
    assert saved.status_code == 200, saved.json
    assert (saved.json["version"], saved.json["origin"], saved.json["is_active"]) == (2, "admin", True)
    assert saved.json["created_by_id"] == admin.id

    read = client.get(f"/api/v1/customers/{customer['id']}").json
    assert (read["extra"], read["extra_schema_version"]) == (MANUFACTURER, 1)
    assert client.get("/api/v1/custom-field-schemas/manufacturing/1").json["schema"] == v1
    # a change to other columns keeps the record on its version
    assert client.patch(f"/api/v1/customers/{customer['id']}", json={"status": "intent"}).json[
        "extra_schema_version"] == 1
    missing = client.patch(f"/api/v1/customers/{customer['id']}", json={"extra": MANUFACTURER})
    assert missing.json["errors"]["json"]["extra"] == {"stone_type": ["必填"]}
    edited = client.patch(f"/api/v1/customers/{customer['id']}", json={"extra": {**MANUFACTURER,
                                                                                 "stone_type": "青石"}})
    assert edited.json["extra_schema_version"] == 2


def test_admin_schemas_are_checked_against_the_meta_schema(admin, api_client_as):
    client = api_client_as(admin)
    bad = client.post("/api/v1/custom-field-schemas", json={"key": "fishery", "title": "渔业", "schema": {
        "type": "object", "properties": {"Boat Count": {"type": "integr", "title": "渔船数"},
                                         "pond": {"type": "number", "title": "鱼塘", "minimum": "zero"},
                                         "net": {"$ref": "https://example.com/net.json"}}}})
    assert bad.status_code == 422
    assert bad.content_type == "application/problem+json"
    errors = bad.json["errors"]["json"]["schema"]
    assert {"properties.Boat Count.type", "properties.pond.minimum", "properties.net.$ref"} <= set(errors)
    no_fields = client.post("/api/v1/custom-field-schemas", json={"key": "fishery", "title": "渔业",
                                                                  "schema": {"type": "object"}})
    assert "properties" in no_fields.json["errors"]["json"]["schema"]
    assert schema_problems({"type": "object", "properties": {"boats": {"type": "integer"}}}) == {
        "properties.boats.title": ["每个字段都要有标题（title）"]}

    good = {"type": "object", "properties": {"boats": {"type": "integer", "title": "渔船数", "minimum": 0}}}
    created = client.post("/api/v1/custom-field-schemas", json={"key": "fishery", "title": "渔业", "schema": good})
    assert created.status_code == 201 and created.json["version"] == 1
    assert client.post("/api/v1/custom-field-schemas", json={"key": "fishery", "title": "渔业",
                                                             "schema": good}).status_code == 409
    assert client.put("/api/v1/custom-field-schemas/forestry", json={"title": "林业", "schema": good}).status_code == 404
    assert client.get("/api/v1/custom-field-schemas/fishery/7").status_code == 404


def test_sales_read_schemas_but_cannot_change_them(make_user, api_client_as):
    sales = api_client_as(make_user("sales"))
    good = {"type": "object", "properties": {"boats": {"type": "integer", "title": "渔船数"}}}
    assert sales.get("/api/v1/custom-field-schemas").status_code == 200
    assert sales.post("/api/v1/custom-field-schemas", json={"key": "fishery", "title": "渔业",
                                                            "schema": good}).status_code == 403
    assert sales.put("/api/v1/custom-field-schemas/fishery", json={"title": "渔业", "schema": good}).status_code == 403
    assert db.session.scalar(select(func.count(CustomFieldSchema.id))) == 0


def test_a_disabled_plugins_packs_are_not_offered_but_stay_readable(admin, api_client_as, enable_plugins, app):
    enable_plugins("industry")
    client = api_client_as(admin)
    client.post("/api/v1/customers", json={"name": "梁山物流", "industry": "logistics",
                                           "extra": {"transport_modes": ["冷链"], "fleet_size": 12}})
    app.extensions["kehu_plugins"].disable("industry")
    assert client.get("/api/v1/custom-field-schemas").json == []
    assert client.get("/api/v1/custom-field-schemas/logistics/1").status_code == 200
    refused = client.post("/api/v1/customers", json={"name": "阳谷物流", "industry": "logistics",
                                                     "extra": {"fleet_size": 3}})
    assert refused.status_code == 422 and "extra_schema" in refused.json["errors"]["json"]


# validation of extra -------------------------------------------------------------------------
def test_extra_is_validated_with_format_checks(admin, api_client_as, enable_plugins):
    enable_plugins("industry")
    client = api_client_as(admin)
    bad = client.post("/api/v1/customers", json={"name": "汶上纺织", "industry": "manufacturing", "extra": {
        "annual_capacity_tons": -5, "certifications": ["ISO9001", "GMP"], "purchasing_email": "采购部",
        "next_audit_date": "2026-02-30", "colour": "red"}})
    assert bad.status_code == 422
    assert bad.content_type == "application/problem+json"
    assert bad.json["errors"]["json"]["extra"] == {
        "main_products": ["必填"],
        "annual_capacity_tons": ["不能小于 0"],
        "certifications.1": ["必须是以下之一：ISO9001、ISO14001、ISO45001、IATF16949、CCC、CE"],
        "purchasing_email": ["不是有效的邮箱（name@example.com）"],
        "next_audit_date": ["不是有效的日期（YYYY-MM-DD）"],
        "colour": ["没有这个字段"],
    }
    assert db.session.scalar(select(func.count(Customer.id))) == 0
    # an explicit schema, null values dropped
    good = client.post("/api/v1/customers", json={"name": "金乡蒜业合作社", "extra_schema": "agriculture",
                                                  "extra": {"varieties": ["大蒜"], "area_mu": 350.5,
                                                            "cooperative": None}})
    assert good.status_code == 201, good.json
    assert good.json["extra"] == {"varieties": ["大蒜"], "area_mu": 350.5}
    assert (good.json["extra_schema"], good.json["extra_schema_version"]) == ("agriculture", 2)  # the pack's version


def test_extra_needs_a_schema_and_is_never_dropped_silently(admin, api_client_as, enable_plugins):
    client = api_client_as(admin)
    no_schema = client.post("/api/v1/customers", json={"name": "无模式", "industry": "制造", "extra": {"a": 1}})
    assert no_schema.status_code == 422 and "extra_schema" in no_schema.json["errors"]["json"]
    unknown = client.post("/api/v1/customers", json={"name": "无模式", "extra_schema": "mining", "extra": {}})
    assert unknown.json["errors"]["json"] == {"extra_schema": ["没有这个字段模式：mining"]}
    enable_plugins("industry")
    customer = client.post("/api/v1/customers", json={"name": "邹城餐饮", "industry": "catering",
                                                      "extra": {"cuisine": "鲁菜", "seats": 120}}).json
    # switching schema without new values revalidates the stored ones instead of dropping them
    switched = client.patch(f"/api/v1/customers/{customer['id']}", json={"extra_schema": "retail"})
    assert switched.status_code == 422
    cleared = client.patch(f"/api/v1/customers/{customer['id']}", json={"extra_schema": None})
    assert cleared.status_code == 422
    assert client.get(f"/api/v1/customers/{customer['id']}").json["extra"] == {"cuisine": "鲁菜", "seats": 120}


# filters -------------------------------------------------------------------------------------
@pytest.fixture
def manufacturers(admin, api_client_as, enable_plugins):
    enable_plugins("industry")
    client = api_client_as(admin)
    rows = [
        ("大件机械", {**MANUFACTURER}),
        ("小五金厂", {"main_products": "五金配件", "annual_capacity_tons": 80, "certifications": ["CCC"],
                   "industrial_park": "兖州工业园", "exports": False, "next_audit_date": "2027-03-01"}),
        ("中型轴承", {"main_products": "轴承", "annual_capacity_tons": 500.5, "certifications": ["ISO9001"],
                  "industrial_park": "济宁高新区"}),
    ]
    ids = {}
    for name, extra in rows:
        created = client.post("/api/v1/customers", json={"name": name, "industry": "manufacturing", "extra": extra})
        assert created.status_code == 201, created.json
        ids[name] = created.json["id"]
    # a record written under an older version where the field held text must not break numeric filters
    db.session.add(Customer(name="旧数据", industry="manufacturing", owner_id=admin.id, extra_schema="manufacturing",
                            extra_schema_version=1, extra={"annual_capacity_tons": "很多", "exports": "yes"}))
    db.session.commit()
    return client, ids


def _names(client, query):
    response = client.get(f"/api/v1/customers?{query}&sort=name")
    assert response.status_code == 200, response.json
    return {c["name"] for c in response.json}


def test_filter_by_custom_fields(manufacturers):
    client, _ids = manufacturers
    assert _names(client, "extra.annual_capacity_tons__gte=500") == {"大件机械", "中型轴承"}
    assert _names(client, "extra.annual_capacity_tons__gte=100&extra.annual_capacity_tons__lte=1000") == {"中型轴承"}
    assert _names(client, "extra.annual_capacity_tons=80") == {"小五金厂"}
    assert _names(client, "extra.annual_capacity_tons__lt=80") == set()
    assert _names(client, "extra.industrial_park=济宁高新区") == {"大件机械", "中型轴承"}
    assert _names(client, "extra.main_products__contains=轴") == {"中型轴承"}
    assert _names(client, "extra.certifications=ISO9001") == {"大件机械", "中型轴承"}
    assert _names(client, "extra.exports=true") == {"大件机械"}
    assert _names(client, "extra.exports=false") == {"小五金厂"}
    assert _names(client, "extra.next_audit_date__lte=2026-12-31") == {"大件机械"}
    assert _names(client, "extra.industrial_park=济宁高新区&status=lead&industry=manufacturing") == {
        "大件机械", "中型轴承"}


BAD_FILTERS = [
    ("extra.colour=red", "extra.colour"),
    ("extra.annual_capacity_tons__gte=lots", "extra.annual_capacity_tons__gte"),
    ("extra.annual_capacity_tons__gte=NaN", "extra.annual_capacity_tons__gte"),
    ("extra.industrial_park__gte=a", "extra.industrial_park__gte"),
    ("extra.annual_capacity_tons__like=1", "extra.annual_capacity_tons__like"),
    ("extra.next_audit_date=2026-02-30", "extra.next_audit_date"),
    ("extra.exports=maybe", "extra.exports"),
    ("fact=nothing:gt:1", "fact"),
]


def test_bad_filters_answer_422(manufacturers):
    client, _ids = manufacturers
    for query, arg in BAD_FILTERS:
        response = client.get(f"/api/v1/customers?{query}")
        assert response.status_code == 422, query
        assert response.content_type == "application/problem+json"
        assert arg in response.json["errors"]["query"], query


def test_fact_filters_from_a_plugin(fieldtest, admin, api_client_as):
    client = _client(fieldtest, api_client_as(admin))
    busy = client.post("/api/v1/customers", json={"name": "常联系"}).json
    quiet = client.post("/api/v1/customers", json={"name": "少联系"}).json
    for days_ago in (1, 2, 200):
        db.session.add(Interaction(customer_id=busy["id"], kind="call",
                                   occurred_at=utcnow() - timedelta(days=days_ago)))
    db.session.add(Interaction(customer_id=quiet["id"], kind="call", occurred_at=utcnow() - timedelta(days=300)))
    db.session.commit()

    offered = client.get("/api/v1/customers/filter-fields").json
    assert offered == {"extra": [{"name": "hives", "title": "蜂箱数", "kind": "number",
                                  "ops": ["eq", "gt", "gte", "lt", "lte"], "options": []},
                                 {"name": "honey_kinds", "title": "蜜种", "kind": "array", "ops": ["eq"],
                                  "options": ["槐花", "枣花"]}],
                       "facts": [{"name": "interaction_count", "title": "跟进次数", "kind": "integer",
                                  "ops": ["eq", "gt", "gte", "lt", "lte"], "options": []}]}
    assert _names(client, "fact=interaction_count:gt:2") == {"常联系"}
    assert _names(client, "fact=interaction_count:gte:2:30") == {"常联系"}
    assert _names(client, "fact=interaction_count:eq:0:30") == {"少联系"}
    assert _names(client, "fact=interaction_count:gte:1&fact=interaction_count:lt:2") == {"少联系"}
    for bad in ("interaction_count:like:1", "interaction_count:gt:many", "interaction_count:gt:1:0",
                "interaction_count", "orders:gt:1"):
        assert client.get(f"/api/v1/customers?fact={bad}").status_code == 422, bad
    # the main app does not have the plugin: the fact is unknown there
    assert api_client_as(admin).get("/api/v1/customers?fact=interaction_count:gt:2").status_code == 422

    with fieldtest.app_context():
        parsed = filter_from_args({"fact": "interaction_count:gte:2:30", "status": ["lead"]})
        assert parsed.facts == [("interaction_count", "gte", 2, 30)]
        assert filter_from_args(filter_to_args(parsed)) == parsed


def test_filters_round_trip_through_json(manufacturers, app):
    stored = {"q": "机械", "status": ["lead", "intent"], "region": "3708", "tags": ["重点关注"],
              "created_from": "2026-01-01T00:00:00+08:00", "extra.annual_capacity_tons__gte": "100",
              "extra.exports": "true", "page": "2"}
    parsed = filter_from_args(stored)
    assert parsed.extra == {"annual_capacity_tons__gte": "100", "exports": "true"}
    assert parsed.region == "370800"
    assert filter_from_args(filter_to_args(parsed)) == parsed
    assert filter_to_args(CustomerFilter()) == {}
    with pytest.raises(FilterInvalid) as raised:
        filter_from_args({"status": ["nope"], "extra.colour": "red"})
    assert set(raised.value.errors) == {"status", "extra.colour"}
