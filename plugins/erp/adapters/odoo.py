"""Odoo 19+ through the external JSON-2 API: ``POST /json/2/<model>/<method>``, named arguments."""
from datetime import date, datetime, timezone

from flask_babel import gettext as _

from kehu_plugins.erp.adapters.base import ErpCustomer, ErpDocument, ErpError, HttpAdapter, to_decimal
from kehu_sdk.time import to_china

PAGE = 200
ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"  # Odoo sends and expects naive UTC
ORDER_STATES = {"draft": "draft", "sent": "draft", "sale": "confirmed", "done": "confirmed", "cancel": "cancelled"}
MOVE_STATES = {"draft": "draft", "posted": "confirmed", "cancel": "cancelled"}
PAYMENT_STATES = {"draft": "draft", "in_process": "confirmed", "paid": "confirmed", "posted": "confirmed",
                  "canceled": "cancelled", "cancel": "cancelled", "rejected": "cancelled"}

QUERIES = {
    # entity: (model, fixed domain, fields)
    "customers": ("res.partner", [["parent_id", "=", False]],
                  ["id", "name", "phone", "email", "street", "city", "vat", "write_date"]),
    "orders": ("sale.order", [],
               ["id", "name", "partner_id", "date_order", "amount_total", "currency_id", "state", "write_date"]),
    "invoices": ("account.move", [["move_type", "=", "out_invoice"]],
                 ["id", "name", "partner_id", "invoice_date", "amount_total", "amount_residual", "currency_id",
                  "state", "write_date"]),
    "payments": ("account.payment", [["payment_type", "=", "inbound"], ["partner_type", "=", "customer"]],
                 ["id", "name", "partner_id", "date", "amount", "currency_id", "state", "write_date"]),
}


def _parse_datetime(value) -> datetime | None:
    if not value:
        return None
    return datetime.strptime(value[:19], ODOO_DATETIME).replace(tzinfo=timezone.utc)


def _china_day(value: str) -> date:
    """The day of an Odoo Date ("2026-11-02") or Datetime (naive UTC: "2026-11-01 20:00:00" is
    2026-11-02 in China, the day the panel and the timeline show)."""
    if len(value) > 10:
        return to_china(_parse_datetime(value)).date()
    return datetime.strptime(value[:10], "%Y-%m-%d").date()


def _many2one_id(value) -> str | None:
    return str(value[0]) if isinstance(value, list) and value else None


def _many2one_name(value, default=None):
    return value[1] if isinstance(value, list) and len(value) > 1 else default


class OdooAdapter(HttpAdapter):
    name = "odoo"

    def __init__(self, settings: dict):
        super().__init__(settings)
        if not settings.get("odoo_api_key"):
            raise ErpError(_("未设置 %(key)s", key="odoo_api_key"))
        self.http.headers["Authorization"] = f"bearer {settings['odoo_api_key']}"
        if settings.get("odoo_database"):
            self.http.headers["X-Odoo-Database"] = settings["odoo_database"]

    def call(self, model: str, method: str, **params):
        response = self.post(f"{self.base_url}/json/2/{model}/{method}", json=params)
        if response.status_code != 200:
            try:
                message = response.json().get("message")
            except ValueError:
                message = response.text[:200]
            raise ErpError(f"odoo {model}.{method}: HTTP {response.status_code}: {message}")
        return response.json()

    def fetch(self, entity, since, ids=None):
        model, domain, fields = QUERIES[entity]
        domain = list(domain)
        if ids:
            domain.append(["id", "in", [int(i) for i in ids if str(i).isdigit()]])
        elif since is not None:
            domain.append(["write_date", ">=", since.astimezone(timezone.utc).strftime(ODOO_DATETIME)])
        rows, offset = [], 0
        while True:
            page = self.call(model, "search_read", domain=domain, fields=fields,
                             order="write_date asc, id asc", offset=offset, limit=PAGE)
            rows.extend(page)
            if len(page) < PAGE:
                break
            offset += PAGE
        if entity == "customers":
            return [self._customer(row) for row in rows]
        documents = [getattr(self, f"_{entity}")(row) for row in rows]
        self._bill_to_companies(documents)
        return documents

    def _bill_to_companies(self, documents):
        """Orders often name a contact person of a company; kehu links them to the company itself."""
        partner_ids = sorted({int(d.customer_external_id) for d in documents if d.customer_external_id})
        if not partner_ids:
            return
        rows = self.call("res.partner", "search_read", domain=[["id", "in", partner_ids]],
                         fields=["id", "commercial_partner_id"])
        company_of = {str(r["id"]): _many2one_id(r.get("commercial_partner_id")) or str(r["id"]) for r in rows}
        for document in documents:
            document.customer_external_id = company_of.get(document.customer_external_id,
                                                           document.customer_external_id)

    @staticmethod
    def _customer(row):
        address = " ".join(p for p in (row.get("city"), row.get("street")) if p) or None
        return ErpCustomer(external_id=str(row["id"]), name=row.get("name") or "", phone=row.get("phone") or None,
                           email=row.get("email") or None, address=address, tax_id=row.get("vat") or None,
                           updated_at=_parse_datetime(row.get("write_date")))

    @staticmethod
    def _document(row, date_value, amount, states, amount_due=None):
        updated_at = _parse_datetime(row.get("write_date"))
        day = _china_day(date_value) if date_value else (to_china(updated_at).date() if updated_at else None)
        if day is None:
            raise ErpError(f"odoo record {row.get('id')} has no date")
        return ErpDocument(
            external_id=str(row["id"]), customer_external_id=_many2one_id(row.get("partner_id")),
            number=row.get("name") or "", date=day,
            amount=to_decimal(amount), state=states.get(row.get("state"), "draft"), updated_at=updated_at,
            currency=_many2one_name(row.get("currency_id"), "CNY"),
            amount_due=None if amount_due is None else to_decimal(amount_due))

    def _orders(self, row):
        return self._document(row, row.get("date_order"), row.get("amount_total"), ORDER_STATES)

    def _invoices(self, row):
        return self._document(row, row.get("invoice_date"), row.get("amount_total"), MOVE_STATES,
                              amount_due=row.get("amount_residual"))

    def _payments(self, row):
        return self._document(row, row.get("date"), row.get("amount"), PAYMENT_STATES)

    def push_customer(self, values, external_id, reference, request_key=None):
        vals = {"phone": values.get("phone") or False, "email": values.get("email") or False,
                "street": values.get("address") or False}
        if external_id is None:
            found = self.call("res.partner", "search_read", domain=[["ref", "=", reference]], fields=["id"], limit=1)
            if found:
                external_id = str(found[0]["id"])
        if external_id is None:
            created = self.call("res.partner", "create", vals_list=[{
                **vals, "name": values["name"], "ref": reference, "is_company": values.get("kind") == "company",
                "customer_rank": 1}])
            return str(created[0])
        self.call("res.partner", "write", ids=[int(external_id)], vals=vals)
        return external_id
