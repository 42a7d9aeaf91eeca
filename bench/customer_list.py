"""Benchmark: the customer list API against raw SQL and a bare Flask endpoint, in one run.

    .venv/bin/python bench/customer_list.py --rows 50000
    .venv/bin/python bench/customer_list.py --rows 50000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Data: ../shared/tools/gen_customers.py (realistic Shandong customers). Each case runs the same
query shape three ways, all inside this process through Flask's test client (no sockets, so the
ratios compare code, not the network):
  raw SQL   the page query (plus its COUNT) on a bare SQLAlchemy connection
  bare      a one-route Flask app running that SQL and returning JSON
  kehu      GET /api/v1/customers with a Bearer token (auth, scope, validation, schema, pagination)
Figures are medians over --repeat requests, reported as ratios to the two baselines.
"""
import argparse
import csv
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from flask import Flask, jsonify
from sqlalchemy import insert, text

from kehu.accounts import tokens
from kehu.accounts.service import create_user, ensure_default_roles
from kehu.app import create_app
from kehu.customers import phones
from kehu.customers.models import Customer
from kehu.customers.pinyin import search_key
from kehu.extensions import db
from kehu.platform.time import utcnow
from kehu_sdk.testing import throwaway_database

GEN = Path(__file__).resolve().parents[2] / "shared" / "tools" / "gen_customers.py"

# (label, API query string, equivalent SQL WHERE with bind params)
CASES = [
    ("first page, no filter", "", "deleted_at IS NULL", {}),
    ("industry + region prefix", "industry=catering&region=3708",
     "deleted_at IS NULL AND industry = :industry AND region_code LIKE :region", {"industry": "catering", "region": "3708%"}),
    ("status list", "status=intent&status=customer",
     "deleted_at IS NULL AND status IN ('intent', 'customer')", {}),
    ("pinyin search", "q=wang",
     "deleted_at IS NULL AND (name LIKE :like OR company LIKE :like OR name_pinyin LIKE :like)", {"like": "%wang%"}),
]
PAGE = 50


def _database(url: str | None):
    if not url:
        folder = tempfile.mkdtemp(prefix="kehu-bench-")
        return f"sqlite:///{folder}/bench.sqlite", lambda: None
    return throwaway_database(url, "kehu_bench")


def _load(rows: int):
    out = subprocess.run([sys.executable, str(GEN), "--rows", str(rows), "--seed", "7"],
                         check=True, capture_output=True, text=True).stdout
    now = utcnow()
    batch = []
    for row in csv.DictReader(io.StringIO(out)):
        try:
            e164 = phones.normalize(row["phone"])
        except phones.InvalidPhone:  # the generator also makes numbers in unassigned ranges (179…)
            e164 = None
        batch.append({
            "kind": row["kind"], "name": row["name"], "name_pinyin": search_key(row["name"]),
            "company": row["company"] or None, "email": row["email"] or None,
            "phone_encrypted": e164 and phones.encrypt(e164), "phone_index": e164 and phones.blind_index(e164),
            "phone_last4": e164 and e164[-4:], "region_code": row["region_code"], "address": row["address"],
            "industry": row["industry"], "scale": row["scale"], "status": row["status"],
            "source": row["source"], "extra": json.loads(row["extra"]), "extra_schema": row["industry"],
            "consent_sms": False, "consent_email": False, "consent_phone": False,
            "created_at": now, "updated_at": now,
        })
        if len(batch) == 5000:
            db.session.execute(insert(Customer), batch)
            batch = []
    if batch:
        db.session.execute(insert(Customer), batch)
    db.session.commit()


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm caches and connections
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a throwaway database is made)")
    args = parser.parse_args()

    url, drop = _database(args.database_url)
    instance = tempfile.mkdtemp(prefix="kehu-bench-instance-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                      "KEHU_PASSWORD_PROFILE": "CHEAPEST",
                      "CELERY": {"task_always_eager": True, "broker_url": "memory://"}}, instance_path=instance)
    try:
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
            ensure_default_roles()
            admin = create_user("bench", "bench-password-1", "admin")
            _, token = tokens.issue(admin, "bench")
            db.session.commit()
            start = time.perf_counter()
            _load(args.rows)
            load_s = time.perf_counter() - start
            engine = db.engine

        bare = Flask("bare")
        client = app.test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        bare_client = bare.test_client()
        columns = "id, kind, name, company, region_code, industry, status, created_at"

        def raw_query(where, params):
            sql_page = text(f"SELECT {columns} FROM customer WHERE {where} "
                            f"ORDER BY created_at DESC, id DESC LIMIT {PAGE}")
            sql_count = text(f"SELECT count(*) FROM customer WHERE {where}")

            def run():
                with engine.connect() as conn:
                    total = conn.execute(sql_count, params).scalar()
                    return total, [dict(r._mapping) for r in conn.execute(sql_page, params)]

            return run

        raw_queries = [raw_query(where, params) for _, _, where, params in CASES]

        @bare.get("/case/<int:number>")
        def bare_case(number):
            total, rows = raw_queries[number]()
            return jsonify(total=total, items=rows)

        print(f"kehu customer list benchmark: {args.rows} customers on {engine.dialect.name}, "
              f"page {PAGE}, median of {args.repeat} (load {load_s:.1f} s)")
        print(f"{'case':28} {'raw SQL ms':>10} {'bare ms':>9} {'kehu ms':>9} {'kehu/bare':>10} {'kehu/raw':>9}")
        for number, (label, query, _, _) in enumerate(CASES):
            def bare_request():
                assert bare_client.get(f"/case/{number}").status_code == 200

            def kehu_request():
                response = client.get(f"/api/v1/customers?per_page={PAGE}&{query}")
                assert response.status_code == 200, response.get_data(as_text=True)

            raw_ms = _median_ms(raw_queries[number], args.repeat)
            bare_ms = _median_ms(bare_request, args.repeat)
            kehu_ms = _median_ms(kehu_request, args.repeat)
            print(f"{label:28} {raw_ms:10.2f} {bare_ms:9.2f} {kehu_ms:9.2f} "
                  f"{kehu_ms / bare_ms:10.2f} {kehu_ms / raw_ms:9.2f}")
    finally:
        with app.app_context():
            db.engine.dispose()
        drop()


if __name__ == "__main__":
    os.environ.setdefault("KEHU_PII_KEY", "bench-pii-key")
    main()
