"""API tokens: ``kh_<prefix>_<secret>`` shown once; only the SHA-256 is stored."""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select

from kehu.accounts.models import ApiToken
from kehu.extensions import db
from kehu.platform.time import utcnow

LAST_USED_RESOLUTION = timedelta(minutes=5)  # avoid a write on every request


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the plain token (shown once)."""
    prefix = secrets.token_hex(4)
    plain = f"kh_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken(user_id=user.id, name=name, prefix=prefix, token_hash=_digest(plain), expires_at=expires_at)
    db.session.add(row)
    return row, plain


def user_for(plain: str):
    """The active user owning a valid, unexpired, unrevoked token, else None."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
    now = utcnow()
    if row is None or row.revoked_at or (row.expires_at and row.expires_at <= now) or not row.user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
        db.session.commit()
    return row.user
