"""The SQLAlchemy object every model and query uses (``kehu.extensions.db`` is the same object)."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

from kehu.platform.session import KehuSession

# Named constraints keep Alembic batch mode (SQLite) and PostgreSQL migrations identical.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION), session_options={"class_": KehuSession})


@event.listens_for(Engine, "connect")
def _oltp_settings(dbapi_connection, connection_record):
    """PostgreSQL compiles a query to machine code (JIT) once its estimated cost passes a threshold:
    worth it for reports over millions of rows, 40–60 ms lost on a list page whose LIMIT stops it
    early, and estimates of search filters are what crosses the threshold. Every kehu query is of
    the second kind."""
    if type(dbapi_connection).__module__.startswith("psycopg"):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()
