"""customer search tokens (GIN on PostgreSQL, FTS5 on SQLite) and indexes for every list sort

Revision ID: 6e3f4a5b7c82
Revises: 5d2e3f4a6b71
Create Date: 2026-12-01 15:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from kehu.customers.search_tokens import tokens_of

revision = '6e3f4a5b7c82'
down_revision = '5d2e3f4a6b71'
branch_labels = None
depends_on = None

BATCH = 5000
LIVE = sa.text("deleted_at IS NULL")
# (name, columns): the list's sorts, alone and after the scope columns the planner filters on first
SORT_INDEXES = [
    ("ix_customer_live_created", ["created_at", "id"]),
    ("ix_customer_live_updated", ["updated_at", "id"]),
    ("ix_customer_live_name", ["name_pinyin", "id"]),
    ("ix_customer_live_owner_created", ["owner_id", "created_at", "id"]),
    ("ix_customer_live_owner_updated", ["owner_id", "updated_at", "id"]),
    ("ix_customer_live_team_created", ["team_id", "created_at", "id"]),
    ("ix_customer_live_team_updated", ["team_id", "updated_at", "id"]),
]
SQLITE_TRIGGERS = [
    """CREATE TRIGGER customer_search_insert AFTER INSERT ON customer BEGIN
         INSERT INTO customer_search(rowid, search_tokens) VALUES (new.id, new.search_tokens); END""",
    """CREATE TRIGGER customer_search_delete AFTER DELETE ON customer BEGIN
         INSERT INTO customer_search(customer_search, rowid, search_tokens)
         VALUES ('delete', old.id, old.search_tokens); END""",
    """CREATE TRIGGER customer_search_update AFTER UPDATE OF search_tokens ON customer BEGIN
         INSERT INTO customer_search(customer_search, rowid, search_tokens)
         VALUES ('delete', old.id, old.search_tokens);
         INSERT INTO customer_search(rowid, search_tokens) VALUES (new.id, new.search_tokens); END""",
]


def _fill_tokens(bind, postgres):
    """Tokens are made in Python (pypinyin and the n-gram rules), so existing rows are filled in
    batches of ids rather than by one UPDATE."""
    customer = sa.table("customer", sa.column("id"), sa.column("name"), sa.column("company"),
                        sa.column("name_pinyin"), sa.column("search_tokens"))
    last = 0
    while True:
        rows = bind.execute(sa.select(customer.c.id, customer.c.name, customer.c.company, customer.c.name_pinyin)
                            .where(customer.c.id > last).order_by(customer.c.id).limit(BATCH)).all()
        if not rows:
            return
        values = []
        for id_, name, company, pinyin in rows:
            tokens = tokens_of(name, company if company != name else None, pinyin)
            values.append({"row_id": id_, "tokens": tokens if postgres else " ".join(tokens)})
        bind.execute(customer.update().where(customer.c.id == sa.bindparam("row_id"))
                     .values(search_tokens=sa.bindparam("tokens")), values)
        last = rows[-1][0]


def upgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.add_column("customer", sa.Column("search_tokens", postgresql.ARRAY(sa.Text()), nullable=False,
                                            server_default=sa.text("'{}'")))
    else:
        op.add_column("customer", sa.Column("search_tokens", sa.Text(), nullable=False, server_default=""))
    _fill_tokens(bind, postgres)
    if postgres:
        op.create_index("ix_customer_search_tokens", "customer", ["search_tokens"], postgresql_using="gin")
        # the default keeps statistics of the ~100 most common tokens and guesses 0.3 % for every
        # other one, so 58 rows of 张伟 looked like 2,800 and the planner walked a million rows
        op.execute("ALTER TABLE customer ALTER COLUMN search_tokens SET STATISTICS 1000")
    else:
        op.execute("CREATE VIRTUAL TABLE customer_search USING fts5(search_tokens, content='customer', "
                   "content_rowid='id', tokenize='unicode61 remove_diacritics 0')")
        op.execute("INSERT INTO customer_search(customer_search) VALUES ('rebuild')")
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
    op.drop_index("ix_customer_name_pinyin", table_name="customer")
    # "not deleted" is nearly every row: an index on it only lures SQLite's planner away from the sort
    # indexes (it then sorts the whole table); the bin's few deleted rows keep a partial one
    op.drop_index("ix_customer_deleted_at", table_name="customer")
    op.create_index("ix_customer_deleted", "customer", ["deleted_at"],
                    postgresql_where=sa.text("deleted_at IS NOT NULL"), sqlite_where=sa.text("deleted_at IS NOT NULL"))
    for name, columns in SORT_INDEXES:
        op.create_index(name, "customer", columns, postgresql_where=LIVE, sqlite_where=LIVE)


def downgrade():
    bind = op.get_bind()
    for name, _columns in SORT_INDEXES:
        op.drop_index(name, table_name="customer")
    op.create_index("ix_customer_name_pinyin", "customer", ["name_pinyin"])
    op.drop_index("ix_customer_deleted", table_name="customer")
    op.create_index("ix_customer_deleted_at", "customer", ["deleted_at"])
    if bind.dialect.name == "postgresql":
        op.drop_index("ix_customer_search_tokens", table_name="customer")
    else:
        for trigger in ("customer_search_insert", "customer_search_delete", "customer_search_update"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE customer_search")
    with op.batch_alter_table("customer") as batch_op:
        batch_op.drop_column("search_tokens")
