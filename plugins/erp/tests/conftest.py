"""Fake ERPs: real HTTP servers on loopback that check what the real protocols check.

Each fake keeps its records in memory, stamps ``updated`` times on writes, answers
"changed since" queries, and can be told to fail the next N calls with a 5xx.
"""
import itertools
import json
import re
import threading
import uuid
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from kehu_sdk.db import db

ODOO_KEY = "6578616d706c65206a736f6e20617069206b6579"
ODOO_DB = "jining_farm"
REST_TOKEN = "rest-token-123"


def json_response(body, status=200, headers=None):
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/json",
                    headers=headers)


class FakeServer:
    def __init__(self):
        self.calls = []          # (path, parsed JSON body or query) in order
        self.fail_next = 0       # answer that many calls with HTTP 503 first
        self.clock = datetime(2026, 11, 1, tzinfo=timezone.utc)
        self._server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def tick(self) -> datetime:
        """Server time moves one minute per write, so "changed since" is deterministic."""
        self.clock += timedelta(minutes=1)
        return self.clock

    def wsgi(self, environ, start_response):
        request = Request(environ)
        if self.fail_next > 0:
            self.fail_next -= 1
            self.calls.append((request.path, "failed"))
            return json_response({"message": "service unavailable"}, 503)(environ, start_response)
        return self.handle(request)(environ, start_response)

    def stop(self):
        self._server.shutdown()
        self._thread.join(timeout=5)


# Odoo JSON-2 -------------------------------------------------------------------------------
ODOO_PARAMS = {"search_read": {"domain", "fields", "offset", "limit", "order", "context"},
               "create": {"vals_list", "context"}, "write": {"ids", "vals", "context"}}
ODOO_MODELS = {"res.partner", "sale.order", "account.move", "account.payment"}


class FakeOdoo(FakeServer):
    def __init__(self):
        super().__init__()
        self.records = {model: {} for model in ODOO_MODELS}
        self.ids = itertools.count(1)

    def odoo_time(self, moment):
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    def add(self, model, **values):
        record_id = next(self.ids)
        self.records[model][record_id] = {"id": record_id, **values, "write_date": self.odoo_time(self.tick())}
        return record_id

    def update(self, model, record_id, **values):
        self.records[model][record_id].update(values, write_date=self.odoo_time(self.tick()))

    @staticmethod
    def error(status, name, message):
        return json_response({"name": name, "message": message, "arguments": [message, status], "context": {},
                              "debug": ""}, status)

    def handle(self, request):
        if request.headers.get("Authorization") != f"bearer {ODOO_KEY}":
            return self.error(401, "werkzeug.exceptions.Unauthorized", "Invalid apikey")
        if request.headers.get("X-Odoo-Database") != ODOO_DB:
            return self.error(404, "werkzeug.exceptions.NotFound", "database not found")
        match = re.fullmatch(r"/json/2/([a-z_.]+)/([a-z_]+)", request.path)
        if request.method != "POST" or not match or not request.is_json:
            return self.error(400, "werkzeug.exceptions.BadRequest", "POST JSON to /json/2/<model>/<method>")
        model, method = match.groups()
        body = request.get_json()
        self.calls.append((request.path, body))
        if model not in ODOO_MODELS or method not in ODOO_PARAMS:
            return self.error(404, "werkzeug.exceptions.NotFound", f"{model}.{method}")
        unknown = set(body) - ODOO_PARAMS[method]
        if unknown:
            return self.error(422, "builtins.TypeError", f"unexpected keyword arguments {sorted(unknown)}")
        return json_response(getattr(self, method)(self.records[model], **body))

    @staticmethod
    def _matches(record, term):
        field, op, value = term
        current = record.get(field, False)
        if isinstance(current, list):  # many2one [id, name]
            current = current[0]
        if op == "=":
            return current == value
        if op == ">=":
            return current is not False and current >= value
        if op == "in":
            return current in value
        raise AssertionError(f"fake odoo does not know operator {op}")

    def search_read(self, table, domain, fields, offset=0, limit=None, order=None, context=None):
        assert order in (None, "write_date asc, id asc")
        found = [r for r in sorted(table.values(), key=lambda r: (r["write_date"], r["id"]))
                 if all(self._matches(r, t) for t in domain)]
        page = found[offset:offset + limit if limit else None]
        return [{k: self._field(r, k) for k in ["id", *fields]} for r in page]

    def _field(self, record, name):
        if name == "commercial_partner_id":  # computed in Odoo: the company a contact belongs to
            company = record.get("parent_id") or record["id"]
            return [company, self.records["res.partner"][company]["name"]]
        return record.get(name, False)

    def create(self, table, vals_list, context=None):
        model = next(m for m, t in self.records.items() if t is table)
        return [self.add(model, **vals) for vals in vals_list]

    def write(self, table, ids, vals, context=None):
        model = next(m for m, t in self.records.items() if t is table)
        for record_id in ids:
            self.update(model, record_id, **vals)
        return True


# Kingdee K/3 Cloud WebAPI -----------------------------------------------------------------
KINGDEE_ACCT = "5867f8d847e804"
KINGDEE_USER = "Administrator"
KINGDEE_PASSWORD = "888888"
KINGDEE_APP_ID = "kehu_erp_app"
KINGDEE_APP_SECRET = "app-secret-xyz"
KD = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub."
KINGDEE_FORMS = {"BD_Customer": "FCUSTID", "SAL_SaleOrder": "FID", "AR_receivable": "FID", "AR_RECEIVEBILL": "FID"}


class FakeKingdee(FakeServer):
    def __init__(self):
        super().__init__()
        self.sessions = set()
        self.forms = {form: {} for form in KINGDEE_FORMS}
        self.ids = itertools.count(100001)
        self.clock = datetime(2026, 11, 1, 8, 0)  # Kingdee keeps local (Beijing) time without offset

    @staticmethod
    def kd_time(moment):
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:23]

    def add(self, form, **values):
        record_id = next(self.ids)
        self.forms[form][record_id] = {KINGDEE_FORMS[form]: record_id, **values,
                                       "FModifyDate": self.kd_time(self.tick())}
        return record_id

    def expire_sessions(self):
        self.sessions.clear()

    @staticmethod
    def failure(message, code=500):
        return {"Result": {"ResponseStatus": {"ErrorCode": code, "IsSuccess": False, "Errors": [
            {"FieldName": None, "Message": message, "DIndex": 0}], "SuccessEntitys": [], "SuccessMessages": [],
            "MsgCode": 1}}}

    def handle(self, request):
        body = request.get_json(silent=True)
        self.calls.append((request.path, body))
        if request.method != "POST" or body is None:
            return Response("bad request", 400)
        service = request.path.removeprefix(KD)
        if service.startswith("AuthService."):
            return self.login(service, body)
        if request.cookies.get("kdservice-sessionid") not in self.sessions:
            lost = self.failure("会话信息已丢失，请重新登录")
            return json_response([[lost]] if "ExecuteBillQuery" in service else lost)
        if service == "DynamicFormService.ExecuteBillQuery.common.kdsvc":
            return json_response(self.query(body["data"]))
        if service == "DynamicFormService.Save.common.kdsvc":
            return json_response(self.save(body["formid"], body["data"]))
        return Response("unknown service", 404)

    def login(self, service, body):
        params = body.get("parameters")
        if service == "AuthService.ValidateUser.common.kdsvc":
            ok = params == [KINGDEE_ACCT, KINGDEE_USER, KINGDEE_PASSWORD, 2052]
        elif service == "AuthService.LoginByAppSecret.common.kdsvc":
            ok = params == [KINGDEE_ACCT, KINGDEE_USER, KINGDEE_APP_ID, KINGDEE_APP_SECRET, 2052]
        else:
            return Response("unknown service", 404)
        if not ok:
            return json_response({"Message": "用户名或密码错误！", "LoginResultType": 0})
        session = uuid.uuid4().hex
        self.sessions.add(session)
        response = json_response({"Message": None, "LoginResultType": 1, "KDSVCSessionId": session,
                                  "Context": {"UserName": KINGDEE_USER}, "IsSuccessByAPI": True})
        response.set_cookie("kdservice-sessionid", session)
        return response

    def _filter(self, form, text):
        if not text:
            return lambda r: True
        if m := re.fullmatch(r"FModifyDate >= '(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)'", text):
            since = m.group(1).replace(" ", "T")
            return lambda r: r["FModifyDate"] >= since
        if m := re.fullmatch(r"(FCUSTID|FID) IN \(([\d,]+)\)", text):
            assert m.group(1) == KINGDEE_FORMS[form]
            wanted = {int(i) for i in m.group(2).split(",")}
            return lambda r: r[m.group(1)] in wanted
        if m := re.fullmatch(r"FNumber = '([^']*)'", text):
            return lambda r: r.get("FNumber") == m.group(1)
        raise AssertionError(f"fake kingdee cannot parse FilterString {text!r}")

    def query(self, data):
        form = data["FormId"]
        if form not in self.forms:
            return [[self.failure(f"业务对象{form}不存在")]]
        assert isinstance(data["FieldKeys"], str) and data["Limit"] <= 2000
        keys = data["FieldKeys"].split(",")
        keep = self._filter(form, data.get("FilterString"))
        rows = sorted((r for r in self.forms[form].values() if keep(r)), key=lambda r: r["FModifyDate"])
        start = data.get("StartRow", 0)
        return [[r.get(k) for k in keys] for r in rows[start:start + data["Limit"]]]

    def save(self, form, data):
        model = data["Model"]
        if form != "BD_Customer":
            return self.failure("only BD_Customer in the fake")
        if model.get("FCUSTID"):
            record = self.forms[form].get(model["FCUSTID"])
            if record is None:
                return self.failure("数据不存在")
            for key in data.get("NeedUpDateFields") or model:
                record[key] = model[key]
            record["FModifyDate"] = self.kd_time(self.tick())
            record_id = model["FCUSTID"]
        else:
            if not model.get("FName") or "FCreateOrgId" not in model:
                return self.failure("字段“客户名称”是必填项")
            if any(r.get("FNumber") == model["FNumber"] for r in self.forms[form].values()):
                return self.failure("编码重复")
            record_id = self.add(form, **{k: v for k, v in model.items() if k != "FCUSTID"})
        number = self.forms[form][record_id].get("FNumber")
        return {"Result": {"ResponseStatus": {"ErrorCode": 0, "IsSuccess": True, "Errors": [],
                                              "SuccessEntitys": [{"Id": record_id, "Number": number, "DIndex": 0}],
                                              "SuccessMessages": [], "MsgCode": 0},
                           "Id": record_id, "Number": number, "NeedReturnData": [{}]}}


# Generic REST ------------------------------------------------------------------------------
class FakeRest(FakeServer):
    """Customers shaped ``{"uid", "attributes": {"title", "mobile", ...}, "modified"}`` under ``data``."""

    def __init__(self):
        super().__init__()
        self.entities = {"customers": {}, "orders": {}, "invoices": {}, "payments": {}}
        self.ids = itertools.count(1)
        self.idempotency = {}

    def add(self, entity, **values):
        record_id = next(self.ids)
        self.entities[entity][record_id] = {"uid": record_id, **values, "modified": self.tick().isoformat()}
        return record_id

    def handle(self, request):
        if request.headers.get("Authorization") != f"Bearer {REST_TOKEN}":
            return json_response({"error": "unauthorized"}, 401)
        key = request.headers.get("Idempotency-Key")
        if request.method in ("POST", "PATCH") and key in self.idempotency:
            return json_response(self.idempotency[key], 200)
        parts = request.path.strip("/").split("/")
        if len(parts) < 2 or parts[0] != "api" or parts[1] not in self.entities:
            return json_response({"error": "not found"}, 404)
        table = self.entities[parts[1]]
        self.calls.append((request.method + " " + request.path, request.get_json(silent=True) or dict(request.args)))
        if request.method == "GET":
            since = request.args.get("modified_after")
            rows = sorted((r for r in table.values() if since is None or r["modified"] >= since),
                          key=lambda r: r["modified"])
            size, page = int(request.args["page_size"]), int(request.args["page"])
            return json_response({"data": rows[(page - 1) * size:page * size]})
        body = request.get_json()
        if request.method == "POST":
            record_id = self.add(parts[1], attributes=dict(body["attributes"]))
        elif request.method == "PATCH" and len(parts) == 3 and int(parts[2]) in table:
            record_id = int(parts[2])
            table[record_id]["attributes"].update(body["attributes"])
            table[record_id]["modified"] = self.tick().isoformat()
        else:
            return json_response({"error": "not found"}, 404)
        answer = table[record_id]
        if key:
            self.idempotency[key] = answer
        return json_response(answer, 201 if request.method == "POST" else 200)


REST_SETTINGS = {
    "rest_token": REST_TOKEN, "rest_items_path": "data", "rest_since_param": "modified_after",
    "rest_customers_endpoint": "/api/customers", "rest_orders_endpoint": "/api/orders",
    "rest_invoices_endpoint": "/api/invoices", "rest_payments_endpoint": "/api/payments",
    "rest_path_id": "uid", "rest_path_name": "attributes.title", "rest_path_phone": "attributes.mobile",
    "rest_path_email": "attributes.email", "rest_path_address": "attributes.address",
    "rest_path_tax_id": "attributes.tax_no", "rest_path_updated_at": "modified",
    "rest_path_customer": "attributes.customer_uid", "rest_path_number": "attributes.no",
    "rest_path_date": "attributes.date", "rest_path_amount": "attributes.total", "rest_path_state": "attributes.status",
}


@pytest.fixture
def fake_constants():
    """The fakes' credentials and paths (test modules cannot import conftest in importlib mode)."""
    return SimpleNamespace(ODOO_KEY=ODOO_KEY, ODOO_DB=ODOO_DB, KD=KD, KINGDEE_ACCT=KINGDEE_ACCT,
                           KINGDEE_USER=KINGDEE_USER, KINGDEE_APP_ID=KINGDEE_APP_ID,
                           KINGDEE_APP_SECRET=KINGDEE_APP_SECRET)


@pytest.fixture
def fake_odoo():
    server = FakeOdoo()
    yield server
    server.stop()


@pytest.fixture
def fake_kingdee():
    server = FakeKingdee()
    yield server
    server.stop()


@pytest.fixture
def fake_rest():
    server = FakeRest()
    yield server
    server.stop()


@pytest.fixture
def configure_erp(app, enable_plugins):
    """``configure_erp(adapter, base_url, **settings)``: enable the plugin with these settings."""
    manager = app.extensions["kehu_plugins"]

    def configure(adapter, base_url, **settings):
        enable_plugins("erp")
        manager.save_settings("erp", {"adapter": adapter, "base_url": base_url, **settings})
        return manager.settings_of("erp")

    return configure


@pytest.fixture
def odoo_erp(fake_odoo, configure_erp):
    configure_erp("odoo", fake_odoo.url, odoo_database=ODOO_DB, odoo_api_key=ODOO_KEY)
    return fake_odoo


@pytest.fixture
def kingdee_erp(fake_kingdee, configure_erp):
    configure_erp("kingdee", fake_kingdee.url + "/k3cloud", kingdee_acct_id=KINGDEE_ACCT,
                  kingdee_username=KINGDEE_USER, kingdee_password=KINGDEE_PASSWORD)
    return fake_kingdee


@pytest.fixture
def rest_erp(fake_rest, configure_erp):
    configure_erp("generic_rest", fake_rest.url, **REST_SETTINGS)
    return fake_rest


@pytest.fixture
def grant(app):
    """``grant(user, *permissions)``: add permissions to the user's role (plugins' are not in defaults).

    Roles survive the table truncation between tests, so they are put back afterwards.
    """
    originals = {}

    def add(user, *permissions):
        originals.setdefault(user.role.id, (type(user.role), list(user.role.permissions)))
        user.role.permissions = sorted(set(user.role.permissions) | set(permissions))
        db.session.commit()
        return user

    yield add
    for role_id, (role_class, permissions) in originals.items():
        db.session.get(role_class, role_id).permissions = permissions
    db.session.commit()
