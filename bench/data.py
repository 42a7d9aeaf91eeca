"""Benchmark data: a fresh database per size, migrated as the tests migrate theirs, its users and
teams, and customers loaded in bulk exactly as kehu stores them.

The rows of ../shared/tools/gen_customers.py become column values in ``customer_rows.py`` (a transient
``Customer`` each); this module writes them with COPY (PostgreSQL, psycopg's ``cursor.copy``) or
executemany (SQLite), then ANALYZE. The transform costs about 0.3 ms a row (pypinyin most of it), so
it runs in worker processes a few chunks ahead of the one writer.
"""
import contextlib
import csv
import json
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from sqlalchemy import func, insert, select

from kehu.accounts import tokens
from kehu.accounts.service import create_user, ensure_default_roles, ensure_team
from kehu.app import create_app
from kehu.customers.models import Contact, Customer
from kehu.extensions import db
from kehu.plugins import migrations as plugin_migrations
from kehu.platform.time import utcnow
from kehu.tags.models import Tag, customer_tags
from kehu_sdk.testing import throwaway_database

import customer_rows
from customer_rows import CONTACT_COLUMNS, CUSTOMER_COLUMNS, Plan

GEN = Path(__file__).resolve().parents[2] / "shared" / "tools" / "gen_customers.py"
PII_KEY = "bench-pii-key"
SECRET_KEY = "bench-secret-key"
PASSWORD = "bench-password-1"
TEAMS = ("济宁一组", "济宁二组", "济南组", "聊城组")
SALES_PER_TEAM = 5
CHUNK = 2000


def app_config(url: str) -> dict:
    """What the bench's app runs with; the web server of the memory case gets the same as KEHU_* variables."""
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "KEHU_PII_KEY": PII_KEY,
            "RATELIMIT_ENABLED": False, "KEHU_PASSWORD_PROFILE": "CHEAPEST",
            "CELERY": {"task_always_eager": True, "task_eager_propagates": True,
                       "broker_url": "memory://", "result_backend": None}}


@dataclass
class Loaded:
    rows: int = 0
    contacts: int = 0
    tags: int = 0
    deleted: int = 0
    seconds: float = 0.0
    contact_phone: str | None = None   # a number only a contact has: the full-phone search finds it
    detail_id: int | None = None       # a live customer with contacts and tags: the detail case reads it

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclass
class Site:
    """One size's database, app and users; ``owners`` are the sales users as (user id, team id)."""
    app: Flask
    url: str
    instance: str
    dialect: str
    admin_id: int
    token: str
    owners: list
    loaded: Loaded = field(default_factory=Loaded)


@contextlib.contextmanager
def site(server_url: str | None, rows: int, seed: int, workers: int):
    """A fresh database with ``rows`` customers; dropped (or its folder removed) afterwards."""
    folder = tempfile.mkdtemp(prefix=f"kehu-bench-{rows}-")
    if server_url:
        url, drop = throwaway_database(server_url, "kehu_bench")
    else:
        url, drop = f"sqlite:///{folder}/bench.sqlite", lambda: None
    app = create_app(app_config(url), instance_path=f"{folder}/instance")
    try:
        found = _prepare(app, url)
        found.loaded = load(found, rows, seed, workers)
        yield found
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop()
        shutil.rmtree(folder, ignore_errors=True)


def _prepare(app, url) -> Site:
    """Migrations as the tests run them (core, then every plugin's), roles, users, a token; every plugin on."""
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
        manager = app.extensions["kehu_plugins"]
        for plugin in manager.installed.values():
            plugin_migrations.upgrade(plugin)
        ensure_default_roles()
        admin = create_user("bench-admin", PASSWORD, "admin", "基准管理员")
        owners = []
        for name in TEAMS:
            team = ensure_team(name)
            for number in range(SALES_PER_TEAM):
                user = create_user(f"sales{team.id}-{number}", PASSWORD, "sales", team=team)
                owners.append((user.id, team.id))
        _, token = tokens.issue(admin, "bench")
        db.session.commit()
        set_plugins(app, enabled=True)
        return Site(app, url, app.instance_path, db.engine.dialect.name, admin.id, token, owners)


def set_plugins(app, enabled: bool) -> None:
    """Enable every installed plugin (in dependency order) or disable them all (in reverse)."""
    manager = app.extensions["kehu_plugins"]
    names = list(manager.installed)
    with app.app_context():
        for name in names if enabled else reversed(names):
            (manager.enable if enabled else manager.disable)(name)


def _jobs(reader, first_id=1):
    chunk = []
    for row in reader:
        chunk.append(row)
        if len(chunk) == CHUNK:
            yield first_id, chunk
            first_id, chunk = first_id + CHUNK, []
    if chunk:
        yield first_id, chunk


def _transformed(jobs, plan, workers):
    """Chunks in order; with workers, at most two per worker in flight (Pool.imap would read ahead
    the whole input, a million rows in memory)."""
    if workers <= 1:
        yield from (customer_rows.transform(job, plan) for job in jobs)
        return
    with multiprocessing.get_context("fork").Pool(workers, customer_rows.start_worker, (PII_KEY, plan)) as pool:
        pending = deque()
        for job in jobs:
            pending.append(pool.apply_async(customer_rows.transform_in_worker, (job,)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


# the writers ------------------------------------------------------------------------------------
class _SqliteWriter:
    def __init__(self, engine):
        self.conn = engine.connect()
        self.conn.begin()

    def rows(self, table, columns, rows):
        if rows:
            keys = [c.key for c in columns]
            self.conn.execute(insert(table), [dict(zip(keys, row)) for row in rows])

    def tag(self, name, now) -> int:
        return self.conn.execute(insert(Tag.__table__).values(name=name, created_at=now, updated_at=now)).inserted_primary_key[0]

    def finish(self):
        self.conn.commit()
        self.conn.exec_driver_sql("ANALYZE")
        self.conn.close()


class _PostgresWriter:
    def __init__(self, engine):
        self.raw = engine.raw_connection()
        self.pg = self.raw.driver_connection
        self.cursor = self.pg.cursor()

    def rows(self, table, columns, rows):
        if not rows:
            return
        json_at = [i for i, c in enumerate(columns) if c.type.__class__.__name__ == "JSON"]
        with self.cursor.copy(f"COPY {table.name} ({', '.join(c.name for c in columns)}) FROM STDIN") as copy:
            for row in rows:
                if json_at:
                    row = list(row)
                    for i in json_at:
                        row[i] = json.dumps(row[i], ensure_ascii=False)
                copy.write_row(row)

    def tag(self, name, now) -> int:
        return self.cursor.execute("INSERT INTO tag (name, created_at, updated_at) VALUES (%s, %s, %s) RETURNING id",
                                   (name, now, now)).fetchone()[0]

    def finish(self):
        self.cursor.execute("SELECT setval(pg_get_serial_sequence('customer', 'id'), (SELECT max(id) FROM customer))")
        self.pg.commit()
        self.pg.autocommit = True
        self.cursor.execute("VACUUM ANALYZE")  # as autovacuum would leave it: visibility map set, GIN pending list merged
        self.pg.autocommit = False
        self.raw.close()


def load(found: Site, rows: int, seed: int, workers: int) -> Loaded:
    """Generate ``rows`` customers (seed ``seed``) and bulk-load them with contacts and tags."""
    from kehu_plugins.industry.plugin import PACKS, IndustryPlugin
    plan = Plan(found.owners, seed, utcnow(), {key: IndustryPlugin.load_pack(key)["version"] for key in PACKS})
    loaded, tag_ids = Loaded(), {}
    began = time.perf_counter()
    generator = subprocess.Popen([sys.executable, str(GEN), "--rows", str(rows), "--seed", str(seed)],
                                 stdout=subprocess.PIPE, text=True, encoding="utf-8")
    with found.app.app_context():
        db.engine.dispose()  # no pooled connection is inherited by the forked workers
        chunks = _transformed(_jobs(csv.DictReader(generator.stdout)), plan, workers)
        writer = _PostgresWriter(db.engine) if found.dialect == "postgresql" else _SqliteWriter(db.engine)
        for chunk in chunks:
            writer.rows(Customer.__table__, CUSTOMER_COLUMNS, chunk["customers"])
            writer.rows(Contact.__table__, CONTACT_COLUMNS, chunk["contacts"])
            for _, name in chunk["tags"]:
                if name not in tag_ids:
                    tag_ids[name] = writer.tag(name, plan.now)
            writer.rows(customer_tags, list(customer_tags.columns),
                        [(customer_id, tag_ids[name]) for customer_id, name in chunk["tags"]])
            loaded.rows += len(chunk["customers"])
            loaded.contacts += len(chunk["contacts"])
            loaded.deleted += chunk["deleted"]
            loaded.contact_phone = loaded.contact_phone or chunk["contact_phone"]
            loaded.detail_id = loaded.detail_id or chunk["detail_id"]
        writer.finish()
    if generator.wait() != 0:
        raise RuntimeError(f"{GEN} failed with exit code {generator.returncode}")
    loaded.tags = len(tag_ids)
    loaded.seconds = time.perf_counter() - began
    return loaded


def live_count(found: Site) -> int:
    with found.app.app_context():
        return db.session.scalar(select(func.count(Customer.id)).where(Customer.deleted_at.is_(None)))
