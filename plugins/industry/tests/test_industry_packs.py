"""The six industry packs: valid schemas, realistic records accepted, settings choose what is offered."""
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from kehu_plugins.industry.plugin import DATA, PACKS, IndustryPlugin

load_pack = IndustryPlugin.load_pack

# one realistic record per pack, as a salesperson in Jining, Jinan or Liaocheng would enter it
RECORDS = {
    "manufacturing": {"main_products": "液压支架、刮板输送机", "annual_capacity_tons": 8000, "annual_output_wan": 12500,
                      "equipment_count": 146, "employee_count": 420, "certifications": ["ISO9001", "ISO45001"],
                      "industrial_park": "济宁高新区", "exports": True, "purchasing_email": "caigou@example.com",
                      "next_audit_date": "2026-09-15"},
    "agriculture": {"varieties": ["大蒜", "辣椒"], "area_mu": 1200, "cooperative": "金乡县蒜都种植专业合作社",
                    "organic_certified": False, "green_food_certified": True, "geographic_indication": "金乡大蒜",
                    "irrigation": "滴灌", "certificate_valid_until": "2027-05-31"},
    "catering": {"cuisine": "鲁菜", "seats": 260, "store_count": 3, "avg_spend_yuan": 85, "private_rooms": 12,
                 "delivery_platforms": ["美团", "抖音"], "banquets": True, "food_license_no": "JY13708110012345",
                 "license_valid_until": "2028-01-10"},
    "services": {"service_type": "物业", "annual_contract_wan": 360, "staff_count": 85, "service_area": "济南市历下区",
                 "qualification": "物业服务一级", "website": "https://wuye.example.com", "contract_end_date": "2026-12-31"},
    "retail": {"store_format": "超市", "store_count": 6, "floor_area_sqm": 4200.5, "main_brands": "鲁花、金龙鱼",
               "monthly_sales_wan": 310, "member_count": 18000,
               "online_shop_url": "https://shop.example.com/liaocheng"},
    "logistics": {"transport_modes": ["公路整车", "冷链"], "fleet_size": 48, "warehouse_area_sqm": 12000,
                  "cold_chain": True, "main_routes": "聊城—天津港、济宁—上海", "road_permit_no": "鲁交运管许可济字370811000123号",
                  "permit_valid_until": "2029-03-31", "dispatch_email": "diaodu@example.com"},
}


@pytest.mark.parametrize("key", PACKS)
def test_each_pack_is_a_valid_versioned_schema(key):
    schema = json.loads((DATA / f"{key}.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert isinstance(schema["x-version"], int) and schema["x-version"] >= 1
    assert set(schema["required"]) <= set(schema["properties"]) and 1 <= len(schema["required"]) <= 2
    assert all(prop.get("title") for prop in schema["properties"].values())
    assert load_pack(key) == {"key": key, "version": schema["x-version"], "title": schema["title"], "schema": schema}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    assert list(validator.iter_errors(RECORDS[key])) == []


def test_records_of_every_industry_are_accepted_and_filterable(admin, api_client_as, enable_plugins):
    enable_plugins("industry")
    client = api_client_as(admin)
    for key, extra in RECORDS.items():
        created = client.post("/api/v1/customers", json={"name": f"{key}客户", "industry": key, "extra": extra})
        assert created.status_code == 201, created.json
        assert (created.json["extra_schema"], created.json["extra_schema_version"]) == (key, load_pack(key)["version"])
    found = client.get("/api/v1/customers?extra.area_mu__gte=1000&extra.varieties=大蒜").json
    assert [c["name"] for c in found] == ["agriculture客户"]
    found = client.get("/api/v1/customers?extra.cold_chain=true&extra.fleet_size__gte=40").json
    assert [c["name"] for c in found] == ["logistics客户"]


def test_bad_values_are_refused_with_field_messages(admin, api_client_as, enable_plugins):
    enable_plugins("industry")
    response = api_client_as(admin).post("/api/v1/customers", json={"name": "曲阜孔府菜馆", "industry": "catering",
                                                                    "extra": {"cuisine": "孔府菜", "seats": -1,
                                                                              "food_license_no": "123",
                                                                              "license_valid_until": "明年"}})
    assert response.status_code == 422
    errors = response.json["errors"]["json"]["extra"]
    assert set(errors) == {"cuisine", "seats", "food_license_no", "license_valid_until"}


def test_settings_choose_the_packs_on_offer(app, admin, api_client_as, enable_plugins):
    enable_plugins("industry")
    client = api_client_as(admin)
    assert [s["key"] for s in client.get("/api/v1/custom-field-schemas").json] == sorted(PACKS)
    chosen = client.put("/api/v1/plugins/industry/settings", json={"settings": {"packs": ["catering"]}})
    assert chosen.status_code == 200
    assert [s["key"] for s in client.get("/api/v1/custom-field-schemas").json] == ["catering"]
    refused = client.post("/api/v1/customers", json={"name": "不提供", "industry": "retail",
                                                     "extra": {"store_format": "超市"}})
    assert refused.status_code == 422
    assert client.put("/api/v1/plugins/industry/settings",
                      json={"settings": {"packs": ["bakery"]}}).status_code == 422


AGRICULTURE_V1 = json.loads(Path(__file__).with_name("agriculture_v1.json").read_text(encoding="utf-8"))
# a co-operative entered under version 1, which had both 面积 and 种植面积, 品种 and 主要作物
OLD_RECORD = {"varieties": ["大蒜"], "area_mu": 1200, "crop": "大蒜", "planting_area_mu": 1100}


def test_agriculture_version_2_merges_the_repeated_fields_and_old_records_stay_readable(
        admin, api_client_as, web_client_as, enable_plugins, disable_plugins, monkeypatch):
    real_load = IndustryPlugin.load_pack
    monkeypatch.setattr(IndustryPlugin, "load_pack", staticmethod(
        lambda key: {"key": key, "version": 1, "title": "农业", "schema": AGRICULTURE_V1} if key == "agriculture"
        else real_load(key)))
    enable_plugins("industry")  # the release with version 1 of the pack
    client = api_client_as(admin)
    old = client.post("/api/v1/customers", json={"name": "金乡蒜都合作社", "industry": "agriculture",
                                                 "extra": OLD_RECORD}).json
    assert old["extra_schema_version"] == 1
    monkeypatch.undo()
    disable_plugins("industry")
    enable_plugins("industry")  # the new release: its pack version 2 is stored and becomes active

    v2 = load_pack("agriculture")["schema"]
    assert v2["x-version"] == 2 and not {"crop", "planting_area_mu"} & set(v2["properties"])
    assert set(v2["properties"]) == set(AGRICULTURE_V1["properties"]) - {"crop", "planting_area_mu"}
    versions = client.get("/api/v1/custom-field-schemas/agriculture").json
    assert [v["version"] for v in versions][:2] == [2, 1]

    kept = client.get(f"/api/v1/customers/{old['id']}").json  # the old record keeps its values and version
    assert kept["extra"] == OLD_RECORD and kept["extra_schema_version"] == 1
    page = web_client_as(admin).get(f"/customers/{old['id']}")
    assert "主要作物" in page.text and "种植面积（亩）" in page.text and "1100" in page.text  # read with version 1
    form = web_client_as(admin).get(f"/customers/{old['id']}/edit").text
    left = form.split('data-testid="left-behind"')[1]  # the form names what saving it will drop
    assert "主要作物" in left and "1100" in left and 'name="extra.crop"' not in form

    refused = client.post("/api/v1/customers", json={"name": "新合作社", "industry": "agriculture",
                                                     "extra": {"varieties": ["小麦"], "crop": "小麦"}})
    assert refused.status_code == 422 and "crop" in refused.json["errors"]["json"]["extra"]
    moved = client.patch(f"/api/v1/customers/{old['id']}", json={"extra": {"varieties": ["大蒜"], "area_mu": 1100}})
    assert moved.status_code == 200 and moved.json["extra_schema_version"] == 2
