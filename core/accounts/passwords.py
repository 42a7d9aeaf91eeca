"""Password hashing with Argon2id (argon2-cffi), rehashing when parameters change."""
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_LENGTH = 8
DEFAULT_PROFILE = "RFC_9106_LOW_MEMORY"


def _hasher() -> PasswordHasher:
    # Tests set KEHU_PASSWORD_PROFILE=CHEAPEST; production keeps the RFC 9106 profile.
    name = current_app.config.get("KEHU_PASSWORD_PROFILE", DEFAULT_PROFILE)
    return PasswordHasher.from_parameters(getattr(profiles, name))


def hash_password(password: str) -> str:
    if len(password or "") < MIN_LENGTH:
        raise ValueError(f"password must have at least {MIN_LENGTH} characters")
    return _hasher().hash(password)


def check_password(user, password: str) -> bool:
    """Verify and, when the stored hash uses old parameters, upgrade it in place."""
    if not user.password_hash:
        return False
    hasher = _hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return True
