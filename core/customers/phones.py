"""Phone numbers as PII: normalized to E.164, encrypted at rest, found by a blind index.

The ciphertext (Fernet) can only be read with the PII key; the blind index is an HMAC
of the E.164 number, so equality search works without decrypting every row.
"""
import hashlib
import hmac

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from kehu.platform.pii import fernet_for, key_material

DEFAULT_REGION = "CN"


class InvalidPhone(ValueError):
    """Raised with the user's input when it is not a valid phone number."""


def normalize(raw: str) -> str:
    """Return the E.164 form of a phone number as people write it in China.

    Accepts spaces, dashes, +86/0086 and full-width digits; raises InvalidPhone otherwise.
    """
    text = (raw or "").strip()
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(raw) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask(e164: str | None) -> str | None:
    """Show a number the way a receipt does: +86 138****5678."""
    if not e164:
        return e164
    national = e164[3:] if e164.startswith("+86") else e164
    return f"{national[:3]}****{national[-4:]}" if len(national) >= 8 else "****"


def blind_index(e164: str) -> str:
    return hmac.new(key_material(b"phone-index"), e164.encode(), hashlib.sha256).hexdigest()


def _fernet() -> Fernet:
    return fernet_for(b"phone-encryption")


def encrypt(e164: str) -> str:
    return _fernet().encrypt(e164.encode()).decode()


def decrypt(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        current_app.logger.error("phone ciphertext cannot be decrypted: was KEHU_PII_KEY changed?")
        return None


class PhoneColumnsMixin:
    """Adds encrypted phone storage to a model: ``phone`` reads and writes E.164."""

    def _get_phone(self):
        return decrypt(self.phone_encrypted) if self.phone_encrypted else None

    def _set_phone(self, raw):
        if not raw:
            self.phone_encrypted = self.phone_index = self.phone_last4 = None
            return
        e164 = normalize(raw)
        self.phone_encrypted = encrypt(e164)
        self.phone_index = blind_index(e164)
        self.phone_last4 = e164[-4:]

    phone = property(_get_phone, _set_phone)
