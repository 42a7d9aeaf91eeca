"""A Python client for kehu's REST API (``/api/v1``), for integrators scripting against a site.

    from kehu_sdk.client import KehuClient
    kehu = KehuClient("https://crm.example.cn", token)          # token from `kehu users token NAME`
    for customer in kehu.iter_customers(region="3708", status=["intent", "customer"]):
        ...
    kehu.create_customer({"name": "济宁鲁源机械有限公司", "phone": "0537-2345678"})

Every error answer raises ``KehuApiError`` carrying the RFC 9457 problem document. The endpoints
the client uses are listed in ``ENDPOINTS`` with the query parameters it may send; kehu's tests
check each against ``/api/openapi.json``, so client and server cannot drift apart unnoticed.
"""
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterator

import requests

API_PREFIX = "/api/v1"
PAGING = ("page", "page_size")
CUSTOMER_FILTERS = ("q", "status", "kind", "tags", "tag_mode", "region", "industry", "owner_id", "team_id",
                    "created_from", "created_to", "sort", "fact")
INTERACTION_FILTERS = ("status", "kind", "due_before", "mine")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str                      # OpenAPI template below /api/v1, e.g. "/customers/{customer_id}"
    query: tuple[str, ...] = ()    # query parameters the client may send
    extra_query_prefix: str | None = None  # dynamic parameters, e.g. "extra." for custom fields


ENDPOINTS = {
    "list_customers": Endpoint("GET", "/customers", CUSTOMER_FILTERS + PAGING + ("cursor",), extra_query_prefix="extra."),
    "create_customer": Endpoint("POST", "/customers"),
    "get_customer": Endpoint("GET", "/customers/{customer_id}"),
    "update_customer": Endpoint("PATCH", "/customers/{customer_id}"),
    "delete_customer": Endpoint("DELETE", "/customers/{customer_id}"),
    "list_contacts": Endpoint("GET", "/customers/{customer_id}/contacts"),
    "add_contact": Endpoint("POST", "/customers/{customer_id}/contacts"),
    "get_contact": Endpoint("GET", "/customers/contacts/{contact_id}"),
    "update_contact": Endpoint("PATCH", "/customers/contacts/{contact_id}"),
    "delete_contact": Endpoint("DELETE", "/customers/contacts/{contact_id}"),
    "list_tags": Endpoint("GET", "/tags"),
    "create_tag": Endpoint("POST", "/tags"),
    "update_tag": Endpoint("PATCH", "/tags/{tag_id}"),
    "delete_tag": Endpoint("DELETE", "/tags/{tag_id}"),
    "list_timeline": Endpoint("GET", "/customers/{customer_id}/interactions", INTERACTION_FILTERS + PAGING),
    "log_interaction": Endpoint("POST", "/customers/{customer_id}/interactions"),
    "list_interactions": Endpoint("GET", "/interactions", INTERACTION_FILTERS + PAGING),
    "get_interaction": Endpoint("GET", "/interactions/{interaction_id}"),
    "update_interaction": Endpoint("PATCH", "/interactions/{interaction_id}"),
    "delete_interaction": Endpoint("DELETE", "/interactions/{interaction_id}"),
    "list_plugins": Endpoint("GET", "/plugins"),
    "get_plugin": Endpoint("GET", "/plugins/{name}"),
    "enable_plugin": Endpoint("POST", "/plugins/{name}/enable"),
    "disable_plugin": Endpoint("POST", "/plugins/{name}/disable"),
    "save_plugin_settings": Endpoint("PUT", "/plugins/{name}/settings"),
    "me": Endpoint("GET", "/me"),
}


class KehuApiError(Exception):
    """The server answered an error. ``problem`` is its problem document (``status``, ``title``,
    ``detail``, and for 422 ``errors``: ``{"json": {field: [messages]}}``)."""

    def __init__(self, status: int, problem: dict):
        self.status = status
        self.problem = problem
        self.title = problem.get("title", "")
        self.detail = problem.get("detail")
        self.errors = problem.get("errors")
        super().__init__(f"{status} {self.title}" + (f": {self.detail}" if self.detail else ""))


@dataclass
class Page:
    """One page of a list, with the totals from the ``X-Pagination`` header."""

    items: list[dict]
    page: int
    page_size: int
    total: int
    total_pages: int
    pagination: dict = field(default_factory=dict, repr=False)
    estimated: bool = False         # X-Total-Estimated: the total is not exact (large lists)
    next_cursor: str | None = None  # X-Next-Cursor: pass as cursor= for the page after this one

    @property
    def has_next(self) -> bool:
        return self.page < self.total_pages


class KehuClient:
    def __init__(self, base_url: str, token: str, *, timeout: float = 30.0, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})

    # transport -----------------------------------------------------------------------------
    def call(self, operation: str, *, params: dict | None = None, body=None, **path_params) -> requests.Response:
        """Send one of ``ENDPOINTS``; raises ``KehuApiError`` for any error answer."""
        endpoint = ENDPOINTS[operation]
        params = {k: _query_value(v) for k, v in (params or {}).items() if v is not None}
        unknown = [k for k in params if k not in endpoint.query
                   and not (endpoint.extra_query_prefix and k.startswith(endpoint.extra_query_prefix))]
        if unknown:
            raise TypeError(f"{operation} does not take {', '.join(sorted(unknown))}")
        url = self.base_url + API_PREFIX + endpoint.path.format(**{k: _segment(v) for k, v in path_params.items()})
        response = self.session.request(endpoint.method, url, params=params, json=body, timeout=self.timeout)
        if response.status_code >= 400:
            raise KehuApiError(response.status_code, _problem(response))
        return response

    def _json(self, operation, **kwargs):
        response = self.call(operation, **kwargs)
        return response.json() if response.content else None

    def _page(self, operation, filters, page, page_size, **path_params) -> Page:
        response = self.call(operation, params={**filters, "page": page, "page_size": page_size}, **path_params)
        pagination = json.loads(response.headers.get("X-Pagination") or "{}")
        return Page(items=response.json(), page=pagination.get("page", page), page_size=page_size,
                    total=pagination.get("total", 0), total_pages=pagination.get("total_pages", 0),
                    pagination=pagination, estimated=response.headers.get("X-Total-Estimated") == "true",
                    next_cursor=response.headers.get("X-Next-Cursor"))

    def _iterate(self, operation, filters, page_size, **path_params) -> Iterator[dict]:
        page = 1
        while True:
            current = self._page(operation, filters, page, page_size, **path_params)
            yield from current.items
            if not current.items or not current.has_next:
                return
            page += 1

    # customers -----------------------------------------------------------------------------
    def list_customers(self, *, page: int = 1, page_size: int = 50, **filters) -> Page:
        """One page of customers; filters as in docs/api.md (``q``, ``status=[...]``, ``region``…,
        custom fields as ``**{"extra.acreage__gte": 100}``)."""
        return self._page("list_customers", filters, page, page_size)

    def iter_customers(self, *, page_size: int = 100, **filters) -> Iterator[dict]:
        """Every matching customer, page after page by keyset cursor: as fast at the millionth row as
        at the first, and no row is skipped or repeated when customers are added meanwhile."""
        current = self._page("list_customers", filters, 1, page_size)
        while True:
            yield from current.items
            if not current.next_cursor:
                return
            current = self._page("list_customers", {**filters, "cursor": current.next_cursor}, 1, page_size)

    def get_customer(self, customer_id: int) -> dict:
        return self._json("get_customer", customer_id=customer_id)

    def create_customer(self, data: dict) -> dict:
        return self._json("create_customer", body=data)

    def update_customer(self, customer_id: int, changes: dict) -> dict:
        return self._json("update_customer", customer_id=customer_id, body=changes)

    def delete_customer(self, customer_id: int) -> None:
        self.call("delete_customer", customer_id=customer_id)

    # contacts ------------------------------------------------------------------------------
    def list_contacts(self, customer_id: int) -> list[dict]:
        return self._json("list_contacts", customer_id=customer_id)

    def add_contact(self, customer_id: int, data: dict) -> dict:
        return self._json("add_contact", customer_id=customer_id, body=data)

    def get_contact(self, contact_id: int) -> dict:
        return self._json("get_contact", contact_id=contact_id)

    def update_contact(self, contact_id: int, changes: dict) -> dict:
        return self._json("update_contact", contact_id=contact_id, body=changes)

    def delete_contact(self, contact_id: int) -> None:
        self.call("delete_contact", contact_id=contact_id)

    # tags ----------------------------------------------------------------------------------
    def list_tags(self) -> list[dict]:
        return self._json("list_tags")

    def create_tag(self, data: dict) -> dict:
        return self._json("create_tag", body=data)

    def update_tag(self, tag_id: int, changes: dict) -> dict:
        return self._json("update_tag", tag_id=tag_id, body=changes)

    def delete_tag(self, tag_id: int) -> None:
        self.call("delete_tag", tag_id=tag_id)

    # interactions --------------------------------------------------------------------------
    def list_timeline(self, customer_id: int, *, page: int = 1, page_size: int = 50, **filters) -> Page:
        """One page of a customer's timeline, newest first."""
        return self._page("list_timeline", filters, page, page_size, customer_id=customer_id)

    def iter_timeline(self, customer_id: int, *, page_size: int = 100, **filters) -> Iterator[dict]:
        return self._iterate("list_timeline", filters, page_size, customer_id=customer_id)

    def log_interaction(self, customer_id: int, data: dict) -> dict:
        return self._json("log_interaction", customer_id=customer_id, body=data)

    def list_interactions(self, *, page: int = 1, page_size: int = 50, **filters) -> Page:
        """Interactions across visible customers, e.g. ``status=["planned"], mine=True``."""
        return self._page("list_interactions", filters, page, page_size)

    def iter_interactions(self, *, page_size: int = 100, **filters) -> Iterator[dict]:
        return self._iterate("list_interactions", filters, page_size)

    def get_interaction(self, interaction_id: int) -> dict:
        return self._json("get_interaction", interaction_id=interaction_id)

    def update_interaction(self, interaction_id: int, changes: dict) -> dict:
        return self._json("update_interaction", interaction_id=interaction_id, body=changes)

    def delete_interaction(self, interaction_id: int) -> None:
        self.call("delete_interaction", interaction_id=interaction_id)

    # plugins (plugin.manage) and the caller --------------------------------------------------
    def list_plugins(self) -> list[dict]:
        return self._json("list_plugins")

    def get_plugin(self, name: str) -> dict:
        return self._json("get_plugin", name=name)

    def enable_plugin(self, name: str) -> dict:
        return self._json("enable_plugin", name=name)

    def disable_plugin(self, name: str) -> dict:
        return self._json("disable_plugin", name=name)

    def save_plugin_settings(self, name: str, settings: dict) -> dict:
        """Replace the plugin's settings; secrets sent back as ``"********"`` keep their value."""
        return self._json("save_plugin_settings", name=name, body={"settings": settings})

    def me(self) -> dict:
        return self._json("me")


def _query_value(value):
    if isinstance(value, (list, tuple)):
        return [_query_value(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _segment(value) -> str:
    return requests.utils.quote(str(value), safe="")


def _problem(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    return {"type": "about:blank", "title": response.reason or "", "status": response.status_code,
            "detail": response.text[:500] or None}


__all__ = ["ENDPOINTS", "Endpoint", "KehuApiError", "KehuClient", "Page"]
