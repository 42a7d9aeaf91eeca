"""pluggy hook specifications (project name ``kehu``).

Hooks are extension points whose return values core uses, that may veto, or that run
inside the request or transaction. Facts after commit are blinker signals (kehu.signals).
Hooks run in a deterministic order: dependency order of plugins, then plugin name.
Only optional arguments may ever be added to a spec.
"""
import pluggy

hookspec = pluggy.HookspecMarker("kehu")
hookimpl = pluggy.HookimplMarker("kehu")


@hookspec(historic=True)
def configure(app):
    """Called once per app with the Flask app, after core extensions are set up."""


@hookspec
def register_blueprints():
    """Expected to return a list of Flask blueprints; they answer 404 while the plugin is disabled."""


@hookspec
def register_commands():
    """Expected to return a list of click commands or groups added under ``kehu``."""


@hookspec
def task_modules():
    """Expected to return a list of module names holding Celery tasks (``kehu.<plugin>.<fn>``)."""


@hookspec
def periodic_tasks():
    """Expected to return a dict of Celery beat entries ``{name: {"task": ..., "schedule": ...}}``."""


@hookspec
def customer_field_schemas():
    """Expected to return a list of ``{"key", "version", "title", "schema"}`` JSON Schema packs.

    ``key`` is an industry code (lower-case, digits, ``_``), ``version`` a positive integer raised
    whenever the pack changes, ``schema`` a Draft 2020-12 object schema whose properties each have
    a ``title`` and a type. A new version is stored and made active (kehu.custom_fields.service.sync_plugin_schemas).
    """


@hookspec
def validate_customer(customer, data):
    """Expected to return a dict ``{field: [messages]}`` of errors (empty when valid); vetoes the save."""


@hookspec
def interaction_kinds():
    """Expected to return a list of ``{"kind", "title"}`` interaction kinds beyond call/visit/meeting/message/note."""


@hookspec
def permissions():
    """Expected to return a dict ``{permission: title}`` of permissions the plugin checks."""


@hookspec
def default_role_permissions():
    """Expected to return ``{role_name: [permission, ...]}``: what the default roles (manager, sales,
    service, marketing) need of the plugin's permissions to do their job. Granted once, when the plugin is
    enabled; an admin who takes one away later keeps it taken away."""


@hookspec
def customer_query_filters(user):
    """Expected to return a list of SQLAlchemy criteria added to every customer query for ``user``."""


@hookspec(firstresult=True)
def match_customer(identity):
    """Expected to return a customer id for an external identity dict (``phone``, ``exclude`` …), or None.

    firstresult: the first plugin in hook order (dependency order, then name) that returns a value
    wins; when none does, core matches the phone (``kehu.customers.query.match_customer``).
    """


@hookspec
def message_channels():
    """Expected to return a list of ``kehu_sdk.interactions.MessageChannel`` (``name``, ``title``,
    ``send(customer, text, user)``, ``permission``) staff can message customers through (SMS, WeChat…).

    Core lists them on the customer page and at ``GET /api/v1/message-channels`` and sends through
    them (``POST /api/v1/customers/{id}/messages``); on a name clash the first plugin in hook order wins.
    """


@hookspec
def approval_providers():
    """Expected to return a list of approval providers (OA systems) for actions that need sign-off."""


@hookspec
def webhook_receivers():
    """Expected to return a list of ``kehu_sdk.webhooks.WebhookReceiver`` for signed inbound webhooks.

    Each answers ``POST /webhooks/<source>``; two plugins claiming one source is a start-up error.
    """


@hookspec
def search_providers():
    """Expected to return a list of callables ``(query, user) -> [results]`` for global search."""


@hookspec
def customer_panels(customer, user):
    """Expected to return a list of ``{"title", "html"}`` panels shown on the customer page."""


@hookspec
def menu_items(user):
    """Expected to return a list of ``{"title", "url", "icon"}`` main menu entries for ``user``."""


@hookspec
def dashboard_widgets(user):
    """Expected to return a list of ``{"title", "html"}`` widgets on the dashboard for ``user``."""


@hookspec
def segment_fields():
    """Expected to return a list of computed customer facts for filters and segments.

    Each is ``{"name", "title", "type", "criterion"}``: ``type`` is ``"integer"``, ``"number"`` or
    ``"date"``; ``criterion(op, value, days)`` returns a SQLAlchemy criterion on ``Customer`` for
    ``op`` in eq/gt/gte/lt/lte, ``value`` already typed (int, float or datetime.date) and ``days``
    an int (look back that many days) or None (all time). Filters name it as
    ``fact=<name>:<op>:<value>[:<days>]``, e.g. ``erp_order_count:gt:3:90``. Names are global:
    on a clash the first plugin in hook order wins.
    """


@hookspec
def export_formats():
    """Expected to return a list of ``kehu_sdk.exports.ExportFormat`` (``name``, ``title``, ``extension``,
    ``mimetype``, ``write(titles, rows, stream)``) offered beside core's xlsx and csv.

    ``write`` gets the column titles, an iterator of rows (cell lists: text, numbers or None; text that a
    spreadsheet would run as a formula already has a leading ``'``) and a binary file, and streams.
    Core's names come first; on a clash between plugins the first in hook order wins.
    """


@hookspec
def event_types():
    """Expected to return a dict ``{event_type: description}`` of events the plugin emits."""
