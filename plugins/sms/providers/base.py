"""What every SMS provider shares: the message to send, the error a send can end in, masking numbers.

Every provider takes an idempotency key with each message (``out_id``: Aliyun ``OutId``,
Tencent ``SessionContext``; kehu passes the message id) and can look a message up by it later,
which is how a send interrupted between "provider accepted" and "we committed" is reconciled
instead of being sent again (docs/sms.md, "Exactly once"). Providers that push receipts and
replies to kehu read them into ``Receipt`` and ``Reply``.
"""
from dataclasses import dataclass, field
from datetime import datetime

from kehu_sdk.time import from_china


@dataclass
class OutgoingSms:
    out_id: str
    phone: str                 # E.164
    text: str                  # the rendered text (what the console provider prints)
    sign_name: str
    template_code: str | None
    params: dict = field(default_factory=dict)  # template variables in order of appearance


@dataclass
class Receipt:
    """A delivery receipt (状态报告) as a provider pushed it, matched by ``out_id`` or provider id."""

    out_id: str | None
    provider_message_id: str | None
    delivered: bool
    error_code: str | None
    received_at: datetime | None


@dataclass
class Reply:
    """An SMS a customer sent back (上行短信)."""

    phone: str
    text: str
    received_at: datetime | None
    external_id: str | None     # the provider's id of the reply, when it has one


class ProviderError(Exception):
    """A send that did not succeed. ``outcome`` says what we know about the message:

    ``throttled``: not sent, try again later; ``rejected``: not sent and never will be (bad number,
    template, blacklisted); ``unknown``: may have been accepted (timeout, broken connection).
    """

    def __init__(self, outcome: str, code: str, message: str = ""):
        super().__init__(f"{code}: {message}")
        self.outcome = outcome
        self.code = code
        self.message = message


def mask(e164: str | None) -> str:
    """138****5678: the only form of a number that may appear in logs."""
    national = (e164 or "")[3:] if (e164 or "").startswith("+86") else (e164 or "")
    return f"{national[:3]}****{national[-4:]}" if len(national) >= 8 else "****"


def national_number(e164: str) -> str:
    return e164[3:] if e164.startswith("+86") else e164


def china_timestamp(text: str | None) -> datetime | None:
    """'2026-11-23 10:00:00' (Beijing time, as both providers write it) -> aware UTC; None if it is not one."""
    try:
        return from_china(datetime.strptime(text, "%Y-%m-%d %H:%M:%S"))
    except (TypeError, ValueError, OverflowError):  # OverflowError: year 1 in China is no UTC time
        return None
