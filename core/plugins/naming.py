"""What a plugin may be called: its name becomes its tables' prefix, URLs, task names and entry point."""
import re

PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{1,30}$")
# First URL segments and /api/v1/<segment>s that core uses or keeps (plugins serve /<name>, /api/v1/<name>).
# Also the domains' names, whose page blueprints are "<domain>_pages" (a plugin's are "<plugin>_…").
RESERVED_NAMES = frozenset({
    "account", "accounts", "admin", "api", "approvals", "audit", "auth", "backups", "custom_field",
    "custom_fields", "customer", "customers", "dashboard", "docs", "export", "exports", "health", "healthz",
    "help", "import", "imports", "interaction", "interactions", "kehu", "locale", "login", "logout", "me",
    "notifications", "openapi", "plugin", "plugins", "profile", "reminders", "reports", "search", "segments",
    "settings", "static", "tag", "tags", "teams", "todos", "users", "webhook", "webhooks",
})


def check_plugin_name(name: str) -> None:
    """Raise ValueError unless ``name`` can name a plugin (tables, URLs, task names, entry point)."""
    if not PLUGIN_NAME.match(name or ""):
        raise ValueError(f"plugin name {name!r}: use 2-31 lowercase letters, digits and _, starting with a letter")
    if name in RESERVED_NAMES:
        raise ValueError(f"plugin name {name!r} is reserved: core uses /{name}")
