"""Plugin administration: list, enable, disable, settings (plugin.manage)."""
from flask import current_app
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint, abort

from kehu.admin.schemas import PluginSchema, PluginSettingsSchema
from kehu.platform.permissions import require
from kehu.plugins.manager import PluginError, SettingsInvalid

blp = Blueprint("plugins", __name__, url_prefix="/plugins", description="Installed plugins")


def _manager():
    return current_app.extensions["kehu_plugins"]


def _describe(name):
    try:
        return _manager().describe(name)
    except PluginError:
        abort(404, message=_("没有安装名为 %(name)s 的插件", name=name))


@blp.route("")
class Plugins(MethodView):
    @require("plugin.manage")
    @blp.response(200, PluginSchema(many=True))
    def get(self):
        return [_manager().describe(name) for name in _manager().installed]


@blp.route("/<string:name>")
class PluginByName(MethodView):
    @require("plugin.manage")
    @blp.response(200, PluginSchema)
    def get(self, name):
        return _describe(name)


def _change(name, action):
    _describe(name)
    try:
        action(name)
    except PluginError as exc:
        abort(409, message=str(exc))
    return _describe(name)


@blp.route("/<string:name>/enable", methods=["POST"])
@require("plugin.manage")
@blp.response(200, PluginSchema)
@blp.alt_response(409, response="CONFLICT")
def enable(name):
    return _change(name, _manager().enable)


@blp.route("/<string:name>/disable", methods=["POST"])
@require("plugin.manage")
@blp.response(200, PluginSchema)
@blp.alt_response(409, response="CONFLICT")
def disable(name):
    return _change(name, _manager().disable)


@blp.route("/<string:name>/settings", methods=["PUT"])
@require("plugin.manage")
@blp.arguments(PluginSettingsSchema)
@blp.response(200, PluginSchema)
def save_settings(data, name):
    _describe(name)
    try:
        _manager().save_settings(name, data["settings"])
    except SettingsInvalid as exc:
        abort(422, message=str(exc), messages={"json": {"settings": exc.errors}})
    return _describe(name)
