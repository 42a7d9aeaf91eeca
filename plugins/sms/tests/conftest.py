"""Fixtures for the SMS plugin: the plugin enabled, users holding sms.* permissions, and the
loopback fake provider servers (``sms_fakes.py`` beside this file: test support, not plugin code).

Customers come from the SDK's ``make_customer(owner, **fields)``; marketing SMS need
``consent_sms=True``, so tests say so where they send them."""
import sys
from pathlib import Path

import pytest

from kehu_sdk.db import db

# the tests folder is no package (--import-mode=importlib): its support module is found by path
HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from sms_fakes import TEST_ACCESS_KEY_ID, TEST_ACCESS_KEY_SECRET, FakeAliyunSms, FakeTencentSms  # noqa: E402

SMS_PERMISSIONS = ["sms.read", "sms.send", "sms.manage"]


@pytest.fixture
def sms_app(app, enable_plugins):
    enable_plugins("sms")
    return app


@pytest.fixture
def save_settings(sms_app):
    def save(**values):
        manager = sms_app.extensions["kehu_plugins"]
        current = {k: v for k, v in manager.settings_of("sms").items()}
        current.update(values)
        return manager.save_settings("sms", current)

    return save


def _role_with(user, name, permissions):
    """A test role (kept across tests like the default ones) with the default role's scope plus ``permissions``."""
    role_cls = type(user.role)
    role = db.session.query(role_cls).filter_by(name=name).one_or_none()
    if role is None:
        role = role_cls(name=name, title=name, permissions=[], scope=user.role.scope)
        db.session.add(role)
    # the default role's own permissions, without the SMS ones it gets by default: exactly ``permissions``
    role.permissions = sorted({p for p in user.role.permissions if not p.startswith("sms.")} | set(permissions))
    return role


@pytest.fixture
def sms_user(sms_app, make_user):
    """``sms_user(role="marketing", permissions=SMS_PERMISSIONS, team=None)``."""

    def make(role="marketing", permissions=SMS_PERMISSIONS, team=None):
        user = make_user(role, team=team)
        user.role = _role_with(user, f"sms_{role}_{'_'.join(p.split('.')[1] for p in permissions) or 'none'}",
                               permissions)
        db.session.commit()
        return user

    return make


def _fake(cls, **kwargs):
    server = cls(**kwargs).start()
    return server


@pytest.fixture
def aliyun_fake():
    server = _fake(FakeAliyunSms)
    yield server
    server.stop()


@pytest.fixture
def tencent_fake():
    server = _fake(FakeTencentSms)
    yield server
    server.stop()


def _provider_settings(name, fake, **extra):
    return {"provider": name, "access_key_id": TEST_ACCESS_KEY_ID, "access_key_secret": TEST_ACCESS_KEY_SECRET,
            "endpoint": fake.endpoint, "protocol": "http", "sms_sdk_app_id": "1400000001",
            "sign_name": "鸿达机械", "request_timeout_seconds": 5, **extra}


@pytest.fixture
def provider_settings():
    """``provider_settings("aliyun", fake, **extra)``: settings pointing a provider at a fake server."""
    return _provider_settings


@pytest.fixture
def grant(sms_app):
    """``grant(user, role_name, permissions)``: give ``user`` a test role with these extra permissions."""
    def give(user, name, permissions):
        user.role = _role_with(user, name, permissions)
        db.session.commit()
    return give


@pytest.fixture
def all_day(save_settings):
    """A send window covering the whole day, so tests do not depend on the wall clock."""
    return save_settings(send_window_start="00:00", send_window_end="00:00", rate_limit_per_second=1000)
