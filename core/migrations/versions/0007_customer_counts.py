"""customer counts kept by triggers, for the dashboard and the industry choices

Revision ID: 6a1b2c3d4e50
Revises: 6e3f4a5b7c82
Create Date: 2026-12-01 15:30:00

The triggers count every live customer (deleted_at IS NULL) under four keys: its created_at month in
China time, county, industry and status, per owner and team (0 and '' stand for none). The SQL here
is frozen on purpose; kehu.customers.models.counted_keys says the same for rebuild_counts and the
dashboard's direct path, and tests/dashboard/test_counts.py checks that they agree.

SQLite drops a table's triggers with the table: a later migration that rebuilds customer in batch
mode must create them again (create_triggers below).
"""
from alembic import op
import sqlalchemy as sa


revision = '6a1b2c3d4e50'
down_revision = '6e3f4a5b7c82'
branch_labels = None
depends_on = None

COLUMNS = "dimension, key, owner_id, team_id, count"
CONFLICT = ("ON CONFLICT (dimension, key, owner_id, team_id) "
            "DO UPDATE SET count = customer_count.count + excluded.count")


def _keys(row: str, dialect: str) -> dict:
    month = (f"to_char(timezone('Asia/Shanghai', {row}.created_at), 'YYYY-MM')" if dialect == "postgresql"
             else f"strftime('%Y-%m', {row}.created_at, '+8 hours')")
    return {"month": f"coalesce({month}, '')", "county": f"coalesce({row}.region_code, '')",
            "industry": f"coalesce({row}.industry, '')", "status": f"{row}.status"}


# PostgreSQL: statement-level triggers over transition tables, so a bulk insert makes one grouped
# upsert instead of four per row. An UPDATE trigger with transition tables cannot name columns; an
# update that changes no counted column nets to nothing (HAVING) and writes no row.
def _pg_upsert(changes: str) -> str:
    keys = ", ".join(f"('{dimension}', {sql})" for dimension, sql in _keys("c", "postgresql").items())
    return f"""
        INSERT INTO customer_count ({COLUMNS})
        SELECT k.dimension, k.key, coalesce(c.owner_id, 0), coalesce(c.team_id, 0), sum(c.delta)
        FROM ({changes}) AS c CROSS JOIN LATERAL (VALUES {keys}) AS k(dimension, key)
        GROUP BY 1, 2, 3, 4 HAVING sum(c.delta) <> 0
        ORDER BY 1, 2, 3, 4
        {CONFLICT};"""


_NEW = "SELECT *, 1 AS delta FROM new_rows WHERE deleted_at IS NULL"
_OLD = "SELECT *, -1 AS delta FROM old_rows WHERE deleted_at IS NULL"
PG_FUNCTION = f"""
CREATE FUNCTION customer_count_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN {_pg_upsert(_NEW)}
    ELSIF TG_OP = 'DELETE' THEN {_pg_upsert(_OLD)}
    ELSE {_pg_upsert(f"{_NEW} UNION ALL {_OLD}")}
    END IF;
    RETURN NULL;
END
$$"""
PG_TRIGGERS = {
    "customer_count_insert": "AFTER INSERT ON customer REFERENCING NEW TABLE AS new_rows",
    "customer_count_update": "AFTER UPDATE ON customer REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "customer_count_delete": "AFTER DELETE ON customer REFERENCING OLD TABLE AS old_rows",
}

# SQLite has only row-level triggers; UPDATE OF and WHEN skip updates that change nothing counted.
COUNTED_COLUMNS = ("created_at", "region_code", "industry", "status", "owner_id", "team_id", "deleted_at")
_CHANGED = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in COUNTED_COLUMNS)


def _sqlite_upsert(row: str, delta: int) -> str:
    values = ", ".join(f"('{dimension}', {sql}, coalesce({row}.owner_id, 0), coalesce({row}.team_id, 0), {delta})"
                       for dimension, sql in _keys(row, "sqlite").items())
    return f"INSERT INTO customer_count ({COLUMNS}) VALUES {values} {CONFLICT};"


SQLITE_TRIGGERS = {
    "customer_count_insert": ("AFTER INSERT ON customer WHEN NEW.deleted_at IS NULL", _sqlite_upsert("NEW", 1)),
    "customer_count_delete": ("AFTER DELETE ON customer WHEN OLD.deleted_at IS NULL", _sqlite_upsert("OLD", -1)),
    "customer_count_update_old": (f"AFTER UPDATE OF {', '.join(COUNTED_COLUMNS)} ON customer "
                                  f"WHEN OLD.deleted_at IS NULL AND ({_CHANGED})", _sqlite_upsert("OLD", -1)),
    "customer_count_update_new": (f"AFTER UPDATE OF {', '.join(COUNTED_COLUMNS)} ON customer "
                                  f"WHEN NEW.deleted_at IS NULL AND ({_CHANGED})", _sqlite_upsert("NEW", 1)),
}


def create_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
        for name, when in PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION customer_count_apply()")
    else:
        for name, (when, body) in SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body} END")


def drop_triggers(dialect: str) -> None:
    names = PG_TRIGGERS if dialect == "postgresql" else SQLITE_TRIGGERS
    for name in names:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON customer" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS customer_count_apply()")


def fill(dialect: str) -> None:
    """Count the rows already there, one grouped INSERT … SELECT per dimension."""
    for dimension, sql in _keys("customer", dialect).items():
        op.execute(f"""
            INSERT INTO customer_count ({COLUMNS})
            SELECT '{dimension}', {sql}, coalesce(owner_id, 0), coalesce(team_id, 0), count(*)
            FROM customer WHERE deleted_at IS NULL
            GROUP BY 2, 3, 4""")


def upgrade():
    op.create_table('customer_count',
    sa.Column('dimension', sa.String(length=12), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dimension', 'key', 'owner_id', 'team_id', name=op.f('pk_customer_count'))
    )
    dialect = op.get_bind().dialect.name
    # triggers first: on PostgreSQL, CREATE TRIGGER's lock holds writers off until this migration
    # commits, so no row is counted twice or missed between the fill and the triggers
    create_triggers(dialect)
    fill(dialect)


def downgrade():
    drop_triggers(op.get_bind().dialect.name)
    op.drop_table('customer_count')
