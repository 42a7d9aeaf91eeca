import json
from pathlib import Path

import pytest

from kehu.customers import regions

JINING = {
    "370811": "任城区",
    "370812": "兖州区",
    "370826": "微山县",
    "370827": "鱼台县",
    "370828": "金乡县",
    "370829": "嘉祥县",
    "370830": "汶上县",
    "370831": "泗水县",
    "370832": "梁山县",
    "370881": "曲阜市",
    "370883": "邹城市",
}
JINAN = {
    "370102": "历下区",
    "370103": "市中区",
    "370104": "槐荫区",
    "370105": "天桥区",
    "370112": "历城区",
    "370113": "长清区",
    "370114": "章丘区",
    "370115": "济阳区",
    "370116": "莱芜区",
    "370117": "钢城区",
    "370124": "平阴县",
    "370126": "商河县",
}
LIAOCHENG = {
    "371502": "东昌府区",
    "371503": "茌平区",
    "371521": "阳谷县",
    "371522": "莘县",
    "371524": "东阿县",
    "371525": "冠县",
    "371526": "高唐县",
    "371581": "临清市",
}
MUST_HAVE = {**JINING, **JINAN, **LIAOCHENG}
# 34 province-level divisions, incl. 71 台湾省, 81 香港, 82 澳门
PROVINCES = (
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 "
    "50 51 52 53 54 61 62 63 64 65 71 81 82"
).split()


@pytest.fixture(scope="module")
def table() -> dict[str, str]:
    path = Path(regions.__file__).with_name("data") / "gb2260.json"
    return json.loads(path.read_text(encoding="utf-8"))["regions"]


@pytest.mark.parametrize("code, name", sorted(MUST_HAVE.items()))
def test_must_have_counties(code, name):
    assert regions.region_name(code) == name
    assert regions.is_county(code)


@pytest.mark.parametrize("code", ["371200", "370181", "371523"])
def test_obsolete_codes_are_gone(code):
    assert regions.region_name(code) is None
    assert not regions.is_county(code)


def test_provinces(table):
    assert sorted(c[:2] for c in table if c.endswith("0000")) == PROVINCES
    assert regions.region_name("370000") == "山东省"
    assert regions.region_name("710000") == "台湾省"
    assert regions.region_name("810000") == "香港特别行政区"
    assert regions.region_name("820000") == "澳门特别行政区"


def test_data_is_well_formed(table):
    assert all(len(code) == 6 and code.isascii() and code.isdigit() for code in table)
    assert all(name.strip() == name and name for name in table.values())
    # every prefecture and county sits under a known province
    assert all(code[:2] + "0000" in table for code in table)


def test_shandong_counts(table):
    shandong = [c for c in table if c.startswith("37") and not c.endswith("00")]
    assert len(shandong) == 136
    assert regions.counties_under("37") == sorted(shandong)
    assert regions.counties_under("370000") == regions.counties_under("37")
    assert len(regions.children("370000")) == 16


def test_children_of_jining():
    assert regions.children("370800") == sorted(JINING.items())


def test_children_of_jinan_and_province():
    assert regions.children("370100") == sorted(JINAN.items())
    assert ("370800", "济宁市") in regions.children("370000")
    assert ("371200", "莱芜市") not in regions.children("370000")


def test_children_of_municipality_and_leaves():
    beijing = regions.children("110000")
    assert ("110101", "东城区") in beijing
    assert all(regions.is_county(code) for code, _ in beijing)
    assert regions.children("370811") == []
    assert regions.children("999999") == []


def test_counties_under():
    assert regions.counties_under("3708") == sorted(JINING)
    assert regions.counties_under("370800") == sorted(JINING)
    assert regions.counties_under("370811") == ["370811"]
    assert regions.counties_under("99") == []


@pytest.mark.parametrize("prefix", ["", "3a", "3708000", "３７", None])
def test_counties_under_rejects_bad_prefix(prefix):
    with pytest.raises(ValueError):
        regions.counties_under(prefix)


@pytest.mark.parametrize(
    "code, expected",
    [
        ("370102", "山东省济南市历下区"),
        ("370116", "山东省济南市莱芜区"),
        ("371503", "山东省聊城市茌平区"),
        ("370800", "山东省济宁市"),
        ("370000", "山东省"),
        ("110101", "北京市东城区"),
        ("500101", "重庆市万州区"),
        ("419001", "河南省济源市"),  # 省直辖: no prefecture level
        ("441900", "广东省东莞市"),
    ],
)
def test_full_name(code, expected):
    assert regions.full_name(code) == expected


def test_full_name_unknown():
    assert regions.full_name("371200") is None
    assert regions.full_name("") is None


@pytest.mark.parametrize(
    "code", ["370000", "370800", "441900", "37081", "3708111", "abcdef", "", None]
)
def test_is_county_false(code):
    assert not regions.is_county(code)


@pytest.mark.parametrize(
    "code, prefix",
    [("370000", "37"), ("370800", "3708"), ("370811", "370811"), ("110101", "110101")],
)
def test_prefix_of(code, prefix):
    assert regions.prefix_of(code) == prefix


@pytest.mark.parametrize(
    "code", ["", "3708", "37080", "3708000", "37080a", "３７０８００", " 370800", 370800, None]
)
def test_prefix_of_rejects_non_codes(code):
    with pytest.raises(ValueError):
        regions.prefix_of(code)


def test_source():
    assert regions.source().startswith("GB/T 2260")
    assert "民政部" in regions.source()
