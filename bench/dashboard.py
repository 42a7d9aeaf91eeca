"""Benchmark: the dashboard's data at growing customer counts, and what its triggers cost writes.

    .venv/bin/python bench/dashboard.py --rows 10000 1000000
    .venv/bin/python bench/dashboard.py --rows 10000 1000000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

For each size a fresh database gets that many customers (one INSERT … SELECT per 100 000, through the
triggers; 33 counties, 6 industries and none, 5 statuses, 36 months, 40 owners in 5 teams, 2 % soft
deleted). Figures are medians over --repeat requests of GET /dashboard/data for a user of each scope
(all, team, own), read from customer_count, and the same with a plugin filter forcing the direct count
on customer (what every view cost before the counts). The last column is each figure over the first size's.

--writes (PostgreSQL) times customer writes with the triggers as built (statement level), with
row-level triggers doing the same upserts, and with none: a 5 000-row bulk insert as
bench/customer_list.py loads, one customer made through the service, one counted and one uncounted update.
"""
import argparse
import os
import statistics
import tempfile
import time

from sqlalchemy import insert, select, text, true

from kehu.accounts import sessions
from kehu.accounts.service import create_user, ensure_default_roles, ensure_team
from kehu.app import create_app
from kehu.customers.models import STATUSES, Customer
from kehu.customers.service import create_customer
from kehu.extensions import db
from kehu.platform.time import utcnow
from kehu.plugins.hookspecs import hookimpl
from kehu_sdk.testing import throwaway_database

COUNTIES = ("370811", "370812", "370826", "370827", "370828", "370829", "370830", "370831", "370832", "370881",
            "370883", "370102", "370103", "370104", "370105", "370112", "370113", "370114", "370115", "370116",
            "370117", "370124", "370126", "371502", "371503", "371521", "371522", "371524", "371525", "371526",
            "371581")
INDUSTRIES = ("manufacturing", "agriculture", "services", "catering", "retail", "logistics", None)
CHUNK = 100_000
OWNERS, TEAMS = 40, 5


class DirectCount:
    """A plugin filter that lets every customer through: forces the dashboard's direct path."""

    @hookimpl
    def customer_query_filters(self, user):
        return [true()]


def _database(url: str | None):
    if not url:
        folder = tempfile.mkdtemp(prefix="kehu-bench-")
        return f"sqlite:///{folder}/bench.sqlite", lambda: None
    return throwaway_database(url, "kehu_bench")


def _pick(values, seed: str, dialect: str) -> str:
    """SQL choosing one of ``values`` by a pseudo-random number made from ``seed`` (an SQL integer)."""
    cases = " ".join(f"WHEN {i} THEN {'NULL' if v is None else repr(v)}" for i, v in enumerate(values))
    return f"CASE ({_hash(seed, dialect)}) % {len(values)} {cases} END"


def _hash(seed: str, dialect: str) -> str:
    return f"abs(({seed}) * 2654435761 % 1000003)" if dialect == "sqlite" else f"(hashint4(({seed})::int) & 2147483647)"


def _load(rows: int, owners: list[tuple[int, int]]) -> float:
    dialect = db.session.get_bind().dialect.name
    db.session.execute(text("CREATE TABLE bench_owner (idx INTEGER PRIMARY KEY, owner_id INTEGER, team_id INTEGER)"))
    db.session.execute(text("INSERT INTO bench_owner VALUES (:idx, :owner, :team)"),
                       [{"idx": i, "owner": o, "team": t} for i, (o, t) in enumerate(owners)])
    created = (f"datetime('now', '-' || ({_hash('g * 7', dialect)} % 1095) || ' days')" if dialect == "sqlite"
               else f"now() - ({_hash('g * 7', dialect)} % 1095) * interval '1 day'")
    deleted = f"CASE WHEN {_hash('g * 13', dialect)} % 50 = 0 THEN {created} END"
    series = ("WITH RECURSIVE s(g) AS (SELECT :first UNION ALL SELECT g + 1 FROM s WHERE g < :last) SELECT g FROM s"
              if dialect == "sqlite" else "SELECT generate_series(CAST(:first AS integer), CAST(:last AS integer)) AS g")
    statement = text(f"""
        INSERT INTO customer (kind, name, name_pinyin, status, extra, consent_sms, consent_email, consent_phone,
                              created_at, updated_at, region_code, industry, owner_id, team_id, deleted_at)
        SELECT 'company', '客户' || g, 'kehu' || g, {_pick(STATUSES, 'g * 3', dialect)}, '{{}}', false, false, false,
               {created}, {created}, {_pick(COUNTIES, 'g * 5', dialect)}, {_pick(INDUSTRIES, 'g * 11', dialect)},
               o.owner_id, o.team_id, {deleted}
        FROM ({series}) AS n JOIN bench_owner o ON o.idx = ({_hash('g * 17', dialect)}) % {len(owners)}""")
    start = time.perf_counter()
    for first in range(1, rows + 1, CHUNK):
        db.session.execute(statement, {"first": first, "last": min(first + CHUNK - 1, rows)})
        db.session.commit()
    seconds = time.perf_counter() - start
    db.session.execute(text("DROP TABLE bench_owner"))
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    return seconds


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm caches and connections
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _client(app, user):
    client = app.test_client()
    with app.test_request_context():
        key = sessions.start(user, remember=False)
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = key
        session["_fresh"] = True
    return client


def _app(url: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "KEHU_PASSWORD_PROFILE": "CHEAPEST",
                       "CELERY": {"task_always_eager": True, "broker_url": "memory://"}},
                      instance_path=tempfile.mkdtemp(prefix="kehu-bench-instance-"))


def _people():
    ensure_default_roles()
    teams = [ensure_team(f"团队{n}") for n in range(TEAMS)]
    sales = [create_user(f"sales{n}", "bench-password-1", "sales", team=teams[n % TEAMS]) for n in range(OWNERS)]
    users = {"all": create_user("bench", "bench-password-1", "admin"),
             "team": create_user("manager", "bench-password-1", "manager", team=teams[0]), "own": sales[0]}
    return users, [(u.id, u.team_id) for u in sales]


def dashboard(rows: int, url: str, repeat: int) -> dict:
    app = _app(url)
    found = {}
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        users, owners = _people()
        load_s = _load(rows, owners)
        counted = db.session.scalar(text("SELECT count(*) FROM customer_count"))
        assert db.session.scalar(text("SELECT count(*) FROM customer")) == rows
        clients = {scope: _client(app, user) for scope, user in users.items()}
        hooks = app.extensions["kehu_plugins"].hooks
        for path in ("counts", "direct"):
            if path == "direct":
                hooks.register(DirectCount(), name="direct-count")
            for scope, client in clients.items():
                def request():
                    response = client.get("/dashboard/data")
                    assert response.status_code == 200, response.get_data(as_text=True)
                found[(path, scope)] = _median_ms(request, repeat if path == "counts" else max(3, repeat // 10))
        hooks.unregister(name="direct-count")
        print(f"  {rows} customers on {db.engine.dialect.name}: loaded in {load_s:.1f} s, {counted} count rows")
        db.session.remove()
        db.engine.dispose()
    return found


# writes --------------------------------------------------------------------------------------
ROW_LEVEL = """
CREATE FUNCTION bench_count_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.deleted_at IS NULL THEN
        INSERT INTO customer_count (dimension, key, owner_id, team_id, count)
        SELECT k.dimension, k.key, coalesce(OLD.owner_id, 0), coalesce(OLD.team_id, 0), -1 FROM (VALUES
            ('month', to_char(timezone('Asia/Shanghai', OLD.created_at), 'YYYY-MM')),
            ('county', coalesce(OLD.region_code, '')), ('industry', coalesce(OLD.industry, '')),
            ('status', OLD.status)) AS k(dimension, key)
        ON CONFLICT (dimension, key, owner_id, team_id) DO UPDATE SET count = customer_count.count + excluded.count;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.deleted_at IS NULL THEN
        INSERT INTO customer_count (dimension, key, owner_id, team_id, count)
        SELECT k.dimension, k.key, coalesce(NEW.owner_id, 0), coalesce(NEW.team_id, 0), 1 FROM (VALUES
            ('month', to_char(timezone('Asia/Shanghai', NEW.created_at), 'YYYY-MM')),
            ('county', coalesce(NEW.region_code, '')), ('industry', coalesce(NEW.industry, '')),
            ('status', NEW.status)) AS k(dimension, key)
        ON CONFLICT (dimension, key, owner_id, team_id) DO UPDATE SET count = customer_count.count + excluded.count;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER bench_count_insert AFTER INSERT ON customer FOR EACH ROW EXECUTE FUNCTION bench_count_row();
CREATE TRIGGER bench_count_delete AFTER DELETE ON customer FOR EACH ROW EXECUTE FUNCTION bench_count_row();
CREATE TRIGGER bench_count_update AFTER UPDATE OF created_at, region_code, industry, status, owner_id, team_id,
    deleted_at ON customer FOR EACH ROW WHEN (
    OLD.created_at IS DISTINCT FROM NEW.created_at OR OLD.region_code IS DISTINCT FROM NEW.region_code OR
    OLD.industry IS DISTINCT FROM NEW.industry OR OLD.status IS DISTINCT FROM NEW.status OR
    OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.team_id IS DISTINCT FROM NEW.team_id OR
    OLD.deleted_at IS DISTINCT FROM NEW.deleted_at) EXECUTE FUNCTION bench_count_row();
"""
BUILT = ("customer_count_insert", "customer_count_update", "customer_count_delete")


def _triggers(kind: str) -> None:
    for name in BUILT:
        db.session.execute(text(f"ALTER TABLE customer {'ENABLE' if kind == 'statement' else 'DISABLE'} TRIGGER {name}"))
    for name in ("bench_count_insert", "bench_count_update", "bench_count_delete"):
        db.session.execute(text(f"ALTER TABLE customer {'ENABLE' if kind == 'row' else 'DISABLE'} TRIGGER {name}"))
    db.session.commit()


def writes(url: str, repeat: int) -> dict:
    app = _app(url)
    found = {}
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        users, owners = _people()
        _load(20_000, owners)
        db.session.execute(text(ROW_LEVEL))
        db.session.commit()
        admin = users["all"]
        now = utcnow()
        batch = [{"kind": "company", "name": f"批量{n}", "name_pinyin": f"piliang{n}", "status": STATUSES[n % 5],
                  "region_code": COUNTIES[n % len(COUNTIES)], "industry": INDUSTRIES[n % len(INDUSTRIES)],
                  "owner_id": owners[n % OWNERS][0], "team_id": owners[n % OWNERS][1], "extra": {},
                  "consent_sms": False, "consent_email": False, "consent_phone": False,
                  "created_at": now, "updated_at": now} for n in range(5000)]
        some = db.session.scalar(select(Customer.id).where(Customer.deleted_at.is_(None)).limit(1))

        def bulk():  # the ORM's executemany: psycopg sends one INSERT per row (pipelined)
            db.session.execute(insert(Customer), batch)
            db.session.rollback()

        def bulk_batched():  # Core with RETURNING: SQLAlchemy's insertmanyvalues sends 5 INSERTs of 1 000 rows
            table = Customer.__table__
            db.session.execute(insert(table).returning(table.c.id), batch)
            db.session.rollback()

        def bulk_one_statement():
            db.session.execute(text("INSERT INTO customer (kind, name, name_pinyin, status, extra, consent_sms, "
                                    "consent_email, consent_phone, created_at, updated_at, region_code, industry, "
                                    "owner_id, team_id) SELECT kind, name || '副本', name_pinyin, status, extra, "
                                    "consent_sms, consent_email, consent_phone, created_at, updated_at, region_code, "
                                    "industry, owner_id, team_id FROM customer ORDER BY id LIMIT 5000"))
            db.session.rollback()

        def one():
            create_customer({"name": "单个客户", "status": "lead", "region_code": "370811"}, admin)
            db.session.execute(text("DELETE FROM customer WHERE name = '单个客户'"))
            db.session.commit()

        def counted_update():
            db.session.execute(text("UPDATE customer SET status = CASE status WHEN 'lead' THEN 'intent' ELSE 'lead' END "
                                    "WHERE id = :id"), {"id": some})
            db.session.commit()

        def uncounted_update():
            db.session.execute(text("UPDATE customer SET name = name WHERE id = :id"), {"id": some})
            db.session.commit()

        cases = {"5000: executemany": bulk, "5000: 5 × 1000 rows": bulk_batched,
                 "5000: INSERT … SELECT": bulk_one_statement, "create_customer": one,
                 "counted update": counted_update, "uncounted update": uncounted_update}
        for kind in ("none", "statement", "row"):
            _triggers(kind)
            for name, fn in cases.items():
                found[(kind, name)] = _median_ms(fn, repeat if "5000" not in name else max(5, repeat // 4))
        _triggers("statement")
        db.session.remove()
        db.engine.dispose()
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", help="a PostgreSQL server URL (a throwaway database is made)")
    parser.add_argument("--writes", action="store_true", help="time writes with and without the triggers (PostgreSQL)")
    args = parser.parse_args()

    if args.writes:
        url, drop = _database(args.database_url)
        try:
            found = writes(url, args.repeat)
        finally:
            drop()
        print(f"{'write (median ms)':22} {'no trigger':>11} {'statement':>10} {'row level':>10}")
        for name in dict.fromkeys(name for _kind, name in found):
            print(f"{name:22} {found[('none', name)]:11.2f} {found[('statement', name)]:10.2f} {found[('row', name)]:10.2f}")
        return

    results = {}
    for rows in args.rows:
        url, drop = _database(args.database_url)
        try:
            results[rows] = dashboard(rows, url, args.repeat)
        finally:
            drop()
    first = results[args.rows[0]]
    print(f"{'GET /dashboard/data':22} {'rows':>9} {'median ms':>10} {'× first size':>13}")
    for (path, scope) in first:
        for rows, found in results.items():
            print(f"{path + ', scope ' + scope:22} {rows:9} {found[(path, scope)]:10.2f} "
                  f"{found[(path, scope)] / first[(path, scope)]:13.2f}")


if __name__ == "__main__":
    os.environ.setdefault("KEHU_PII_KEY", "bench-pii-key")
    main()
