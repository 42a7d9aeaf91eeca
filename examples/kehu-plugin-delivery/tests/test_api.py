"""The JSON API under /api/v1/delivery: in kehu's OpenAPI, scoped, and the same write path as the webhook."""
import json
from datetime import datetime, timezone

from sqlalchemy import select

from kehu_sdk.db import db
from kehu_sdk.interactions import Interaction

from kehu_plugin_delivery.models import Receipt
from kehu_plugin_delivery.service import handle_signed

RECEIPTS = "/api/v1/delivery/customers/{id}/receipts"
SIGNED = {"waybill_no": " SF1402245566 ", "signed_by": "王建国", "signed_at": "2026-11-23T09:30:00", "pieces": 12}


def test_the_operations_are_in_the_openapi(app):
    spec = app.test_client().get("/api/openapi.json").json

    operations = spec["paths"]["/api/v1/delivery/customers/{customer_id}/receipts"]
    assert set(operations) >= {"get", "post"}
    assert operations["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/delivery.Receipt"}
    assert "X-Pagination" in operations["get"]["responses"]["200"]["headers"]
    assert "delivery.Receipt" in spec["components"]["schemas"]


def test_recording_needs_a_login_and_the_permission(app, client_as_role, make_customer):
    customer = make_customer()
    assert app.test_client().post(RECEIPTS.format(id=customer.id), json=SIGNED).status_code == 401
    assert client_as_role("sales", api=True).post(RECEIPTS.format(id=customer.id), json=SIGNED).status_code == 403


def test_a_receipt_recorded_by_hand(client_as_role, make_customer):
    admin = client_as_role("admin", api=True)
    customer = make_customer()

    created = admin.post(RECEIPTS.format(id=customer.id), json=SIGNED)

    assert created.status_code == 201, created.json
    assert created.json["waybill_no"] == "SF1402245566" and created.json["recorded_by"] == admin.user.id
    assert created.json["signed_at"] == "2026-11-23T01:30:00+00:00"  # typed without offset: China time
    [entry] = db.session.scalars(select(Interaction).where(Interaction.customer_id == customer.id)).all()
    assert (entry.kind, entry.external_ref, entry.user_id) == ("delivery_signed", "SF1402245566", admin.user.id)
    listed = admin.get(RECEIPTS.format(id=customer.id))
    assert [r["id"] for r in listed.json] == [created.json["id"]]
    assert json.loads(listed.headers["X-Pagination"])["total"] == 1


def test_invalid_receipts_are_problems_in_chinese(client_as_role, make_customer):
    admin = client_as_role("admin", api=True)
    url = RECEIPTS.format(id=make_customer().id)

    answer = admin.post(url, json={**SIGNED, "waybill_no": "  ", "pieces": 0})

    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert answer.json["errors"]["json"] == {"waybill_no": ["运单号须为 1 至 40 个字符"],
                                             "pieces": ["件数须为 1 至 999999 的整数"]}
    assert admin.post(url, json={**SIGNED, "signed_at": "0001-01-01T00:00:00"}).status_code == 422
    assert admin.post(url, json={**SIGNED, "waybill_no": "SF\x00"}).status_code == 422
    assert db.session.scalar(select(Receipt.id)) is None


def test_a_waybill_of_another_customer_is_refused(client_as_role, make_customer):
    admin = client_as_role("admin", api=True)
    first, second = make_customer(), make_customer()
    assert admin.post(RECEIPTS.format(id=first.id), json=SIGNED).status_code == 201

    refused = admin.post(RECEIPTS.format(id=second.id), json=SIGNED)

    assert refused.status_code == 422
    assert refused.json["errors"]["json"]["waybill_no"] == ["该运单号已登记在另一位客户名下：SF1402245566"]
    assert db.session.scalar(select(Receipt.customer_id)) == first.id


def test_a_receipt_of_an_unknown_consignee_is_claimed_by_hand(client_as_role, make_customer, provider):
    handle_signed({"webhook_id": "msg_1", "type": "shipment.signed",
                   "payload": json.loads(provider.event(phone="13900000000")),
                   "received_at": datetime.now(timezone.utc).isoformat()})
    customer = make_customer()

    claimed = client_as_role("admin", api=True).post(RECEIPTS.format(id=customer.id), json=SIGNED)

    assert claimed.status_code == 201
    [receipt] = db.session.scalars(select(Receipt)).all()
    assert receipt.customer_id == customer.id and receipt.webhook_id is None


def test_receipts_of_customers_outside_the_scope_are_not_found(client_as_role, make_customer):
    owner, other = client_as_role("sales", api=True), client_as_role("sales", api=True)
    customer = make_customer(owner.user)

    assert owner.get(RECEIPTS.format(id=customer.id)).status_code == 200
    assert other.get(RECEIPTS.format(id=customer.id)).status_code == 404
    assert other.get(RECEIPTS.format(id=2**40)).status_code == 404


def test_while_disabled_the_api_answers_404(client_as_role, make_customer, disable_plugins):
    admin = client_as_role("admin", api=True)
    customer = make_customer()
    disable_plugins("delivery")

    assert admin.get(RECEIPTS.format(id=customer.id)).status_code == 404
