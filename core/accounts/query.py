"""Reading accounts: which permissions there are (core's and the enabled plugins')."""
from flask import current_app

from kehu.accounts import lockout


def permission_titles() -> dict:
    """Every permission of core and the enabled plugins: ``{permission: title}``."""
    titles = {}
    for contributed in current_app.extensions["kehu_plugins"].hook("permissions")():
        titles.update(contributed or {})
    return titles


def lockouts(usernames=None):
    """Names whose sign-ins are paused or failing now (kehu.accounts.lockout), for the admins' list."""
    return lockout.lockouts(usernames)
