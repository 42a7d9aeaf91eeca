"""One JSON Schema → HTML form renderer, for customer custom fields and plugin settings.

``fields_for`` turns a schema's properties into ``SchemaField`` rows that the Jinja macro
``macros/schema_form.html`` renders; ``read_form`` turns the submitted form back into typed
JSON values. Validation stays with the owners of the data (jsonschema in the field schemas and
the plugin manager); ``read_form`` only reports what cannot even be converted (e.g. "abc" for an
integer), in the user's language.
"""
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import get_locale, gettext as _

from kehu.platform.json_schema import field_kind
from kehu.platform.secrets import SECRET_MASK, is_secret


@dataclass
class SchemaField:
    key: str
    input_name: str
    label: str
    widget: str  # text, textarea, number, checkbox, select, multiselect, date, password, email, url
    value: Any = None
    options: list = field(default_factory=list)  # [(value, label)]
    required: bool = False
    help: str = ""
    errors: list = field(default_factory=list)
    attrs: dict = field(default_factory=dict)

    def selected(self, option_value) -> bool:
        if self.widget == "multiselect":
            return option_value in (self.value or [])
        return option_value == self.value


def localized(text) -> str:
    """A schema text: a string, or ``{"zh": ..., "en": ...}`` for plugins that translate in the schema."""
    if isinstance(text, dict):
        language = get_locale().language if get_locale() else "zh"
        return str(text.get(language) or text.get("zh") or next(iter(text.values()), ""))
    return str(text) if text is not None else ""


def _english() -> bool:
    return bool(get_locale()) and get_locale().language == "en"


def title_of(prop: dict, default: str = "") -> str:
    """A field's label: ``x-title-en`` in English when the schema has one (JSON Schema wants ``title``
    to be a string, so packs and settings schemas carry their English beside it)."""
    if _english() and prop.get("x-title-en"):
        return str(prop["x-title-en"])
    return localized(prop.get("title", default))


def description_of(prop: dict) -> str:
    if _english() and prop.get("x-description-en"):
        return str(prop["x-description-en"])
    return localized(prop.get("description"))


def options_of(prop: dict) -> list:
    """``enum`` (with optional ``enumNames``/``x-enumNames`` labels, ``x-enumNames-en`` in English) or
    ``oneOf`` of ``const`` + ``title`` (+ ``x-title-en``)."""
    if "oneOf" in prop and all("const" in choice for choice in prop["oneOf"]):
        return [(c["const"], title_of(c, c["const"])) for c in prop["oneOf"]]
    values = prop.get("enum", [])
    names = prop.get("enumNames") or prop.get("x-enumNames") or values
    if _english() and isinstance(prop.get("x-enumNames-en"), list):
        names = prop["x-enumNames-en"]
    return [(value, localized(name)) for value, name in zip(values, names)]


def _widget(prop: dict) -> str:
    kind = prop.get("type")
    if isinstance(kind, list):  # ["string", "null"]: the non-null type decides
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "array" and options_of(prop.get("items", {})):
        return "multiselect"
    if options_of(prop):
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if is_secret(prop):
        return "password"
    if prop.get("format") == "date":
        return "date"
    if prop.get("format") in ("email", "uri"):
        return {"email": "email", "uri": "url"}[prop["format"]]
    if prop.get("maxLength", 0) > 200 or prop.get("x-widget") == "textarea":
        return "textarea"
    return "text"


def _attrs(prop: dict, widget: str) -> dict:
    attrs = {}
    if widget == "number":
        attrs["step"] = "1" if prop.get("type") == "integer" or "integer" in (prop.get("type") or []) else "any"
        for source, target in (("minimum", "min"), ("maximum", "max")):
            if source in prop:
                attrs[target] = prop[source]
    if "maxLength" in prop and widget in ("text", "textarea", "password", "email", "url"):
        attrs["maxlength"] = prop["maxLength"]
    return attrs


def fields_for(schema: dict, values: dict | None, errors: dict | None, prefix: str) -> list[SchemaField]:
    """The form rows for ``schema``'s properties, filled with ``values`` and ``errors`` ({key: [messages]})."""
    values, errors = values or {}, errors or {}
    required = set(schema.get("required", []))
    rows = []
    for key, prop in schema.get("properties", {}).items():
        widget = _widget(prop)
        options = options_of(prop.get("items", {}) if widget == "multiselect" else prop)
        value = values.get(key, prop.get("default"))
        if widget == "password":
            value = SECRET_MASK if value else ""
        rows.append(SchemaField(
            key=key, input_name=f"{prefix}{key}", label=title_of(prop, key), widget=widget,
            value=value, options=options, required=key in required, help=description_of(prop),
            errors=list(errors.get(key, [])), attrs=_attrs(prop, widget)))
    return rows


def _convert(prop: dict, widget: str, raw: str):
    """The JSON value of one submitted text; raises ValueError with the user's message."""
    kind = prop.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if widget == "select":
        options = {str(v): v for v, _label in options_of(prop)}
        if raw not in options:
            raise ValueError(_("请选择列表中的一项"))
        return options[raw]
    if "integer" in kinds:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(_("请输入整数")) from None
    if "number" in kinds:
        try:
            number = float(raw)
        except ValueError:
            raise ValueError(_("请输入数字")) from None
        return int(number) if number.is_integer() and "." not in raw else number
    if widget == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise ValueError(_("请输入日期，格式如 2026-05-01")) from None
    return raw


def read_form(schema: dict, form, prefix: str, stored: dict | None = None) -> tuple[dict, dict]:
    """Typed values from the submitted ``form`` and the conversion errors ({key: [messages]}).

    Empty inputs are left out (the schema's defaults and ``required`` decide). A secret left
    empty or as the mask keeps the stored value: it is sent on as the mask.
    """
    stored = stored or {}
    data, errors = {}, {}
    for key, prop in schema.get("properties", {}).items():
        name = f"{prefix}{key}"
        widget = _widget(prop)
        if widget == "checkbox":
            data[key] = name in form
            continue
        if widget == "multiselect":
            allowed = {str(v): v for v, _label in options_of(prop.get("items", {}))}
            chosen = form.getlist(name)
            unknown = [c for c in chosen if c not in allowed]
            if unknown:
                errors[key] = [_("请选择列表中的一项")]
            elif chosen:
                data[key] = [allowed[c] for c in chosen]
            continue
        raw = (form.get(name) or "").strip()
        if widget == "password":
            if raw in ("", SECRET_MASK):
                if stored.get(key):
                    data[key] = SECRET_MASK
                continue
            data[key] = raw
            continue
        if raw == "":
            continue
        try:
            data[key] = _convert(prop, widget, raw)
        except ValueError as exc:
            errors[key] = [str(exc)]
    return data, errors


# custom fields (``extra.<field>``) in a form and in list filters ------------------------------
EXTRA_PREFIX = "extra."


def extra_errors(errors: dict) -> dict:
    """``{"extra.capacity": [...]}`` → ``{"capacity": [...]}`` for the schema form rows."""
    return {key.removeprefix(EXTRA_PREFIX): messages for key, messages in errors.items()
            if key.startswith(EXTRA_PREFIX)}


def form_rows(row, values: dict, errors: dict) -> tuple:
    """(schema row, form rows) for the custom fields of a form; (None, []) without a schema row."""
    if row is None:
        return None, []
    return row, fields_for(row.schema, values, extra_errors(errors), EXTRA_PREFIX)


def read_extra(row, form) -> tuple[dict | None, dict]:
    """The submitted custom field values (None without a schema row) and conversion errors as ``extra.<field>``."""
    if row is None:
        return None, {}
    data, errors = read_form(row.schema, form, EXTRA_PREFIX)
    return data, {f"{EXTRA_PREFIX}{key}": messages for key, messages in errors.items()}


def filter_rows(row, args) -> list[dict]:
    """Filter inputs for the custom fields of a schema row, filled from the query ``args``.

    Each is ``{"name", "title", "kind", "options", "params"}``; ``params`` maps the query argument
    (``extra.<field>``, ``extra.<field>__gte`` …) to its current value.
    """
    if row is None:
        return []
    found = []
    for name, prop in row.schema.get("properties", {}).items():
        kind = field_kind(prop)
        options = options_of(prop.get("items", {}) if kind == "array" else prop)
        if kind in ("number", "date"):
            keys = [f"{EXTRA_PREFIX}{name}__gte", f"{EXTRA_PREFIX}{name}__lte"]
        elif kind == "string" and not options:
            keys = [f"{EXTRA_PREFIX}{name}__contains"]
        else:
            keys = [f"{EXTRA_PREFIX}{name}"]
        found.append({"name": name, "title": title_of(prop, name), "kind": kind,
                      "options": options, "params": {key: args.get(key, "") for key in keys}})
    return found
