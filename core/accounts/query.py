"""Reading accounts: which permissions there are (core's and the enabled plugins')."""
from flask import current_app


def permission_titles() -> dict:
    """Every permission of core and the enabled plugins: ``{permission: title}``."""
    titles = {}
    for contributed in current_app.extensions["kehu_plugins"].hook("permissions")():
        titles.update(contributed or {})
    return titles
