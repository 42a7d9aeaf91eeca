"""A customer filter in people's words: kehu.customers.chips.describe_filter (issue 12, point 2)."""
from flask_babel import force_locale
from werkzeug.datastructures import MultiDict

from kehu.customers.chips import describe_filter, region_title


def texts(args):
    return [(chip["title"], chip["text"]) for chip in describe_filter(args)]


def test_regions_by_code_or_prefix():
    assert [region_title(c) for c in ("37", "3708", "370800", "370811", "99", "abc")] == [
        "山东省", "济宁市", "济宁市", "济宁市任城区", "99", "abc"]


def test_every_condition_in_words_in_a_fixed_order(app, make_user):
    owner = make_user("sales")
    target = {"status": ["intent", "customer"], "industry": ["agriculture", "bakery"], "tags": ["本地特色产业"],
              "region": "3708", "owner_id": owner.id, "kind": "company", "q": "合作社", "tag_mode": "all",
              "created_from": "2026-01-01", "extra.capacity_tons__gte": "100"}
    with app.test_request_context():
        assert texts(target) == [
            ("搜索", "“合作社”"), ("地区", "济宁市"), ("标签", "本地特色产业"), ("行业", "农业、bakery"),
            ("状态", "意向客户、成交客户"), ("类型", "企业"), ("负责人", owner.display_name),
            ("创建时间", "2026-01-01 起"), ("自定义字段", "capacity_tons ≥ 100")]
        with force_locale("en"):
            assert texts({"region": "3708", "status": ["intent"], "industry": ["agriculture"]}) == [
                ("Region", "济宁市"), ("Industry", "Agriculture"), ("Status", "Interested")]


def test_any_of_several_tags_is_one_chip_and_a_query_string_works_too(app):
    with app.test_request_context():
        assert texts(MultiDict([("tags", "老客户"), ("tags", "重点"), ("tag_mode", "any"), ("page", "2")])) == [
            ("标签", "任一：老客户 / 重点")]
        assert texts({}) == [] and texts({"status": [], "region": ""}) == []
