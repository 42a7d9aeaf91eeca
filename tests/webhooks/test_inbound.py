"""Inbound webhooks at /webhooks/<source>: Standard Webhooks signatures, once per webhook-id, Celery processing.

The sender side is the official ``standardwebhooks`` library, as a real sender would use it; the
receiver is the sample plugin's (tests/sample_plugin), whose handler records what it gets.
"""
import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from kehu_sample import plugin as sample
from sqlalchemy import func, select
from standardwebhooks import Webhook

from kehu.extensions import db
from kehu.platform.time import utcnow
from kehu.webhooks.models import InboundEvent
from kehu.webhooks.signing import new_secret

OLD_SECRET, NEW_SECRET = new_secret(), new_secret()


@pytest.fixture
def receiver(app, enable_plugins):
    """The sample plugin receiving at /webhooks/sample with two secrets (a rotation in progress)."""
    enable_plugins("sample")
    sample.webhook_secrets[:] = [NEW_SECRET, OLD_SECRET]
    sample.webhooks_handled.clear()
    yield app.test_client()
    sample.webhook_secrets.clear()
    sample.webhooks_handled.clear()


def signed(body, secret=NEW_SECRET, webhook_id=None, at=None):
    """Body and headers exactly as a Standard Webhooks sender makes them."""
    text = body if isinstance(body, str) else json.dumps(body)
    at = at or datetime.now(timezone.utc)
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    return text, {"webhook-id": webhook_id, "webhook-timestamp": str(int(at.timestamp())),
                  "webhook-signature": Webhook(secret).sign(webhook_id, at, text),
                  "content-type": "application/json"}


def post(client, text, headers, source="sample"):
    return client.post(f"/webhooks/{source}", data=text.encode() if isinstance(text, str) else text,
                       headers=headers)


def test_signed_webhook_is_stored_processed_and_a_replay_is_accepted_once(receiver):
    text, headers = signed({"type": "order.paid", "data": {"order": "SO-1"}}, webhook_id="msg_replay_1")
    first = post(receiver, text, headers)
    assert first.status_code == 202, first.json
    assert first.json["duplicate"] is False and first.json["status"] == "processed"  # eager Celery in tests
    again = post(receiver, text, headers)  # the sender retries, or an attacker replays within 5 minutes
    assert again.status_code == 202 and again.json["duplicate"] is True
    assert again.json["id"] == first.json["id"]
    assert [e["webhook_id"] for e in sample.webhooks_handled] == ["msg_replay_1"]
    handled = sample.webhooks_handled[0]
    assert handled["type"] == "order.paid" and handled["payload"]["data"] == {"order": "SO-1"}
    event = db.session.scalar(select(InboundEvent))
    assert (event.source, event.status, event.attempts, event.event_type) == ("sample", "processed", 1, "order.paid")
    assert event.processed_at is not None


def test_old_and_new_secret_are_both_accepted_during_rotation(receiver):
    for secret in (OLD_SECRET, NEW_SECRET):
        text, headers = signed({"type": "ping"}, secret=secret)
        assert post(receiver, text, headers).status_code == 202
    text, headers = signed({"type": "ping"}, secret=new_secret())
    refused = post(receiver, text, headers)
    assert refused.status_code == 401 and refused.json["title"] == "Invalid webhook signature"
    # several signatures in one header (the sender rotates too): one match is enough, junk is skipped
    text, headers = signed({"type": "ping"}, secret=OLD_SECRET)
    unknown = Webhook(new_secret()).sign(headers["webhook-id"], datetime.now(timezone.utc), text)
    headers["webhook-signature"] = f"{unknown} v1,not-base64! v2,abcd {headers['webhook-signature']}"
    assert post(receiver, text, headers).status_code == 202
    assert len(sample.webhooks_handled) == 3


def test_stale_or_future_timestamp_is_refused(receiver):
    for offset in (timedelta(minutes=-6), timedelta(minutes=6)):
        text, headers = signed({"type": "ping"}, at=datetime.now(timezone.utc) + offset)
        refused = post(receiver, text, headers)
        assert refused.status_code == 401
        assert refused.mimetype == "application/problem+json"
        assert refused.json["title"] == "Webhook timestamp outside the tolerance"
    text, headers = signed({"type": "ping"}, at=datetime.now(timezone.utc) - timedelta(minutes=4))
    assert post(receiver, text, headers).status_code == 202
    assert db.session.scalar(select(func.count(InboundEvent.id))) == 1


def test_tampered_body_is_refused_and_nothing_is_stored(receiver):
    text, headers = signed({"type": "payment", "amount": 100})
    refused = post(receiver, text.replace("100", "900"), headers)
    assert refused.status_code == 401 and refused.json["title"] == "Invalid webhook signature"
    assert db.session.scalar(select(func.count(InboundEvent.id))) == 0
    assert sample.webhooks_handled == []


@pytest.mark.parametrize("mangle, status, title", [
    (lambda t, h: (t, {k: v for k, v in h.items() if k != "webhook-signature"}), 400, "Missing webhook headers"),
    (lambda t, h: (t, {**h, "webhook-timestamp": "yesterday"}), 400, "Invalid webhook-timestamp"),
    (lambda t, h: (t, {**h, "webhook-signature": "garbage"}), 400, "Malformed webhook-signature"),
    (lambda t, h: (b"\xff\xfe\x00", h), 400, "Body is not UTF-8"),
    (lambda t, h: (t, {**h, "webhook-id": "x" * 201}), 400, "Invalid webhook-id"),
    (lambda t, h: (t, {**h, "webhook-id": "msg\x00"}), 400, "Invalid webhook-id"),
])
def test_garbage_gets_a_clear_problem_never_a_500(receiver, mangle, status, title):
    text, headers = mangle(*signed({"type": "ping"}))
    answer = post(receiver, text, headers)
    assert (answer.status_code, answer.json["title"]) == (status, title)
    assert answer.mimetype == "application/problem+json"


def test_signed_but_not_json_and_too_large_bodies_are_refused(receiver):
    text, headers = signed({"type": "odd\u0000type", "note": "\u0000 is valid JSON"})
    assert post(receiver, text, headers).status_code == 202  # stored as sent, on PostgreSQL too
    assert sample.webhooks_handled[0]["payload"]["note"] == "\x00 is valid JSON"
    for body in ("not json at all", '{"amount": NaN}', "[" * 100_000):
        text, headers = signed(body)
        answer = post(receiver, text, headers)
        assert answer.status_code == 400 and answer.json["title"] == "Body is not JSON", body[:20]
    text, headers = signed({"blob": "x" * (1024 * 1024)})
    answer = post(receiver, text, headers)
    assert answer.status_code == 413 and answer.mimetype == "application/problem+json"
    assert db.session.scalar(select(func.count(InboundEvent.id))) == 1


def test_unknown_source_and_disabled_plugin_answer_404(app, receiver):
    text, headers = signed({"type": "ping"})
    assert post(receiver, text, headers, source="nobody").status_code == 404
    app.extensions["kehu_plugins"].disable("sample")
    answer = post(receiver, text, headers)
    assert answer.status_code == 404 and answer.json["title"] == "Unknown webhook source"


def test_no_csrf_token_and_no_api_login_needed(app, receiver, make_user, web_client_as):
    """Webhook senders have no session: CSRF and API authentication must not get in the way,
    even when a browser session cookie happens to be there."""
    assert app.config.get("WTF_CSRF_ENABLED", True)
    client = web_client_as(make_user("sales"))
    text, headers = signed({"type": "ping"})
    assert post(client, text, {**headers, "Authorization": "Bearer nonsense"}).status_code == 202


def test_failing_handler_is_retried_with_backoff_then_processed(app, receiver):
    app.config["WEBHOOK_INBOUND_RETRY_SCHEDULE"] = [0, 0]
    try:
        text, headers = signed({"type": "flaky", "fail": 1})
        answer = post(receiver, text, headers)
        assert answer.status_code == 202 and answer.json["status"] == "failed"
        event = db.session.scalar(select(InboundEvent))
        assert event.attempts == 1 and "failing as asked" in event.last_error
        tasks = app.extensions["celery"].tasks
        assert tasks["kehu.webhooks.sweep"].apply().get() == {"deliveries": 0, "inbound": 1}
        db.session.refresh(event)
        assert (event.status, event.attempts, event.last_error) == ("processed", 2, None)
        assert tasks["kehu.webhooks.sweep"].apply().get() == {"deliveries": 0, "inbound": 0}
        # a handler that keeps failing ends "dead" after the schedule is used up
        text, headers = signed({"type": "broken", "fail": 99})
        post(receiver, text, headers)
        for _ in range(3):
            tasks["kehu.webhooks.sweep"].apply()
        db.session.expire_all()  # the sweeps ran in sessions of their own
        dead = db.session.scalar(select(InboundEvent).where(InboundEvent.event_type == "broken"))
        assert (dead.status, dead.attempts) == ("dead", 3)
    finally:
        app.config["WEBHOOK_INBOUND_RETRY_SCHEDULE"] = [10, 60, 300, 1800, 7200]


def test_received_event_whose_task_was_lost_is_picked_up_by_the_sweep(app, receiver):
    """A worker crash or broker outage between the commit and the task: the row is the record."""
    assert app.extensions["celery"].conf.beat_schedule["kehu.webhooks.sweep"]["schedule"] <= 10
    long_ago = utcnow() - timedelta(minutes=10)
    db.session.add(InboundEvent(source="sample", webhook_id="msg_lost", payload={"type": "lost"}, event_type="lost",
                                received_at=long_ago, next_attempt_at=long_ago + timedelta(minutes=5)))
    db.session.add(InboundEvent(source="sample", webhook_id="msg_fresh", payload={}, received_at=utcnow(),
                                next_attempt_at=utcnow() + timedelta(minutes=5)))
    db.session.commit()
    app.extensions["celery"].tasks["kehu.webhooks.sweep"].apply()
    statuses = dict(db.session.execute(select(InboundEvent.webhook_id, InboundEvent.status)).all())
    assert statuses == {"msg_lost": "processed", "msg_fresh": "received"}  # the fresh one's own task is on its way
    # the task itself is idempotent: sending it again changes nothing
    lost_id = db.session.scalar(select(InboundEvent.id).where(InboundEvent.webhook_id == "msg_lost"))
    app.extensions["celery"].tasks["kehu.webhooks.process_inbound"].apply(args=[lost_id])
    assert [e["webhook_id"] for e in sample.webhooks_handled] == ["msg_lost"]


def test_inbound_events_are_listed_for_admins_only(receiver, admin, make_user, api_client_as):
    text, headers = signed({"type": "order.paid"})
    post(receiver, text, headers)
    listed = api_client_as(admin).get("/api/v1/webhooks/inbound", query_string={"source": "sample"})
    assert listed.status_code == 200
    assert [(e["source"], e["status"], e["event_type"]) for e in listed.json] == [("sample", "processed", "order.paid")]
    detail = api_client_as(admin).get(f"/api/v1/webhooks/inbound/{listed.json[0]['id']}")
    assert detail.json["payload"] == {"type": "order.paid"}
    assert api_client_as(make_user("manager")).get("/api/v1/webhooks/inbound").status_code == 403


def _flip_padding_bits(signature_entry: str) -> str:
    """The same bytes in non-canonical base64: the last character's unused bits set."""
    version, _, sig = signature_entry.partition(",")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    stripped = sig.rstrip("=")
    last = alphabet.index(stripped[-1])
    unused = {1: 0b11, 2: 0b1111}[len(sig) - len(stripped)]  # 44-char HMAC-SHA256: one "=", 2 spare bits
    assert last & unused == 0
    return f"{version},{stripped[:-1]}{alphabet[last | unused]}{sig[len(stripped):]}"


def test_a_non_canonical_signature_is_refused(receiver):
    text, headers = signed({"type": "order.paid"})
    headers["webhook-signature"] = _flip_padding_bits(headers["webhook-signature"])
    answer = post(receiver, text, headers)
    assert answer.status_code in (400, 401) and answer.content_type == "application/problem+json"
    assert sample.webhooks_handled == []


@pytest.mark.parametrize("written", ["{t}.5", "0{t}", "+{t}", " {t}x", "{t}e0"])
def test_a_timestamp_is_plain_unix_seconds(receiver, written):
    at = datetime.now(timezone.utc)
    text, headers = signed({"type": "order.paid"}, at=at)
    headers["webhook-timestamp"] = written.format(t=int(at.timestamp()))
    answer = post(receiver, text, headers)
    assert answer.status_code == 400 and answer.json["title"] == "Invalid webhook-timestamp"
    assert sample.webhooks_handled == []
