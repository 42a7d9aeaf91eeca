"""Kingdee K/3 Cloud (金蝶云星空) WebAPI: session login, then ExecuteBillQuery and Save.

Times in K/3 Cloud are the server's local time without offset; kehu reads them as China time.
"""
from datetime import datetime

from flask_babel import gettext as _

from kehu_sdk.time import china_time, from_china
from kehu_plugins.erp.adapters.base import ErpCustomer, ErpDocument, ErpError, HttpAdapter, to_decimal

STUB = "Kingdee.BOS.WebApi.ServicesStub"
LOGIN_PASSWORD = f"{STUB}.AuthService.ValidateUser.common.kdsvc"
LOGIN_APP_SECRET = f"{STUB}.AuthService.LoginByAppSecret.common.kdsvc"
BILL_QUERY = f"{STUB}.DynamicFormService.ExecuteBillQuery.common.kdsvc"
SAVE = f"{STUB}.DynamicFormService.Save.common.kdsvc"
SESSION_LOST = "会话信息已丢失"
PAGE = 2000  # the most ExecuteBillQuery returns per call
LOGIN_OK = 1

# entity: (form id, field keys). Order matters: rows come back as lists in this order.
QUERIES = {
    "customers": ("BD_Customer", ["FCUSTID", "FNumber", "FName", "FTEL", "FADDRESS", "FTAXREGISTERCODE",
                                  "FModifyDate"]),
    "orders": ("SAL_SaleOrder", ["FID", "FBillNo", "FDate", "FCustId", "FBillAllAmount", "FDocumentStatus",
                                 "FCancelStatus", "FModifyDate"]),
    "invoices": ("AR_receivable", ["FID", "FBillNo", "FDate", "FCUSTOMERID", "FALLAMOUNTFOR", "FDocumentStatus",
                                   "FCancelStatus", "FModifyDate"]),
    "payments": ("AR_RECEIVEBILL", ["FID", "FBillNo", "FDate", "FCONTACTUNIT", "FRECEIVEAMOUNTFOR",
                                    "FDocumentStatus", "FCancelStatus", "FModifyDate"]),
}
ID_KEY = {"BD_Customer": "FCUSTID"}


def _parse_local(value) -> datetime | None:
    if not value:
        return None
    return from_china(datetime.fromisoformat(str(value)[:19]))


def _local_text(moment: datetime) -> str:
    return china_time(moment, "%Y-%m-%d %H:%M:%S")


def _state(document_status, cancel_status) -> str:
    if cancel_status == "B":  # B = 已作废
        return "cancelled"
    return "confirmed" if document_status == "C" else "draft"  # C = 已审核


def _response_errors(status: dict) -> str:
    return "; ".join(str(e.get("Message")) for e in status.get("Errors") or []) or "unknown error"


class KingdeeAdapter(HttpAdapter):
    name = "kingdee"

    def __init__(self, settings: dict):
        super().__init__(settings)
        for key in ("kingdee_acct_id", "kingdee_username"):
            if not settings.get(key):
                raise ErpError(_("未设置 %(key)s", key=key))
        self.logged_in = False

    def url(self, service: str) -> str:
        return f"{self.base_url}/{service}"

    def login(self):
        s = self.settings
        lcid = int(s.get("kingdee_lcid") or 2052)
        if s.get("kingdee_app_id"):
            service = LOGIN_APP_SECRET
            parameters = [s["kingdee_acct_id"], s["kingdee_username"], s["kingdee_app_id"],
                          s.get("kingdee_app_secret") or "", lcid]
        else:
            service = LOGIN_PASSWORD
            parameters = [s["kingdee_acct_id"], s["kingdee_username"], s.get("kingdee_password") or "", lcid]
        response = self.post(self.url(service), json={"format": 1, "useragent": "ApiClient", "rid": "",
                                                      "parameters": parameters, "v": "1.0"})
        body = self._json(response)
        if not isinstance(body, dict) or body.get("LoginResultType") != LOGIN_OK:
            message = body.get("Message") if isinstance(body, dict) else None
            raise ErpError(_("金蝶登录失败：%(message)s", message=message or _("无法识别的应答")))
        self.logged_in = True

    @staticmethod
    def _json(response):
        if response.status_code != 200:
            raise ErpError(f"kingdee: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise ErpError("kingdee: answer is not JSON") from exc

    def _call(self, service: str, payload: dict, retried=False):
        if not self.logged_in:
            self.login()
        body = self._json(self.post(self.url(service), json=payload))
        status = self._failed_status(body)
        if status is not None:
            message = _response_errors(status)
            if SESSION_LOST in message and not retried:
                self.logged_in = False
                return self._call(service, payload, retried=True)
            raise ErpError(f"kingdee: {message}")
        return body

    @staticmethod
    def _failed_status(body):
        """The ResponseStatus of a failed call; queries wrap it as ``[[{"Result": ...}]]``."""
        candidate = body
        if isinstance(body, list) and body and isinstance(body[0], list) and body[0] and isinstance(body[0][0], dict):
            candidate = body[0][0]
        if isinstance(candidate, dict):
            status = (candidate.get("Result") or {}).get("ResponseStatus") or {}
            if status and not status.get("IsSuccess"):
                return status
        return None

    def query(self, form_id: str, keys: list[str], filter_string: str) -> list[list]:
        rows, start = [], 0
        while True:
            page = self._call(BILL_QUERY, {"data": {
                "FormId": form_id, "FieldKeys": ",".join(keys), "FilterString": filter_string,
                "OrderString": "FModifyDate ASC", "TopRowCount": 0, "StartRow": start, "Limit": PAGE}})
            rows.extend(page)
            if len(page) < PAGE:
                return rows
            start += PAGE

    def fetch(self, entity, since, ids=None):
        form_id, keys = QUERIES[entity]
        if ids:
            numbers = [str(int(i)) for i in ids if str(i).isdigit()]  # ids are numbers; anything else is no id
            if not numbers:
                return []
            filter_string = f"{ID_KEY.get(form_id, 'FID')} IN ({','.join(numbers)})"
        elif since is not None:
            filter_string = f"FModifyDate >= '{_local_text(since)}'"
        else:
            filter_string = ""
        rows = [dict(zip(keys, row)) for row in self.query(form_id, keys, filter_string)]
        return [self._customer(r) if entity == "customers" else self._document(r, keys) for r in rows]

    @staticmethod
    def _customer(row):
        return ErpCustomer(external_id=str(row["FCUSTID"]), name=row.get("FName") or "",
                           phone=row.get("FTEL") or None, address=row.get("FADDRESS") or None,
                           tax_id=row.get("FTAXREGISTERCODE") or None, updated_at=_parse_local(row.get("FModifyDate")))

    @staticmethod
    def _document(row, keys):
        _, number, day, customer, amount, *_ = keys
        return ErpDocument(
            external_id=str(row["FID"]), customer_external_id=str(row[customer]) if row.get(customer) else None,
            number=row.get(number) or "", date=datetime.fromisoformat(str(row[day])[:19]).date(),
            amount=to_decimal(row.get(amount)), state=_state(row.get("FDocumentStatus"), row.get("FCancelStatus")),
            updated_at=_parse_local(row.get("FModifyDate")))

    def push_customer(self, values, external_id, reference, request_key=None):
        if external_id is None:
            found = self.query("BD_Customer", ["FCUSTID"], f"FNumber = '{reference}'")
            if found:
                external_id = str(found[0][0])
        model = {"FTEL": values.get("phone") or "", "FADDRESS": values.get("address") or ""}
        if external_id is None:
            org = {"FNumber": self.settings.get("kingdee_org_number") or "100"}
            data = {"Model": {"FCUSTID": 0, "FNumber": reference, "FName": values["name"], **model,
                              "FCreateOrgId": org, "FUseOrgId": org}}
        else:
            data = {"NeedUpDateFields": sorted(model), "Model": {"FCUSTID": int(external_id), **model}}
        body = self._call(SAVE, {"formid": "BD_Customer", "data": data})
        return str(body["Result"]["Id"])
