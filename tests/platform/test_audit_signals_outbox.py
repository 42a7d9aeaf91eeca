"""Audit log with diffs, signals only after commit, outbox rows in the same transaction."""
import pytest
from sqlalchemy import func, select

from kehu.customers.models import Customer
from kehu.extensions import db
from kehu.platform.audit import AuditLog
from kehu.platform.outbox import OutboxConsumption, OutboxMessage, enqueue
from kehu.platform.tasks import RELAY_TASK
from kehu.platform.time import utcnow
from kehu.plugins import signals


@pytest.fixture
def caught():
    """Collects (signal name, kwargs) for the customer signals during the test."""
    seen = []
    receivers = []
    for signal in (signals.customer_created, signals.customer_updated, signals.customer_deleted):
        def receiver(sender, _name=signal.name, **kwargs):
            seen.append((_name, kwargs))
        signal.connect(receiver, weak=False)
        receivers.append((signal, receiver))
    yield seen
    for signal, receiver in receivers:
        signal.disconnect(receiver)


def test_audit_log_records_who_changed_what(admin, api_client_as):
    client = api_client_as(admin)
    created = client.post("/api/v1/customers", json={"name": "嘉祥县石雕厂", "status": "lead",
                                                     "phone": "13905370009", "tags": ["新客户"]}).json
    client.patch(f"/api/v1/customers/{created['id']}", json={"status": "customer", "tags": ["老客户"]})
    client.delete(f"/api/v1/customers/{created['id']}")
    entries = client.get("/api/v1/audit", query_string={"entity": "customer", "entity_id": created["id"]}).json
    assert [e["action"] for e in entries] == ["delete", "update", "create"]
    assert all(e["actor"] == "admin" for e in entries)
    create, update = entries[2]["changes"], entries[1]["changes"]
    assert create["name"] == [None, "嘉祥县石雕厂"]
    assert update == {"status": ["lead", "customer"], "tags": [["新客户"], ["老客户"]]}
    every_value = str([e["changes"] for e in client.get("/api/v1/audit").json])
    assert "13905370009" not in every_value and "phone_encrypted" not in every_value  # PII and secrets stay out
    assert "password_hash" not in every_value and "token_hash" not in every_value


def test_rolled_back_transaction_sends_nothing_and_writes_no_audit(app, admin, caught):
    db.session.add(Customer(name="回滚客户", extra={}))
    db.session.flush()  # the flush queues signals and writes audit rows …
    db.session.rollback()  # … which the rollback must drop
    db.session.add(Customer(name="提交客户", extra={}))
    db.session.commit()
    assert [name for name, _ in caught] == ["customer-created"]
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.entity == "customer")) == 1


def test_signals_are_sent_after_commit_with_changes(app, admin, caught):
    customer = Customer(name="鱼台县大米合作社", status="lead", extra={})
    db.session.add(customer)
    db.session.flush()
    assert caught == []  # not before commit
    db.session.commit()
    customer.status = "customer"
    db.session.commit()
    customer.deleted_at = utcnow()
    db.session.commit()
    names = [name for name, _ in caught]
    assert names == ["customer-created", "customer-updated", "customer-deleted"]
    assert caught[1][1]["changes"] == {"status": ("lead", "customer")}


def test_outbox_row_lives_and_dies_with_the_transaction(app, admin, enable_plugins):
    enable_plugins("sample")
    customer = Customer(name="outbox客户", extra={})
    db.session.add(customer)
    db.session.flush()
    enqueue("kehu.sample.record_note", {"customer_id": customer.id, "text": "不会发生"})
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    customer = Customer(name="outbox客户", extra={})
    db.session.add(customer)
    db.session.flush()
    row = enqueue("kehu.sample.record_note", {"customer_id": customer.id, "text": "已同步"})
    db.session.commit()  # eager Celery in tests: relay and consumer run now
    from kehu_sample.models import SampleNote
    assert [n.text for n in db.session.scalars(select(SampleNote))] == ["已同步"]
    assert db.session.get(OutboxMessage, row.id).relayed_at is not None
    # a duplicate delivery of the same outbox id is skipped by the consumer
    app.extensions["celery"].tasks["kehu.sample.record_note"].apply(args=[row.id, row.payload])
    assert db.session.scalar(select(func.count()).select_from(SampleNote)) == 1
    assert db.session.get(OutboxConsumption, (row.id, "kehu.sample.record_note")) is not None


def test_outbox_rows_of_a_disabled_plugin_wait_until_it_is_enabled(app, admin, enable_plugins):
    from kehu_sample.models import SampleNote

    customer = Customer(name="停用插件客户", extra={})
    db.session.add(customer)
    db.session.flush()
    row = enqueue("kehu.sample.record_note", {"customer_id": customer.id, "text": "稍后处理"})
    db.session.commit()  # sample is disabled: the relay leaves the row alone
    assert db.session.get(OutboxMessage, row.id).relayed_at is None
    assert db.session.scalar(select(func.count()).select_from(SampleNote)) == 0

    # a copy the relay sent before the plugin was disabled is handed back, not dropped
    app.extensions["celery"].tasks["kehu.sample.record_note"].apply(args=[row.id, row.payload])
    assert db.session.get(OutboxConsumption, (row.id, "kehu.sample.record_note")) is None

    enable_plugins("sample")
    relay = app.extensions["celery"].tasks[RELAY_TASK]  # this app's Celery, not whichever app came last
    assert relay.apply().get() == 1
    assert [n.text for n in db.session.scalars(select(SampleNote))] == ["稍后处理"]
