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


# At rest: secret settings are stored Fernet-encrypted with a key derived from KEHU_PII_KEY, so a copy
# of the database (a backup, a support dump, the audit log's snapshots) holds no usable credential.
ENCRYPTED_PREFIX = "fernet:"
_PURPOSE = b"kehu plugin settings v1"


def _fernet():
    from kehu.platform.pii import fernet_for
    return fernet_for(_PURPOSE)


def is_encrypted(value) -> bool:
    return isinstance(value, str) and value.startswith(ENCRYPTED_PREFIX)


def encrypt_secrets(schema: dict, values: dict, stored: dict | None = None) -> dict:
    """``values`` (plain) as they are stored: every secret encrypted. A secret that did not change keeps
    its stored ciphertext, so saving a form does not rewrite (and re-audit) every secret."""
    props, stored = schema.get("properties", {}), stored or {}
    fernet = _fernet()
    result = {}
    for key, value in values.items():
        if value and isinstance(value, str) and is_secret(props.get(key, {})) and not is_encrypted(value):
            previous = stored.get(key)
            same = is_encrypted(previous) and decrypt_value(previous) == value
            value = previous if same else ENCRYPTED_PREFIX + fernet.encrypt(value.encode()).decode()
        result[key] = value
    return result


def decrypt_value(value):
    from cryptography.fernet import InvalidToken
    if not is_encrypted(value):
        return value  # stored before encryption at rest, or not a secret
    try:
        return _fernet().decrypt(value[len(ENCRYPTED_PREFIX):].encode()).decode()
    except InvalidToken:
        # another KEHU_PII_KEY: the secret is lost, as a phone number would be; an admin types it again
        return None


def decrypt_secrets(values: dict) -> dict:
    return {key: decrypt_value(value) for key, value in (values or {}).items()}


def masked_ciphertext(value):
    """``value`` (nested dicts and lists) with every stored secret shown as the mask: the audit log
    keeps secret settings as they were stored, encrypted, and shows them as ``SECRET_MASK``."""
    if is_encrypted(value):
        return SECRET_MASK
    if isinstance(value, dict):
        return {key: masked_ciphertext(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [masked_ciphertext(item) for item in value]
    return value
