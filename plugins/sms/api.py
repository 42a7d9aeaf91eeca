"""JSON API under /api/v1/sms (in /api/openapi.json): templates, campaigns, the suppression list,
provider callbacks. Every write goes through ``service``; lists are paginated the one way
(a JSON list, totals in ``X-Pagination``)."""
from flask import request
from flask.views import MethodView
from flask_babel import gettext as _
from sqlalchemy import func, select

from kehu_plugins.sms.models import SmsCampaign, SmsMessage, SmsSuppression
from kehu_plugins.sms.providers import aliyun, tencent
from kehu_plugins.sms.schemas import (AliyunAnswerSchema, AliyunReplySchema, AliyunReportSchema, CampaignDetailSchema,
                                      CampaignSchema, MessageListArgsSchema, MessageSchema, NewSuppressionSchema,
                                      PreviewArgsSchema, PreviewSchema, ProgressSchema, StatsSchema,
                                      SuppressionAddedSchema, SuppressionSchema, TemplateSchema, TencentAnswerSchema,
                                      TencentReplySchema, TencentReportSchema)
from kehu_plugins.sms.service import SmsConflict, SmsInvalid, campaigns, consent, templates
from kehu_sdk.api import PluginApi, abort, page_of
from kehu_sdk.customers import visible_customer
from kehu_sdk.db import db
from kehu_sdk.time import utcnow
from kehu_sdk.web import current_user, require_permission

api = PluginApi("sms", __name__, description="SMS: templates, campaigns and their progress, the suppression "
                                             "list, and the providers' receipt and reply callbacks (docs/sms.md)")
MAX_PUSHED = 1000  # items in one provider push


def _saved(action):
    """Run a service write; its refusals become problem documents (422 with the messages, 409)."""
    try:
        return action()
    except SmsInvalid as exc:
        db.session.rollback()
        abort(422, message=_("输入有误"), messages={"json": exc.errors})
    except SmsConflict as exc:
        db.session.rollback()
        abort(409, message=exc.message)


def _template_or_404(template_id):
    return templates.get_template(template_id) or abort(404)


def _campaign_or_404(campaign_id):
    return campaigns.campaign_for(campaign_id, current_user) or abort(404)


# templates --------------------------------------------------------------------------------------
@api.route("/templates")
class Templates(MethodView):
    @require_permission("sms.read")
    @api.response(200, TemplateSchema(many=True))
    def get(self):
        """Every template, by name."""
        return templates.all_templates()

    @require_permission("sms.manage")
    @api.arguments(TemplateSchema)
    @api.response(201, TemplateSchema)
    @api.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Create a template; unknown variables are refused, a taken name is a 409."""
        return _saved(lambda: templates.create_template(data, current_user))


@api.route("/templates/<id:template_id>")
class TemplateById(MethodView):
    @require_permission("sms.read")
    @api.response(200, TemplateSchema)
    def get(self, template_id):
        return _template_or_404(template_id)

    @require_permission("sms.manage")
    @api.arguments(TemplateSchema(partial=True))
    @api.response(200, TemplateSchema)
    @api.alt_response(409, response="CONFLICT")
    def patch(self, data, template_id):
        template = _template_or_404(template_id)
        return _saved(lambda: templates.update_template(template, data))

    @require_permission("sms.manage")
    @api.response(204)
    @api.alt_response(409, response="CONFLICT")
    def delete(self, template_id):
        """Delete a template no campaign uses (409 otherwise)."""
        template = _template_or_404(template_id)
        _saved(lambda: templates.delete_template(template))


@api.route("/templates/<id:template_id>/preview")
@require_permission("sms.read")
@api.arguments(PreviewArgsSchema, location="query")
@api.response(200, PreviewSchema)
def preview_template(args, template_id):
    """The text one customer would receive, within the caller's record scope."""
    template = _template_or_404(template_id)
    customer = visible_customer(args["customer_id"], current_user)
    if customer is None:
        abort(404, message=_("客户不存在"))
    return templates.preview(template, customer)


# campaigns --------------------------------------------------------------------------------------
@api.route("/campaigns")
class Campaigns(MethodView):
    @require_permission("sms.read")
    @api.response(200, CampaignSchema(many=True))
    @api.paginate()
    def get(self, pagination_parameters):
        """Campaigns the caller may see (their own; all with record scope "all"), newest first."""
        return page_of(campaigns.campaigns_of(current_user), pagination_parameters)

    @require_permission("sms.send")
    @api.arguments(CampaignSchema)
    @api.response(201, CampaignSchema)
    def post(self, data):
        """Create a draft: template, target (the customer-list filter) and optional scheduled_at."""
        return _saved(lambda: campaigns.create_campaign(data, current_user))


@api.route("/campaigns/<id:campaign_id>")
class CampaignById(MethodView):
    @require_permission("sms.read")
    @api.response(200, CampaignDetailSchema)
    def get(self, campaign_id):
        """A campaign with its progress; a draft also with its audience."""
        return _campaign_or_404(campaign_id)

    @require_permission("sms.send")
    @api.arguments(CampaignSchema(partial=True))
    @api.response(200, CampaignSchema)
    @api.alt_response(409, response="CONFLICT")
    def patch(self, data, campaign_id):
        """Change a draft (409 once it started)."""
        campaign = _campaign_or_404(campaign_id)
        return _saved(lambda: campaigns.update_campaign(campaign, data))

    @require_permission("sms.send")
    @api.response(204)
    @api.alt_response(409, response="CONFLICT")
    def delete(self, campaign_id):
        """Delete a draft (409 once it started: cancel it instead)."""
        campaign = _campaign_or_404(campaign_id)
        _saved(lambda: campaigns.delete_campaign(campaign))


def _act(campaign_id, action):
    campaign = _campaign_or_404(campaign_id)
    _saved(lambda: campaigns.ACTIONS[action](campaign))
    db.session.expire_all()  # a worker may have sent (and finished) it already
    return db.session.get(SmsCampaign, campaign_id)


@api.route("/campaigns/<id:campaign_id>/start", methods=["POST"])
@require_permission("sms.send")
@api.response(200, CampaignSchema)
@api.alt_response(409, response="CONFLICT")
def start_campaign(campaign_id):
    """draft -> scheduled (future scheduled_at) or running: the recipients are chosen now."""
    return _act(campaign_id, "start")


@api.route("/campaigns/<id:campaign_id>/pause", methods=["POST"])
@require_permission("sms.send")
@api.response(200, CampaignSchema)
@api.alt_response(409, response="CONFLICT")
def pause_campaign(campaign_id):
    """running or scheduled -> paused."""
    return _act(campaign_id, "pause")


@api.route("/campaigns/<id:campaign_id>/resume", methods=["POST"])
@require_permission("sms.send")
@api.response(200, CampaignSchema)
@api.alt_response(409, response="CONFLICT")
def resume_campaign(campaign_id):
    """paused -> running (or scheduled, when it never started)."""
    return _act(campaign_id, "resume")


@api.route("/campaigns/<id:campaign_id>/cancel", methods=["POST"])
@require_permission("sms.send")
@api.response(200, CampaignSchema)
@api.alt_response(409, response="CONFLICT")
def cancel_campaign(campaign_id):
    """Stop for good; messages not yet sent are skipped."""
    return _act(campaign_id, "cancel")


@api.route("/campaigns/<id:campaign_id>/progress")
@require_permission("sms.read")
@api.response(200, ProgressSchema)
def campaign_progress(campaign_id):
    return campaigns.progress(_campaign_or_404(campaign_id))


@api.route("/campaigns/<id:campaign_id>/messages")
@require_permission("sms.read")
@api.arguments(MessageListArgsSchema, location="query")
@api.response(200, MessageSchema(many=True))
@api.paginate()
def campaign_messages(args, campaign_id, pagination_parameters):
    """The campaign's messages in id order, optionally of one status (numbers masked)."""
    campaign = _campaign_or_404(campaign_id)
    return page_of(campaigns.messages_of(campaign, args.get("status")), pagination_parameters)


# the suppression list ---------------------------------------------------------------------------
@api.route("/suppressions")
class Suppressions(MethodView):
    @require_permission("sms.manage")
    @api.response(200, SuppressionSchema(many=True))
    @api.paginate()
    def get(self, pagination_parameters):
        """Numbers that get no marketing SMS, newest first (masked)."""
        return page_of(consent.suppressions(), pagination_parameters)

    @require_permission("sms.manage")
    @api.arguments(NewSuppressionSchema)
    @api.response(201, SuppressionAddedSchema)
    @api.alt_response(200, schema=SuppressionAddedSchema, description="The number was on the list already",
                      success=True)
    def post(self, data):
        """Put a number on the list by hand (reason manual)."""
        added = consent.add_suppression(data["phone"], data.get("note") or None)
        return {"added": added}, 201 if added else 200


@api.route("/suppressions/<id:suppression_id>")
class SuppressionById(MethodView):
    @require_permission("sms.manage")
    @api.response(204)
    def delete(self, suppression_id):
        consent.delete_suppression(db.session.get(SmsSuppression, suppression_id) or abort(404))


# provider callbacks -----------------------------------------------------------------------------
CALLBACK_TOKEN_HEADER = "X-Kehu-Callback-Token"
CALLBACK_REALM = 'Basic realm="kehu SMS callbacks", charset="UTF-8"'
CALLBACK_AUTH = (f"Authenticated by the callback token, never in the URL path: as the password of HTTP Basic "
                 f"(configure the provider with https://kehu:TOKEN@host/api/v1/sms/callbacks/…; the client sends "
                 f"it as an Authorization header, the user name is ignored) or in the {CALLBACK_TOKEN_HEADER} "
                 f"header. No Bearer token. A missing or wrong token is a 401.")


def _pushed(schema) -> dict:
    """Documents a provider push: one object or an array of them; the callback token, no Bearer token."""
    one_or_many = {"oneOf": [schema, {"type": "array", "items": schema, "maxItems": MAX_PUSHED}]}
    token = {"in": "header", "name": CALLBACK_TOKEN_HEADER, "required": False, "schema": {"type": "string"},
             "description": "the callback token (or send it as the password of HTTP Basic)"}
    return {"security": [], "parameters": [token], "description": CALLBACK_AUTH,
            "requestBody": {"required": True, "content": {"application/json": {"schema": one_or_many}}}}


def _offered_token() -> str:
    """The token a push carries: the X-Kehu-Callback-Token header, else the password of HTTP Basic (what
    HTTP clients send for userinfo in the configured URL: it never reaches the request line or access logs)."""
    if CALLBACK_TOKEN_HEADER in request.headers:
        return request.headers[CALLBACK_TOKEN_HEADER]
    credentials = request.authorization
    if credentials is not None and credentials.type == "basic":
        return credentials.password or ""
    return ""


def _callback(schema, read, record, provider):
    """Check the token (401 when missing or wrong, and when none is configured: the answer reveals
    nothing), then record every pushed item."""
    settings = consent.callback_settings(_offered_token())
    if settings is None:
        abort(401, headers={"WWW-Authenticate": CALLBACK_REALM})  # clients that wait for a challenge
    body = request.get_json(silent=True)
    items = body if isinstance(body, list) else [body] if isinstance(body, dict) else None
    if items is None or not all(isinstance(i, dict) for i in items) or len(items) > MAX_PUSHED:
        abort(400, message="expected a JSON object or an array of objects")
    for item in schema.load(items, many=True):
        record(provider, read(item), settings)


@api.route("/callbacks/aliyun/report", methods=["POST"])
@api.doc(**_pushed(AliyunReportSchema))
@api.response(200, AliyunAnswerSchema)
def aliyun_report():
    """Aliyun HTTP batch push of delivery receipts (SmsReport)."""
    _callback(AliyunReportSchema(), aliyun.read_report, consent.record_receipt, "aliyun")
    return {"code": 0, "msg": "成功"}


@api.route("/callbacks/aliyun/reply", methods=["POST"])
@api.doc(**_pushed(AliyunReplySchema))
@api.response(200, AliyunAnswerSchema)
def aliyun_reply():
    """Aliyun HTTP batch push of replies (SmsUp)."""
    _callback(AliyunReplySchema(), aliyun.read_reply, consent.record_reply, "aliyun")
    return {"code": 0, "msg": "成功"}


@api.route("/callbacks/tencent/report", methods=["POST"])
@api.doc(**_pushed(TencentReportSchema))
@api.response(200, TencentAnswerSchema)
def tencent_report():
    """Tencent Cloud status report callback (receipts)."""
    _callback(TencentReportSchema(), tencent.read_report, consent.record_receipt, "tencent")
    return {"result": 0, "errmsg": "OK"}


@api.route("/callbacks/tencent/reply", methods=["POST"])
@api.doc(**_pushed(TencentReplySchema))
@api.response(200, TencentAnswerSchema)
def tencent_reply():
    """Tencent Cloud reply callback."""
    _callback(TencentReplySchema(), tencent.read_reply, consent.record_reply, "tencent")
    return {"result": 0, "errmsg": "OK"}


@api.route("/stats")
@require_permission("sms.read")
@api.response(200, StatsSchema)
def stats():
    """Messages by status and the size of the suppression list."""
    counts = dict(db.session.execute(select(SmsMessage.status, func.count(SmsMessage.id))
                                     .group_by(SmsMessage.status)).all())
    return {"messages": counts, "suppressed": db.session.scalar(select(func.count(SmsSuppression.id))),
            "now": utcnow()}
