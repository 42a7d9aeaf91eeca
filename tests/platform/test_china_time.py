"""Time is stored in UTC and shown in China time through one helper (kehu.platform.time, kehu_sdk.time)."""
import re
from datetime import datetime, timezone
from pathlib import Path

from kehu.platform.time import CHINA_TZ, china_time, from_china, to_china

ROOT = Path(__file__).resolve().parents[2]
HELPER = ROOT / "core" / "platform" / "time.py"
# a time zone of its own, or the offset written by hand
OWN_CLOCK = re.compile(r"ZoneInfo\(|timedelta\(hours=8\)|pytz\.timezone")


def test_there_is_one_china_time_helper():
    sources = [p for folder in ("core", "sdk", "plugins", "examples") for p in (ROOT / folder).rglob("*.py")
               if "tests" not in p.parts and p != HELPER and "scaffold" not in p.parts]
    assert len(sources) > 100
    found = [f"{p.relative_to(ROOT)}:{n}" for p in sources
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if OWN_CLOCK.search(line)]
    assert found == []


def test_the_helper_reads_utc_as_china_time_and_back():
    stored = datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc)
    assert china_time(stored) == "2027-01-01 00:30"  # new year in Jining is still the old year in UTC
    assert to_china(stored.replace(tzinfo=None)).tzinfo is CHINA_TZ  # SQLite hands back naive UTC
    assert from_china(datetime(2027, 1, 1, 0, 30)) == stored
    assert china_time(None) == ""
