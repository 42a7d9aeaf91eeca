"""Web and API helpers for plugin blueprints.

Plugin templates extend ``"base.html"`` (blocks ``title`` and ``content``). Every view checks a
permission with ``require_permission`` (declare new ones through the ``permissions()`` hook).
"""
from flask_login import current_user, login_required

from kehu.extensions import csrf
from kehu.platform.permissions import require as require_permission
from kehu.platform.problems import problem

__all__ = ["csrf", "current_user", "login_required", "problem", "require_permission"]
