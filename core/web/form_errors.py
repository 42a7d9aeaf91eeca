"""Form errors: the messages in the user's language, one list per form field."""
from kehu.platform.messages import message


def field_errors(errors: dict) -> dict:
    """``{field: [messages]}`` with known messages translated; nested dicts are flattened
    to ``"parent.child"`` keys (e.g. ``extra.capacity``)."""
    flat = {}
    for key, value in errors.items():
        if isinstance(value, dict):
            for inner, messages in field_errors(value).items():
                flat[f"{key}.{inner}"] = messages
        else:
            flat[str(key)] = [message(str(m)) for m in (value if isinstance(value, list) else [value])]
    return flat
