"""Phone normalization, masking and blind index; pinyin search keys."""
import pytest

from kehu.customers import phones
from kehu.customers.pinyin import search_key


@pytest.mark.parametrize("raw", ["13805371234", "138 0537 1234", "138-0537-1234", "+86 138 0537 1234",
                                 "0086 13805371234", "１３８０５３７１２３４", " 13805371234 "])
def test_the_ways_people_write_a_mobile_number_normalize_alike(raw):
    assert phones.normalize(raw) == "+8613805371234"


def test_landline_with_area_code():
    assert phones.normalize("0537-2345678") == "+865372345678"  # 济宁 landline


@pytest.mark.parametrize("raw", ["12345", "1380537123", "abc", "", "+1 555"])
def test_invalid_numbers_are_refused(raw):
    with pytest.raises(phones.InvalidPhone):
        phones.normalize(raw)


def test_mask_keeps_prefix_and_last_four():
    assert phones.mask("+8613805371234") == "138****1234"


def test_blind_index_is_keyed_and_deterministic(app):
    first = phones.blind_index("+8613805371234")
    assert first == phones.blind_index("+8613805371234")
    app.config["KEHU_PII_KEY"] = "another-key"
    try:
        assert phones.blind_index("+8613805371234") != first
    finally:
        app.config["KEHU_PII_KEY"] = "test-pii-key"


def test_encryption_round_trip_and_wrong_key(app):
    token = phones.encrypt("+8613805371234")
    assert "13805371234" not in token and phones.decrypt(token) == "+8613805371234"
    app.config["KEHU_PII_KEY"] = "another-key"
    try:
        assert phones.decrypt(token) is None
    finally:
        app.config["KEHU_PII_KEY"] = "test-pii-key"


@pytest.mark.parametrize("name, key", [("张三", "zhangsan zs"), ("济宁鸿达", "jininghongda jnhd"),
                                       ("ABC公司", "abcgongsi abcgs")])
def test_pinyin_search_key(name, key):
    assert search_key(name) == key
