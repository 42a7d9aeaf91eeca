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


@pytest.mark.parametrize("typed, shown, masked", [
    ("0537-7212345", "0537-721 2345", "0537-***2345"),  # a Jining landline keeps its leading 0
    ("0635 8212345", "0635-821 2345", "0635-***2345"),
    ("010-62345678", "010-6234 5678", "010-****5678"),
    ("13853701234", "138 5370 1234", "138****1234"),
    ("+86 400 812 3456", "400 812 3456", "400****3456"),
])
def test_numbers_are_shown_the_way_people_write_them(typed, shown, masked):
    e164 = phones.normalize(typed)
    assert (phones.display(e164), phones.mask(e164)) == (shown, masked)


def test_pages_show_national_numbers_as_tel_links_and_the_edit_form_what_was_typed(app, make_customer,
                                                                                 client_as_role):
    sales = client_as_role("sales")
    customer = make_customer(owner=sales.user, phone="0537-7212345")
    detail = sales.get(f"/customers/{customer.id}").text
    assert '<a href="tel:+865377212345" class="phone-link">0537-721 2345</a>' in detail
    assert "5377212345" not in detail.replace("+865377212345", "")  # never without its 0
    form = sales.get(f"/customers/{customer.id}/edit").text
    assert 'value="0537-721 2345"' in form and "+865377212345" not in form
    marketing = client_as_role("marketing")
    masked = marketing.get(f"/customers/{customer.id}").text
    assert "0537-***2345" in masked and "tel:" not in masked
