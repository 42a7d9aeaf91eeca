"""A role that sees masked phones cannot unmask them by searching (issue 11, point 1).

The attack from the probe: a marketing user sees 187****1749 and searches the 10,000 numbers that
fit it; whichever returns the customer is the number. Here with a candidate set that contains the
real number, through the API and the web search, for the customer's own phone and a contact's.
"""
import pytest

from kehu.customers.service import add_contact
from kehu.extensions import db
from kehu_sdk.testing import empty_redis_database

TARGET = "18753701749"
CONTACT = "13905371749"


def candidates(real: str, count=40):
    """Numbers fitting the masked ``187****1749`` (the real one among them)."""
    middles = [f"{n:04d}" for n in range(0, 10_000, 10_000 // count)]
    found = [f"{real[:3]}{middle}{real[-4:]}" for middle in middles]
    return sorted(set(found) | {real})


@pytest.fixture
def target(make_customer):
    customer = make_customer(name="郓城鸿运农资", phone=TARGET)
    add_contact(customer, {"name": "采购 刘", "phone": CONTACT})
    db.session.commit()
    return customer


@pytest.mark.parametrize("api", [True, False])
def test_the_enumeration_finds_nothing_for_a_role_that_sees_masked_phones(app, target, client_as_role, api):
    marketing = client_as_role("marketing", api=api)
    seen = marketing.get(f"/api/v1/customers/{target.id}").get_json() if api else None
    if api:
        assert seen["phone"] == "187****1749"  # what this role is shown
    hits = []
    for number in candidates(TARGET) + candidates(CONTACT):
        if api:
            found = [c["id"] for c in marketing.get("/api/v1/customers", query_string={"q": number}).get_json()]
        else:
            found = [target.id] if "郓城鸿运农资" in marketing.get("/customers", query_string={"q": number}).text else []
        if target.id in found:
            hits.append(number)
    assert hits == []


def test_the_last_four_digits_still_find_what_the_mask_shows(app, target, client_as_role):
    marketing = client_as_role("marketing", api=True)
    assert [c["id"] for c in marketing.get("/api/v1/customers", query_string={"q": "1749"}).get_json()] == [target.id]


def test_a_role_that_sees_phones_finds_customers_by_phone(app, target, client_as_role):
    sales = client_as_role("sales", api=True)
    target.owner_id = sales.user.id
    db.session.commit()
    for number in (TARGET, "187 5370 1749", CONTACT):
        assert [c["id"] for c in sales.get("/api/v1/customers", query_string={"q": number}).get_json()] == [target.id]


def _limited_app(app_like_the_tests, **config):
    return app_like_the_tests("limited", RATELIMIT_ENABLED=True, KEHU_SEARCH_RATE_LIMIT="5 per minute", **config)


def _exhaust(limited_app, app, make_user, api_client_as):
    """Five searches pass, the sixth is a 429 for that user only; pages answer in the user's language."""
    from kehu.extensions import limiter
    limiter.reset()
    user, colleague = make_user("marketing"), make_user("marketing")
    client = limited_app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = api_client_as(user).environ_base["HTTP_AUTHORIZATION"]
    with limited_app.app_context():
        answers = [client.get("/api/v1/customers", query_string={"q": f"1875370{n:04d}"}) for n in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert answers[-1].content_type == "application/problem+json" and int(answers[-1].headers["Retry-After"]) > 0
        assert client.get("/api/v1/interactions").status_code == 429  # one budget for every search and list
        assert client.get("/api/v1/tags").status_code == 200  # other endpoints are not searches
        other = limited_app.test_client()
        other.environ_base["HTTP_AUTHORIZATION"] = api_client_as(colleague).environ_base["HTTP_AUTHORIZATION"]
        assert other.get("/api/v1/customers").status_code == 200  # per user, not per address
    return user


def test_searches_are_rate_limited_per_user(app, app_like_the_tests, make_user, api_client_as):
    limited = _limited_app(app_like_the_tests)
    _exhaust(limited, app, make_user, api_client_as)


@pytest.mark.integration
def test_the_limit_counters_live_in_redis_when_configured(app, app_like_the_tests, make_user, api_client_as):
    """Several web processes of one site share their counters through Redis."""
    with empty_redis_database((11, 10, 9, 8)) as (url, client):
        limited = _limited_app(app_like_the_tests, RATELIMIT_STORAGE_URI=url)
        user = _exhaust(limited, app, make_user, api_client_as)
        keys = [key.decode() for key in client.keys("*")]
        assert any(f"user:{user.id}" in key for key in keys), keys
