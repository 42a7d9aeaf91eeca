import pytest


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="admin")
