"""Keys derived from KEHU_PII_KEY, one per purpose, so a leak of one derived key exposes nothing else."""
import base64
import hashlib
import hmac

from cryptography.fernet import Fernet
from flask import current_app


def key_material(purpose: bytes) -> bytes:
    secret = current_app.config.get("KEHU_PII_KEY") or current_app.config["SECRET_KEY"]
    return hmac.new(secret.encode(), purpose, hashlib.sha256).digest()


def fernet_for(purpose: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(key_material(purpose)))
