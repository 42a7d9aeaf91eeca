from kehu_sdk import Plugin, hookimpl


class SampleChildPlugin(Plugin):
    """Depends on ``sample``: used to test dependency order and enable/disable rules."""

    name = "sample_child"
    title = "示例子插件"
    version = "1.0.0"
    requires = ("sample",)

    @hookimpl
    def interaction_kinds(self):
        return [{"kind": "sample_child_call", "title": "子插件电话"}]
