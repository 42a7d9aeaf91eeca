"""The console provider: writes each message to the log (number masked), so the demo needs no account."""
import logging
from datetime import datetime

from kehu_plugins.sms.providers.base import OutgoingSms, mask

log = logging.getLogger(__name__)


class ConsoleProvider:
    name = "console"
    reconcilable = False  # find_sent cannot know: every message is committed on its own

    def __init__(self, settings: dict | None = None):
        pass

    def send(self, sms: OutgoingSms) -> str:
        log.info("SMS to %s [%s]: %s", mask(sms.phone), sms.out_id, sms.text)
        return f"console-{sms.out_id}"

    def find_sent(self, out_id: str, phone: str, since: datetime) -> str | None:
        return None  # nothing to ask: a console message interrupted mid-send is written again
