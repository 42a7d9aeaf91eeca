"""Quiet hours: marketing SMS go out only inside the daily send window (default 08:00–21:00 Beijing time)."""
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def next_send_time(now: datetime, start: str = "08:00", end: str = "21:00", tz: str = "Asia/Shanghai") -> datetime:
    """``now`` when it is inside the window, else the next moment the window opens (UTC, aware).

    A window whose end is before its start runs across midnight (22:00–06:00); equal ends mean all day.
    """
    zone = ZoneInfo(tz)
    local = now.astimezone(zone)
    opens, closes = _clock(start), _clock(end)
    clock = local.time()
    if opens == closes:
        return now
    inside = opens <= clock < closes if opens < closes else (clock >= opens or clock < closes)
    if inside:
        return now
    day = local.date() if clock < opens else local.date() + timedelta(days=1)
    return datetime.combine(day, opens, tzinfo=zone).astimezone(timezone.utc)
