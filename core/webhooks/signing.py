"""Standard Webhooks signatures (the official ``standardwebhooks`` library) and secret storage.

A secret is ``whsec_`` + base64 of 32 random bytes. Verification tries every configured
secret (key rotation); the signature header may carry several ``v1,<sig>`` entries and one
matching entry is enough. The library enforces the 5-minute timestamp tolerance.
"""
import base64
import binascii
import re
import secrets
from datetime import datetime, timezone

from cryptography.fernet import Fernet
from standardwebhooks import Webhook
from standardwebhooks.webhooks import EmptyWebhookSecretError, WebhookVerificationError

from kehu.platform.pii import fernet_for

SECRET_PREFIX = "whsec_"
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
MAX_WEBHOOK_ID = 200  # inbound_event.webhook_id
TIMESTAMP = re.compile(r"[1-9][0-9]{0,11}\Z")  # plain Unix seconds: no sign, fraction, exponent or leading zero


class VerificationFailed(Exception):
    """The request is not a valid signed webhook; ``status`` and ``title`` go into the problem answer."""

    def __init__(self, status: int, title: str, detail: str):
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _webhook(secret: str) -> Webhook | None:
    try:
        return Webhook(secret)
    except (binascii.Error, ValueError, EmptyWebhookSecretError):
        return None


def _well_formed(signature_header: str) -> str:
    """Only the ``v<n>,<canonical base64>`` entries: the library stops at the first malformed one,
    which would hide a valid signature after it, and decodes non-canonical base64 to the same bytes."""
    kept = []
    for entry in signature_header.split():
        version, _, signature = entry.partition(",")
        if not version.startswith("v") or not signature:
            continue
        try:
            decoded = base64.b64decode(signature, validate=True)
        except (binascii.Error, ValueError):
            continue
        if base64.b64encode(decoded).decode() != signature:
            continue  # the same bytes with other padding bits: not a signature anyone computed
        kept.append(entry)
    return " ".join(kept)


def verify(secrets_: list[str], body: bytes, headers) -> str:
    """Check the Standard Webhooks headers of ``body`` against any of ``secrets_``.

    Returns the body as text; raises VerificationFailed with a 400 (missing or malformed
    headers, body not UTF-8) or 401 (stale timestamp, no matching signature).
    """
    values = {name: (headers.get(name) or "").strip() for name in HEADERS}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise VerificationFailed(400, "Missing webhook headers", f"required headers missing: {', '.join(missing)}")
    if len(values["webhook-id"]) > MAX_WEBHOOK_ID or not values["webhook-id"].isprintable():
        raise VerificationFailed(400, "Invalid webhook-id",
                                 f"webhook-id must be at most {MAX_WEBHOOK_ID} printable characters")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationFailed(400, "Body is not UTF-8", "the webhook body must be UTF-8 JSON") from None
    if not TIMESTAMP.match(values["webhook-timestamp"]):
        raise VerificationFailed(400, "Invalid webhook-timestamp", "webhook-timestamp must be Unix seconds")
    values["webhook-signature"] = _well_formed(values["webhook-signature"])
    if not values["webhook-signature"]:
        raise VerificationFailed(400, "Malformed webhook-signature", "expected space-separated v1,<base64> entries")
    hooks = [hook for hook in map(_webhook, secrets_) if hook is not None]
    if not hooks:
        raise VerificationFailed(503, "Webhook receiver not configured", "no usable signing secret is configured")
    last_error = None
    for hook in hooks:
        try:
            hook.verify(text, values, json_parse=False)
            return text
        except WebhookVerificationError as exc:
            last_error = str(exc)
            if "timestamp" in last_error or "Invalid Signature Headers" in last_error:
                break  # the same for every secret
    if last_error and "timestamp" in last_error:
        raise VerificationFailed(401, "Webhook timestamp outside the tolerance",
                                 f"{last_error}: webhook-timestamp must be within 5 minutes of now")
    if last_error == "Invalid Signature Headers":
        raise VerificationFailed(400, "Invalid webhook-timestamp", "webhook-timestamp must be Unix seconds")
    raise VerificationFailed(401, "Invalid webhook signature", "no signature matches any configured secret")


def sign_headers(secrets_: list[str], webhook_id: str, body: str, now: datetime | None = None) -> dict:
    """The Standard Webhooks headers for ``body``, with one ``v1`` signature per secret."""
    now = now or datetime.now(timezone.utc)
    signatures = " ".join(Webhook(secret).sign(webhook_id, now, body) for secret in secrets_)
    return {"webhook-id": webhook_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signatures}


def _fernet() -> Fernet:
    return fernet_for(b"webhook-endpoint-secret")


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()
