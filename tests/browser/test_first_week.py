"""What a new user meets in the first week (issue 12, points 1 and 6), at 1280 and 375 px, in Chinese
and English: phones as people write them, tel: links, list lines, pages beyond the last, tags typed
inline, 标记完成 within a phone's width."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from kehu.customers.models import Customer
from kehu.customers.service import create_customer
from kehu.extensions import db
from kehu.interactions.service import log_interaction
from kehu.platform.time import utcnow
from kehu.tags.models import Tag

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

VIEWS = [pytest.param(1280, "zh", id="1280-zh"), pytest.param(375, "en", id="375-en"),
         pytest.param(375, "zh", id="375-zh"), pytest.param(1280, "en", id="1280-en")]
WORDS = {"zh": {"beyond": "没有第 999 页", "last": "去最后一页", "done": "标记完成", "new_tags": "新标签"},
         "en": {"beyond": "There is no page 999", "last": "Go to the last page", "done": "Mark done",
                "new_tags": "New tags"}}


@pytest.fixture
def jining(admin):
    db.session.add(Tag(name="老客户"))
    db.session.commit()
    landline = create_customer({"name": "兖州粮油站", "region_code": "370812", "phone": "0537-7212345"}, admin)
    create_customer({"name": "嘉祥石雕", "region_code": "370829", "industry": "manufacturing",
                     "phone": "13853701234", "tags": ["老客户"]}, admin)
    log_interaction(landline.id, "call", status="planned", due_at=utcnow() + timedelta(days=1), user_id=admin.id,
                    subject="这是一条很长的跟进主题，用来看手机宽度下按钮是否还在屏幕里面")
    db.session.commit()
    return landline


@pytest.mark.parametrize("width, language", VIEWS)
def test_phones_lists_tags_and_follow_ups_for_a_new_user(live_server, admin_page, jining, width, language):
    words = WORDS[language]
    page = admin_page(width, language)

    page.goto(f"{live_server}/customers/{jining.id}")
    link = page.locator("a.phone-link")
    expect(link).to_have_text("0537-721 2345")  # the leading 0 stays, the area code before a dash
    assert link.get_attribute("href") == "tel:+865377212345"

    page.goto(f"{live_server}/customers")
    lines = page.locator(".customer-item .meta").all_inner_texts()
    assert lines and not [line for line in lines if re.search(r"·\s*·|^\s*·|·\s*$", line)]
    page.goto(f"{live_server}/customers?page=999")
    expect(page.get_by_test_id("no-such-page")).to_contain_text(words["beyond"])
    page.get_by_role("link", name=words["last"]).click()
    expect(page.get_by_test_id("customer-results").locator(".customer-item")).to_have_count(2)

    page.goto(f"{live_server}/customers/new")
    page.fill("#f-name", f"鱼台稻米合作社 {width}{language}")
    page.get_by_test_id("tag-input").get_by_text("老客户", exact=True).click()  # a chip, not a listbox
    page.get_by_label(words["new_tags"]).fill("稻米，合作社")
    page.get_by_test_id("save-customer").click()
    expect(page.get_by_test_id("customer-name")).to_have_text(f"鱼台稻米合作社 {width}{language}")
    saved = db.session.scalar(select(Customer).where(Customer.name == f"鱼台稻米合作社 {width}{language}"))
    assert sorted(t.name for t in saved.tags) == sorted(["老客户", "稻米", "合作社"])

    page.goto(f"{live_server}/follow-ups")
    button = page.get_by_role("button", name=words["done"])
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width  # the whole button on the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= width
