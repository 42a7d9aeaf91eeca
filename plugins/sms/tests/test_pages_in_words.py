"""The SMS pages in people's words: China time, the titles of codes, audiences as chips, and the
campaign's buttons following its state through the polled progress (issue 12, point 2)."""
import re
from datetime import timedelta

from sqlalchemy import select

from kehu_plugins.sms.models import SmsCampaign, SmsMessage
from kehu_plugins.sms.service import campaigns, sending
from kehu_sdk.db import db
from kehu_sdk.interactions import Interaction
from kehu_sdk.time import china_now, china_time

TARGET = {"region": "3708", "tags": ["本地特色产业"], "industry": ["agriculture"], "status": ["intent"]}


def buttons(html: str) -> list[str]:
    return re.findall(r'<button type="submit" class="btn btn-sm [^"]*">([^<]+)</button>', html)


def _template(api, **fields):
    return api.post("/api/v1/sms/templates", json={"name": "开业", "body": "{name}您好", **fields}).get_json()


def _campaign(api, target=None):
    template = _template(api)
    return api.post("/api/v1/sms/campaigns", json={"name": "开业活动", "template_id": template["id"],
                                                   "target": target or {}}).get_json()


def test_the_customer_panel_shows_china_time_and_the_titles_of_codes(sms_user, api_client_as, web_client_as,
                                                                     make_user, make_customer, all_day):
    user = sms_user("marketing")
    api, web = api_client_as(user), web_client_as(user)
    customer = make_customer(make_user("manager"), consent_sms=True, name="赵强")
    campaign = _campaign(api)
    assert api.post(f"/api/v1/sms/campaigns/{campaign['id']}/start").status_code == 200
    message = db.session.scalar(select(SmsMessage))
    logged = db.session.scalar(select(Interaction).where(Interaction.customer_id == customer.id))

    page = web.get(f"/customers/{customer.id}").get_data(as_text=True)
    panel = page[page.index('data-testid="sms-panel"'):]
    panel = panel[:panel.index("</ul>")]
    shown = re.search(r'data-testid="sms-panel-time">([^<]*)<', panel).group(1)
    assert shown == china_time(message.sent_at) == china_time(logged.occurred_at)  # as the timeline says
    assert shown != message.sent_at.strftime("%Y-%m-%d %H:%M")  # not UTC
    assert "短信" in panel and ">sms<" not in panel  # the kind's title from the interaction_kinds hook
    assert re.search(r'data-testid="sms-panel-status">已发送<', panel)  # not the stored code "sent"

    user.locale = "en"
    db.session.commit()
    panel = web.get(f"/customers/{customer.id}").get_data(as_text=True)
    panel = panel[panel.index('data-testid="sms-panel"'):]
    assert re.search(r'data-testid="sms-panel-status">Sent<', panel) and "<strong class=\"text-body\">SMS</strong>" in panel


def test_the_audience_shows_as_chips_in_both_languages(sms_user, api_client_as, web_client_as, make_tag):
    user = sms_user("marketing")
    api, web = api_client_as(user), web_client_as(user)
    make_tag("本地特色产业")
    campaign = _campaign(api, TARGET)
    page = web.get(f"/sms/campaigns/{campaign['id']}").get_data(as_text=True)
    audience = page[page.index('data-testid="sms-audience"'):]
    audience = audience[:audience.index("</dd>")]
    chips = re.findall(r'<span class="badge[^"]*" title="([^"]*)">([^<]*)</span>', audience)
    assert chips == [("地区", "济宁市"), ("标签", "本地特色产业"), ("行业", "农业"), ("状态", "意向客户")]
    assert "{" not in audience and "\\u" not in audience and "&#34;" not in audience

    user.locale = "en"
    db.session.commit()
    page = web.get(f"/sms/campaigns/{campaign['id']}").get_data(as_text=True)
    audience = page[page.index('data-testid="sms-audience"'):]
    chips = re.findall(r'<span class="badge[^"]*" title="([^"]*)">([^<]*)</span>', audience[:audience.index("</dd>")])
    assert chips == [("Region", "济宁市"), ("Tags", "本地特色产业"), ("Industry", "Agriculture"),
                     ("Status", "Interested")]


def test_the_polled_progress_brings_the_buttons_and_stops_when_the_campaign_finishes(
        sms_user, api_client_as, web_client_as, make_user, make_customer, save_settings):
    now = china_now()  # the send window opens in two hours: the campaign runs and waits
    save_settings(send_window_start=(now + timedelta(hours=2)).strftime("%H:%M"),
                  send_window_end=(now + timedelta(hours=3)).strftime("%H:%M"))
    user = sms_user("marketing")
    api, web = api_client_as(user), web_client_as(user)
    make_customer(make_user("manager"), consent_sms=True)
    campaign = _campaign(api)
    api.post(f"/api/v1/sms/campaigns/{campaign['id']}/start")
    assert db.session.get(SmsCampaign, campaign["id"]).status == "running"

    page = web.get(f"/sms/campaigns/{campaign['id']}").get_data(as_text=True)
    polled_url = f"/sms/campaigns/{campaign['id']}/progress?actions=1"
    assert f'hx-get="{polled_url}"' in page
    running = web.get(polled_url).get_data(as_text=True)
    assert buttons(running) == ["暂停", "取消活动"] and 'hx-trigger="every 3s"' in running

    save_settings(send_window_start="00:00", send_window_end="00:00")
    assert sending.work(campaign["id"]).outcome == "done"
    finished = web.get(polled_url).get_data(as_text=True)
    assert 'data-status="done"' in finished and "已完成" in finished
    assert buttons(finished) == []
    assert "hx-get" not in finished  # polling stops
    assert buttons(web.get(f"/sms/campaigns/{campaign['id']}").get_data(as_text=True)) == []

    # the list polls its bars without the buttons
    listing = web.get(f"/sms/campaigns/{campaign['id']}/progress").get_data(as_text=True)
    assert "sms-actions" not in listing


def test_a_paused_campaign_polls_nothing_and_offers_resume(sms_user, api_client_as, web_client_as, make_user,
                                                           make_customer, save_settings):
    now = china_now()
    save_settings(send_window_start=(now + timedelta(hours=2)).strftime("%H:%M"),
                  send_window_end=(now + timedelta(hours=3)).strftime("%H:%M"))
    user = sms_user("marketing")
    api, web = api_client_as(user), web_client_as(user)
    make_customer(make_user("manager"), consent_sms=True)
    campaign = _campaign(api)
    api.post(f"/api/v1/sms/campaigns/{campaign['id']}/start")
    campaigns.pause_campaign(db.session.get(SmsCampaign, campaign["id"]))
    paused = web.get(f"/sms/campaigns/{campaign['id']}/progress?actions=1").get_data(as_text=True)
    assert buttons(paused) == ["继续", "取消活动"] and "hx-get" not in paused
