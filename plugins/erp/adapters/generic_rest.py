"""Any ERP with a JSON REST API: endpoints and JSON field paths come from the settings."""
from datetime import datetime, timezone

from flask_babel import gettext as _

from kehu_plugins.erp.adapters.base import ErpCustomer, ErpDocument, ErpError, HttpAdapter, to_decimal

PAGE = 100
FIELDS = ("id", "name", "phone", "email", "address", "tax_id", "updated_at", "customer", "number", "date",
          "amount", "state")
STATES = {"confirmed": "confirmed", "done": "confirmed", "paid": "confirmed", "posted": "confirmed",
          "cancelled": "cancelled", "canceled": "cancelled", "void": "cancelled"}


def get_path(item, path: str):
    """``a.b.0.c`` into nested dicts and lists; None when any step is missing."""
    value = item
    for step in path.split(".") if path else []:
        if isinstance(value, dict):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def set_path(target: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for step in parents:
        target = target.setdefault(step, {})
    target[last] = value


def _parse_datetime(value) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise ErpError(f"not an ISO 8601 time: {value!r}") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class GenericRestAdapter(HttpAdapter):
    name = "generic_rest"

    def __init__(self, settings: dict):
        super().__init__(settings)
        if settings.get("rest_token"):
            self.http.headers["Authorization"] = f"Bearer {settings['rest_token']}"
        self.paths = {f: settings.get(f"rest_path_{f}") or f for f in FIELDS}

    def endpoint(self, entity: str) -> str:
        return self.base_url + (self.settings.get(f"rest_{entity}_endpoint") or f"/{entity}")

    def _json(self, response):
        if response.status_code not in (200, 201):
            raise ErpError(f"generic_rest: HTTP {response.status_code} from {response.url}")
        try:
            return response.json()
        except ValueError as exc:
            raise ErpError("generic_rest: answer is not JSON") from exc

    def field(self, item, name):
        return get_path(item, self.paths[name])

    def fetch(self, entity, since, ids=None):
        params = {"page_size": PAGE}
        if ids:
            params["ids"] = ",".join(ids)
        elif since is not None:
            since_param = self.settings.get("rest_since_param") or "updated_since"
            params[since_param] = since.astimezone(timezone.utc).isoformat()
        items, page = [], 1
        while True:
            body = self._json(self.request("GET", self.endpoint(entity), params={**params, "page": page}))
            found = get_path(body, self.settings.get("rest_items_path", "items"))
            if not isinstance(found, list):
                raise ErpError(f"generic_rest: no list at {self.settings.get('rest_items_path', 'items')!r}")
            items.extend(found)
            if len(found) < PAGE:
                break
            page += 1
        return [self._customer(i) if entity == "customers" else self._document(i) for i in items]

    def _customer(self, item):
        return ErpCustomer(external_id=str(self.field(item, "id")), name=self.field(item, "name") or "",
                           phone=self.field(item, "phone"), email=self.field(item, "email"),
                           address=self.field(item, "address"), tax_id=self.field(item, "tax_id"),
                           updated_at=_parse_datetime(self.field(item, "updated_at")))

    def _document(self, item):
        day = self.field(item, "date")
        if not day:
            raise ErpError(f"generic_rest: record {self.field(item, 'id')} has no date")
        customer = self.field(item, "customer")
        return ErpDocument(
            external_id=str(self.field(item, "id")), customer_external_id=None if customer is None else str(customer),
            number=str(self.field(item, "number") or ""), date=datetime.fromisoformat(str(day)[:10]).date(),
            amount=to_decimal(self.field(item, "amount")), state=STATES.get(str(self.field(item, "state")), "draft"),
            updated_at=_parse_datetime(self.field(item, "updated_at")))

    def push_customer(self, values, external_id, reference, request_key=None):
        body = {}
        for name in ("phone", "email", "address"):
            set_path(body, self.paths[name], values.get(name))
        # The outbox row id: the same for every retry of one change, different for the next change.
        headers = {"Idempotency-Key": request_key or reference, "X-Kehu-Reference": reference}
        if external_id is None:
            set_path(body, self.paths["name"], values["name"])
            answer = self._json(self.request("POST", self.endpoint("customers"), json=body, headers=headers))
            created = get_path(answer, self.settings.get("rest_item_path") or "")
            if not isinstance(created, dict) or self.field(created, "id") is None:
                raise ErpError(_("ERP 没有返回新客户的编号"))
            return str(self.field(created, "id"))
        self._json(self.request("PATCH", f"{self.endpoint('customers')}/{external_id}", json=body, headers=headers))
        return external_id
