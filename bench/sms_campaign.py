"""Benchmark: an SMS campaign against a rate-limited fake provider; achieved rate / limit.

    .venv/bin/python bench/sms_campaign.py --recipients 100000
    .venv/bin/python bench/sms_campaign.py --recipients 100000 --rate 500 --workers 2 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Data: ../shared/tools/gen_customers.py (all with SMS consent), bulk-inserted. The provider is the
Aliyun fake (plugins/sms/tests/sms_fakes.py, the plugin's test support) in its own process: it
verifies every V3 signature and answers isv.BUSINESS_LIMIT_CONTROL above --rate per second (burst
rate/10). kehu sends through the official Aliyun SDK with the real task code (``kehu.sms.run_campaign``,
eager) in --workers processes sharing the database rate limit. Reported: wall time of the sending phase,
achieved messages per second, its ratio to the limit, throttled answers, and whether every
recipient was accepted exactly once.
"""
import argparse
import csv
import io
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from kehu_sdk.testing import throwaway_database

GEN = Path(__file__).resolve().parents[2] / "shared" / "tools" / "gen_customers.py"
FAKES = Path(__file__).resolve().parents[1] / "plugins" / "sms" / "tests"  # sms_fakes.py: the fake providers
PII_KEY = "bench-pii-key"


def _database(url):
    if not url:
        folder = tempfile.mkdtemp(prefix="kehu-bench-sms-")
        return f"sqlite:///{folder}/bench.sqlite", lambda: None
    return throwaway_database(url, "kehu_bench")


def _app(url, instance):
    from kehu.app import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "KEHU_PII_KEY": PII_KEY,
                       "SECRET_KEY": "bench-secret", "KEHU_PASSWORD_PROFILE": "CHEAPEST", "PLUGIN_STATE_TTL": 0.5,
                       "CELERY": {"task_always_eager": True, "task_eager_propagates": True,
                                  "broker_url": "memory://", "result_backend": None}}, instance_path=instance)


def _fake_provider(rate, endpoint_out, stop, stats_out):
    sys.path.insert(0, str(FAKES))  # a spawned process: sys.path as at start
    from sms_fakes import FakeAliyunSms
    fake = FakeAliyunSms(rate_limit=rate).start()
    endpoint_out.put(fake.endpoint)
    stop.wait()
    received = fake.received()
    stats_out.put({"accepted": sum(received.values()), "distinct": len(received),
                   "duplicates": sum(1 for n in received.values() if n > 1), "throttled": fake.throttled,
                   "bad_signatures": fake.rejected_signatures, "requests": fake.requests})
    fake.stop()


def _load_customers(count, owner):
    from kehu.customers import phones
    from kehu.customers.models import Customer
    from kehu.customers.pinyin import search_key
    from kehu.extensions import db
    from kehu.platform.time import utcnow
    out = subprocess.run([sys.executable, str(GEN), "--rows", str(count), "--seed", "11"],
                         check=True, capture_output=True, text=True).stdout
    now, batch, loaded = utcnow(), [], 0
    for row in csv.DictReader(io.StringIO(out)):
        try:
            e164 = phones.normalize(row["phone"])
        except phones.InvalidPhone:  # the generator also makes numbers in unassigned ranges
            continue
        batch.append({"kind": row["kind"], "name": row["name"], "name_pinyin": search_key(row["name"]),
                      "company": row["company"] or None, "phone_encrypted": phones.encrypt(e164),
                      "phone_index": phones.blind_index(e164), "phone_last4": e164[-4:],
                      "region_code": row["region_code"], "industry": row["industry"], "status": row["status"],
                      "extra": json.loads(row["extra"]), "consent_sms": True, "consent_email": False,
                      "consent_phone": False, "owner_id": owner.id, "created_at": now, "updated_at": now})
        if len(batch) == 5000:
            db.session.execute(insert(Customer), batch)
            loaded += len(batch)
            batch = []
    if batch:
        db.session.execute(insert(Customer), batch)
        loaded += len(batch)
    db.session.commit()
    return loaded


def _worker(url, instance, campaign_id):
    """One sending process: the real task, eagerly, until the campaign is done."""
    app = _app(url, instance)
    with app.app_context():
        from kehu_plugins.sms.service import RUN_CAMPAIGN
        task = app.extensions["celery"].tasks[RUN_CAMPAIGN]
        while True:
            result = task.delay(campaign_id).get()
            if result is None or result["outcome"] in ("done", "stopped"):
                return
            if result["outcome"] == "wait":
                time.sleep(0.5)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100000)
    parser.add_argument("--rate", type=float, default=500.0, help="the provider's limit, messages per second")
    parser.add_argument("--workers", type=int, default=1,
                        help="sending processes sharing the rate limit (SQLite serializes their writes)")
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a throwaway database is made)")
    args = parser.parse_args()

    ctx = multiprocessing.get_context("spawn")
    endpoint_q, stats_q, stop = ctx.Queue(), ctx.Queue(), ctx.Event()
    provider = ctx.Process(target=_fake_provider, args=(args.rate, endpoint_q, stop, stats_q), daemon=True)
    provider.start()
    endpoint = endpoint_q.get(timeout=30)

    url, drop = _database(args.database_url)
    instance = tempfile.mkdtemp(prefix="kehu-bench-sms-instance-")
    app = _app(url, instance)
    try:
        with app.app_context():
            from flask_migrate import upgrade

            from kehu.accounts.service import create_user, ensure_default_roles
            from kehu.extensions import db
            from kehu.plugins import migrations as plugin_migrations
            from kehu_plugins.sms.models import SmsCampaign, SmsMessage, SmsTemplate
            from kehu_plugins.sms.service import campaigns
            from sms_fakes import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET
            upgrade()
            manager = app.extensions["kehu_plugins"]
            for plugin in manager.installed.values():
                plugin_migrations.upgrade(plugin)
            ensure_default_roles()
            owner = create_user("bench", "bench-password-1", "admin")
            manager.enable("sms")
            manager.save_settings("sms", {
                "provider": "aliyun", "access_key_id": TEST_ACCESS_KEY_ID, "access_key_secret": TEST_ACCESS_KEY_SECRET,
                "endpoint": endpoint, "protocol": "http", "sign_name": "鸿达机械", "rate_limit_per_second": args.rate,
                "batch_size": args.batch_size, "send_window_start": "00:00", "send_window_end": "00:00",
                "claim_timeout_seconds": 600})
            began = time.perf_counter()
            loaded = _load_customers(args.recipients, owner)
            load_s = time.perf_counter() - began
            template = SmsTemplate(name="bench", kind="marketing", body="{name}您好，{company}新品上市。",
                                   provider_template_code="SMS_465001")
            db.session.add(template)
            db.session.flush()
            campaign = SmsCampaign(name="bench", template_id=template.id, target={}, created_by_id=owner.id)
            db.session.add(campaign)
            db.session.flush()
            began = time.perf_counter()
            campaigns.begin(campaign)  # recipients chosen; the sending processes below send them
            db.session.commit()
            materialize_s = time.perf_counter() - began
            campaign_id, total = campaign.id, campaign.total
            db.session.remove()
            db.engine.dispose()

        print(f"kehu SMS campaign benchmark: {total} recipients ({loaded} loaded in {load_s:.1f} s, "
              f"recipients chosen in {materialize_s:.1f} s) on {make_url(url).get_backend_name()}, "
              f"limit {args.rate:g}/s, {args.workers} sending process(es), batch {args.batch_size}", flush=True)
        began = time.perf_counter()
        senders = [ctx.Process(target=_worker, args=(url, instance, campaign_id)) for _ in range(args.workers)]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        wall = time.perf_counter() - began
        stop.set()
        stats = stats_q.get(timeout=60)
        provider.join(timeout=30)

        with app.app_context():
            from kehu.extensions import db
            from kehu_plugins.sms.models import SmsMessage
            sent = db.session.scalar(select(func.count(SmsMessage.id)).where(
                SmsMessage.campaign_id == campaign_id, SmsMessage.status == "sent"))
        achieved = sent / wall
        print(f"sent {sent}/{total} in {wall:.1f} s: {achieved:.1f} msg/s = {achieved / args.rate:.3f} of the limit")
        print(f"provider: accepted {stats['accepted']} ({stats['distinct']} distinct, {stats['duplicates']} twice), "
              f"throttled answers {stats['throttled']}, bad signatures {stats['bad_signatures']}, "
              f"requests {stats['requests']}")
        ideal = total / args.rate
        print(f"ideal time at the limit {ideal:.1f} s; wall / ideal = {wall / ideal:.3f}")
    finally:
        stop.set()
        with app.app_context():
            from kehu.extensions import db
            db.engine.dispose()
        drop()


if __name__ == "__main__":
    os.environ.setdefault("KEHU_PII_KEY", PII_KEY)
    sys.path.insert(0, str(FAKES))
    main()
