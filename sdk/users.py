"""Users for plugin code: who did something, and the record scope their role gives them.

Background work done on a user's behalf (an SMS campaign's recipients, an export) applies that
user's scope by passing the ``User`` to ``kehu_sdk.customers.criteria``.
"""
from kehu.accounts.models import User
from kehu.extensions import db


def get_user(user_id: int) -> User | None:
    """The user with ``user_id``, or None."""
    return db.session.get(User, user_id)


__all__ = ["User", "get_user"]
