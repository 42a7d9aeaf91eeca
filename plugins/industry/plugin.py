"""kehu plugin `industry`: industry-specific customer fields as versioned JSON Schema packs.

The packs live in ``data/<key>.json`` (key = the customer's ``industry`` code). Each carries its
version in ``x-version``; raise it whenever a pack changes, and kehu stores the new version as the
active one while records written under the old version keep reading with it.
"""
import json
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

from kehu_sdk import Plugin, hookimpl

DATA = Path(__file__).with_name("data")
PACKS = ("manufacturing", "agriculture", "catering", "services", "retail", "logistics")
PACK_TITLES = {key: (pack["title"], pack.get("x-title-en", pack["title"]))
               for key in PACKS for pack in [json.loads((DATA / f"{key}.json").read_text(encoding="utf-8"))]}


class IndustryPlugin(Plugin):
    """Industry-specific customer fields (JSON Schema packs)."""

    name = "industry"
    title = _l("行业字段")
    version = "0.1.0"
    settings_schema = {
        "type": "object",
        "properties": {
            "packs": {
                "type": "array", "title": "提供的行业字段包", "x-title-en": "Industry field packs offered",
                "description": "客户表单中可选的行业；不提供的行业，已有客户数据仍可查看",
                "x-description-en": "Industries customer forms offer; data of customers in others stays readable",
                "items": {"type": "string", "enum": list(PACKS),
                          # each pack's own title, so the settings page says 制造业, not manufacturing
                          "x-enumNames": [PACK_TITLES[key][0] for key in PACKS],
                          "x-enumNames-en": [PACK_TITLES[key][1] for key in PACKS]},
                "uniqueItems": True, "default": list(PACKS),
            },
        },
        "additionalProperties": False,
    }

    @staticmethod
    @cache
    def load_pack(key: str) -> dict:
        """The pack ``key`` as the hook returns it: ``{"key", "version", "title", "schema"}``."""
        schema = json.loads((DATA / f"{key}.json").read_text(encoding="utf-8"))
        return {"key": key, "version": schema["x-version"], "title": schema["title"], "schema": schema}

    @hookimpl
    def customer_field_schemas(self):
        return [self.load_pack(key) for key in PACKS if key in self.settings["packs"]]
