"""The write path: customers created one by one through POST /api/v1/customers, against a SQLAlchemy
Core insert of the same rows (already transformed: pinyin, tokens, encrypted phone), one row and its
tags per transaction, in the same database. The figure is kehu's rows/s over Core's."""
import cProfile
import csv
import io
import pstats
import random
import re
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import insert, select

import kehu
import kehu_plugins
import kehu_sdk
from kehu.customers import phones
from kehu.customers.models import Customer
from kehu.extensions import db
from kehu.platform.time import utcnow
from kehu.tags.models import Tag, customer_tags

import data
import customer_rows
from cases import api_client
from timing import Timing, figure

BODY_SEED = 1013  # other customers than the loaded ones (seed 7)
WARMUP = 5
KEYS = [c.key for c in customer_rows.CUSTOMER_COLUMNS]


def bodies(site, count: int, seed: int = BODY_SEED) -> list[dict]:
    """Request bodies as the customer form sends them: a valid phone, tags, the industry's fields."""
    out = subprocess.run([sys.executable, str(data.GEN), "--rows", str(count * 2), "--seed", str(seed)],
                         check=True, capture_output=True, text=True).stdout
    rng, found = random.Random(seed), []
    for row in csv.DictReader(io.StringIO(out)):
        try:
            phones.normalize(row["phone"])
        except phones.InvalidPhone:
            continue  # the API answers 422, as it should
        body = {key: row[key] for key in ("kind", "name", "company", "phone", "email", "region_code", "address",
                                          "industry", "scale", "status", "source", "birthday") if row[key]}
        body.update(tags=[t for t in row["tags"].split("|") if t], extra=customer_rows.industry_fields(rng, row["industry"]),
                    owner_id=rng.choice(site.owners)[0], consent_sms=rng.random() < 0.6,
                    # the generator's names come from a few brands: most would be likely duplicates (409) of
                    # the loaded customers; the case times a create the user has confirmed (查重 is skipped)
                    allow_duplicate=True)
        found.append(body)
        if len(found) == count:
            return found
    raise RuntimeError(f"the generator gave fewer than {count} rows with valid phones")


def _post_all(client, batch) -> list[float]:
    taken = []
    for body in batch:
        began = time.perf_counter()
        response = client.post("/api/v1/customers", json=body)
        taken.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 201, f"{response.status_code} {response.get_data(as_text=True)[:300]}"
    return taken


def _core_rows(site, batch) -> list[tuple[dict, list[int]]]:
    """The rows kehu would write for ``batch``: a transient Customer each, its tags as ids."""
    from kehu_plugins.industry.plugin import IndustryPlugin
    teams = dict(site.owners)
    with site.app.app_context():
        tag_ids = dict(db.session.execute(select(Tag.name, Tag.id)).all())
        found = []
        for body in batch:
            fields = {k: v for k, v in body.items() if k not in ("tags", "birthday", "allow_duplicate")}
            now = utcnow()
            customer = Customer(**fields, team_id=teams[body["owner_id"]], extra_schema=body["industry"],
                                extra_schema_version=IndustryPlugin.load_pack(body["industry"])["version"],
                                birthday=date.fromisoformat(body["birthday"]) if "birthday" in body else None,
                                created_at=now, updated_at=now, consent_updated_at=now)
            values = dict(zip(KEYS, customer_rows.column_values(customer, customer_rows.CUSTOMER_COLUMNS)))
            del values["id"]
            found.append((values, [tag_ids[name] for name in body["tags"]]))
        return found


def _core_insert_all(engine, rows) -> list[float]:
    taken = []
    for values, tag_ids in rows:
        began = time.perf_counter()
        with engine.begin() as conn:
            customer_id = conn.execute(insert(Customer.__table__).values(values)).inserted_primary_key[0]
            if tag_ids:
                conn.execute(insert(customer_tags), [{"customer_id": customer_id, "tag_id": t} for t in tag_ids])
        taken.append((time.perf_counter() - began) * 1000)
    return taken


def _duplicate_check_p95(site, batch) -> float:
    """What 查重 adds to a create the user has not confirmed: ``likely_duplicates`` for each body."""
    from kehu.accounts.models import User
    from kehu.customers.duplicates import likely_duplicates
    with site.app.test_request_context():
        admin = db.session.get(User, site.admin_id)
        taken = []
        for body in batch[:200]:
            began = time.perf_counter()
            likely_duplicates(body, admin)
            taken.append((time.perf_counter() - began) * 1000)
        db.session.remove()
    return round(Timing.of(taken).p95_ms, 2)


def write_case(site, count: int, profile_to=None) -> list[dict]:
    batch = bodies(site, WARMUP + count)
    client = api_client(site)
    _post_all(client, batch[:WARMUP])
    with site.app.app_context():
        engine = db.engine
    rows = _core_rows(site, batch)
    _core_insert_all(engine, rows[:WARMUP])
    # Interleaved, a request then a Core insert, so that both sides see the same machine: on a shared
    # machine the load drifts within seconds, and timing one side after the other measured the drift.
    kehu, core = [], []
    for body, row in zip(batch[WARMUP:], rows[WARMUP:]):
        kehu += _post_all(client, [body])
        core += _core_insert_all(engine, [row])
    kehu_rate, core_rate = count / (sum(kehu) / 1000), count / (sum(core) / 1000)
    found = figure("write", f"POST /api/v1/customers ×{count}", Timing.of(kehu), Timing.of(core),
                   "Core insert, a transaction a row", kehu_rows_per_s=round(kehu_rate, 1),
                   core_rows_per_s=round(core_rate, 1), duplicate_check_p95_ms=_duplicate_check_p95(site, batch))
    found["ratio"] = round(kehu_rate / core_rate, 4)  # rows/s over rows/s: higher is better here
    if profile_to:
        _profile(client, bodies(site, count, seed=BODY_SEED + 1), profile_to, site)
    return [found]


def _profile(client, batch, path, site):
    profiler = cProfile.Profile()
    profiler.enable()
    _post_all(client, batch)
    profiler.disable()
    report = io.StringIO()
    report.write(f"kehu bench: cProfile of {len(batch)} POST /api/v1/customers on {site.dialect}, "
                 f"{site.loaded.rows} customers loaded; top 25 by cumulative time\n\n")
    stats = pstats.Stats(profiler, stream=report).sort_stats("cumulative")
    stats.print_stats(25)
    report.write("\nkehu's own functions only (kehu, kehu_sdk, kehu_plugins), top 25 by cumulative time\n")
    stats.print_stats("|".join(re.escape(str(Path(p.__file__).parent)) for p in (kehu, kehu_sdk, kehu_plugins)), 25)
    report.write("\ntop 25 by own time\n")
    stats.sort_stats("tottime").print_stats(25)
    path.write_text(report.getvalue(), encoding="utf-8")
