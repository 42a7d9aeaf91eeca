"""Exactly once per (campaign, recipient) when a real Celery worker is killed mid-campaign.

A `kehu worker` on Redis sends a campaign to the Aliyun fake; it is killed with SIGKILL part way;
a second worker (with the periodic sweep) picks the campaign up. Every recipient must have been
accepted by the provider exactly once and be marked sent.
"""
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, func, select, text

from kehu_sdk.db import db
from kehu_sdk.testing import empty_redis_database

from kehu_plugins.sms.models import SmsCampaign, SmsMessage
from kehu_plugins.sms.service import RUN_CAMPAIGN
from sms_fakes import FakeAliyunSms

pytestmark = pytest.mark.integration

REDIS_DBS = (7, 6, 5, 4, 15, 14, 13, 12)  # tried in this order; only an empty one is used
RECIPIENTS = 120
RATE = 30.0


@pytest.fixture
def redis_url():
    with empty_redis_database(REDIS_DBS) as (url, _client):
        yield url


class Worker:
    def __init__(self, env, log_path):
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.popen = subprocess.Popen([sys.executable, "-m", "kehu.cli", "worker"], env=env, cwd=env["KEHU_INSTANCE_PATH"],
                                      stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def kill(self, sig=signal.SIGKILL):
        try:
            os.killpg(self.popen.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=15)
        self._log.close()

    def tail(self, lines=40):
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def wait_for(predicate, timeout, what, diagnostics=lambda: ""):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}\n{diagnostics()}")
        time.sleep(0.2)


def test_killed_worker_leaves_no_recipient_unsent_and_none_twice(
        app, kehu_database_url, redis_url, sms_user, make_customer, make_user, save_settings, provider_settings,
        tmp_path):
    fake = FakeAliyunSms(rate_limit=RATE * 2).start()
    try:
        save_settings(**provider_settings("aliyun", fake), rate_limit_per_second=RATE, batch_size=10,
                      claim_timeout_seconds=2, stall_seconds=2, send_window_start="00:00", send_window_end="00:00")
        owner = make_user("manager")
        for _ in range(RECIPIENTS):
            make_customer(owner, consent_sms=True)
        marketer = sms_user("marketing")
        from kehu_plugins.sms.models import SmsTemplate
        from kehu_plugins.sms.service import campaigns
        template = SmsTemplate(name="kill-9", kind="marketing", body="{name}您好", provider_template_code="SMS_1")
        db.session.add(template)
        db.session.flush()
        campaign = SmsCampaign(name="kill-9", template_id=template.id, target={}, created_by_id=marketer.id)
        db.session.add(campaign)
        db.session.flush()
        campaigns.begin(campaign)  # the workers below send it
        db.session.commit()
        campaign_id = campaign.id
        message_ids = set(db.session.scalars(select(SmsMessage.id).where(SmsMessage.campaign_id == campaign_id)))
        assert len(message_ids) == RECIPIENTS
        db.session.remove()

        instance = tmp_path / "instance"
        instance.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_")}
        env.update(KEHU_INSTANCE_PATH=str(instance), KEHU_DATABASE_URL=kehu_database_url, KEHU_BROKER_URL=redis_url,
                   KEHU_SECRET_KEY=app.config["SECRET_KEY"], KEHU_PII_KEY=app.config["KEHU_PII_KEY"],
                   KEHU_PLUGIN_STATE_TTL="0.5", PYTHONUNBUFFERED="1")
        engine = create_engine(kehu_database_url)

        def sent_count():
            with engine.connect() as conn:
                return conn.scalar(select(func.count()).select_from(SmsMessage.__table__).where(
                    SmsMessage.__table__.c.campaign_id == campaign_id,
                    SmsMessage.__table__.c.status == "sent"))

        first = Worker(env, tmp_path / "worker1.log")
        try:
            from celery import Celery
            producer = Celery("kehu-test-producer", broker=redis_url)
            producer.send_task(RUN_CAMPAIGN, args=[campaign_id])
            wait_for(lambda: len(fake.received()) >= RECIPIENTS // 3, 90, "the first worker to send a third",
                     first.tail)
        finally:
            first.kill()  # SIGKILL to the whole process group, mid-campaign
        at_kill = len(fake.received())
        assert at_kill < RECIPIENTS, "the campaign finished before the worker was killed"
        with engine.connect() as conn:
            left_claimed = conn.scalar(text("SELECT count(*) FROM sms_message WHERE campaign_id = :id "
                                            "AND status = 'sending'"), {"id": campaign_id})
        print(f"killed after {at_kill} accepted, {sent_count()} committed, {left_claimed} claimed and unsettled")

        def campaign_status():
            with engine.connect() as conn:
                return conn.scalar(text("SELECT status FROM sms_campaign WHERE id = :id"), {"id": campaign_id})

        second = Worker(env, tmp_path / "worker2.log")
        try:
            wait_for(lambda: campaign_status() == "done", 120, "the second worker to finish the campaign",
                     lambda: second.tail() + f"\nsent={sent_count()} received={len(fake.received())}")
        finally:
            second.kill(signal.SIGTERM)
        producer.close()

        received = fake.received()
        assert set(received) == {str(i) for i in message_ids}  # nobody left out
        assert {k: v for k, v in received.items() if v != 1} == {}  # nobody twice
        assert sent_count() == RECIPIENTS
        engine.dispose()
    finally:
        fake.stop()
