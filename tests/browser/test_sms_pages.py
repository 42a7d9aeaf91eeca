"""The SMS plugin's pages in real Chromium, at 1280 and 375 px, in Chinese and English: the customer
panel in China time with the kind's title, a campaign's audience as chips, and the campaign's buttons
following its state through the polled progress (issue 12, point 2)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from kehu.customers.service import create_customer
from kehu.extensions import db
from kehu.interactions.models import Interaction
from kehu.platform.time import china_now, china_time
from kehu.tags.models import Tag
from kehu_plugins.sms.service import sending
from kehu_sdk.testing import TEST_PASSWORD

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

pytestmark = pytest.mark.kehu_plugins("sms")
SCREENS = [pytest.param(1280, id="1280px"), pytest.param(375, id="375px")]
LANGUAGES = [pytest.param("zh", id="zh"), pytest.param("en", id="en")]
WORDS = {
    "zh": {"kind": "短信", "sent": "已发送", "chips": ["济宁市", "本地特色产业", "农业", "意向客户"],
           "pause": "暂停", "cancel": "取消活动", "done": "已完成"},
    "en": {"kind": "SMS", "sent": "Sent", "chips": ["济宁市", "本地特色产业", "Agriculture", "Interested"],
           "pause": "Pause", "cancel": "Cancel campaign", "done": "Done"},
}
TARGET = {"region": "3708", "tags": ["本地特色产业"], "industry": ["agriculture"], "status": ["intent"]}


@pytest.fixture
def sms_demo(admin, api_client_as, save_plugin_settings):
    """A farm in 任城区 that agreed to SMS, a template, and the admin's API client."""
    db.session.add(Tag(name="本地特色产业"))
    db.session.commit()
    customer = create_customer({"name": "任城鲁丰合作社", "region_code": "370811", "industry": "agriculture",
                                "status": "intent", "tags": ["本地特色产业"], "phone": "13805371234",
                                "consent_sms": True}, admin)
    api = api_client_as(admin)
    template = api.post("/api/v1/sms/templates", json={"name": "开业", "body": "{name}您好"}).get_json()
    return {"customer": customer, "api": api, "template": template}


def window(save_plugin_settings, open_now: bool):
    """The SMS send window: open all day, or opening in two hours (a started campaign waits)."""
    now = china_now()
    opens, closes = ("00:00", "00:00") if open_now else ((now + timedelta(hours=2)).strftime("%H:%M"),
                                                          (now + timedelta(hours=3)).strftime("%H:%M"))
    save_plugin_settings("sms", {"send_window_start": opens, "send_window_end": closes,
                                 "rate_limit_per_second": 1000})


def campaign(demo, target=None, start=True):
    made = demo["api"].post("/api/v1/sms/campaigns", json={"name": "开业活动", "template_id": demo["template"]["id"],
                                                          "target": target or {}}).get_json()
    if start:
        demo["api"].post(f"/api/v1/sms/campaigns/{made['id']}/start")
    return made["id"]


def open_page(new_page, live_server, width, language):
    page = new_page(width=width, height=900 if width > 400 else 812)
    if language == "en":
        page.context.add_cookies([{"name": "kehu_locale", "value": "en", "url": live_server}])
    page.goto(f"{live_server}/login")  # as test_browser_ui.sign_in (test files import no test files here)
    page.fill("#username", "admin")
    page.fill("#password", TEST_PASSWORD)
    page.click("form button[type=submit].btn-primary")
    expect(page.get_by_test_id("current-user")).to_be_attached()
    return page


def no_sideways_scroll(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", SCREENS)
def test_the_sms_panel_shows_china_time_and_words(live_server, new_page, sms_demo, save_plugin_settings, width,
                                                  language):
    window(save_plugin_settings, open_now=True)
    campaign(sms_demo)
    customer = sms_demo["customer"]
    logged = db.session.scalar(select(Interaction).where(Interaction.customer_id == customer.id))
    page = open_page(new_page, live_server, width, language)
    page.goto(f"{live_server}/customers/{customer.id}")
    panel = page.get_by_test_id("sms-panel")
    expect(panel.get_by_test_id("sms-panel-time")).to_have_text(china_time(logged.occurred_at))  # as the timeline
    expect(page.get_by_test_id("timeline")).to_contain_text(china_time(logged.occurred_at))
    expect(panel).to_contain_text(WORDS[language]["kind"])
    expect(panel.get_by_test_id("sms-panel-status")).to_have_text(WORDS[language]["sent"])
    no_sideways_scroll(page, width)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", SCREENS)
def test_the_audience_shows_as_chips(live_server, new_page, sms_demo, width, language):
    campaign_id = campaign(sms_demo, TARGET, start=False)
    page = open_page(new_page, live_server, width, language)
    page.goto(f"{live_server}/sms/campaigns/{campaign_id}")
    chips = page.get_by_test_id("sms-audience").locator(".badge")
    expect(chips).to_have_text(WORDS[language]["chips"])
    expect(page.get_by_test_id("sms-audience")).not_to_contain_text("{")
    no_sideways_scroll(page, width)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("width", SCREENS)
def test_the_buttons_go_when_the_campaign_finishes(live_server, new_page, sms_demo, save_plugin_settings, width,
                                                   language):
    window(save_plugin_settings, open_now=False)
    campaign_id = campaign(sms_demo)  # running, waiting for the window
    words = WORDS[language]
    page = open_page(new_page, live_server, width, language)
    page.goto(f"{live_server}/sms/campaigns/{campaign_id}")
    actions = page.get_by_test_id("sms-actions")
    expect(actions.get_by_role("button", name=words["pause"])).to_be_visible()
    expect(actions.get_by_role("button", name=words["cancel"])).to_be_visible()
    no_sideways_scroll(page, width)

    window(save_plugin_settings, open_now=True)
    assert sending.work(campaign_id).outcome == "done"  # the worker finishes it while the page is open
    progress = page.get_by_test_id("sms-progress")
    expect(progress).to_have_attribute("data-status", "done")  # the next poll, without a reload
    expect(progress).to_contain_text(words["done"])
    expect(page.get_by_role("button", name=words["pause"])).to_have_count(0)
    expect(page.get_by_role("button", name=words["cancel"])).to_have_count(0)
    assert progress.get_attribute("hx-get") is None  # polling stopped
    no_sideways_scroll(page, width)
