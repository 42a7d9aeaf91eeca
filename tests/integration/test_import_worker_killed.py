"""An import resumes without creating a customer twice when its worker is killed mid-run.

A real `kehu worker` (with its beat) on Redis writes a checked import of 3,000 customers; it is killed
with SIGKILL after some batches; a second worker's sweep finds the import stalled and goes on. Every
customer of the file must exist exactly once, each import row pointing at its own customer. Runs on
the database of the pass (SQLite file or PostgreSQL): a batch's customers and the marking of its rows
as done are one transaction on both.
"""
import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from kehu.customers.models import Customer
from kehu.extensions import db
from kehu.imports import service
from kehu.imports.models import ImportJob, ImportRow
from kehu_sdk.testing import KehuWorker, empty_redis_database, wait_for

pytestmark = pytest.mark.integration

REDIS_DBS = (3, 2, 1, 10, 9, 8)
ROWS = 3000


@pytest.fixture
def redis_url():
    with empty_redis_database(REDIS_DBS) as (url, _client):
        yield url


def _sheet(rows: int) -> bytes:
    lines = ["单位名称,手机,地址"]
    lines += [f"济宁测试{n:05d}商行,1385{n:07d},山东省济宁市任城区建设路{n}号" for n in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_a_killed_worker_leaves_every_customer_created_exactly_once(
        app, kehu_database_url, redis_url, make_user, tmp_path):
    admin = make_user("admin")
    job = service.start_import(admin, "三千客户.csv", _sheet(ROWS), {"mode": "skip"})  # checked in this process
    db.session.expire_all()
    assert job.status == "checked" and job.counts["create"] == ROWS
    job.status = "running"  # as commit_import leaves it; the workers below run it
    db.session.commit()
    job_id, stored_as = job.id, job.stored_as
    db.session.remove()

    engine = create_engine(kehu_database_url)

    def done_rows():
        with engine.connect() as conn:
            return conn.execute(select(ImportJob.__table__.c.done_rows, ImportJob.__table__.c.status)
                                .where(ImportJob.__table__.c.id == job_id)).one()

    instance = tmp_path / "instance"
    instance.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_")}
    env.update(KEHU_INSTANCE_PATH=str(instance), KEHU_DATABASE_URL=kehu_database_url, KEHU_BROKER_URL=redis_url,
               KEHU_SECRET_KEY=app.config["SECRET_KEY"], KEHU_PII_KEY=app.config["KEHU_PII_KEY"],
               KEHU_IMPORT_STALL_SECONDS="2", KEHU_IMPORT_SWEEP_SECONDS="1", PYTHONUNBUFFERED="1")
    (instance / "imports").mkdir()
    uploaded = Path(app.instance_path) / "imports" / stored_as  # encrypted with the PII key the workers share
    (instance / "imports" / stored_as).write_bytes(uploaded.read_bytes())

    first = KehuWorker(env, tmp_path / "worker1.log")
    try:
        wait_for(lambda: done_rows()[0] >= 1000, 120, "the first worker to write 1,000 rows", first.tail)
    finally:
        first.kill()  # SIGKILL to the whole process group, mid-import
    at_kill = done_rows()[0]
    assert at_kill < ROWS, "the import finished before the worker was killed"

    second = KehuWorker(env, tmp_path / "worker2.log")
    try:
        wait_for(lambda: done_rows()[1] == "done", 180, "the second worker to finish the import", second.tail)
    finally:
        second.kill(signal.SIGTERM)

    with engine.connect() as conn:
        customers = conn.scalar(select(func.count()).select_from(Customer.__table__))
        distinct_names = conn.scalar(select(func.count(func.distinct(Customer.__table__.c.name))))
        rows = conn.execute(select(ImportRow.__table__.c.customer_id).where(ImportRow.__table__.c.job_id == job_id)).all()
    engine.dispose()
    assert customers == distinct_names == ROWS
    assert len({r.customer_id for r in rows}) == ROWS and None not in {r.customer_id for r in rows}
    print(f"killed after {at_kill} of {ROWS} rows; every customer created once")
