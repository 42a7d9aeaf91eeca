"""Checking permissions and record scopes. Which permissions exist is the hooks' business (``permissions()``)."""
import functools

from flask import abort
from flask_login import current_user
from sqlalchemy import false, or_, true


def require(permission: str):
    """View decorator: 401 without a logged-in user, 403 without ``permission``."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if not current_user.has_permission(permission):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def scope_criterion(user, owner_column, team_column):
    """The SQL criterion limiting rows to what ``user``'s role scope may see."""
    if user.scope == "all":
        return true()
    if user.scope == "team" and user.team_id is not None:
        return or_(team_column == user.team_id, owner_column == user.id)
    if user.scope in ("own", "team"):
        return owner_column == user.id
    return false()
