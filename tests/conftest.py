"""Core tests use the same fixtures plugin authors get from kehu_sdk.testing (loaded via pytest11)."""
import pytest


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="admin")
