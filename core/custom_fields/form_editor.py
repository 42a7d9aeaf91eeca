"""The form-based field editor: a custom field schema as one form row per field, and the rows back.

``editor_of(row)`` reads a stored version into rows, ``read_form(form, base)`` reads the submitted
form, ``apply(editor, op)`` carries out a button (add, move, remove) for browsers without script,
and ``schema_of(editor)`` writes the rows as the same JSON Schema the raw editor and the packs
use: ``title`` + ``x-title-en``, ``description`` + ``x-description-en``, ``enum`` with the labels
``x-enumNames`` (Chinese) and ``x-enumNames-en``. A field whose declaration holds anything else
(a ``pattern``, a list of free texts…) is a *kept* row: it can be moved, removed and made
required, and is written back exactly as stored; its other settings are edited in the raw JSON.
Schema → rows → schema gives the same schema (tests check every shipped pack).

Whether the schema is valid is for the service to say (``save_admin_schema``); here only what a
JSON Schema cannot even hold is refused: a missing or repeated field name, a number that is none.
"""
import math
import re
import secrets
from dataclasses import dataclass, field

from flask_babel import gettext as _, lazy_gettext as _l

COMMON = ("title", "x-title-en", "description", "x-description-en")
# form type → (label, JSON Schema "type", the keywords it writes besides COMMON and "type")
KINDS = {
    "text": (_l("文字"), "string", ("maxLength",)),
    "textarea": (_l("长文字"), "string", ("maxLength", "x-widget")),
    "integer": (_l("整数"), "integer", ("minimum", "maximum")),
    "number": (_l("小数"), "number", ("minimum", "maximum")),
    "date": (_l("日期"), "string", ("format",)),
    "boolean": (_l("是/否"), "boolean", ()),
    "choice": (_l("单选"), "string", ("enum", "x-enumNames", "x-enumNames-en")),
    "multichoice": (_l("多选"), "array", ("items", "uniqueItems", "minItems", "maxItems")),
    "email": (_l("邮箱"), "string", ("format", "maxLength")),
    "url": (_l("网址"), "string", ("format", "maxLength")),
}
FORMATS = {"date": "date", "email": "email", "url": "uri"}
OPTION_KEYS = ("enum", "x-enumNames", "x-enumNames-en")
# root keywords the page shows or that need no editing; others are kept and the page names them
ROOT_KNOWN = ("$schema", "title", "x-title-en", "description", "x-description-en", "x-version", "type",
              "properties", "required", "additionalProperties")
UID = re.compile(r"^[a-z0-9]{1,24}$")
# where an error of the service (a place in the schema) is shown in a row
_PLACES = {"title": "title", "x-title-en": "title_en", "description": "help", "x-description-en": "help_en",
           "type": "type", "minimum": "minimum", "maximum": "maximum", "maxLength": "max_length",
           "minItems": "min_items", "maxItems": "max_items", "items": "options", **dict.fromkeys(OPTION_KEYS, "options")}


@dataclass
class Option:
    value: str = ""
    zh: str = ""
    en: str = ""


@dataclass
class FieldRow:
    uid: str
    name: str = ""
    kind: str = "text"
    title: str = ""
    title_en: str = ""
    help: str = ""
    help_en: str = ""
    required: bool = False
    # limits as typed (the page shows them back as they were)
    minimum: str = ""
    maximum: str = ""
    max_length: str = ""
    min_items: str = ""
    max_items: str = ""
    unique: bool = True  # multiple choice: uniqueItems
    options: list[Option] = field(default_factory=list)
    saved: bool = False  # its name is in the stored version: fixed
    kept: dict | None = None  # a declaration the form cannot express, written back as it is
    unexpressed: list[str] = field(default_factory=list)  # the keywords that made it kept
    errors: dict[str, list[str]] = field(default_factory=dict)

    def input(self, part: str) -> str:
        return f"field-{self.uid}-{part}"

    @property
    def blank(self) -> bool:
        """A new row nothing was typed into: shown again after a button, never saved."""
        return not (self.saved or self.name or self.title or self.title_en or self.options)

    @property
    def label(self) -> str:
        return self.title or self.name or str(_("新字段"))


@dataclass
class Editor:
    title: str
    title_en: str
    rows: list[FieldRow]
    root: dict  # the schema's keywords besides properties, required and x-title-en, kept as they are
    base_version: int
    orphans: list[str] = field(default_factory=list)  # "required" names no field declares, kept
    errors: dict[str, list[str]] = field(default_factory=dict)  # "title", "form"

    @property
    def unexpressed_root(self) -> list[str]:
        return [key for key in self.root if key not in ROOT_KNOWN]


def new_row() -> FieldRow:
    return FieldRow(uid=secrets.token_hex(4))


# schema → rows ---------------------------------------------------------------------------------
def _kind(prop: dict) -> str | None:
    """The form type that could have written ``prop`` (None: no form type can)."""
    json_type = prop.get("type")
    if json_type == "string":
        if "enum" in prop:
            return "choice"
        if "format" in prop:
            return next((kind for kind, fmt in FORMATS.items() if fmt == prop["format"]), None)
        return {None: "text", "textarea": "textarea"}.get(prop.get("x-widget"))
    if json_type == "array":
        return "multichoice" if isinstance(prop.get("items"), dict) and "enum" in prop["items"] else None
    return json_type if json_type in ("integer", "number", "boolean") else None


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _odd_options(holder: dict, where: str) -> list[str]:
    values = holder.get("enum")
    odd = [] if isinstance(values, list) and all(isinstance(v, str) and v for v in values) else [f"{where}enum"]
    for key in OPTION_KEYS[1:]:
        labels = holder.get(key)
        if key in holder and not (isinstance(labels, list) and isinstance(values, list)
                                  and len(labels) == len(values) and all(isinstance(n, str) and n for n in labels)):
            odd.append(f"{where}{key}")
    return odd


def _unexpressed(prop: dict, kind: str | None) -> list[str]:
    """The keywords of ``prop`` the form cannot show as they are (none: the form edits the field)."""
    if kind is None:
        return [key for key in prop if key not in COMMON] or ["type"]
    allowed = {"type", *COMMON, *KINDS[kind][2]}
    odd = [key for key in prop if key not in allowed]
    odd += [key for key in COMMON if key in prop and not isinstance(prop[key], str)]
    odd += [key for key in ("maxLength", "minItems", "maxItems") if key in prop and not _is_count(prop[key])]
    odd += [key for key in ("minimum", "maximum") if key in prop and not _is_number(prop[key])]
    if kind == "choice":
        odd += _odd_options(prop, "")
    if kind == "multichoice":
        items = prop["items"]
        odd += [f"items.{key}" for key in items if key not in ("type", *OPTION_KEYS)]
        odd += [] if items.get("type") == "string" else ["items.type"]
        odd += _odd_options(items, "items.")
        odd += [] if prop.get("uniqueItems", True) is True else ["uniqueItems"]
    return odd


def _text(value) -> str:
    return "" if value is None else str(value)


def _options_of(holder: dict) -> list[Option]:
    values = holder.get("enum", [])
    zh = holder.get("x-enumNames") or [""] * len(values)
    en = holder.get("x-enumNames-en") or [""] * len(values)
    return [Option(value, zh_label, en_label) for value, zh_label, en_label in zip(values, zh, en)]


def row_of(uid: str, name: str, prop, required: bool) -> FieldRow:
    """The form row of one stored declaration (kept when the form cannot express it)."""
    if not isinstance(prop, dict):
        return FieldRow(uid=uid, name=name, required=required, saved=True, kept=prop, unexpressed=["type"])
    kind = _kind(prop)
    odd = _unexpressed(prop, kind)
    if odd:
        return FieldRow(uid=uid, name=name, kind=kind or "text", title=_text(prop.get("title")),
                        required=required, saved=True, kept=prop, unexpressed=odd)
    row = FieldRow(uid=uid, name=name, kind=kind, title=prop.get("title", ""), title_en=prop.get("x-title-en", ""),
                   help=prop.get("description", ""), help_en=prop.get("x-description-en", ""), required=required,
                   minimum=_text(prop.get("minimum")), maximum=_text(prop.get("maximum")),
                   max_length=_text(prop.get("maxLength")), min_items=_text(prop.get("minItems")),
                   max_items=_text(prop.get("maxItems")), saved=True)
    if kind == "choice":
        row.options = _options_of(prop)
    if kind == "multichoice":
        row.options = _options_of(prop["items"])
        row.unique = prop.get("uniqueItems") is True
    return row


def _root_of(schema: dict) -> dict:
    return {key: value for key, value in schema.items() if key not in ("properties", "required", "x-title-en")}


def _orphans(schema: dict) -> list[str]:
    declared = schema.get("properties", {})
    return [name for name in schema.get("required", []) if name not in declared]


def editor_of(stored, base_version: int) -> Editor:
    """The editor for a stored version (a CustomFieldSchema): one row per field, in the schema's order."""
    schema = stored.schema
    required = set(schema.get("required", []))
    rows = [row_of(f"f{index}", name, prop, name in required)
            for index, (name, prop) in enumerate(schema.get("properties", {}).items(), start=1)]
    return Editor(title=stored.title, title_en=_text(schema.get("x-title-en")), rows=rows, root=_root_of(schema),
                  base_version=base_version, orphans=_orphans(schema))


# the submitted form → rows ---------------------------------------------------------------------
def _options_read(form, row: FieldRow) -> list[Option]:
    triples = zip(form.getlist(row.input("opt-value")), form.getlist(row.input("opt-zh")),
                  form.getlist(row.input("opt-en")))
    options = [Option(*(text.strip() for text in triple)) for triple in triples]
    return [option for option in options if option.value or option.zh or option.en]


def read_form(form, base, base_version: int) -> Editor:
    """The editor as submitted; ``base`` is the stored version the page was built from (kept rows come from it)."""
    stored = base.schema.get("properties", {})
    rows = []
    for uid in dict.fromkeys(form.getlist("row")):
        if not UID.match(uid):
            continue
        row = FieldRow(uid=uid)

        def text(part, row=row):
            return (form.get(row.input(part)) or "").strip()

        row.name, row.required, row.saved = text("name"), row.input("required") in form, text("saved") == "1"
        if row.saved and row.name in stored:
            kept = row_of(uid, row.name, stored[row.name], row.required)
            if kept.kept is not None:
                rows.append(kept)
                continue
        row.saved = row.saved and row.name in stored
        row.kind = text("kind") if text("kind") in KINDS else "text"
        for part in ("title", "title_en", "help", "help_en", "minimum", "maximum", "max_length", "min_items",
                     "max_items"):
            setattr(row, part, text(part))
        row.unique = text("unique") != "0"
        row.options = _options_read(form, row)
        rows.append(row)
    return Editor(title=(form.get("title") or "").strip(), title_en=(form.get("title_en") or "").strip(),
                  rows=rows, root=_root_of(base.schema), base_version=base_version, orphans=_orphans(base.schema))


def apply(editor: Editor, op: str) -> None:
    """A button pressed without script: ``add``, ``up:<row>``, ``down:<row>``, ``remove:<row>``,
    ``option:<row>`` (one more empty option), ``unoption:<row>:<n>``."""
    action, _sep, target = op.partition(":")
    uid, _sep, number = target.partition(":")
    if action == "add":
        editor.rows.append(new_row())
        return
    index = next((i for i, row in enumerate(editor.rows) if row.uid == uid), None)
    if index is None:
        return
    rows = editor.rows
    if action == "up" and index > 0:
        rows[index - 1], rows[index] = rows[index], rows[index - 1]
    elif action == "down" and index < len(rows) - 1:
        rows[index + 1], rows[index] = rows[index], rows[index + 1]
    elif action == "remove":
        rows.pop(index)
    elif action == "unoption" and number.isdigit() and int(number) < len(rows[index].options):
        rows[index].options.pop(int(number))
    # "option": the page always ends a row's options with an empty one; showing the page again adds it


# rows → schema ---------------------------------------------------------------------------------
def _number(row: FieldRow, part: str):
    raw = getattr(row, part)
    if raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        pass
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        row.errors.setdefault(part, []).append(_("请输入数字"))
        return None
    return value


def _count(row: FieldRow, part: str):
    raw = getattr(row, part)
    if raw == "":
        return None
    if not raw.isdigit():
        row.errors.setdefault(part, []).append(_("请输入不小于 0 的整数"))
        return None
    return int(raw)


def _options(row: FieldRow) -> dict:
    if any(not option.value for option in row.options):
        row.errors.setdefault("options", []).append(_("每个选项都要填写值"))
    written = {"enum": [option.value for option in row.options]}
    if any(option.zh for option in row.options):
        written["x-enumNames"] = [option.zh or option.value for option in row.options]
    if any(option.en for option in row.options):
        written["x-enumNames-en"] = [option.en or option.zh or option.value for option in row.options]
    return written


def _put(target: dict, key: str, value) -> None:
    if value not in (None, ""):
        target[key] = value


def declaration(row: FieldRow) -> dict:
    """The JSON Schema of one editable row (conversion errors go to ``row.errors``)."""
    prop = {"type": KINDS[row.kind][1], "title": row.title}
    for key, value in (("x-title-en", row.title_en), ("description", row.help), ("x-description-en", row.help_en)):
        _put(prop, key, value)
    kind = row.kind
    if kind == "textarea":
        prop["x-widget"] = "textarea"
    if kind in FORMATS:
        prop["format"] = FORMATS[kind]
    if kind in ("text", "textarea", "email", "url"):
        _put(prop, "maxLength", _count(row, "max_length"))
    if kind in ("integer", "number"):
        _put(prop, "minimum", _number(row, "minimum"))
        _put(prop, "maximum", _number(row, "maximum"))
    if kind == "choice":
        prop.update(_options(row))
    if kind == "multichoice":
        prop["items"] = {"type": "string", **_options(row)}
        if row.unique:
            prop["uniqueItems"] = True
        _put(prop, "minItems", _count(row, "min_items"))
        _put(prop, "maxItems", _count(row, "max_items"))
    return prop


def schema_of(editor: Editor) -> dict | None:
    """The schema the rows describe, or None when a row has an error the service could not report."""
    editor.rows = [row for row in editor.rows if not row.blank]
    names: dict[str, list[FieldRow]] = {}
    for row in editor.rows:
        names.setdefault(row.name, []).append(row)
        if not row.name:
            row.errors.setdefault("name", []).append(_("请填写字段名"))
    for name, same in names.items():
        for row in same[1:] if name else []:
            row.errors.setdefault("name", []).append(_("字段名重复：%(name)s", name=name))
    properties = {row.name: row.kept if row.kept is not None else declaration(row) for row in editor.rows}
    if any(row.errors for row in editor.rows):
        return None
    schema = dict(editor.root)
    if editor.title_en:
        schema["x-title-en"] = editor.title_en
    schema["properties"] = properties
    required = list(dict.fromkeys([*(row.name for row in editor.rows if row.required), *editor.orphans]))
    if required:
        schema["required"] = required
    return schema


def place_errors(editor: Editor, errors: dict) -> None:
    """Show SchemaInvalid's errors beside the inputs they are about (``properties.<field>.<keyword>``)."""
    rows = sorted(editor.rows, key=lambda row: len(row.name), reverse=True)  # "a_b" before "a"
    for field_name, messages in errors.items():
        if not isinstance(messages, dict):
            editor.errors.setdefault(field_name if field_name == "title" else "form", []).extend(messages)
            continue
        for place, found in messages.items():
            row = next((r for r in rows if place == f"properties.{r.name}"
                        or place.startswith(f"properties.{r.name}.")), None)
            if row is None:
                editor.errors.setdefault("form", []).extend(f"{place}: {message}" for message in found)
                continue
            keyword = place.removeprefix(f"properties.{row.name}").lstrip(".").split(".")[0]
            part = "name" if not keyword else _PLACES.get(keyword, "row")
            row.errors.setdefault("row" if row.kept is not None else part, []).extend(found)
