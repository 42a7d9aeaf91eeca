"""Web UI: customer list filters, detail, create/edit forms with industry fields, quick logging."""
import re

import pytest
from sqlalchemy import func, select

from kehu.custom_fields.service import save_admin_schema
from kehu.customers.models import Contact, Customer
from kehu.customers.service import create_customer
from kehu.extensions import db
from kehu.interactions.models import Interaction
from kehu.platform.time import china_now
from kehu.plugins.hookspecs import hookimpl
from kehu.tags.models import Tag

NEXT_YEAR = china_now().year + 1  # follow-ups must be due within five years (issue 12, point 3)


MANUFACTURING = {
    "type": "object", "additionalProperties": False, "required": ["capacity_tons"],
    "properties": {
        "capacity_tons": {"type": "integer", "title": "年产能（吨）", "minimum": 0},
        "certifications": {"type": "array", "title": "认证", "items": {"type": "string", "enum": ["ISO9001", "CCC"]}},
        "exports": {"type": "boolean", "title": "出口"},
        "founded": {"type": "string", "format": "date", "title": "成立日期"},
    },
}
HX = {"HX-Request": "true", "HX-Target": "customer-results"}


def csrf_token(client) -> str:
    page = client.get("/follow-ups").text
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


@pytest.fixture
def manufacturing_schema(admin):
    return save_admin_schema("manufacturing", "制造业字段", MANUFACTURING, admin)


def _form(**overrides):
    form = {"kind": "company", "name": "济宁鸿达机械制造有限公司", "status": "lead", "industry": "manufacturing",
            "phone": "138 0537 1234", "region_code_province": "370000", "region_code_middle": "370800",
            "region_code_county": "370811", "extra.capacity_tons": "500", "extra.certifications": ["ISO9001", "CCC"],
            "extra.exports": "1", "extra.founded": "2008-05-01", "consent_sms": "1"}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def test_create_customer_with_industry_fields(admin, web_client_as, manufacturing_schema):
    client = web_client_as(admin)
    form_page = client.get("/customers/new")
    assert form_page.status_code == 200 and "济宁" in form_page.text  # quick pick of the county picker
    fields = client.get("/customers/extra-fields?industry=manufacturing").text
    assert 'name="extra.capacity_tons"' in fields and 'type="number"' in fields and 'type="date"' in fields
    assert "multiple" in fields and 'type="checkbox"' in fields

    saved = client.post("/customers/new", data=_form(csrf_token=csrf_token(client)))
    assert saved.status_code == 302, saved.text
    customer = db.session.scalar(select(Customer))
    assert saved.headers["Location"] == f"/customers/{customer.id}"
    assert customer.extra == {"capacity_tons": 500, "certifications": ["ISO9001", "CCC"], "exports": True,
                              "founded": "2008-05-01"}
    assert (customer.extra_schema, customer.extra_schema_version) == ("manufacturing", manufacturing_schema.version)
    assert customer.region_code == "370811" and customer.phone == "+8613805371234" and customer.consent_sms
    detail = client.get(saved.headers["Location"]).text
    assert "年产能（吨）" in detail and "500" in detail and "山东省济宁市任城区" in detail


def test_invalid_industry_fields_are_shown_beside_the_field(admin, web_client_as, manufacturing_schema):
    client = web_client_as(admin)
    token = csrf_token(client)
    not_a_number = client.post("/customers/new", data=_form(**{"extra.capacity_tons": "很多", "csrf_token": token}))
    assert not_a_number.status_code == 422
    field = re.search(r'data-field="capacity_tons".*?</div>\s*</div>', not_a_number.text, re.S).group(0)
    assert "请输入整数" in field and "is-invalid" in field
    negative = client.post("/customers/new", data=_form(**{"extra.capacity_tons": "-5", "csrf_token": token}))
    assert negative.status_code == 422 and "不能小于 0" in negative.text
    no_county = client.post("/customers/new", data=_form(**{"region_code_county": "", "csrf_token": token}))
    assert no_county.status_code == 422 and "请选择区县" in no_county.text
    missing = client.post("/customers/new", data=_form(**{"extra.capacity_tons": None, "csrf_token": token}))
    assert missing.status_code == 422 and "必填" in missing.text
    assert 'value="济宁鸿达机械制造有限公司"' in missing.text  # what was typed is kept
    assert db.session.scalar(select(func.count(Customer.id))) == 0


def test_form_errors_are_in_the_users_language(admin, web_client_as):
    client = web_client_as(admin)
    response = client.post("/customers/new", data={"csrf_token": csrf_token(client), "name": "", "email": "不是邮箱",
                                                     "phone": "123", "kind": "company", "status": "lead"})
    assert response.status_code == 422
    assert "必填" in response.text and "邮箱地址无效" in response.text and "不是有效的电话号码" in response.text
    assert "Missing data" not in response.text and "Not a valid" not in response.text


def test_edit_keeps_hidden_phone_for_users_without_pii(make_user, web_client_as, admin):
    customer = create_customer({"name": "聊城东阿阿胶", "phone": "13905351234"}, admin)
    marketing = make_user("marketing")
    client = web_client_as(marketing)
    assert client.get(f"/customers/{customer.id}/edit").status_code == 403  # marketing may not edit
    service = make_user("service")
    customer.owner_id = service.id
    db.session.commit()
    client = web_client_as(service)
    page = client.get(f"/customers/{customer.id}/edit").text
    assert "139 0535 1234" in page  # service has customer.pii: the number as people write it
    detail = web_client_as(marketing).get(f"/customers/{customer.id}").text
    assert "139****1234" in detail and "0535 1234" not in detail and "13905351234" not in detail


def _seed(admin, owner):
    db.session.add_all([Tag(name="重点关注"), Tag(name="老客户")])
    db.session.commit()
    rows = [
        ("任城机械", "370811", "manufacturing", "customer", ["重点关注"], {"capacity_tons": 800}, owner),
        ("曲阜机械", "370881", "manufacturing", "customer", ["重点关注", "老客户"], {"capacity_tons": 100}, owner),
        ("任城饭店", "370811", "catering", "customer", ["重点关注"], None, owner),
        ("历下机械", "370102", "manufacturing", "customer", ["重点关注"], {"capacity_tons": 900}, owner),
        ("任城线索", "370811", "manufacturing", "lead", [], {"capacity_tons": 5}, admin),
    ]
    for name, region, industry, status, tags, extra, user in rows:
        data = {"name": name, "region_code": region, "industry": industry, "status": status, "tags": tags,
                "owner_id": user.id}
        if extra:
            data["extra"] = extra
        create_customer(data, admin)


def _names(html):
    return re.findall(r'<strong class="customer-name">([^<]+)</strong>', html)


def test_list_filters_combine(admin, make_user, web_client_as, manufacturing_schema):
    sales = make_user("sales")
    _seed(admin, sales)
    client = web_client_as(admin)
    base = "/customers?region_province=370000&region_middle=370800&industry=manufacturing&status=customer"
    assert sorted(_names(client.get(base).text)) == ["任城机械", "曲阜机械"]
    with_tags = client.get(base + "&tags=重点关注&tags=老客户", headers=HX)
    assert "<html" not in with_tags.text and _names(with_tags.text) == ["曲阜机械"]  # partial for htmx
    county = client.get(base + "&region_county=370811", headers=HX).text
    assert _names(county) == ["任城机械"]
    extra = client.get(base + "&extra.capacity_tons__gte=500", headers=HX).text
    assert _names(extra) == ["任城机械"]
    owner = client.get(f"/customers?owner_id={admin.id}", headers=HX).text
    assert _names(owner) == ["任城线索"]
    search = client.get("/customers?q=rencheng", headers=HX).text  # pinyin search
    assert sorted(_names(search)) == sorted(["任城线索", "任城机械", "任城饭店"])


def test_list_shows_custom_field_filters_for_the_industry(admin, web_client_as, manufacturing_schema):
    client = web_client_as(admin)
    assert 'name="extra.capacity_tons__gte"' not in client.get("/customers").text
    page = client.get("/customers?industry=manufacturing").text
    assert 'name="extra.capacity_tons__gte"' in page and 'name="extra.capacity_tons__lte"' in page
    assert 'name="extra.exports"' in page and 'name="extra.founded__gte"' in page
    assert '<option value="ISO9001"' in page
    partial = client.get("/customers?industry=manufacturing", headers={"HX-Request": "true", "HX-Target": "f-industry"})
    assert partial.text.lstrip().startswith('<div id="extra-filters"')


def test_invalid_filter_is_explained_not_a_500(admin, web_client_as, manufacturing_schema):
    client = web_client_as(admin)
    response = client.get("/customers?industry=manufacturing&extra.capacity_tons__gte=很多", headers=HX)
    assert response.status_code == 200 and "不是数字" in response.text
    bad_region = client.get("/customers?region=999999", headers=HX)
    assert bad_region.status_code == 200 and "不是有效的行政区划代码" in bad_region.text


def test_scopes_apply_to_list_and_detail(admin, make_user, web_client_as):
    mine, other = make_user("sales"), make_user("sales")
    own = create_customer({"name": "我的客户", "owner_id": mine.id}, admin)
    theirs = create_customer({"name": "别人的客户", "owner_id": other.id}, admin)
    client = web_client_as(mine)
    assert _names(client.get("/customers").text) == ["我的客户"]
    assert client.get(f"/customers/{own.id}").status_code == 200
    assert client.get(f"/customers/{theirs.id}").status_code == 404
    assert client.get(f"/customers/{theirs.id}/edit").status_code == 404
    data = client.get("/dashboard/data").json
    assert sum(s["count"] for s in data["funnel"]["stages"]) + data["funnel"]["lost"] == 1


def test_quick_log_and_follow_up(admin, make_user, web_client_as):
    sales = make_user("sales")
    customer = create_customer({"name": "汶上果蔬合作社", "owner_id": sales.id}, admin)
    client = web_client_as(sales)
    token = csrf_token(client)
    url = f"/customers/{customer.id}/interactions"
    empty = client.post(url, data={"kind": "call", "content": "", "csrf_token": token})
    assert empty.status_code == 422 and "请填写内容或下次跟进时间" in empty.text
    bad_kind = client.post(url, data={"kind": "telepathy", "content": "x", "csrf_token": token})
    assert bad_kind.status_code == 422 and "未知的跟进方式" in bad_kind.text
    logged = client.post(url, data={"kind": "visit", "content": "看了大棚，想要滴灌设备",
                                    "follow_up_at": f"{NEXT_YEAR}-03-01T09:30", "csrf_token": token})
    assert logged.status_code == 200 and "看了大棚，想要滴灌设备" in logged.text
    done, planned = db.session.scalars(select(Interaction).order_by(Interaction.status)).all()
    assert (done.kind, done.status, done.user_id) == ("visit", "done", sales.id) and done.occurred_at
    assert planned.status == "planned" and planned.due_at.isoformat().startswith(f"{NEXT_YEAR}-03-01T01:30")  # China time
    follow_ups = client.get("/follow-ups").text
    assert "汶上果蔬合作社" in follow_ups
    finished = client.post(f"/interactions/{planned.id}/done", data={"from": "follow-ups"},
                           headers={"X-CSRFToken": token})
    assert finished.status_code == 200 and "已完成" in finished.text
    db.session.refresh(planned)
    assert planned.status == "done" and planned.occurred_at


def test_contacts_and_permissions(admin, make_user, web_client_as):
    customer = create_customer({"name": "济南历下商贸"}, admin)
    client = web_client_as(admin)
    token = csrf_token(client)
    bad = client.post(f"/customers/{customer.id}/contacts", data={"name": "", "phone": "12", "csrf_token": token})
    assert bad.status_code == 422 and "必填" in bad.text
    added = client.post(f"/customers/{customer.id}/contacts",
                        data={"name": "王经理", "phone": "13805311234", "csrf_token": token})
    assert added.status_code == 200 and "王经理" in added.text
    contact = db.session.scalar(select(Contact))
    removed = client.post(f"/customers/{customer.id}/contacts/{contact.id}/delete", data={"csrf_token": token})
    assert removed.status_code == 200 and db.session.scalar(select(func.count(Contact.id))) == 0
    marketing = web_client_as(make_user("marketing"))
    assert marketing.get("/customers/new").status_code == 403
    assert marketing.post(f"/customers/{customer.id}/interactions",
                          data={"kind": "call", "content": "x", "csrf_token": csrf_token(marketing)}).status_code == 403
    assert marketing.post(f"/customers/{customer.id}/delete",
                          data={"csrf_token": csrf_token(marketing)}).status_code == 403


def test_posts_need_the_csrf_token(admin, web_client_as):
    client = web_client_as(admin)
    response = client.post("/customers/new", data={"name": "无令牌客户", "kind": "company", "status": "lead"})
    assert response.status_code == 302  # back to the form with "页面已过期"
    assert db.session.scalar(select(func.count(Customer.id))) == 0


def test_delete_customer(admin, web_client_as):
    customer = create_customer({"name": "要删除的客户"}, admin)
    client = web_client_as(admin)
    response = client.post(f"/customers/{customer.id}/delete", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 302
    assert client.get(f"/customers/{customer.id}").status_code == 404
    assert db.session.get(Customer, customer.id).deleted_at is not None


def test_anonymous_users_are_sent_to_login(app):
    client = app.test_client()
    for url in ("/", "/customers", "/customers/new", "/admin/plugins", "/dashboard/data"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_expired_session_on_an_htmx_request_sends_the_page_to_login(app):
    response = app.test_client().get("/customers?q=x", headers={**HX, "HX-Current-URL": "http://localhost/customers"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login?next=")


class UiHooks:
    """Answers the UI hooks the way a plugin does (registered for one test only)."""

    @hookimpl
    def menu_items(self, user):
        return [{"title": "测试菜单", "url": "/plugin-page", "icon": "star"}]

    @hookimpl
    def customer_panels(self, customer, user):
        return [{"title": "插件面板", "html": f"<p class='from-plugin'>{customer.name} 的订单</p>"}]

    @hookimpl
    def dashboard_widgets(self, user):
        return [{"title": "插件小部件", "html": "<b class='widget-body'>42</b>"}]


@pytest.fixture
def ui_hooks(app):
    hooks = app.extensions["kehu_plugins"].hooks
    hooks.register(UiHooks(), name="uihooks")
    yield
    hooks.unregister(name="uihooks")


def test_plugin_menu_panels_and_widgets_are_shown(admin, web_client_as, ui_hooks):
    customer = create_customer({"name": "金乡大蒜合作社"}, admin)
    client = web_client_as(admin)
    dashboard = client.get("/").text
    assert 'href="/plugin-page">测试菜单</a>' in dashboard
    assert "插件小部件" in dashboard and "<b class='widget-body'>42</b>" in dashboard  # plugin HTML as it is
    detail = client.get(f"/customers/{customer.id}").text
    assert "插件面板" in detail and "<p class='from-plugin'>金乡大蒜合作社 的订单</p>" in detail


def test_error_pages_are_pages_and_the_api_keeps_problems(admin, web_client_as):
    client = web_client_as(admin)
    page = client.get("/customers/999999")
    assert page.status_code == 404 and "页面不存在" in page.text and 'data-testid="error-page"' in page.text
    api = client.get("/api/v1/customers/999999")
    assert api.status_code == 404 and api.content_type == "application/problem+json"


def test_a_page_beyond_the_last_says_so_and_links_to_the_last(admin, web_client_as, make_customer):
    for number in range(3):
        make_customer(owner=admin, name=f"汶上客户{number}")
    page = web_client_as(admin).get("/customers?page=999").text
    assert "没有第 999 页，共 1 页。" in page and "999 / 1" not in page
    assert 'href="/customers?page=1"' in page


def test_list_lines_have_no_empty_separators(admin, web_client_as, make_customer):
    make_customer(owner=admin, name="兖州无行业客户", region_code="370812", phone=None)
    page = web_client_as(admin).get("/customers").text
    line = page.split("兖州无行业客户")[1].split("</a>")[0]
    meta = re.search(r'<div class="meta">(.*?)</div>', line, re.S).group(1)
    assert "· ·" not in meta and not meta.strip().startswith("·") and not meta.strip().endswith("·")


def test_tags_are_ticked_as_chips_and_new_ones_typed_inline(admin, web_client_as):
    db.session.add(Tag(name="老客户"))
    db.session.commit()
    client = web_client_as(admin)
    form = client.get("/customers/new").text
    assert 'class="btn-check" name="tags" value="老客户"' in form and 'name="new_tags"' in form
    assert 'multiple size="4"' not in form
    token = re.search(r'"X-CSRFToken": "([^"]+)"', form).group(1)
    saved = client.post("/customers/new", data={"csrf_token": token, "name": "嘉祥石材厂", "tags": ["老客户"],
                                                "new_tags": "石材，重点关注、 老客户"})
    assert saved.status_code == 302
    customer = db.session.scalar(select(Customer).where(Customer.name == "嘉祥石材厂"))
    assert sorted(t.name for t in customer.tags) == sorted(["老客户", "石材", "重点关注"])


def test_without_tag_manage_new_tags_cannot_be_typed(make_user, web_client_as):
    sales = web_client_as(make_user("sales"))
    assert 'name="new_tags"' not in sales.get("/customers/new").text
