"""Time: stored in UTC, shown in China time. The one helper for both directions."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func

CHINA_TZ = ZoneInfo("Asia/Shanghai")
CHINA_TZ_NAME = "Asia/Shanghai"


def zone(name: str | None) -> ZoneInfo:
    """A configured time zone (a plugin setting, say); China time when none is given."""
    return ZoneInfo(name) if name and name != CHINA_TZ_NAME else CHINA_TZ


def utcnow() -> datetime:
    """Now, aware, in UTC: what every timestamp column stores."""
    return datetime.now(timezone.utc)


def china_now() -> datetime:
    return datetime.now(CHINA_TZ)


def to_china(moment: datetime | None) -> datetime | None:
    """An aware datetime in China time; a naive one is taken as UTC (SQLite hands those back)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA_TZ)


def china_time(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``moment`` as people in China read it ("" for None): the template filter ``localtime``."""
    local = to_china(moment)
    return local.strftime(fmt) if local else ""


def china_month(column, dialect_name: str):
    """SQL for the ``YYYY-MM`` of a timestamp column in China time (people read months as local ones).

    SQLite holds UTC as text ("2025-12-31 16:30:00.000000"); China keeps UTC+8 all year. Triggers that
    count customers by month (migration 0007) write the same expression in SQL: change both together.
    """
    if dialect_name == "postgresql":
        return func.to_char(func.timezone(CHINA_TZ_NAME, column), "YYYY-MM")
    return func.strftime("%Y-%m", column, "+8 hours")


def from_china(moment: datetime) -> datetime:
    """A datetime typed in China time (naive means China time) as aware UTC, for storing."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA_TZ)
    return moment.astimezone(timezone.utc)
