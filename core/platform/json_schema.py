"""Reading JSON Schema property declarations (custom fields, plugin settings)."""


def field_kind(prop: dict) -> str:
    """number, boolean, date, array or string: how a declared field is compared."""
    kinds = prop.get("type") if isinstance(prop.get("type"), list) else [prop.get("type")]
    kind = next((k for k in kinds if k and k != "null"), "string")
    if kind in ("integer", "number"):
        return "number"
    if kind == "string" and prop.get("format") == "date":
        return "date"
    return kind if kind in ("boolean", "array") else "string"
