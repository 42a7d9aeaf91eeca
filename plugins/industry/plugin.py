from kehu_sdk import Plugin


class IndustryPlugin(Plugin):
    """Industry-specific customer fields (JSON Schema packs)."""

    name = "industry"
    title = "行业字段"
    version = "0.1.0"
