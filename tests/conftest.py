"""Core tests use the same fixtures plugin authors get from kehu_sdk.testing (loaded via pytest11)."""
import pytest


@pytest.fixture
def admin(make_user):
    return make_user("admin", username="admin")


@pytest.fixture(scope="session")
def app_like_the_tests(kehu_app, kehu_database_url, tmp_path_factory):
    """``app_like_the_tests(name, **config)`` -> a second app on the test database with the test app's
    settings plus ``config``: for settings read once, when an app is made (a trusted proxy, rate limits)."""
    from kehu.app import create_app
    shared = {key: kehu_app.config[key] for key in ("TESTING", "SECRET_KEY", "KEHU_PII_KEY", "KEHU_PASSWORD_PROFILE",
                                                    "PLUGIN_STATE_TTL", "CELERY")}

    def make(name: str, **config):
        return create_app({**shared, "SQLALCHEMY_DATABASE_URI": kehu_database_url, **config},
                          instance_path=str(tmp_path_factory.mktemp(name)))

    return make
