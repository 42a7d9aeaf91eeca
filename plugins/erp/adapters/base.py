"""What every ERP adapter offers, the records it returns, and how its errors are classified."""
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import requests
from flask_babel import gettext as _

ENTITIES = ("customers", "orders", "invoices", "payments")
USER_AGENT = "kehu-erp/0.1"


class ErpError(Exception):
    """The ERP refused the request (bad settings, bad data); retrying the same call will not help."""


class ErpUnavailable(ErpError):
    """The ERP could not be reached or answered 5xx/429; the call is retried later."""


@dataclass
class ErpCustomer:
    external_id: str
    name: str
    updated_at: datetime | None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    tax_id: str | None = None


@dataclass
class ErpDocument:
    """A sales order, invoice or payment. ``state`` is normalized: draft | confirmed | cancelled."""

    external_id: str
    customer_external_id: str | None
    number: str
    date: date
    amount: Decimal
    state: str
    updated_at: datetime | None
    currency: str = "CNY"
    amount_due: Decimal | None = None


def to_decimal(value) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, False, "") else 0)).quantize(Decimal("0.01"))
    except InvalidOperation as exc:
        raise ErpError(f"not an amount: {value!r}") from exc


class HttpAdapter:
    """Shared HTTP plumbing: one requests session, timeouts, and error classification."""

    name = ""

    def __init__(self, settings: dict):
        if not settings.get("base_url"):
            raise ErpError(_("未设置 ERP 地址（base_url）"))
        self.settings = settings
        self.base_url = settings["base_url"].rstrip("/")
        self.timeout = float(settings.get("timeout_seconds") or 15)
        self.http = requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT

    def post(self, url: str, **kwargs) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        try:
            response = self.http.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise ErpUnavailable(f"{self.name}: {type(exc).__name__} calling {url}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise ErpUnavailable(f"{self.name}: HTTP {response.status_code} from {url}")
        return response

    def fetch(self, entity: str, since: datetime | None, ids: list[str] | None = None) -> list:
        """Records of ``entity`` changed at or after ``since`` (or exactly ``ids``), oldest first."""
        raise NotImplementedError

    def push_customer(self, values: dict, external_id: str | None, reference: str,
                      request_key: str | None = None) -> str:
        """Create (no ``external_id``) or update a partner; returns its ERP id.

        ``reference`` is a stable key of the kehu customer stored in the ERP, so that a create
        retried after a lost answer finds the partner it already made instead of a duplicate;
        ``request_key`` (the outbox row id) is the same for every retry of one change.
        """
        raise NotImplementedError

    def close(self):
        self.http.close()
