"""Keys derived from KEHU_PII_KEY, one per purpose, so a leak of one derived key exposes nothing else."""
import base64
import hashlib
import hmac

from cryptography.fernet import Fernet
from flask import current_app


def pii_secret() -> str:
    """The secret every PII key is derived from: what a backup must carry for its data to be readable."""
    return current_app.config.get("KEHU_PII_KEY") or current_app.config["SECRET_KEY"]


def key_material(purpose: bytes) -> bytes:
    return hmac.new(pii_secret().encode(), purpose, hashlib.sha256).digest()


def fernet_for(purpose: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(key_material(purpose)))
