"""Time for plugin code: store UTC (``utcnow``), show China time (``china_time``), read China time typed in."""
from kehu.platform.time import CHINA_TZ, CHINA_TZ_NAME, china_now, china_time, from_china, to_china, utcnow, zone

__all__ = ["CHINA_TZ", "CHINA_TZ_NAME", "china_now", "china_time", "from_china", "to_china", "utcnow", "zone"]
