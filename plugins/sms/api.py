"""JSON API under /api/v1/sms: templates, campaigns, suppression list, provider callbacks."""
import hmac
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import abort, current_app, jsonify, request
from flask_babel import gettext as _
from marshmallow import Schema, ValidationError as SchemaError, fields, validate, validates_schema
from sqlalchemy import func, select

from kehu_sdk import PluginBlueprint
from kehu_sdk.customers import FilterInvalid, InvalidPhone, blind_index, normalize_phone, visible_customer
from kehu_sdk.db import db, utcnow
from kehu_sdk.errors import ValidationError
from kehu_sdk.plugins import settings_of
from kehu_sdk.web import current_user, problem, require_permission

from kehu_plugins.sms import campaigns, compliance, rendering
from kehu_plugins.sms.models import TEMPLATE_KINDS, SmsCampaign, SmsMessage, SmsSuppression, SmsTemplate

api = PluginBlueprint("sms", __name__, name="sms_api", api=True)
CHINA_TZ = ZoneInfo("Asia/Shanghai")
PAGE_SIZE = 100


def _no_nul(value):
    if "\x00" in (value or ""):
        raise SchemaError(_("不能包含空字符"))


class TemplateSchema(Schema):
    name = fields.String(required=True, validate=[validate.Length(1, 100), _no_nul])
    kind = fields.String(load_default="marketing", validate=validate.OneOf(TEMPLATE_KINDS))
    body = fields.String(required=True, validate=[validate.Length(1, rendering.MAX_LENGTH), _no_nul])
    sign_name = fields.String(allow_none=True, validate=[validate.Length(max=40), _no_nul])
    provider_template_code = fields.String(allow_none=True, validate=[validate.Length(max=64), _no_nul])

    @validates_schema
    def body_renders(self, data, **kwargs):
        if "body" in data:
            try:
                rendering.variables(data["body"])
            except rendering.TemplateInvalid as exc:
                raise SchemaError({"body": [str(exc)]}) from exc


# the customer list's filter arguments (page and sort mean nothing for a campaign)
TARGET_KEYS = {"q", "status", "kind", "tags", "tag_mode", "region", "industry", "owner_id", "team_id",
               "created_from", "created_to", "fact"}


class CampaignSchema(Schema):
    name = fields.String(required=True, validate=[validate.Length(1, 100), _no_nul])
    template_id = fields.Integer(required=True, strict=True, validate=validate.Range(1, 2**31 - 1))
    target = fields.Dict(keys=fields.String(), load_default=dict)
    scheduled_at = fields.AwareDateTime(allow_none=True, default_timezone=CHINA_TZ)

    @validates_schema
    def target_is_a_filter(self, data, **kwargs):
        target = data.get("target") or {}
        unknown = [k for k in target if k not in TARGET_KEYS and not k.startswith("extra.")]
        if unknown:
            raise SchemaError({"target": [_("未知的筛选条件：%(keys)s", keys=", ".join(sorted(unknown)))]})
        try:
            campaigns.customer_filter(target)
        except FilterInvalid as exc:
            raise SchemaError({"target": exc.errors}) from exc


def _load(schema: Schema, partial=False) -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description=_("请求体必须是 JSON 对象"))
    try:
        return schema.load(body, partial=partial)
    except SchemaError as exc:
        raise ValidationError(exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages},
                              _("输入有误")) from exc


def _iso(moment):
    return moment.isoformat() if moment else None


def template_json(template: SmsTemplate) -> dict:
    return {"id": template.id, "name": template.name, "kind": template.kind, "body": template.body,
            "sign_name": template.sign_name, "provider_template_code": template.provider_template_code,
            "variables": rendering.variables(template.body), "updated_at": _iso(template.updated_at)}


def campaign_json(campaign: SmsCampaign, with_progress=True) -> dict:
    data = {"id": campaign.id, "name": campaign.name, "template_id": campaign.template_id,
            "status": campaign.status, "target": campaign.target, "scheduled_at": _iso(campaign.scheduled_at),
            "provider": campaign.provider, "created_by_id": campaign.created_by_id,
            "started_at": _iso(campaign.started_at), "finished_at": _iso(campaign.finished_at),
            "created_at": _iso(campaign.created_at)}
    if with_progress:
        data["progress"] = campaigns.progress(campaign)
    return data


def _template_or_404(template_id) -> SmsTemplate:
    return db.session.get(SmsTemplate, template_id) or abort(404)


def _campaign_or_404(campaign_id) -> SmsCampaign:
    """Campaigns are visible to their creator and to users who see every customer."""
    campaign = db.session.get(SmsCampaign, campaign_id)
    if campaign is None or (campaign.created_by_id != current_user.id and current_user.scope != "all"):
        abort(404)
    return campaign


# templates ------------------------------------------------------------------------------------
@api.get("/templates")
@require_permission("sms.read")
def list_templates():
    return jsonify([template_json(t) for t in db.session.scalars(select(SmsTemplate).order_by(SmsTemplate.name))])


@api.post("/templates")
@require_permission("sms.manage")
def create_template():
    data = _load(TemplateSchema())
    if db.session.scalar(select(SmsTemplate.id).where(SmsTemplate.name == data["name"])):
        return problem(409, "Conflict", _("已有同名模板"))
    template = SmsTemplate(**data, created_by_id=current_user.id)
    db.session.add(template)
    db.session.commit()
    return jsonify(template_json(template)), 201


@api.get("/templates/<int:template_id>")
@require_permission("sms.read")
def get_template(template_id):
    return jsonify(template_json(_template_or_404(template_id)))


@api.patch("/templates/<int:template_id>")
@require_permission("sms.manage")
def update_template(template_id):
    template = _template_or_404(template_id)
    data = _load(TemplateSchema(), partial=True)
    if "name" in data and db.session.scalar(select(SmsTemplate.id).where(
            SmsTemplate.name == data["name"], SmsTemplate.id != template.id)):
        return problem(409, "Conflict", _("已有同名模板"))
    for key, value in data.items():
        setattr(template, key, value)
    db.session.commit()
    return jsonify(template_json(template))


@api.delete("/templates/<int:template_id>")
@require_permission("sms.manage")
def delete_template(template_id):
    template = _template_or_404(template_id)
    if db.session.scalar(select(SmsCampaign.id).where(SmsCampaign.template_id == template.id).limit(1)):
        return problem(409, "Conflict", _("模板已被短信活动使用，不能删除"))
    db.session.delete(template)
    db.session.commit()
    return "", 204


@api.get("/templates/<int:template_id>/preview")
@require_permission("sms.read")
def preview_template(template_id):
    """The text one customer would receive (``?customer_id=``), within the caller's record scope."""
    template = _template_or_404(template_id)
    customer_id = request.args.get("customer_id", type=int)
    customer = visible_customer(customer_id, current_user) if customer_id and 0 < customer_id < 2**31 else None
    if customer is None:
        abort(404, description=_("客户不存在"))
    opt_out = settings_of("sms")["opt_out_text"] if template.kind == "marketing" else ""
    text = rendering.render(template.body, customer, opt_out)
    return jsonify({"template_id": template.id, "customer_id": customer.id, "text": text,
                    "length": len(text), "parts": 1 if len(text) <= 70 else -(-len(text) // 67),
                    "params": rendering.provider_params(template.body, customer),
                    "consent_sms": customer.consent_sms})


# campaigns ------------------------------------------------------------------------------------
@api.get("/campaigns")
@require_permission("sms.read")
def list_campaigns():
    query = select(SmsCampaign).order_by(SmsCampaign.id.desc()).limit(PAGE_SIZE)
    if current_user.scope != "all":
        query = query.where(SmsCampaign.created_by_id == current_user.id)
    return jsonify([campaign_json(c) for c in db.session.scalars(query)])


@api.post("/campaigns")
@require_permission("sms.send")
def create_campaign():
    data = _load(CampaignSchema())
    if db.session.get(SmsTemplate, data["template_id"]) is None:
        raise ValidationError({"template_id": [_("模板不存在")]}, _("输入有误"))
    campaign = SmsCampaign(**data, status="draft", created_by_id=current_user.id)
    db.session.add(campaign)
    db.session.commit()
    return jsonify(campaign_json(campaign)), 201


@api.get("/campaigns/<int:campaign_id>")
@require_permission("sms.read")
def get_campaign(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    return jsonify({**campaign_json(campaign), "audience": campaigns.audience(campaign)
                    if campaign.status == "draft" else None})


@api.patch("/campaigns/<int:campaign_id>")
@require_permission("sms.send")
def update_campaign(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    if campaign.status != "draft":
        return problem(409, "Conflict", _("只能修改草稿状态的活动"))
    data = _load(CampaignSchema(), partial=True)
    if "template_id" in data and db.session.get(SmsTemplate, data["template_id"]) is None:
        raise ValidationError({"template_id": [_("模板不存在")]}, _("输入有误"))
    for key, value in data.items():
        setattr(campaign, key, value)
    db.session.commit()
    return jsonify(campaign_json(campaign))


@api.delete("/campaigns/<int:campaign_id>")
@require_permission("sms.send")
def delete_campaign(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    if campaign.status != "draft":
        return problem(409, "Conflict", _("只能删除草稿状态的活动；已开始的活动请取消"))
    db.session.delete(campaign)
    db.session.commit()
    return "", 204


def kick(campaign_id: int) -> None:
    current_app.extensions["celery"].tasks["kehu.sms.run_campaign"].delay(campaign_id)


def transition(campaign_id, action) -> tuple:
    """Apply start/pause/resume/cancel; 409 when the state does not allow it."""
    campaign = _campaign_or_404(campaign_id)
    try:
        run_now = action(campaign)
    except campaigns.CampaignStateError:
        db.session.rollback()
        return problem(409, "Conflict", _("活动当前状态（%(status)s）不允许此操作", status=campaign.status))
    db.session.commit()
    if run_now:
        kick(campaign_id)
    db.session.expire_all()
    return jsonify(campaign_json(db.session.get(SmsCampaign, campaign_id)))


@api.post("/campaigns/<int:campaign_id>/start")
@require_permission("sms.send")
def start_campaign(campaign_id):
    return transition(campaign_id, campaigns.start)


@api.post("/campaigns/<int:campaign_id>/pause")
@require_permission("sms.send")
def pause_campaign(campaign_id):
    return transition(campaign_id, campaigns.pause)


@api.post("/campaigns/<int:campaign_id>/resume")
@require_permission("sms.send")
def resume_campaign(campaign_id):
    return transition(campaign_id, campaigns.resume)


@api.post("/campaigns/<int:campaign_id>/cancel")
@require_permission("sms.send")
def cancel_campaign(campaign_id):
    return transition(campaign_id, campaigns.cancel)


@api.get("/campaigns/<int:campaign_id>/progress")
@require_permission("sms.read")
def campaign_progress(campaign_id):
    return jsonify(campaigns.progress(_campaign_or_404(campaign_id)))


@api.get("/campaigns/<int:campaign_id>/messages")
@require_permission("sms.read")
def campaign_messages(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    query = select(SmsMessage).where(SmsMessage.campaign_id == campaign.id).order_by(SmsMessage.id)
    status = request.args.get("status")
    if status:
        query = query.where(SmsMessage.status == status)
    page = max(1, min(request.args.get("page", 1, type=int), 2**20))
    rows = db.session.scalars(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return jsonify([{"id": m.id, "customer_id": m.customer_id, "status": m.status,
                     "phone": f"*******{m.phone_last4}" if m.phone_last4 else None, "attempts": m.attempts,
                     "provider_message_id": m.provider_message_id, "error_code": m.error_code,
                     "sent_at": _iso(m.sent_at), "receipt_at": _iso(m.receipt_at)} for m in rows])


# suppression list -----------------------------------------------------------------------------
@api.get("/suppressions")
@require_permission("sms.manage")
def list_suppressions():
    rows = db.session.scalars(select(SmsSuppression).order_by(SmsSuppression.id.desc()).limit(500))
    return jsonify([{"id": s.id, "phone": f"*******{s.phone_last4}", "reason": s.reason, "note": s.note,
                     "created_at": _iso(s.created_at)} for s in rows])


@api.post("/suppressions")
@require_permission("sms.manage")
def add_suppression():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("phone"), str):
        raise ValidationError({"phone": [_("请填写手机号")]}, _("输入有误"))
    try:
        e164 = normalize_phone(body["phone"])
    except InvalidPhone:
        raise ValidationError({"phone": [_("不是有效的电话号码")]}, _("输入有误")) from None
    added = compliance.suppress(blind_index(e164), e164[-4:], "manual", str(body.get("note") or "")[:200] or None)
    db.session.commit()
    return jsonify({"added": added}), 201 if added else 200


@api.delete("/suppressions/<int:suppression_id>")
@require_permission("sms.manage")
def delete_suppression(suppression_id):
    row = db.session.get(SmsSuppression, suppression_id) or abort(404)
    db.session.delete(row)
    db.session.commit()
    return "", 204


# provider callbacks ---------------------------------------------------------------------------
def _check_token(token: str) -> dict:
    settings = settings_of("sms")
    expected = settings.get("callback_token") or ""
    if not expected or not hmac.compare_digest(expected.encode(), (token or "").encode()):
        abort(404)  # an unknown callback URL does not exist
    return settings


def _items(body) -> list[dict]:
    items = body if isinstance(body, list) else [body] if isinstance(body, dict) else None
    if items is None or not all(isinstance(i, dict) for i in items) or len(items) > 1000:
        abort(400, description="expected a JSON object or an array of objects")
    return items


@api.post("/callbacks/aliyun/<kind>/<token>")
def aliyun_callback(kind, token):
    """Aliyun HTTP push: ``report`` (SmsReport) and ``reply`` (SmsUp); answers {"code": 0}."""
    settings = _check_token(token)
    items = _items(request.get_json(silent=True))
    for item in items:
        if kind == "report":
            compliance.record_receipt(
                "aliyun", out_id=str(item.get("out_id") or ""), provider_message_id=str(item.get("biz_id") or ""),
                delivered=item.get("success") is True, error_code=str(item.get("err_code") or "") or None,
                received_at=compliance.china_time(item.get("report_time")), settings=settings)
        elif kind == "reply":
            compliance.record_reply("aliyun", str(item.get("phone_number") or ""), str(item.get("content") or ""),
                                    compliance.china_time(item.get("send_time")),
                                    str(item.get("sequence_id") or "") or None, settings)
        else:
            abort(404)
    return jsonify({"code": 0, "msg": "成功"})


@api.post("/callbacks/tencent/<kind>/<token>")
def tencent_callback(kind, token):
    """Tencent callbacks: ``report`` (status report array) and ``reply``; answers {"result": 0}."""
    settings = _check_token(token)
    items = _items(request.get_json(silent=True))
    for item in items:
        if kind == "report":
            compliance.record_receipt(
                "tencent", out_id=None, provider_message_id=str(item.get("sid") or ""),
                delivered=item.get("report_status") == "SUCCESS", error_code=str(item.get("errmsg") or "") or None,
                received_at=compliance.china_time(item.get("user_receive_time")), settings=settings)
        elif kind == "reply":
            when = item.get("time")
            received = datetime.fromtimestamp(when, timezone.utc) if isinstance(when, int) and 0 < when < 2**32 else None
            mobile = str(item.get("mobile") or "")
            nation = str(item.get("nationcode") or "86")
            compliance.record_reply("tencent", f"+{nation}{mobile}" if mobile and not mobile.startswith("+") else mobile,
                                    str(item.get("text") or ""), received, None, settings)
        else:
            abort(404)
    return jsonify({"result": 0, "errmsg": "OK"})


@api.get("/stats")
@require_permission("sms.read")
def stats():
    counts = dict(db.session.execute(select(SmsMessage.status, func.count(SmsMessage.id))
                                     .group_by(SmsMessage.status)).all())
    return jsonify({"messages": counts, "suppressed": db.session.scalar(select(func.count(SmsSuppression.id))),
                    "now": utcnow().isoformat()})
