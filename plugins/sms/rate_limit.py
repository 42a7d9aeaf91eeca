"""A per-provider rate limit shared by every worker process, kept in the database.

GCRA-style: the row holds the earliest moment the next message may leave. Reserving ``n``
messages is one atomic UPDATE … RETURNING that moves that moment ``n / rate`` seconds on; the
caller then sends message ``i`` at ``start + i / rate``. Workers never exceed the rate together,
whatever their number, and nobody polls.
"""
import time

from sqlalchemy import case, insert, update
from sqlalchemy.exc import IntegrityError

from kehu_sdk.db import db

from kehu_plugins.sms.models import SmsRateSlot


def reserve(provider: str, count: int, rate: float) -> float:
    """Reserve ``count`` sends; returns the epoch second the first may go (then one every 1/rate s).

    Runs and commits its own short transaction.
    """
    cost = count / rate
    for _attempt in range(3):
        now = time.time()
        start = case((SmsRateSlot.next_free_at < now, now), else_=SmsRateSlot.next_free_at)
        with db.engine.begin() as conn:
            moved = conn.execute(update(SmsRateSlot).where(SmsRateSlot.provider == provider)
                                 .values(next_free_at=start + cost).returning(SmsRateSlot.next_free_at)).scalar()
            if moved is not None:
                return moved - cost
        try:
            with db.engine.begin() as conn:
                conn.execute(insert(SmsRateSlot).values(provider=provider, next_free_at=now + cost))
            return now
        except IntegrityError:
            continue  # another worker created the row first: go through the UPDATE
    raise RuntimeError(f"cannot reserve SMS rate for {provider}")
