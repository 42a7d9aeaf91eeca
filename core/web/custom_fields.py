"""Custom (industry) fields in the customer form and the list filters, from the active JSON Schemas."""
from kehu.fields import active_schemas, get_schema
from kehu.fields.criteria import field_kind
from kehu.web.schema_form import fields_for, options_of, read_form, title_of

EXTRA_PREFIX = "extra."


def schema_for(industry: str | None):
    """The active custom field schema whose key is the industry code (None when there is none)."""
    return get_schema(industry) if industry else None


def schema_for_customer(customer):
    """The schema version the customer's custom fields were saved with, else the industry's active one."""
    if customer.extra_schema:
        row = get_schema(customer.extra_schema, customer.extra_schema_version)
        if row is not None:
            return row
    return schema_for(customer.industry)


def schema_title(row) -> str:
    """A stored schema's title in the user's language (packs carry ``x-title-en``)."""
    return title_of({**row.schema, "title": row.title})


def schema_titles() -> dict[str, str]:
    return {row.key: schema_title(row) for row in active_schemas()}


def extra_errors(errors: dict) -> dict:
    """``{"extra.capacity": [...]}`` → ``{"capacity": [...]}`` for the schema form rows."""
    return {key.removeprefix(EXTRA_PREFIX): messages for key, messages in errors.items()
            if key.startswith(EXTRA_PREFIX)}


def form_rows(industry: str | None, values: dict, errors: dict) -> tuple:
    """(schema row, form rows) for the customer form; (None, []) without a schema."""
    row = schema_for(industry)
    if row is None:
        return None, []
    return row, fields_for(row.schema, values, extra_errors(errors), EXTRA_PREFIX)


def read_extra(industry: str | None, form) -> tuple[dict | None, dict]:
    """The submitted custom field values (None without a schema) and conversion errors as ``extra.<field>``."""
    row = schema_for(industry)
    if row is None:
        return None, {}
    data, errors = read_form(row.schema, form, EXTRA_PREFIX)
    return data, {f"{EXTRA_PREFIX}{key}": messages for key, messages in errors.items()}


def filter_rows(industry: str | None, args) -> list[dict]:
    """Filter inputs for the custom fields of the industry's schema, filled from the query ``args``.

    Each is ``{"name", "title", "kind", "options", "params"}``; ``params`` maps the query argument
    (``extra.<field>``, ``extra.<field>__gte`` …) to its current value.
    """
    row = schema_for(industry)
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
