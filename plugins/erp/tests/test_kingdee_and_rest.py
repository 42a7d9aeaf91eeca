"""Kingdee K/3 Cloud WebAPI and the generic REST mapping, against their loopback fakes."""
from decimal import Decimal

from sqlalchemy import select

from kehu_sdk.customers import Customer, update_customer
from kehu_sdk.db import db
from kehu_plugins.erp.models import ErpCustomerLink, ErpInvoice, ErpPayment, ErpSalesOrder
from kehu_plugins.erp.service.sync import execute_run, start_run

KD = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub."


def sync(*entities):
    return execute_run(start_run("manual", entities or None).id)


def seed_kingdee(fake):
    customer = fake.add("BD_Customer", FNumber="CUST0001", FName="济宁金乡大蒜合作社", FTEL="0537-8712345",
                        FADDRESS="金乡县城关镇", FTAXREGISTERCODE="93370828MA3XXXXX1")
    fake.add("SAL_SaleOrder", FBillNo="XSDD000101", FDate="2026-10-30T00:00:00", FCustId=customer,
             FBillAllAmount=56000.0, FDocumentStatus="C", FCancelStatus="A")
    fake.add("SAL_SaleOrder", FBillNo="XSDD000102", FDate="2026-10-31T00:00:00", FCustId=customer,
             FBillAllAmount=100.0, FDocumentStatus="C", FCancelStatus="B")
    fake.add("AR_receivable", FBillNo="AR00001", FDate="2026-10-30T00:00:00", FCUSTOMERID=customer,
             FALLAMOUNTFOR=56000.0, FDocumentStatus="C", FCancelStatus="A")
    fake.add("AR_RECEIVEBILL", FBillNo="SKD00001", FDate="2026-11-01T00:00:00", FCONTACTUNIT=customer,
             FRECEIVEAMOUNTFOR=20000.0, FDocumentStatus="C", FCancelStatus="A")
    return customer


def test_kingdee_pull_logs_in_and_reads_every_form(app, kingdee_erp):
    external = seed_kingdee(kingdee_erp)

    run = sync()

    assert run.status == "success", run.errors
    paths = [path.removeprefix(KD) for path, _ in kingdee_erp.calls]
    assert paths[0] == "AuthService.ValidateUser.common.kdsvc"
    assert paths.count("AuthService.ValidateUser.common.kdsvc") == 1  # one session for the whole run
    forms = [body["data"]["FormId"] for path, body in kingdee_erp.calls if "ExecuteBillQuery" in path]
    assert forms == ["BD_Customer", "SAL_SaleOrder", "AR_receivable", "AR_RECEIVEBILL"]
    customer = db.session.scalar(select(Customer))
    assert (customer.name, customer.phone, customer.address) == ("济宁金乡大蒜合作社", "+865378712345", "金乡县城关镇")
    assert db.session.scalar(select(ErpCustomerLink.external_id)) == str(external)
    orders = {o.number: o.state for o in db.session.scalars(select(ErpSalesOrder))}
    assert orders == {"XSDD000101": "confirmed", "XSDD000102": "cancelled"}
    assert db.session.scalar(select(ErpInvoice.amount)) == Decimal("56000.00")
    assert db.session.scalar(select(ErpPayment.amount)) == Decimal("20000.00")


def test_kingdee_incremental_query_uses_beijing_time(app, kingdee_erp):
    seed_kingdee(kingdee_erp)
    sync("customers")
    kingdee_erp.calls.clear()

    sync("customers")

    [query] = [body["data"] for path, body in kingdee_erp.calls if "ExecuteBillQuery" in path]
    # the newest customer was modified at 08:01 Beijing time; the cursor is stored in UTC
    assert query["FilterString"] == "FModifyDate >= '2026-11-01 08:01:00'"


def test_kingdee_session_lost_logs_in_again(app, kingdee_erp):
    seed_kingdee(kingdee_erp)
    sync("customers")
    kingdee_erp.expire_sessions()
    kingdee_erp.add("BD_Customer", FNumber="CUST0002", FName="鱼台大米厂")
    kingdee_erp.calls.clear()

    run = sync("customers")

    assert run.status == "success", run.errors
    assert db.session.scalar(select(db.func.count(Customer.id))) == 2


def test_kingdee_wrong_password_fails_run(app, fake_kingdee, configure_erp, fake_constants):
    configure_erp("kingdee", fake_kingdee.url + "/k3cloud", kingdee_acct_id=fake_constants.KINGDEE_ACCT,
                  kingdee_username=fake_constants.KINGDEE_USER, kingdee_password="wrong")

    run = sync()

    assert run.status == "failed" and "金蝶登录失败：用户名或密码错误" in run.errors[0]["message"]


def test_kingdee_app_secret_login(app, fake_kingdee, configure_erp, fake_constants):
    c = fake_constants
    configure_erp("kingdee", fake_kingdee.url + "/k3cloud", kingdee_acct_id=c.KINGDEE_ACCT,
                  kingdee_username=c.KINGDEE_USER, kingdee_app_id=c.KINGDEE_APP_ID,
                  kingdee_app_secret=c.KINGDEE_APP_SECRET)
    seed_kingdee(fake_kingdee)

    assert sync("customers").status == "success"
    assert fake_kingdee.calls[0][0] == KD + "AuthService.LoginByAppSecret.common.kdsvc"


def test_kingdee_push_creates_then_updates_customer(app, kingdee_erp, make_user, make_customer):
    user = make_user("admin")
    customer = make_customer(user, name="曲阜孔府酒业", phone="0537-4412345")
    update_customer(customer, {"address": "曲阜市鼓楼大街 1 号"}, user)

    saves = [body for path, body in kingdee_erp.calls if path.endswith("Save.common.kdsvc")]
    assert [s["formid"] for s in saves] == ["BD_Customer", "BD_Customer"]
    assert saves[0]["data"]["Model"]["FNumber"] == f"kehu-{customer.id}"
    assert saves[1]["data"]["NeedUpDateFields"] == ["FADDRESS", "FTEL"]
    [record] = kingdee_erp.forms["BD_Customer"].values()
    assert (record["FName"], record["FTEL"], record["FADDRESS"]) == ("曲阜孔府酒业", "+865374412345", "曲阜市鼓楼大街 1 号")


def test_generic_rest_pull_with_field_mapping(app, rest_erp):
    customer_uid = rest_erp.add("customers", attributes={"title": "德州扒鸡总店", "mobile": "13805341234",
                                                         "tax_no": "91371400XXXX"})
    rest_erp.add("orders", attributes={"customer_uid": customer_uid, "no": "SO-9", "date": "2026-10-01",
                                       "total": "888.80", "status": "confirmed"})
    rest_erp.add("invoices", attributes={"customer_uid": customer_uid, "no": "IV-9", "date": "2026-10-02",
                                         "total": "888.80", "status": "posted"})
    rest_erp.add("payments", attributes={"customer_uid": customer_uid, "no": "PY-9", "date": "2026-10-03",
                                         "total": 888.8, "status": "paid"})

    run = sync()

    assert run.status == "success", run.errors
    assert {e: c["created"] for e, c in run.counts.items()} == {
        "customers": 1, "orders": 1, "invoices": 1, "payments": 1}
    customer = db.session.scalar(select(Customer))
    assert (customer.name, customer.phone) == ("德州扒鸡总店", "+8613805341234")
    order = db.session.scalar(select(ErpSalesOrder))
    assert (order.number, order.amount, order.state) == ("SO-9", Decimal("888.80"), "confirmed")
    rest_erp.calls.clear()
    sync("orders")
    [(_, query)] = rest_erp.calls
    assert "modified_after" in query


def test_generic_rest_push_uses_mapping_and_idempotency_key(app, rest_erp, make_user, make_customer):
    user = make_user("admin")
    customer = make_customer(user, name="滨州冬枣园", email="dz@example.cn", phone=None)
    update_customer(customer, {"phone": "13905431234"}, user)

    posts = [(m, b) for m, b in rest_erp.calls if m.startswith(("POST", "PATCH"))]
    assert posts[0] == ("POST /api/customers", {"attributes": {"title": "滨州冬枣园", "mobile": None,
                                                               "email": "dz@example.cn", "address": None}})
    assert posts[1][0].startswith("PATCH /api/customers/")
    assert posts[1][1]["attributes"]["mobile"] == "+8613905431234"
    assert len(rest_erp.idempotency) == 2  # one key per change
