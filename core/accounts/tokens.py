"""API tokens: ``kh_<prefix>_<secret>`` shown once; only the SHA-256 is stored."""
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, select, update

from kehu.accounts.models import ApiToken, User
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


# The user (with role and team) and only the token columns the checks need: one light query per API request,
# built once (its cache key is then computed once too).
_USER_OF_TOKEN = (select(User, ApiToken.id, ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at)
                  .join(ApiToken, ApiToken.user_id == User.id).where(ApiToken.token_hash == bindparam("digest")))


def user_for(plain: str):
    """The active user owning a valid, unexpired, unrevoked token, else None."""
    row = db.session.execute(_USER_OF_TOKEN, {"digest": _digest(plain)}).one_or_none()
    now = utcnow()
    if row is None or row.revoked_at or (row.expires_at and row.expires_at <= now) or not row.User.active:
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        db.session.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
        db.session.commit()
    return row.User
