"""The SMS forms choose with core's controls: the campaign's audience with the customer list's region
picker, industry select, status and tag pills; the template preview's customer by search, within the
user's scope and with phones as the user may see them (issue 12, point 9)."""
import re

from sqlalchemy import select

from kehu_plugins.sms.models import SmsCampaign
from kehu_sdk.db import db

from test_web import csrf_token


def _template(api):
    return api.post("/api/v1/sms/templates", json={"name": "开业", "body": "{name}您好"}).get_json()


def test_the_campaign_form_saves_what_the_pickers_chose(sms_user, web_client_as, api_client_as, make_tag):
    user = sms_user("marketing")
    web, api = web_client_as(user), api_client_as(user)
    make_tag("本地特色产业")
    make_tag("老客户")
    template = _template(api)
    form = web.get("/sms/campaigns/new").get_data(as_text=True)
    for control in ('data-testid="region-picker-region"', 'name="region_province"', 'data-testid="status-filter"',
                    'data-testid="tag-filter"', 'name="tag_mode"', '<select class="form-select form-select-sm" id="sms-industry" name="industry"'):
        assert control in form, control
    assert not re.search(r'<input[^>]+name="(region|tags|industry)"[^>]*type="text"', form)  # no codes typed by hand
    assert not re.search(r'<input[^>]+type="text"[^>]*name="(region|tags|industry)"', form)
    assert 'value="agriculture"' in form and "农业" in form and 'value="本地特色产业"' in form

    chosen = {"csrf_token": csrf_token(form), "name": "济宁农户", "template_id": template["id"],
              "region_province": "370000", "region_middle": "370800", "region_county": "",
              "industry": "agriculture", "status": ["intent", "customer"], "tags": ["本地特色产业"], "tag_mode": "all"}
    saved = web.post("/sms/campaigns/new", data=chosen)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    campaign = db.session.scalar(select(SmsCampaign))
    target = {"region": "370800", "industry": ["agriculture"], "status": ["intent", "customer"], "tags": ["本地特色产业"]}
    assert campaign.target == target
    # the same dict the API takes
    assert api.post("/api/v1/sms/campaigns", json={"name": "同样", "template_id": template["id"],
                                                   "target": target}).status_code == 201

    county = web.post("/sms/campaigns/new", data={**chosen, "region_county": "370811", "tags": ["本地特色产业", "老客户"],
                                                  "tag_mode": "any", "status": [], "industry": ""})
    assert county.status_code == 302
    newest = db.session.scalars(select(SmsCampaign).order_by(SmsCampaign.id.desc())).first()
    assert newest.target == {"region": "370811", "tags": ["本地特色产业", "老客户"], "tag_mode": "any"}


def test_refused_choices_come_back_beside_their_controls(sms_user, web_client_as, api_client_as, make_tag):
    user = sms_user("marketing")
    web, api = web_client_as(user), api_client_as(user)
    make_tag("本地特色产业")
    template = _template(api)
    token = csrf_token(web.get("/sms/campaigns/new").get_data(as_text=True))
    refused = web.post("/sms/campaigns/new", data={"csrf_token": token, "name": "x", "template_id": template["id"],
                                                   "region_province": "99", "status": ["intent"],
                                                   "tags": ["本地特色产业"]})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    region_block = html[html.index('data-testid="region-picker-region"'):html.index('id="sms-industry"')]
    assert "不是有效的行政区划代码：99" in region_block
    # what was chosen is still chosen
    assert re.search(r'value="intent" id="sms-status-intent" autocomplete="off" checked', html)
    assert re.search(r'value="本地特色产业" id="sms-tag-\d+" autocomplete="off" checked', html)
    assert db.session.scalar(select(SmsCampaign.id)) is None


def test_the_preview_finds_customers_in_the_users_scope(sms_user, web_client_as, api_client_as, make_user,
                                                         make_customer):
    seller = sms_user("sales", permissions=["sms.read", "sms.manage"])
    other = make_user("sales")
    mine = make_customer(seller, name="梁山县鲁丰合作社", consent_sms=True)
    make_customer(other, name="梁山县绿源合作社")
    web = web_client_as(seller)
    template = _template(api_client_as(sms_user("marketing")))
    page = web.get(f"/sms/templates/{template['id']}").get_data(as_text=True)
    assert 'data-testid="sms-preview-search"' in page and 'name="customer_id"' not in page

    found = web.get(f"/sms/templates/{template['id']}/customers?q=梁山县").get_data(as_text=True)
    assert "梁山县鲁丰合作社" in found and "梁山县绿源合作社" not in found
    by_pinyin = web.get(f"/sms/templates/{template['id']}/customers?q=lsx").get_data(as_text=True)  # 梁山县
    assert by_pinyin.count('data-testid="sms-preview-customer"') == 1 and "梁山县鲁丰合作社" in by_pinyin
    preview_url = re.search(r'hx-get="([^"]+/preview\?customer_id=\d+)"', found).group(1)
    preview = web.get(preview_url.replace("&amp;", "&"))
    assert preview.status_code == 200 and "梁山县鲁丰合作社您好" in preview.get_data(as_text=True)
    outside = db.session.scalar(select(type(mine).id).where(type(mine).name == "梁山县绿源合作社"))
    assert web.get(f"/sms/templates/{template['id']}/preview?customer_id={outside}").status_code == 404


def test_marketing_sees_masked_phones_and_cannot_search_by_a_full_number(sms_user, web_client_as, api_client_as,
                                                                          make_user, make_customer):
    marketing = sms_user("marketing")
    web = web_client_as(marketing)
    make_customer(make_user("manager"), name="任城鸿达机械", phone="13805371234")
    template = _template(api_client_as(marketing))
    found = web.get(f"/sms/templates/{template['id']}/customers?q=鸿达").get_data(as_text=True)
    assert "任城鸿达机械" in found and "138****1234" in found and "13805371234" not in found
    by_number = web.get(f"/sms/templates/{template['id']}/customers?q=13805371234").get_data(as_text=True)
    assert "任城鸿达机械" not in by_number  # a full number is no search key for a masked role
    assert "任城鸿达机械" in web.get(f"/sms/templates/{template['id']}/customers?q=1234").get_data(as_text=True)
