"""Alembic environment for core's lineage (plugins have their own; see kehu.plugins.migrations)."""
from alembic import context
from flask import current_app


def core_tables_only(obj, name, type_, reflected, compare_to):
    """Leave plugin tables (and their version tables) to the plugins' own lineages."""
    table = obj if type_ == "table" else getattr(obj, "table", None)
    if table is not None and table.info.get("kehu_plugin"):
        return False
    table_name = name if type_ == "table" else getattr(table, "name", "")
    return not (table_name or "").startswith("alembic_version")


def run_migrations_online():
    migrate = current_app.extensions["migrate"]
    engine = migrate.db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=migrate.db.metadata,
            include_object=core_tables_only,
            **migrate.configure_args,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
