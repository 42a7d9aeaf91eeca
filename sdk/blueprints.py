"""Blueprints that stay inside their plugin's name and URL space.

``PluginBlueprint``: pages under ``/<plugin>`` (``views.py``). ``PluginApi``: the JSON API under
``/api/v1/<plugin>`` (``api.py``), a flask-smorest blueprint, so its operations and schemas are in
``/api/openapi.json``, Swagger UI and the API fuzzing like core's. API blueprints get Bearer-token
login and problem-document errors like core's API; CSRF is then checked by core for cookie sessions
only, as for core's API.
"""
from flask import Blueprint
from flask_smorest import Blueprint as SmorestBlueprint

from kehu.extensions import csrf
from kehu.plugins.naming import RESERVED_NAMES, check_plugin_name
from kehu_sdk.versions import warn_deprecated


class PluginBlueprint(Blueprint):
    """``PluginBlueprint("delivery", __name__)`` serves ``/delivery/...``; its templates folder is
    ``templates/`` beside ``import_name`` (keep them in ``templates/<plugin>/``).

    ``name`` defaults to the plugin name and must otherwise start with ``<plugin>_``;
    ``url_prefix`` must be ``/<plugin>`` or ``/api/v1/<plugin>`` or below them.
    """

    def __init__(self, plugin_name: str, import_name: str, *, name: str | None = None,
                 url_prefix: str | None = None, api: bool = False, **kwargs):
        check_plugin_name(plugin_name)
        if api:  # a JSON API belongs in the OpenAPI
            warn_deprecated("kehu_sdk.PluginBlueprint(..., api=True)", "kehu_sdk.PluginApi (flask-smorest, in the OpenAPI)")
        name = name or plugin_name
        if name != plugin_name and not name.startswith(f"{plugin_name}_"):
            raise ValueError(f"blueprint {name!r} of plugin {plugin_name!r} must be named "
                             f"{plugin_name!r} or start with '{plugin_name}_'")
        api_prefix = f"/api/v1/{plugin_name}"
        url_prefix = (url_prefix or (api_prefix if api else f"/{plugin_name}")).rstrip("/")
        if not any(url_prefix == p or url_prefix.startswith(p + "/") for p in (f"/{plugin_name}", api_prefix)):
            raise ValueError(f"blueprint {name!r}: url_prefix {url_prefix!r} must be under "
                             f"/{plugin_name} or {api_prefix}")
        kwargs.setdefault("template_folder", "templates")
        super().__init__(name, import_name, url_prefix=url_prefix, **kwargs)
        self.plugin_name = plugin_name
        self.is_api = url_prefix.startswith("/api/")
        if self.is_api:
            csrf.exempt(self)



def _api_name(plugin_name: str, name: str | None) -> str:
    check_plugin_name(plugin_name)
    name = name or f"{plugin_name}_api"
    if not name.startswith(f"{plugin_name}_"):
        raise ValueError(f"API blueprint {name!r} of plugin {plugin_name!r} must start with '{plugin_name}_'")
    return name


class PluginApi(SmorestBlueprint):
    """``PluginApi("sms", __name__, description="…")`` serves ``/api/v1/sms/...`` and documents it.

    Use it as any flask-smorest blueprint (``@api.route``, ``@api.arguments``, ``@api.response``,
    ``@api.paginate()`` with ``kehu_sdk.api.page_of``); schemas subclass ``kehu_sdk.PluginSchema``.
    Its name (the OpenAPI tag) defaults to ``<plugin>_api``.
    """

    def __init__(self, plugin_name: str, import_name: str, *, name: str | None = None, **kwargs):
        kwargs.setdefault("template_folder", "templates")  # the plugin's templates/<plugin>/, as for pages
        super().__init__(_api_name(plugin_name, name), import_name, url_prefix=f"/api/v1/{plugin_name}", **kwargs)
        self.plugin_name = plugin_name
        self.is_api = True
        csrf.exempt(self)


__all__ = ["PluginApi", "PluginBlueprint", "RESERVED_NAMES", "check_plugin_name"]
