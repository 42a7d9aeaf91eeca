"""Property-based fuzzing of the whole REST API with schemathesis, from the app's own OpenAPI spec.

Every operation gets valid and invalid input from an admin (so permission checks do not hide the
code behind them). Whatever comes in, the answer is never a 5xx, its status code and content type
are documented, and its body matches the documented schema (problem details for every error).
"""
import json
import tempfile

import pytest
import schemathesis
from hypothesis import HealthCheck, settings, strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, negative_data_rejection,
                                               response_schema_conformance, status_code_conformance)
from sqlalchemy import select

from kehu.accounts import tokens
from kehu.app import create_app
from kehu.customers.models import Contact, Customer
from kehu.exports.models import ExportJob
from kehu.extensions import db
from kehu.interactions.models import Interaction
from kehu.platform.time import china_now
from kehu.tags.models import Tag
from kehu_plugins.erp.models import ErpSyncRun
from kehu_plugins.erp.service.sync import start_run
from kehu_plugins.sms.models import SmsCampaign, SmsSuppression, SmsTemplate
from kehu_plugins.sms.service import campaigns as sms_campaigns, consent as sms_consent, templates as sms_templates

NEXT_YEAR = china_now().year + 1  # follow-ups must be due within five years (issue 12, point 3)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection]
# Path parameters that name something: sometimes point them at something that exists, so the code
# behind the 404 gets fuzzed too (random values practically never hit it).
EXISTING = {
    "customer_id": lambda app: db.session.scalars(select(Customer.id).where(Customer.deleted_at.is_(None))).all(),
    "contact_id": lambda app: db.session.scalars(select(Contact.id)).all(),
    "interaction_id": lambda app: db.session.scalars(select(Interaction.id)).all(),
    "tag_id": lambda app: db.session.scalars(select(Tag.id)).all(),
    "name": lambda app: sorted(app.extensions["kehu_plugins"].installed),
    "run_id": lambda app: db.session.scalars(select(ErpSyncRun.id)).all(),
    "template_id": lambda app: db.session.scalars(select(SmsTemplate.id)).all(),
    "campaign_id": lambda app: db.session.scalars(select(SmsCampaign.id)).all(),
    "suppression_id": lambda app: db.session.scalars(select(SmsSuppression.id)).all(),
    "job_id": lambda app: db.session.scalars(select(ExportJob.id)).all(),
}
SMS_CALLBACK_TOKEN = "fuzz-callback-token"
# Header parameters that carry a secret: sometimes send the configured one, so the code behind the 401
# gets fuzzed too.
KNOWN_HEADERS = {"X-Kehu-Callback-Token": [SMS_CALLBACK_TOKEN]}  # the SMS provider callbacks' token


def _load_schema():
    """The spec as served, read at collection time so every operation becomes its own test.

    It comes from an app of its own (the spec needs no database); the requests go to ``kehu_app``.
    """
    with tempfile.TemporaryDirectory() as instance_path:
        spec_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "spec",
                               "KEHU_PII_KEY": "spec"}, instance_path=instance_path)
        loaded = schemathesis.openapi.from_wsgi("/api/openapi.json", spec_app)
    # Every call carries the admin's token; missing and bad tokens are tested elsewhere, and leaving
    # them to schemathesis would spend most examples of an operation on its 401.
    loaded.config.generation.update(with_security_parameters=False)
    return loaded


schema = _load_schema()


@pytest.fixture
def auth_headers(app, admin, save_plugin_settings):
    """An admin's Bearer token, and a few rows for the id-based operations to find."""
    _, token = tokens.issue(admin, "fuzz")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    for number in range(1, 4):
        customer = client.post("/api/v1/customers", headers=headers, json={
            "name": f"济宁测试客户{number}", "phone": f"1380537123{number}", "region_code": "370811",
            "tags": ["重点关注", f"标签{number}"], "birthday": "1980-02-29"}).json
        client.post(f"/api/v1/customers/{customer['id']}/contacts", headers=headers, json={"name": f"联系人{number}"})
        client.post(f"/api/v1/customers/{customer['id']}/interactions", headers=headers, json={
            "kind": "call", "subject": "电话回访", "status": "planned", "due_at": f"{NEXT_YEAR}-01-01T09:00:00"})
    start_run("manual")  # an ERP sync run (queued) for /api/v1/erp/runs/{run_id}
    client.post("/api/v1/exports", headers=headers, json={"format": "csv"})  # a file for /api/v1/exports/{job_id}/file
    # SMS templates of both kinds, a draft and a started campaign of each, a suppressed number
    save_plugin_settings("sms", {"callback_token": SMS_CALLBACK_TOKEN})
    for kind in ("marketing", "notification"):
        template = sms_templates.create_template({"name": f"春耕{kind}", "kind": kind,
                                                  "body": "{name}您好，{company}春耕农资八折。"}, admin)
        for number in range(1, 3):
            campaign = sms_campaigns.create_campaign({"name": f"春耕活动{number}", "template_id": template.id,
                                                      "target": {"region": "3708"}}, admin)
            if number == 2:
                sms_campaigns.start_campaign(campaign)
    sms_consent.add_suppression("+8613805379999")
    return headers


def _enable_the_plugin_of(case, app):
    """A plugin's operations (/api/v1/<plugin>/...) are fuzzed with the plugin enabled: disabled, they
    would answer nothing but 404."""
    manager = app.extensions["kehu_plugins"]
    parts = case.operation.path.split("/")  # "", "api", "v1", "<plugin>", ...
    name = parts[3] if len(parts) > 3 else None
    if name in manager.installed and not manager.is_enabled(name):
        manager.enable(name)


def _point_at_existing(case, data, app):
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return  # keep the invalid path parameters as generated
    for name, existing in EXISTING.items():
        if name in (case.path_parameters or {}) and data.draw(st.booleans(), label=f"existing {name}"):
            found = existing(app)
            if found:
                case.path_parameters[name] = data.draw(st.sampled_from(found), label=name)
    for name, known in KNOWN_HEADERS.items():
        if case.operation.get_parameter(name, "header") is not None and data.draw(st.booleans(), label=f"known {name}"):
            case.headers = {**(case.headers or {}), name: data.draw(st.sampled_from(known), label=name)}


# The classes of input that once answered 500 (issue 11, point 6), mixed into the generated cases so
# that every operation, core's and plugins', keeps refusing them: ids and page numbers beyond BIGINT,
# lone surrogates in JSON strings, JSON nested deeper than the parser's limit.
HUGE_NUMBERS = st.sampled_from([2**63, 2**64 + 7, 10**20, -(2**63) - 1])
HOSTILE = ("huge numbers", "lone surrogate", "deep nesting")


def _with_surrogate(value):
    """``value`` with a lone surrogate put into its first string; None when it holds no string."""
    if isinstance(value, str):
        return "\ud800" + value
    if isinstance(value, dict):
        for key, item in value.items():
            changed = _with_surrogate(item)
            if changed is not None:
                return {**value, key: changed}
    if isinstance(value, list):
        for index, item in enumerate(value):
            changed = _with_surrogate(item)
            if changed is not None:
                return [*value[:index], changed, *value[index + 1:]]
    return None


def _make_hostile(case, data) -> str | None:
    """Sometimes turn a valid case into one of the hostile classes; returns which, or None."""
    if case.meta is not None and case.meta.generation.mode.is_negative:
        return None
    kind = data.draw(st.sampled_from((None, None, *HOSTILE)), label="hostile")
    if kind == "huge numbers":
        integer_paths = [p.name for p in case.operation.path_parameters if p.definition.get("schema", {}).get(
            "type") == "integer"]
        pages = [name for name in ("page", "page_size") if case.operation.get_parameter(name, "query") is not None]
        if not integer_paths and not pages:
            return None
        for name in integer_paths:
            case.path_parameters[name] = data.draw(HUGE_NUMBERS, label=name)
        if pages:
            case.query = {**(case.query or {}), pages[0]: data.draw(HUGE_NUMBERS, label=pages[0])}
        # an id beyond BIGINT names nothing (4xx); a page beyond the last one may be empty (200 [])
        return kind if integer_paths else "huge page"
    if kind == "lone surrogate":
        changed = _with_surrogate(case.body) if isinstance(case.body, (dict, list)) else None
        if changed is None:
            return None
        case.body = changed
        return kind
    if kind == "deep nesting" and isinstance(case.body, dict):
        deep = []
        for _ in range(200):  # deeper than json_provider's limit of 64, shallow enough for json.dumps
            deep = [deep]
        case.body = {**case.body, "nested": deep}
        return kind
    return None


@schema.parametrize()
@schema.given(data=st.data())
@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_no_input_breaks_the_api(case, data, app, auth_headers):
    # Each request in an app context of its own, as in production: the logged-in user (kept in g)
    # and the database session must not carry over from the previous request.
    with app.app_context():
        _enable_the_plugin_of(case, app)
        _point_at_existing(case, data, app)
        hostile = _make_hostile(case, data)
        if hostile is None:
            case.call_and_validate(app=app, headers=auth_headers, checks=CHECKS)
            return
        # sent by hand: schemathesis validates a case's body before sending it and cannot read lone
        # surrogates; json.dumps writes them as the \\ud800 escapes an attacker sends
        body = None if case.body is None or type(case.body).__name__ == "NotSet" else json.dumps(case.body)
        response = app.test_client().open(
            case.formatted_path, method=case.method, query_string=case.query or None, data=body,
            headers={**{k: str(v) for k, v in (case.headers or {}).items()}, **auth_headers,
                     **({"Content-Type": "application/json"} if body is not None else {})})
        if hostile == "huge page" or (hostile == "lone surrogate" and "/callbacks/" in case.path):
            # provider callbacks take odd values (a refusal is retried for days): read, never a 5xx
            assert response.status_code < 500 and response.is_json, (hostile, response.status_code)
            return
        assert 400 <= response.status_code < 500, f"{hostile}: {response.status_code} {response.text[:300]}"
        assert response.mimetype == "application/problem+json", (hostile, response.status_code)


@pytest.mark.parametrize("method, url, body", [
    ("post", "/api/v1/customers", '{"name": "NaN", "extra": {"score": NaN}}'),  # Python reads NaN; JSON has none
    ("put", "/api/v1/plugins/sample/settings", '{"settings": {"limit": Infinity}}'),
    ("post", "/api/v1/customers", '{"name": "unterminated'),
    ("get", "/api/v1/customers?created_from=0001-01-01T00:00:00", None),  # China time before year 1 in UTC
    ("get", "/api/v1/interactions?due_before=9999-12-31T23:00:00-05:00", None),  # after year 9999 in UTC
])
def test_input_schemathesis_does_not_send_is_refused(admin, api_client_as, method, url, body):
    response = getattr(api_client_as(admin), method)(url, data=body, content_type="application/json")
    assert response.status_code in (400, 422), response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
