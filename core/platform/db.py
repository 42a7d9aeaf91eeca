"""The SQLAlchemy object every model and query uses (``kehu.extensions.db`` is the same object)."""
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData

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
