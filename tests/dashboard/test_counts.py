"""customer_count, kept by triggers, equals a direct count after any mix of writes (issue 13, point 3).

The oracle reads the live customer rows and counts them in Python (China months with zoneinfo), so
it shares no SQL with the triggers, the migration's fill, ``rebuild_counts`` or the dashboard.
"""
import os
import random
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from alembic.script import ScriptDirectory
from flask_migrate import upgrade as migrate_up, downgrade as migrate_down
from sqlalchemy import bindparam, delete, insert, inspect, select, text, update

from kehu.accounts.service import ensure_team
from kehu.cli import cli
from kehu.customers.models import STATUSES, Customer, CustomerCount
from kehu.customers.service import create_customer, delete_customer, update_customer
from kehu.customers.views import industry_choices
from kehu.dashboard import query
from kehu.extensions import db
from kehu.platform.columns import UTCDateTime
from kehu.platform.time import from_china, to_china, utcnow
from kehu.plugins.hookspecs import hookimpl
from kehu_sdk.testing import throwaway_database

REVISION = "6a1b2c3d4e50"
INDUSTRIES = ("catering", "retail", "manufacturing", "蜂业", "", None)
COUNTIES = ("370811", "370812", "370102", "371502", None)
COUNTED = ("status", "industry", "region_code", "owner_id", "team_id")


# the oracle ------------------------------------------------------------------------------------
def _live_rows():
    table = Customer.__table__
    return db.session.execute(select(table.c.created_at, table.c.region_code, table.c.industry, table.c.status,
                                     table.c.owner_id, table.c.team_id).where(table.c.deleted_at.is_(None))).all()


def _keys_of(row) -> dict:
    return {"month": to_china(row.created_at).strftime("%Y-%m"), "county": row.region_code or "",
            "industry": row.industry or "", "status": row.status}


def expected_table() -> dict:
    found = Counter()
    for row in _live_rows():
        for dimension, key in _keys_of(row).items():
            found[(dimension, key, row.owner_id or 0, row.team_id or 0)] += 1
    return dict(found)


def stored_table() -> dict:
    rows = db.session.execute(select(CustomerCount.dimension, CustomerCount.key, CustomerCount.owner_id,
                                     CustomerCount.team_id, CustomerCount.count)).all()
    return {(d, k, o, t): n for d, k, o, t, n in rows if n != 0}


def _sees(user, row) -> bool:
    if user.scope == "all":
        return True
    if user.scope == "team" and user.team_id is not None and row.team_id == user.team_id:
        return True
    return row.owner_id == user.id


def expected_figures(user, only=lambda row: True) -> dict:
    rows = [row for row in _live_rows() if _sees(user, row) and only(row)]
    by = {dimension: Counter(_keys_of(row)[dimension] for row in rows) for dimension in ("month", "county", "industry",
                                                                                          "status")}
    months = query._months(query.GROWTH_MONTHS)

    def largest(counter):
        return sorted(counter.items(), key=lambda item: (-item[1], item[0]))

    return {
        "growth": {"months": months, "new": [by["month"][m] for m in months],
                   "total": [sum(n for k, n in by["month"].items() if k <= m) for m in months]},
        "counties": [(code, n) for code, n in largest(by["county"]) if code][:query.TOP_COUNTIES],
        "industries": [(code or None, n) for code, n in largest(by["industry"])],
        "funnel": {s: by["status"][s] for s in STATUSES},
        "total": len(rows),
    }


def dashboard_figures(user) -> dict:
    funnel = query.funnel(user)
    return {
        "growth": query.growth(user),
        "counties": [(c["code"], c["count"]) for c in query.by_county(user)],
        "industries": [(i["code"], i["count"]) for i in query.by_industry(user)],
        "funnel": {**{s["code"]: s["count"] for s in funnel["stages"]}, "lost": funnel["lost"]},
        "total": query.total_customers(user),
    }


# writes of every kind ----------------------------------------------------------------------------
class Writes:
    """Random writes through the service, the ORM, Core and raw SQL, each committed (or rolled back)."""

    def __init__(self, rng, admin, owners, teams):
        self.rng, self.admin, self.owners, self.teams = rng, admin, owners, teams
        self.numbers = iter(range(1, 100_000))

    def moment(self):
        """A China month of the last 15 (or one long ago), often minutes from its midnight in China."""
        rng, now = self.rng, to_china(utcnow())
        back = rng.choice([*range(15), 40])
        year, month = now.year, now.month - back
        while month < 1:
            year, month = year - 1, month + 12
        start = from_china(datetime(year, month, 1))
        offset = timedelta(minutes=rng.randint(-3, 3)) if rng.random() < 0.5 else timedelta(days=rng.randint(0, 26))
        return min(start + offset, utcnow())

    def fields(self, counted_only=False) -> dict:
        rng = self.rng
        found = {"status": rng.choice(STATUSES), "industry": rng.choice(INDUSTRIES),
                 "region_code": rng.choice(COUNTIES), "owner_id": rng.choice(self.owners),
                 "team_id": rng.choice(self.teams), "created_at": self.moment()}
        if not counted_only:
            found["name"] = f"客户{next(self.numbers)}"
        return found

    def ids(self, live=None, most=4) -> list[int]:
        query_ = select(Customer.id)
        if live is not None:
            query_ = query_.where(Customer.deleted_at.is_(None) if live else Customer.deleted_at.is_not(None))
        found = list(db.session.scalars(query_))
        return self.rng.sample(found, min(len(found), self.rng.randint(1, most)))

    def row(self) -> dict:
        row = self.fields()
        row["deleted_at"] = utcnow() if self.rng.random() < 0.2 else None
        return row

    # each returns nothing; the caller commits
    def create(self):
        data = self.fields()
        create_customer({k: v for k, v in data.items() if self.rng.random() < 0.8 or k == "name"}, self.admin)

    def update_through_service(self):
        for customer_id in self.ids(most=2):
            data = self.fields(counted_only=True)
            update_customer(db.session.get(Customer, customer_id),
                            {k: v for k, v in data.items() if self.rng.random() < 0.4}, self.admin)

    def update_raw(self):
        column = self.rng.choice(COUNTED)
        value = self.fields(counted_only=True)[column]
        db.session.execute(text(f"UPDATE customer SET {column} = :value WHERE id IN :ids")
                           .bindparams(bindparam("ids", expanding=True)), {"value": value, "ids": self.ids()})

    def update_created_at_in_core(self):
        ids = self.ids()
        db.session.execute(update(Customer.__table__).where(Customer.__table__.c.id.in_(ids))
                           .values(created_at=self.moment()))

    def update_uncounted(self):
        db.session.execute(text("UPDATE customer SET name = name || '改', region_code = region_code WHERE id IN :ids")
                           .bindparams(bindparam("ids", expanding=True)), {"ids": self.ids()})

    def insert_many(self):  # executemany
        db.session.execute(Customer.__table__.insert(), [self.row() for _ in range(self.rng.randint(1, 6))])

    def insert_one_statement(self):  # one INSERT with many VALUES
        db.session.execute(insert(Customer.__table__).values([self.row() for _ in range(self.rng.randint(2, 6))]))

    def insert_select(self):
        columns = "kind, name, name_pinyin, status, extra, consent_sms, consent_email, consent_phone, created_at, " \
                  "updated_at, region_code, industry, owner_id, team_id, deleted_at"
        db.session.execute(text(f"INSERT INTO customer ({columns}) SELECT {columns} FROM customer WHERE id IN :ids")
                           .bindparams(bindparam("ids", expanding=True)), {"ids": self.ids()})

    def soft_delete(self):
        for customer_id in self.ids(live=True, most=2):
            delete_customer(db.session.get(Customer, customer_id))

    def restore(self):
        for customer_id in self.ids(live=False, most=1):
            db.session.get(Customer, customer_id).deleted_at = None

    def toggle_deleted_in_one_statement(self):
        db.session.execute(text("UPDATE customer SET deleted_at = CASE WHEN deleted_at IS NULL THEN :now ELSE NULL END "
                                "WHERE id IN :ids").bindparams(bindparam("ids", expanding=True),
                                                               bindparam("now", type_=UTCDateTime())),
                           {"now": utcnow(), "ids": self.ids(most=6)})

    def hard_delete_raw(self):
        db.session.execute(text("DELETE FROM customer WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
                           {"ids": self.ids()})

    def hard_delete_orm(self):
        for customer_id in self.ids(most=1):
            db.session.delete(db.session.get(Customer, customer_id))

    OPERATIONS = ("create", "create", "update_through_service", "update_raw", "update_raw", "update_created_at_in_core",
                  "update_uncounted", "insert_many", "insert_one_statement", "insert_select", "soft_delete",
                  "restore", "toggle_deleted_in_one_statement", "hard_delete_raw", "hard_delete_orm")


@pytest.fixture
def people(make_user):
    """Users of every scope, and the owners and teams random writes choose from."""
    east, west = ensure_team("东区"), ensure_team("西区")
    admin = make_user("admin")
    viewers = [admin, make_user("manager", team="东区"), make_user("sales", team="东区"), make_user("sales", team="西区"),
               make_user("manager")]  # a manager without a team sees only their own
    return admin, viewers, [*(u.id for u in viewers), None], [east.id, west.id, None]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counts_equal_a_direct_count_after_any_writes(app, people, seed):
    admin, viewers, owners, teams = people
    rng = random.Random(seed)
    writes = Writes(rng, admin, owners, teams)
    for _ in range(8):
        writes.create()
    for step in range(45):
        operation = rng.choice(Writes.OPERATIONS)
        getattr(writes, operation)()
        if rng.random() < 0.1:
            db.session.rollback()  # the counts are written in the same transaction: gone with it
            operation += " (rolled back)"
        else:
            db.session.commit()
        db.session.expire_all()
        assert stored_table() == expected_table(), f"step {step}: {operation}"
    for user in viewers:
        assert dashboard_figures(user) == expected_figures(user), user.username
        for dimension in ("month", "county", "industry", "status"):  # the fallback path counts the same
            assert {k: n for k, n in query._direct_counts(user, dimension).items() if n} == query.counts(user, dimension)


class FilteringPlugin:
    """Answers customer_query_filters like a plugin that hides non-catering customers from one user."""

    @hookimpl
    def customer_query_filters(self, user):
        return [Customer.industry == "catering"] if user.username == "caterer" else []


def test_while_a_plugin_filters_customers_the_figures_are_counted_directly(app, make_user, make_customer):
    caterer, other = make_user("admin", username="caterer"), make_user("admin")
    for industry, status in [("catering", "lead"), ("catering", "customer"), ("retail", "lead"), (None, "intent")]:
        make_customer(owner=other, industry=industry, status=status, region_code="370811", phone=None)
    hooks = app.extensions["kehu_plugins"].hooks
    hooks.register(FilteringPlugin(), name="filtering")
    try:
        assert dashboard_figures(caterer) == expected_figures(caterer, only=lambda row: row.industry == "catering")
        assert dashboard_figures(caterer)["total"] == 2
        assert dashboard_figures(other) == expected_figures(other)  # [] from the plugin: the counts serve
        assert dashboard_figures(other)["total"] == 4
    finally:
        hooks.unregister(name="filtering")
    assert dashboard_figures(caterer)["total"] == 4


def test_rebuild_counts_restores_a_tampered_table(app, people):
    admin, viewers, owners, teams = people
    writes = Writes(random.Random(7), admin, owners, teams)
    for _ in range(30):
        writes.create()
    expected = expected_table()
    db.session.execute(update(CustomerCount).where(CustomerCount.dimension == "status").values(count=CustomerCount.count + 3))
    db.session.execute(delete(CustomerCount).where(CustomerCount.dimension == "month"))
    db.session.execute(insert(CustomerCount).values(dimension="county", key="110101", owner_id=0, team_id=0, count=9))
    db.session.commit()
    assert stored_table() != expected
    result = app.test_cli_runner().invoke(cli, ["dashboard", "rebuild-counts"])
    assert result.exit_code == 0, result.output
    assert "30 customers counted" in result.output
    db.session.expire_all()
    assert stored_table() == expected


def test_industry_choices_are_those_of_live_customers(app, make_customer):
    make_customer(industry="蜂业", phone=None)
    make_customer(industry="", phone=None)
    delete_customer(make_customer(industry="茶叶", phone=None))
    codes = [code for code, _title in industry_choices()]
    assert "蜂业" in codes and "catering" in codes  # stored ones beside the known ones
    assert "茶叶" not in codes and "" not in codes


# the migration counts the rows that are there ------------------------------------------------------
@pytest.fixture
def empty_database(kehu_database_url, tmp_path):
    if kehu_database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    url, drop = throwaway_database(os.environ["KEHU_TEST_DATABASE_URL"], "kehu_test_counts")
    yield url
    drop()


def _insert_raw_customers(rng) -> None:
    """Rows as an older kehu wrote them: plain SQL, before customer_count existed."""
    now = utcnow()
    db.session.execute(text("INSERT INTO team (name, created_at, updated_at) VALUES ('东区', :now, :now), "
                            "('西区', :now, :now)").bindparams(bindparam("now", type_=UTCDateTime())), {"now": now})
    db.session.execute(text("INSERT INTO role (name, title, permissions, scope, created_at, updated_at) "
                            "VALUES ('sales', '销售', '[]', 'own', :now, :now)")
                       .bindparams(bindparam("now", type_=UTCDateTime())), {"now": now})
    role = db.session.scalar(text("SELECT id FROM role"))
    for name in ("甲", "乙"):
        db.session.execute(text("INSERT INTO user_account (username, display_name, role_id, active, "
                                "password_change_required, created_at, updated_at) VALUES (:name, :name, :role, "
                                "true, false, :now, :now)").bindparams(bindparam("now", type_=UTCDateTime())),
                           {"name": name, "role": role, "now": now})
    owners = [*db.session.scalars(text("SELECT id FROM user_account")), None]
    teams = [*db.session.scalars(text("SELECT id FROM team")), None]
    statement = text(
        "INSERT INTO customer (kind, name, name_pinyin, status, extra, consent_sms, consent_email, consent_phone, "
        "created_at, updated_at, region_code, industry, owner_id, team_id, deleted_at) VALUES ('company', :name, '', "
        ":status, '{}', false, false, false, :created_at, :created_at, :region_code, :industry, :owner_id, "
        ":team_id, :deleted_at)").bindparams(bindparam("created_at", type_=UTCDateTime()),
                                             bindparam("deleted_at", type_=UTCDateTime()))
    writes = Writes(rng, None, owners, teams)
    for number in range(40):
        row = writes.row()
        db.session.execute(statement, {**row, "name": f"老客户{number}"})
    db.session.commit()


def test_the_migration_counts_the_customers_already_there(app_like_the_tests, empty_database):
    other = app_like_the_tests("counts-migration", SQLALCHEMY_DATABASE_URI=empty_database)
    with other.app_context():
        before = ScriptDirectory.from_config(other.extensions["migrate"].migrate.get_config()) \
            .get_revision(REVISION).down_revision
        migrate_up(revision=before)
        _insert_raw_customers(random.Random(5))
        expected = expected_table()
        assert sum(n for (dimension, *_), n in expected.items() if dimension == "status") > 20
        db.session.close()  # migrations run on a connection of their own: no open transaction may block them
        migrate_up(revision=REVISION)
        assert stored_table() == expected
        db.session.execute(text("UPDATE customer SET status = 'lost' WHERE id % 3 = 0"))  # and the triggers count on
        db.session.commit()
        assert stored_table() == expected_table()
        db.session.close()
        migrate_down(revision=before)
        assert "customer_count" not in inspect(db.engine).get_table_names()
        db.session.execute(text("DELETE FROM customer"))  # no trigger left behind writing to a missing table
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
