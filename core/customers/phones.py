"""Phone numbers as PII: normalized to E.164, encrypted at rest, found by a blind index.

The ciphertext (Fernet) can only be read with the PII key; the blind index is an HMAC
of the E.164 number, so equality search works without decrypting every row.
"""
import functools
import hashlib
import hmac

import phonenumbers
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

from kehu.platform.pii import fernet_for, key_material

DEFAULT_REGION = "CN"


class InvalidPhone(ValueError):
    """Raised with the user's input when it is not a valid phone number."""


@functools.lru_cache(maxsize=4096)  # a number is normalized by the schema and again when it is set
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


def _parsed(e164: str):
    try:
        return phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None


def display(e164: str | None) -> str:
    """A number as people in China write it: ``138 5370 1234``, ``0537-721 2345`` (the area code before
    a dash), ``400 812 3456``; numbers abroad keep their ``+`` and country code. "" for None."""
    if not e164:
        return ""
    number = _parsed(e164)
    if number is None:
        return e164
    if number.country_code != 86:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    if national.startswith("0") and " " in national:  # a landline: 0537-721 2345
        area, _, local = national.partition(" ")
        return f"{area}-{local}"
    return national


def tel_uri(e164: str) -> str:
    """``tel:+8613853701234``: what a phone dials when the number is tapped."""
    return f"tel:{e164}"


def mask(e164: str | None) -> str | None:
    """A number the way a receipt shows it: ``138****1234``, a landline ``0537-***2345`` (the area code
    is no secret; the last four digits identify it to its owner)."""
    if not e164:
        return e164
    shown = display(e164)
    if "-" in shown:
        area, _, local = shown.partition("-")
        digits = local.replace(" ", "")
        return f"{area}-{'*' * max(len(digits) - 4, 0)}{digits[-4:]}"
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
        if not self.phone_encrypted:
            return None
        # the number this object was just given is not decrypted again (a create shows it in its answer)
        written = self.__dict__.get("_phone_written")
        if written is not None and written[0] == self.phone_encrypted:
            return written[1]
        return decrypt(self.phone_encrypted)

    def _set_phone(self, raw):
        if not raw:
            self.phone_encrypted = self.phone_index = self.phone_last4 = None
            return
        e164 = normalize(raw)
        self.phone_encrypted = encrypt(e164)
        self.phone_index = blind_index(e164)
        self.phone_last4 = e164[-4:]
        self.__dict__["_phone_written"] = (self.phone_encrypted, e164)

    phone = property(_get_phone, _set_phone)
