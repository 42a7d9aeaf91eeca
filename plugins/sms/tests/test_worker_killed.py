"""Exactly once per (campaign, recipient) when a real Celery worker is killed mid-campaign.

A `kehu worker` on Redis sends a campaign to the Aliyun fake; it is killed with SIGKILL part way;
a second worker (with the periodic sweep) picks the campaign up. Every recipient must have been
accepted by the provider exactly once and be marked sent.
"""
import os
import signal

import pytest

from kehu_sdk.db import db
from kehu_sdk.testing import KehuWorker, empty_redis_database

from kehu_plugins.sms.service import RUN_CAMPAIGN, campaigns
from killed_workers import RESTART_SETTINGS, CampaignProgress, assert_each_recipient_sent_once, draft_campaign, wait_for
from sms_fakes import FakeAliyunSms

pytestmark = pytest.mark.integration

REDIS_DBS = (7, 6, 5, 4, 15, 14, 13, 12)  # tried in this order; only an empty one is used
RECIPIENTS = 120
RATE = 30.0


@pytest.fixture
def redis_url():
    with empty_redis_database(REDIS_DBS) as (url, _client):
        yield url


def test_killed_worker_leaves_no_recipient_unsent_and_none_twice(
        app, kehu_database_url, redis_url, sms_user, make_customer, make_user, save_settings, provider_settings,
        tmp_path):
    fake = FakeAliyunSms(rate_limit=RATE * 2).start()
    try:
        save_settings(**provider_settings("aliyun", fake), rate_limit_per_second=RATE, batch_size=10,
                      **RESTART_SETTINGS)
        campaign, _marketer = draft_campaign("kill-9", RECIPIENTS, make_customer, make_user, sms_user)
        campaigns.begin(campaign)  # the workers below send it
        db.session.commit()
        campaign_id = campaign.id
        db.session.remove()
        progress = CampaignProgress(kehu_database_url, campaign_id)
        assert len(progress.message_ids()) == RECIPIENTS

        instance = tmp_path / "instance"
        instance.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_")}
        env.update(KEHU_INSTANCE_PATH=str(instance), KEHU_DATABASE_URL=kehu_database_url, KEHU_BROKER_URL=redis_url,
                   KEHU_SECRET_KEY=app.config["SECRET_KEY"], KEHU_PII_KEY=app.config["KEHU_PII_KEY"],
                   KEHU_PLUGIN_STATE_TTL="0.5", PYTHONUNBUFFERED="1")

        first = KehuWorker(env, tmp_path / "worker1.log")
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
        print(f"killed after {at_kill} accepted, {progress.count('sent')} committed, "
              f"{progress.count('sending')} claimed and unsettled")

        second = KehuWorker(env, tmp_path / "worker2.log")
        try:
            wait_for(lambda: progress.status() == "done", 120, "the second worker to finish the campaign",
                     lambda: second.tail() + f"\nsent={progress.count('sent')} received={len(fake.received())}")
        finally:
            second.kill(signal.SIGTERM)
        producer.close()

        assert_each_recipient_sent_once(fake, progress, RECIPIENTS)
        progress.close()
    finally:
        fake.stop()
