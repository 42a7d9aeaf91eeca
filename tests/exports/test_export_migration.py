"""Migration 0009 on an installation that has its roles already: admins and managers may export after it."""
import os

import pytest
from flask_migrate import downgrade as migrate_down, upgrade as migrate_up
from sqlalchemy import inspect, select

from kehu.accounts.models import Role
from kehu.accounts.service import create_role
from kehu.extensions import db
from kehu_sdk.testing import throwaway_database

REVISION = "7b2c3d4e5f61"
BEFORE = "8c3d4e5f6a72"  # migration 0008, imports


@pytest.fixture
def empty_database(kehu_database_url, tmp_path):
    if kehu_database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}"
        return
    url, drop = throwaway_database(os.environ["KEHU_TEST_DATABASE_URL"], "kehu_test_exports")
    yield url
    drop()


def _permissions() -> dict[str, list[str]]:
    return {role.name: role.permissions for role in db.session.scalars(select(Role))}


def test_the_migration_lets_the_existing_admin_and_manager_roles_export(app_like_the_tests, empty_database):
    other = app_like_the_tests("exports-migration", SQLALCHEMY_DATABASE_URI=empty_database)
    with other.app_context():
        migrate_up(revision=BEFORE)
        for name, permissions in (("admin", ["customer.read"]), ("manager", ["customer.read", "audit.read"]),
                                  ("sales", ["customer.read"])):
            create_role(name, name, permissions, "all")
        db.session.close()  # migrations run on a connection of their own: no open transaction may block them
        migrate_up(revision=REVISION)
        assert "export_job" in inspect(db.engine).get_table_names()
        permissions = _permissions()
        assert permissions["manager"] == ["audit.read", "customer.export", "customer.read"]
        assert "customer.export" in permissions["admin"] and permissions["sales"] == ["customer.read"]
        db.session.close()
        migrate_down(revision=BEFORE)
        assert "export_job" not in inspect(db.engine).get_table_names()
        assert _permissions()["manager"] == ["audit.read", "customer.read"]
        db.session.remove()
        db.engine.dispose()
