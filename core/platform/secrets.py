"""Masking secrets in settings: one rule for admin pages, the API and plugins.

A property is secret when its JSON Schema says ``"format": "password"`` or ``"writeOnly": true``.
A stored secret is shown as ``SECRET_MASK``; a submitted ``SECRET_MASK`` means "keep the stored value".
"""
SECRET_MASK = "********"


def is_secret(prop: dict) -> bool:
    return bool(prop.get("writeOnly")) or prop.get("format") == "password"


def mask_secrets(schema: dict, values: dict) -> dict:
    """``values`` with every set secret (per ``schema``'s properties) replaced by the mask."""
    props = schema.get("properties", {})
    return {k: (SECRET_MASK if v and is_secret(props.get(k, {})) else v) for k, v in values.items()}


def keep_masked(submitted: dict, stored: dict) -> dict:
    """``submitted`` with each unchanged mask replaced by the stored value it stands for."""
    return {k: stored.get(k) if v == SECRET_MASK else v for k, v in submitted.items()}
