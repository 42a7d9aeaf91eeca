"""A customer filter in people's words: the chips a page shows for it (济宁市 · 本地特色产业).

The arguments are the customer list's (``filter_from_args`` reads the same ones), as a query string
or as the JSON an SMS campaign stores for its audience. Every page that shows a filter — the list,
a campaign, any plugin's audience — shows it through ``describe_filter``, so codes are never shown raw.
"""
from collections.abc import Mapping
from datetime import datetime

from flask_babel import gettext as _

from kehu.accounts.models import Team, User
from kehu.custom_fields.query import declared_fields, schema_titles
from kehu.customers import regions
from kehu.customers.query import EXTRA_PREFIX, available_facts
from kehu.extensions import db
from kehu.platform.time import china_time, from_china
from kehu.web import labels
from kehu.web.schema_form import title_of

OPS = {"eq": "=", "gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
NOT_SHOWN = ("tag_mode", "sort", "page", "page_size")
# chips in this order whatever order the arguments came in (a JSONB column keeps none)
ORDER = ("q", "region", "tags", "industry", "status", "kind", "owner_id", "team_id", "created_from", "created_to",
         "fact")


def _values(args: Mapping) -> dict[str, list]:
    if hasattr(args, "getlist"):
        return {key: [v for v in args.getlist(key) if str(v).strip()] for key in args.keys()}
    return {key: [v for v in (value if isinstance(value, (list, tuple)) else [value]) if str(v).strip()]
            for key, value in args.items()}


def region_title(code: str) -> str:
    """A region code or prefix ("3708", "370800") as its name without the province ("济宁市");
    a province as itself ("山东省"); an unknown code as it is."""
    code = str(code)
    full_code = code.ljust(6, "0") if code.isdigit() and len(code) in (2, 4, 6) else code
    full = regions.full_name(full_code)
    if not full:
        return code
    if full_code.endswith("0000"):
        return full
    return full.removeprefix(regions.region_name(full_code[:2] + "0000") or "") or full


def industry_title(code: str) -> str:
    """An industry code as its title: core's names, then the custom field packs' titles."""
    return str(labels.INDUSTRIES.get(code) or schema_titles().get(code) or code)


def _moment(text) -> str:
    try:
        moment = text if isinstance(text, datetime) else datetime.fromisoformat(str(text))
    except ValueError:
        return str(text)
    shown = china_time(from_china(moment), "%Y-%m-%d %H:%M")
    return shown.removesuffix(" 00:00")


def _named(model, ident, attribute) -> str:
    row = db.session.get(model, int(ident)) if str(ident).isdigit() else None
    return getattr(row, attribute) if row is not None else str(ident)


def _fact_text(text: str, facts: dict) -> str:
    parts = str(text).split(":")
    if len(parts) not in (3, 4):
        return str(text)
    name, op, value = parts[:3]
    title = str(facts.get(name, {}).get("title", name))
    shown = f"{title} {OPS.get(op, op)} {value}"
    return _("%(condition)s（近 %(days)s 天）", condition=shown, days=parts[3]) if len(parts) == 4 else shown


def _extra_text(key: str, value, declared: dict) -> str:
    name, _sep, op = key.partition("__")
    title = title_of(declared.get(name, {}), name)
    if op == "contains":
        return _("%(field)s 包含 %(value)s", field=title, value=value)
    return f"{title} {OPS.get(op or 'eq', op)} {value}"


def describe_filter(args: Mapping) -> list[dict]:
    """``[{"name", "title", "text"}]``: one chip per condition of a customer filter, in the user's
    language — ``name`` the argument, ``title`` what it is (地区), ``text`` its value (济宁市).

    Lenient: a code nothing knows (a removed tag, an old industry) is shown as it is stored.
    """
    values = _values(args)
    chips = []

    def add(name, title, text):
        chips.append({"name": name, "title": title, "text": text})

    for name in sorted(values, key=lambda key: (ORDER.index(key) if key in ORDER else len(ORDER), key)):
        found = values[name]
        if not found or name in NOT_SHOWN:
            continue
        if name == "q":
            add(name, _("搜索"), f"“{found[0]}”")
        elif name == "status":
            add(name, _("状态"), "、".join(str(labels.label(labels.CUSTOMER_STATUSES, s)) for s in found))
        elif name == "kind":
            add(name, _("类型"), str(labels.label(labels.CUSTOMER_KINDS, found[0])))
        elif name == "tags" and values.get("tag_mode") == ["any"] and len(found) > 1:
            add(name, _("标签"), _("任一：%(tags)s", tags=" / ".join(map(str, found))))
        elif name == "tags":
            for tag in found:
                add(name, _("标签"), str(tag))
        elif name == "region":
            add(name, _("地区"), region_title(found[0]))
        elif name == "industry":
            add(name, _("行业"), "、".join(industry_title(i) for i in found))
        elif name == "owner_id":
            add(name, _("负责人"), _named(User, found[0], "display_name"))
        elif name == "team_id":
            add(name, _("团队"), _named(Team, found[0], "name"))
        elif name == "created_from":
            add(name, _("创建时间"), _("%(time)s 起", time=_moment(found[0])))
        elif name == "created_to":
            add(name, _("创建时间"), _("%(time)s 前", time=_moment(found[0])))
        elif name == "fact":
            facts = available_facts()
            for text in found:
                add(name, _("客户指标"), _fact_text(text, facts))
        elif name.startswith(EXTRA_PREFIX):
            add(name, _("自定义字段"), _extra_text(name.removeprefix(EXTRA_PREFIX), found[0], declared_fields()))
        else:
            add(name, name, "、".join(map(str, found)))
    return chips
