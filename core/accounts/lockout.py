"""Failed sign-ins, counted per account *and* client address.

``PAIR_LIMIT`` failures for one name from one address pause sign-ins for that name from that address;
``ACCOUNT_LIMIT`` failures for one name from all addresses together pause it everywhere (a guess spread
over many addresses). Either way the pause ends ``WINDOW`` after the failure that caused it, so one
attacker behind a factory's shared address cannot lock out the colleagues behind it, and a name nobody
uses is counted like a real one (the answer never says which names exist). Admins see and lift pauses.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from kehu.accounts.models import LoginFailure
from kehu.extensions import db
from kehu.platform.time import utcnow

PAIR_LIMIT = 5
ACCOUNT_LIMIT = 20
WINDOW = timedelta(minutes=15)
KEEP = timedelta(days=1)  # older failures are deleted when a new one is written


def _nth_latest(criterion, n: int) -> datetime | None:
    """When the n-th most recent failure in the window matching ``criterion`` happened."""
    return db.session.scalar(select(LoginFailure.at).where(criterion, LoginFailure.at > utcnow() - WINDOW)
                             .order_by(LoginFailure.at.desc()).offset(n - 1).limit(1))


def paused_until(username: str, address: str) -> datetime | None:
    """The end of the pause on signing in as ``username`` from ``address``, or None."""
    ends = [at + WINDOW for at in (
        _nth_latest((LoginFailure.username == username) & (LoginFailure.address == address), PAIR_LIMIT),
        _nth_latest(LoginFailure.username == username, ACCOUNT_LIMIT)) if at is not None]
    return max(ends) if ends else None


def record_failure(username: str, address: str) -> None:
    now = utcnow()
    db.session.execute(delete(LoginFailure).where(LoginFailure.at < now - KEEP))
    db.session.add(LoginFailure(username=username[:80], address=address[:45], at=now))
    db.session.commit()


def clear(username: str, address: str | None = None) -> None:
    """Forget failures for ``username`` (from ``address`` only, after a good password there)."""
    query = delete(LoginFailure).where(LoginFailure.username == username)
    if address is not None:
        query = query.where(LoginFailure.address == address)
    db.session.execute(query)


@dataclass
class Lockout:
    username: str
    failures: int  # in the window, from every address
    everywhere_until: datetime | None
    paused_addresses: dict[str, datetime]  # address -> end of its pause


def lockouts(usernames=None) -> dict[str, Lockout]:
    """Names with failures in the window (of ``usernames`` when given), for the admins' user list."""
    since = utcnow() - WINDOW
    query = (select(LoginFailure.username, LoginFailure.address, func.count(), func.max(LoginFailure.at))
             .where(LoginFailure.at > since).group_by(LoginFailure.username, LoginFailure.address))
    if usernames is not None:
        query = query.where(LoginFailure.username.in_(list(usernames)))
    found: dict[str, Lockout] = {}
    for username, address, count, _latest in db.session.execute(query):
        entry = found.setdefault(username, Lockout(username, 0, None, {}))
        entry.failures += count
        if count >= PAIR_LIMIT:
            entry.paused_addresses[address] = _nth_latest(
                (LoginFailure.username == username) & (LoginFailure.address == address), PAIR_LIMIT) + WINDOW
    for entry in found.values():
        if entry.failures >= ACCOUNT_LIMIT:
            entry.everywhere_until = _nth_latest(LoginFailure.username == entry.username, ACCOUNT_LIMIT) + WINDOW
    return found
