"""What a database holds, as a backup records it: its tables, their row counts, its migration heads.

Read from the database itself, not from the models: a backup also carries the Alembic version tables
and the tables of plugins this installation may not have. Counting happens on the connection that
holds the snapshot, so the numbers describe exactly the data in the backup.
"""
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

CORE_LINEAGE = "core"
VERSION_TABLE = "alembic_version"  # core's; a plugin's is alembic_version_<plugin> (kehu.plugins.migrations)

_SQLITE_TABLES = text(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
    "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name")  # a virtual table's rows live in its shadow tables
_POSTGRESQL_TABLES = text(
    "SELECT schemaname, tablename, schemaname = current_schema() FROM pg_tables "
    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg\\_%' "
    "ORDER BY schemaname, tablename")


def table_names(conn: Connection) -> list[tuple[str, ...]]:
    """Each table as (name,) or, outside the current schema on PostgreSQL, (schema, name)."""
    if conn.dialect.name == "sqlite":
        return [(name,) for name in conn.execute(_SQLITE_TABLES).scalars()]
    return [(table,) if current else (schema, table) for schema, table, current in conn.execute(_POSTGRESQL_TABLES)]


def _label(table: tuple[str, ...]) -> str:
    return ".".join(table)


def _quoted(conn: Connection, table: tuple[str, ...]) -> str:
    return ".".join(conn.dialect.identifier_preparer.quote(part) for part in table)


def row_counts(conn: Connection) -> dict[str, int]:
    """``{table: rows}`` for every table of the database."""
    return {_label(table): conn.execute(text(f"SELECT count(*) FROM {_quoted(conn, table)}")).scalar_one()
            for table in table_names(conn)}


def migration_heads(conn: Connection) -> dict[str, list[str]]:
    """``{lineage: [revision, ...]}``: ``core`` and each plugin with a version table."""
    heads = {}
    for table in table_names(conn):
        name = table[-1]
        if len(table) == 1 and (name == VERSION_TABLE or name.startswith(VERSION_TABLE + "_")):
            lineage = CORE_LINEAGE if name == VERSION_TABLE else name[len(VERSION_TABLE) + 1:]
            heads[lineage] = sorted(conn.execute(text(f"SELECT version_num FROM {_quoted(conn, table)}")).scalars())
    return heads


def has_tables(conn: Connection) -> bool:
    return bool(table_names(conn))


def count_differences(expected: dict[str, int], found: dict[str, int]) -> dict[str, tuple[int | None, int | None]]:
    """``{table: (in the header, in the database)}`` for every table whose count differs or that is missing."""
    return {table: (expected.get(table), found.get(table)) for table in sorted(set(expected) | set(found))
            if expected.get(table) != found.get(table)}


@dataclass
class Snapshot:
    """A database as one consistent moment: what it holds, and its bytes for the backup file."""

    tables: dict[str, int]
    heads: dict[str, list[str]]
    details: dict  # what made the bytes (dialect tool and version): the restore checks it can read them
    chunks: Iterator[bytes]
