"""Server-side browser sessions: what the session and remember-me cookies point at.

The cookies carry ``s.<secret>``; the row holds its SHA-256, so a stolen database does not sign anyone
in, and revoking the row (logout, a password change, an admin's reset) makes every copy of the cookie
worthless. A session without remember-me ends after ``KEHU_SESSION_IDLE_HOURS`` without a request; a
remembered one after ``KEHU_REMEMBER_DAYS`` whatever happens.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import select, update

from kehu.accounts.models import User, UserSession
from kehu.extensions import db
from kehu.platform.time import utcnow

KEY_PREFIX = "s."
SEEN_RESOLUTION = timedelta(minutes=5)  # last_seen_at is written at most this often


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(hours=current_app.config["KEHU_SESSION_IDLE_HOURS"])


def remember_limit() -> timedelta:
    return current_app.config["REMEMBER_COOKIE_DURATION"]


def start(user: User, remember: bool) -> str:
    """A new session for ``user`` signing in from this request; returns the cookie key (set on the user)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(user_id=user.id, key_hash=_digest(key), remember=remember, created_at=now,
                               last_seen_at=now, expires_at=now + (remember_limit() if remember else idle_limit()),
                               address=(request.remote_addr or "")[:45] or None,
                               user_agent=(request.user_agent.string or "")[:200] or None))
    user.session_key = key
    return key


def user_for(key: str | None) -> User | None:
    """The active user of a live session, else None (unknown, revoked, expired or a disabled user)."""
    if not key or not key.startswith(KEY_PREFIX):
        return None  # also the user ids that cookies held before server-side sessions: signed out
    row = db.session.scalar(select(UserSession).where(UserSession.key_hash == _digest(key)))
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now or not row.user.active:
        return None
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
        if not row.remember:  # idle sessions slide; remembered ones end on their date
            row.expires_at = now + idle_limit()
        db.session.commit()
    row.user.session_key = key
    return row.user


def revoke(key: str | None) -> None:
    if key:
        db.session.execute(update(UserSession).where(UserSession.key_hash == _digest(key),
                                                     UserSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


def revoke_all(user: User, keep: str | None = None) -> int:
    """Sign ``user`` out everywhere (but the session ``keep``); returns how many sessions ended."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep:
        query = query.where(UserSession.key_hash != _digest(keep))
    return db.session.execute(query.values(revoked_at=utcnow())).rowcount

