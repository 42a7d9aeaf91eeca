"""The SMS pages, the menu entry and the customer panel."""
import re

from markupsafe import escape
from sqlalchemy import select

from kehu_plugins.sms.models import SmsCampaign, SmsTemplate
from kehu_sdk.db import db


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


def test_template_and_campaign_pages(sms_user, web_client_as, make_user, make_customer, all_day, sms_app):
    user = sms_user("marketing")
    web = web_client_as(user)
    form = web.get("/sms/templates/new")
    assert form.status_code == 200
    token = csrf_token(form.get_data(as_text=True))

    rejected = web.post("/sms/templates/new", data={"csrf_token": token, "name": "x", "kind": "marketing",
                                                    "body": "{nope}"})
    assert rejected.status_code == 422 and "未知变量" in rejected.get_data(as_text=True)
    assert web.post("/sms/templates/new", data={"name": "x", "kind": "marketing", "body": "hi"}).status_code in (302, 400)
    assert db.session.scalar(select(SmsTemplate.id)) is None  # no token, nothing saved

    saved = web.post("/sms/templates/new", data={"csrf_token": token, "name": "开业", "kind": "marketing",
                                                 "body": "{name}您好，本店开业。"})
    assert saved.status_code == 302
    template_id = db.session.scalar(select(SmsTemplate.id))

    owner = make_user("sales")  # without SMS permissions (managers read SMS by default)
    customer = make_customer(owner, consent_sms=True, name="赵强")
    new = web.post("/sms/campaigns/new", data={"csrf_token": token, "name": "开业活动", "template_id": template_id,
                                               "status": ["lead"], "region_province": ""})
    assert new.status_code == 302, new.get_data(as_text=True)
    campaign_id = db.session.scalar(select(SmsCampaign.id))
    page = web.get(f"/sms/campaigns/{campaign_id}").get_data(as_text=True)
    assert "可发送 1 人" in page
    started = web.post(f"/sms/campaigns/{campaign_id}/start", data={"csrf_token": token})
    assert started.status_code == 302
    # the eager task wrote the campaign in its own session; the pages below share this test's session,
    # whose copy of it may still say "running" (a real request starts with a fresh session)
    db.session.expire_all()
    listing = web.get("/sms/").get_data(as_text=True)
    assert "开业活动" in listing and "100.0%" in listing
    assert "hx-get" not in web.get(f"/sms/campaigns/{campaign_id}/progress").get_data(as_text=True)  # done: no polling
    assert web.post(f"/sms/campaigns/{campaign_id}/start").status_code in (302, 400)  # no CSRF token: refused
    assert db.session.get(SmsCampaign, campaign_id).status == "done"

    manager = sms_app.extensions["kehu_plugins"]
    with sms_app.test_request_context():
        panels_and_menus(manager, customer, user, owner)


def panels_and_menus(manager, customer, user, owner):
    [panel] = [p for found in manager.hook("customer_panels")(customer=customer, user=user) for p in found]
    assert "赵强您好，本店开业。" in panel["html"]
    menus = [m for found in manager.hook("menu_items")(user=user) for m in found if m["url"].startswith("/sms")]
    assert len(menus) == 1 and {"url": "/sms/", "icon": "chat"}.items() <= menus[0].items()
    assert [m for found in manager.hook("menu_items")(user=owner) for m in found if m["url"].startswith("/sms")] == []


def test_pages_need_permissions(web_client_as, make_user, sms_app):
    web = web_client_as(make_user("sales"))
    assert web.get("/sms/").status_code == 403
    assert web.get("/sms/templates/new").status_code == 403


def test_a_page_and_the_api_refuse_the_same_input_with_the_same_messages(sms_user, web_client_as, api_client_as):
    """The pages load their forms with the API's schemas and save through the same service: a bad
    target is refused when the campaign is saved, not only when it starts."""
    user = sms_user("marketing")
    web, api = web_client_as(user), api_client_as(user)
    token = csrf_token(web.get("/sms/templates/new").get_data(as_text=True))

    def page_shows(response, messages):
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        missing = [m for m in messages if str(escape(m)) not in html]
        assert not missing, missing

    bad_template = {"name": "开业", "kind": "marketing", "body": "{nope}您好"}
    answer = api.post("/api/v1/sms/templates", json=bad_template)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert answer.get_json()["errors"]["json"] == {"body": ["未知变量：{nope}"]}
    page_shows(web.post("/sms/templates/new", data={"csrf_token": token, **bad_template}), ["未知变量：{nope}"])
    assert db.session.scalar(select(SmsTemplate.id)) is None

    template = api.post("/api/v1/sms/templates", json={"name": "开业", "body": "{name}您好"}).get_json()
    answer = api.post("/api/v1/sms/campaigns", json={"name": "", "template_id": template["id"], "target": {"region": "99"}})
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    errors = answer.get_json()["errors"]["json"]
    assert errors == {"name": ["必填，最多 100 个字符"], "target": {"region": ["不是有效的行政区划代码：99"]}}
    page_shows(web.post("/sms/campaigns/new", data={"csrf_token": token, "name": "", "template_id": template["id"],
                                                   "region_province": "99"}),
               errors["name"] + errors["target"]["region"])
    assert db.session.scalar(select(SmsCampaign.id)) is None  # neither path stored it

    # in the user's language: English for a user who chose it, on both paths
    user.locale = "en"
    db.session.commit()
    answer = api.post("/api/v1/sms/campaigns", json={"name": "", "template_id": template["id"], "target": {"region": "99"}})
    errors = answer.get_json()["errors"]["json"]
    assert errors == {"name": ["Required, at most 100 characters"], "target": {"region": ["Not a valid region code: 99"]}}
    page_shows(web.post("/sms/campaigns/new", data={"csrf_token": token, "name": "", "template_id": template["id"],
                                                   "region_province": "99"}),
               errors["name"] + errors["target"]["region"])
