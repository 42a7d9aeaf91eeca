"""The kehu_sdk facade: explicit exports, blueprints inside the plugin's space, errors, versions."""
import importlib
import pkgutil
import warnings

import pytest

import kehu
import kehu_sdk
from kehu_sdk import (CoreVersionError, KehuDeprecationWarning, PluginBlueprint, ValidationError, core_satisfies,
                      deprecated, require_core)

# every submodule is part of the stable surface and must say what it exports (testing is a pytest plugin)
TOPIC_MODULES = sorted(m.name for m in pkgutil.iter_modules(kehu_sdk.__path__) if m.name != "testing")


@pytest.mark.parametrize("module_name", ("kehu_sdk", *(f"kehu_sdk.{m}" for m in TOPIC_MODULES)))
def test_every_module_exports_exactly_what_its_all_names(module_name):
    module = importlib.import_module(module_name)
    assert module.__all__ == sorted(set(module.__all__), key=module.__all__.index), "duplicates in __all__"
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{module_name}.__all__ names what it does not define: {missing}"


def test_the_facade_keeps_the_names_plugins_use():
    assert {"Plugin", "PluginModel", "hookimpl", "task", "outbox_consumer", "enqueue_outbox", "API_VERSION",
            "CORE_VERSION", "signals", "settings_of", "PluginError", "ValidationError"} <= set(kehu_sdk.__all__)
    assert kehu_sdk.CORE_VERSION == kehu.__version__ and kehu_sdk.API_VERSION == "v1"
    with pytest.raises(AttributeError):
        kehu_sdk.no_such_name  # noqa: B018


def test_core_version_checks():
    assert core_satisfies(">=0.1") and not core_satisfies(">=99")
    require_core(f"=={kehu.__version__}")
    with pytest.raises(CoreVersionError, match="needs kehu >=99"):
        require_core(">=99")
    with pytest.raises(CoreVersionError, match="not a version specifier"):
        core_satisfies("newest")


def test_deprecated_names_warn_and_still_work(monkeypatch):
    @deprecated("old_total", "kehu_sdk.new_total", removed_in="0.3")
    def old_total(a, b):
        return a + b

    with pytest.warns(KehuDeprecationWarning, match="old_total is deprecated and will be removed in 0.3; "
                                                    "use kehu_sdk.new_total"):
        assert old_total(1, 2) == 3
    monkeypatch.setitem(kehu_sdk._MOVED, "plugin_signal", ("kehu_sdk.signals", "plugin_signal"))
    with pytest.warns(KehuDeprecationWarning, match="kehu_sdk.plugin_signal is deprecated"):
        assert kehu_sdk.plugin_signal is kehu_sdk.signals.plugin_signal
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kehu_sdk.Plugin  # current names never warn


def test_plugin_blueprint_stays_in_its_name_and_url_space():
    assert PluginBlueprint("delivery", __name__).url_prefix == "/delivery"
    with pytest.warns(KehuDeprecationWarning, match="use kehu_sdk.PluginApi"):
        api = PluginBlueprint("delivery", __name__, name="delivery_api", api=True)
    assert (api.name, api.url_prefix, api.is_api) == ("delivery_api", "/api/v1/delivery", True)
    assert PluginBlueprint("delivery", __name__, name="delivery_admin", url_prefix="/delivery/admin/").url_prefix \
        == "/delivery/admin"
    with pytest.raises(ValueError, match="must be named"):
        PluginBlueprint("delivery", __name__, name="orders")
    with pytest.raises(ValueError, match="must be under"):
        PluginBlueprint("delivery", __name__, url_prefix="/customers")
    with pytest.raises(ValueError, match="must be under"):
        PluginBlueprint("delivery", __name__, url_prefix="/deliveryx")
    with pytest.raises(ValueError, match="reserved"):
        PluginBlueprint("customers", __name__)
    with pytest.raises(ValueError, match="lowercase"):
        PluginBlueprint("Delivery", __name__)


def test_plugin_api_is_a_smorest_blueprint_in_its_url_space():
    from flask_smorest import Blueprint as SmorestBlueprint

    from kehu_sdk import PluginApi
    api = PluginApi("delivery", __name__)
    assert isinstance(api, SmorestBlueprint)
    assert (api.name, api.url_prefix, api.is_api) == ("delivery_api", "/api/v1/delivery", True)
    with pytest.raises(ValueError, match="must start with 'delivery_'"):
        PluginApi("delivery", __name__, name="orders")
    with pytest.raises(ValueError, match="reserved"):
        PluginApi("customers", __name__)


def test_plugin_model_enforces_the_table_prefix():
    from sqlalchemy.orm import Mapped, mapped_column
    with pytest.raises(TypeError, match="'delivery_'"):
        class Wrong(kehu_sdk.PluginModel):
            __plugin__ = "delivery"
            __tablename__ = "receipt"
            id: Mapped[int] = mapped_column(primary_key=True)


def test_validation_error_becomes_a_422_problem_under_the_api(app):
    # what Flask does with an exception a view raises (the app has served requests: no new routes)
    with app.test_request_context("/api/v1/delivery/receipts", method="POST"):
        answer = app.handle_user_exception(ValidationError({"name": ["请填写名称"]}, "invalid thing"))
    assert answer.status_code == 422
    assert answer.content_type == "application/problem+json"
    assert answer.json["detail"] == "invalid thing"
    assert answer.json["errors"] == {"json": {"name": ["请填写名称"]}}


def test_settings_of_reads_defaults_and_saved_values(app, save_plugin_settings):
    assert kehu_sdk.settings_of("sample")["greeting"] == "你好"
    save_plugin_settings("sample", {"greeting": "欢迎"})
    assert kehu_sdk.settings_of("sample")["greeting"] == "欢迎"
    assert not kehu_sdk.is_enabled("sample")
    with pytest.raises(kehu_sdk.PluginError):
        kehu_sdk.settings_of("nope")


def test_plugin_schema_needs_its_plugin_and_is_named_inside_it_in_openapi():
    from marshmallow import ValidationError as MarshmallowError, fields

    from kehu.platform.api import _schema_name
    from kehu_sdk import PluginSchema

    with pytest.raises(TypeError):
        class Nameless(PluginSchema):
            text = fields.String()
    with pytest.raises(ValueError):
        class Badly(PluginSchema):
            __plugin__ = "Not A Name"

    class CampaignSchema(PluginSchema):
        __plugin__ = "sms"
        name = fields.String(required=True)

    class OtherCampaignSchema(CampaignSchema):
        pass

    assert _schema_name(CampaignSchema) == "sms.Campaign"
    assert _schema_name(CampaignSchema(partial=True)) == "sms.CampaignPatch"
    assert _schema_name(OtherCampaignSchema) == "sms.OtherCampaign"  # inherits its plugin
    with pytest.raises(MarshmallowError):
        CampaignSchema().load({"name": "x", "unexpected": 1})
