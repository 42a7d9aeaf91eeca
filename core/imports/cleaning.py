"""From the text of a sheet's cells to the values the customer service takes.

What a user types is accepted in its everyday forms: 企业/个人 as well as company/person, a status by
its label (意向客户) or code, a county by its code, full name or short name (or found in the address),
dates as 1981-09-27, 1981/9/27, 1981年9月27日 or 19810927, tags separated by | , ， 、 ; or ；, 是/否
for yes/no, a custom field's option by its title. Phones are left to the customer schema, which
normalizes them (+86, spaces, dashes, full-width digits) with the same message as the form. A value
that cannot be read is an error on its field, worded for the user; nothing is guessed silently.
"""
import json
import re
import unicodedata
from datetime import date

from flask_babel import force_locale, gettext as _

from kehu.customers import regions
from kehu.web import labels
from kehu.web.schema_form import options_of

_SPACES = re.compile(r"[\s\u3000]+")
_TAG_SEPARATORS = re.compile(r"[|,，、;；]+")
_DATE_FORMS = (re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$"), re.compile(r"^(\d{4})(\d{2})(\d{2})$"))
YES = {"是", "y", "yes", "true", "1", "同意", "√", "✓", "对"}
NO = {"否", "n", "no", "false", "0", "不同意", "×", "不"}


class CellInvalid(ValueError):
    """A cell's text cannot be read as its field; the message is in the user's language."""


def text(value: str) -> str:
    """Trimmed, with runs of spaces (full-width ones too) made one."""
    return _SPACES.sub(" ", value or "").strip()


_CHOICES: dict[tuple, dict[str, str]] = {}


def _in_both_languages(pairs) -> dict[str, str]:
    """``{written form: code}`` for (code, lazy label) pairs: the code, its Chinese and its English label."""
    found = {}
    pairs = list(pairs)
    for locale in ("zh", "en"):
        with force_locale(locale):
            for code, label in pairs:
                found[str(label).lower()] = code
    for code, _label in pairs:
        found[str(code).lower()] = code
    return found


def _choices(mapping: dict, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Every way of writing a code: the code, its Chinese label, its English label, and ``extra``
    (worked out once per mapping: an import asks for every row)."""
    key = (id(mapping), id(extra))
    if key not in _CHOICES:
        found = _in_both_languages(mapping.items())
        found.update({word.lower(): code for word, code in (extra or {}).items()})
        _CHOICES[key] = found
    return _CHOICES[key]


_KIND_WORDS = {"公司": "company", "单位": "company", "企业客户": "company", "组织": "company",
               "个人客户": "person", "自然人": "person"}
_STATUS_WORDS = {"潜在": "potential", "意向": "intent", "成交": "customer", "客户": "customer", "流失": "lost",
                 "新线索": "lead"}
_SCALE_WORDS = {"大": "large", "中": "medium", "小": "small", "微型": "small", "个体户": "individual",
                "大型企业": "large", "中型企业": "medium", "小型企业": "small"}


def _coded(raw: str, mapping: dict, extra: dict, message) -> str:
    value = text(raw)
    code = _choices(mapping, extra).get(value.lower())
    if code is None:
        raise CellInvalid(message(value))
    return code


def kind(raw: str) -> str:
    return _coded(raw, labels.CUSTOMER_KINDS, _KIND_WORDS,
                  lambda v: _("不认识的客户类型：%(value)s（可填 企业 或 个人）", value=v))


def status(raw: str) -> str:
    return _coded(raw, labels.CUSTOMER_STATUSES, _STATUS_WORDS,
                  lambda v: _("不认识的客户状态：%(value)s（可填 线索、潜在客户、意向客户、成交客户、已流失）", value=v))


def scale(raw: str) -> str:
    return _coded(raw, labels.SCALES, _SCALE_WORDS,
                  lambda v: _("不认识的规模：%(value)s（可填 大型、中型、小型、个体）", value=v))


def coded_or_text(raw: str, mapping: dict) -> str:
    """An industry or source: its code when the text is one of its names, else the text as written."""
    value = text(raw)
    return _choices(mapping).get(value.lower(), value)


def region(raw: str) -> str:
    value = text(raw)
    if regions.is_county(value):
        return value
    code = regions.county_named(value)
    if code is None:
        raise CellInvalid(_("不认识的区县：%(value)s（可填区划代码如 370811，或名称如 济宁市任城区）", value=value))
    return code


def birthday(raw: str) -> str:
    value = unicodedata.normalize("NFKC", text(raw))
    for form in _DATE_FORMS:
        found = form.match(value)
        if found:
            try:
                return date(*(int(part) for part in found.groups())).isoformat()
            except ValueError:
                break
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        raise CellInvalid(_("不是日期：%(value)s（写作 1981-09-27）", value=value)) from None


def tags(raw: str) -> list[str]:
    return [t for t in (text(part) for part in _TAG_SEPARATORS.split(raw or "")) if t]


def yes_no(raw: str) -> bool:
    value = text(raw).lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise CellInvalid(_("请填 是 或 否：%(value)s", value=text(raw)))


def extra_json(raw: str) -> dict:
    try:
        value = json.loads(raw)
    except ValueError:
        raise CellInvalid(_("扩展字段不是有效的 JSON 对象")) from None
    if not isinstance(value, dict):
        raise CellInvalid(_("扩展字段不是有效的 JSON 对象"))
    return value


def _number(value: str, integer: bool):
    cleaned = unicodedata.normalize("NFKC", value).replace(",", "").replace(" ", "")
    cleaned = re.sub(r"[^\d.\-]+$", "", cleaned)  # a unit written after the number: 320亩, 15吨
    try:
        number = float(cleaned)
    except ValueError:
        raise CellInvalid(_("请输入整数") if integer else _("请输入数字")) from None
    if integer:
        if not number.is_integer():
            raise CellInvalid(_("请输入整数"))
        return int(number)
    return int(number) if number.is_integer() and "." not in cleaned else number


def _options(prop: dict) -> dict:
    """A custom field's options by their value and their title in either language."""
    return _in_both_languages(options_of(prop))


def _option(value: str, options: dict):
    found = options.get(value.lower())
    if found is None:
        raise CellInvalid(_("请选择列表中的一项：%(value)s", value=value))
    return found


def custom_field_reader(prop: dict):
    """A function from a custom field's cell text to its JSON value, as its JSON Schema property types it
    (options looked up once per column, not once per cell)."""
    kinds = prop.get("type") if isinstance(prop.get("type"), list) else [prop.get("type")]
    if "array" in kinds:
        item_options = _options(prop.get("items", {}))

        def read_list(raw):
            parts = [p for p in (text(part) for part in _TAG_SEPARATORS.split(raw)) if p]
            return [_option(p, item_options) for p in parts] if item_options else parts
        return read_list
    options = _options(prop)
    if options:
        return lambda raw: _option(text(raw), options)
    if "boolean" in kinds:
        return yes_no
    if "integer" in kinds:
        return lambda raw: _number(text(raw), integer=True)
    if "number" in kinds:
        return lambda raw: _number(text(raw), integer=False)
    if prop.get("format") == "date":
        return birthday
    return text
