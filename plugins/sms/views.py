"""SMS pages under /sms: campaigns (progress polled with htmx), campaign detail, templates."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateTimeLocalField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from kehu_sdk import PluginBlueprint
from kehu_sdk.db import db
from kehu_sdk.web import current_user, login_required, require_permission

from kehu_plugins.sms import campaigns, rendering
from kehu_plugins.sms.api import CHINA_TZ
from kehu_plugins.sms.models import TEMPLATE_KINDS, SmsCampaign, SmsTemplate

web = PluginBlueprint("sms", __name__)
STATUS_TITLES = {"draft": _l("草稿"), "scheduled": _l("已排期"), "running": _l("发送中"), "paused": _l("已暂停"),
                 "cancelled": _l("已取消"), "done": _l("已完成")}
CUSTOMER_STATUSES = [SelectChoice("lead", _l("线索")), SelectChoice("potential", _l("潜在")),
                     SelectChoice("intent", _l("意向")), SelectChoice("customer", _l("成交")),
                     SelectChoice("lost", _l("流失"))]


class TemplateForm(FlaskForm):
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=100)])
    kind = SelectField(_l("类型"), choices=[SelectChoice("marketing", _l("营销")),
                                                SelectChoice("notification", _l("通知"))])
    body = TextAreaField(_l("内容"), validators=[DataRequired(), Length(max=rendering.MAX_LENGTH)],
                         description=_l("可用变量：{name} {company} {industry} {extra.字段}"))
    sign_name = StringField(_l("签名（空为设置中的签名）"), validators=[Optional(), Length(max=40)])
    provider_template_code = StringField(_l("服务商模板编号"), validators=[Optional(), Length(max=64)])

    def validate_body(self, field):
        try:
            rendering.variables(field.data or "")
        except rendering.TemplateInvalid as exc:
            raise ValidationError(str(exc)) from exc


class CampaignForm(FlaskForm):
    name = StringField(_l("名称"), validators=[DataRequired(), Length(max=100)])
    template_id = SelectField(_l("模板"), coerce=int)
    status = SelectMultipleField(_l("客户状态"), choices=CUSTOMER_STATUSES, validators=[Optional()])
    tags = StringField(_l("标签（逗号分隔，须全部具备）"), validators=[Optional(), Length(max=300)])
    region = StringField(_l("区域代码（如 3708 济宁）"), validators=[Optional(), Length(max=6)])
    industry = StringField(_l("行业（逗号分隔）"), validators=[Optional(), Length(max=200)])
    scheduled_at = DateTimeLocalField(_l("定时发送（北京时间，空为立即）"), validators=[Optional()])

    def target(self) -> dict:
        def split(text):
            return [p.strip() for p in (text or "").replace("，", ",").split(",") if p.strip()]
        found = {"status": self.status.data or [], "tags": split(self.tags.data),
                 "region": (self.region.data or "").strip() or None, "industry": split(self.industry.data)}
        return {k: v for k, v in found.items() if v}


def _campaign_or_404(campaign_id) -> SmsCampaign:
    campaign = db.session.get(SmsCampaign, campaign_id)
    if campaign is None or (campaign.created_by_id != current_user.id and current_user.scope != "all"):
        abort(404)
    return campaign


@web.route("/", endpoint="campaigns")
@login_required
@require_permission("sms.read")
def campaigns_page():
    query = select(SmsCampaign).order_by(SmsCampaign.id.desc()).limit(100)
    if current_user.scope != "all":
        query = query.where(SmsCampaign.created_by_id == current_user.id)
    rows = [(c, campaigns.progress(c)) for c in db.session.scalars(query)]
    return render_template("sms/campaigns.html", rows=rows, statuses=STATUS_TITLES,
                           can_send=current_user.has_permission("sms.send"))


@web.route("/campaigns/new", methods=["GET", "POST"])
@login_required
@require_permission("sms.send")
def new_campaign():
    form = CampaignForm()
    form.template_id.choices = [SelectChoice(t.id, t.name) for t in db.session.scalars(select(SmsTemplate).order_by(SmsTemplate.name))]
    if form.validate_on_submit():
        scheduled = form.scheduled_at.data.replace(tzinfo=CHINA_TZ) if form.scheduled_at.data else None
        campaign = SmsCampaign(name=form.name.data.strip(), template_id=form.template_id.data, target=form.target(),
                               scheduled_at=scheduled, status="draft", created_by_id=current_user.id)
        db.session.add(campaign)
        db.session.commit()
        return redirect(url_for("sms.campaign_page", campaign_id=campaign.id))
    return render_template("sms/campaign_form.html", form=form)


@web.route("/campaigns/<int:campaign_id>")
@login_required
@require_permission("sms.read")
def campaign_page(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    audience = campaigns.audience(campaign) if campaign.status == "draft" else None
    return render_template("sms/campaign.html", campaign=campaign, progress=campaigns.progress(campaign),
                           audience=audience, statuses=STATUS_TITLES,
                           can_send=current_user.has_permission("sms.send"))


@web.route("/campaigns/<int:campaign_id>/progress")
@login_required
@require_permission("sms.read")
def campaign_progress(campaign_id):
    """The progress bar alone, for htmx polling."""
    campaign = _campaign_or_404(campaign_id)
    return render_template("sms/_progress.html", campaign=campaign, progress=campaigns.progress(campaign),
                           statuses=STATUS_TITLES)


ACTIONS = {"start": campaigns.start, "pause": campaigns.pause, "resume": campaigns.resume, "cancel": campaigns.cancel}


@web.route("/campaigns/<int:campaign_id>/<action>", methods=["POST"])
@login_required
@require_permission("sms.send")
def campaign_action(campaign_id, action):
    if action not in ACTIONS or not FlaskForm().validate_on_submit():
        abort(400)
    campaign = _campaign_or_404(campaign_id)
    try:
        run_now = ACTIONS[action](campaign)
    except campaigns.CampaignStateError:
        db.session.rollback()
        flash(_("活动当前状态不允许此操作。"))
        return redirect(url_for("sms.campaign_page", campaign_id=campaign_id))
    db.session.commit()
    if run_now:
        current_app.extensions["celery"].tasks["kehu.sms.run_campaign"].delay(campaign_id)
    return redirect(url_for("sms.campaign_page", campaign_id=campaign_id))


@web.route("/templates")
@login_required
@require_permission("sms.read")
def templates_page():
    templates = db.session.scalars(select(SmsTemplate).order_by(SmsTemplate.name)).all()
    return render_template("sms/templates.html", templates=templates, kinds=dict(zip(TEMPLATE_KINDS, (_("营销"), _("通知")))),
                           can_manage=current_user.has_permission("sms.manage"))


@web.route("/templates/new", methods=["GET", "POST"], defaults={"template_id": None})
@web.route("/templates/<int:template_id>", methods=["GET", "POST"])
@login_required
@require_permission("sms.manage")
def edit_template(template_id):
    template = db.session.get(SmsTemplate, template_id) if template_id else SmsTemplate()
    if template is None:
        abort(404)
    form = TemplateForm(obj=template)
    if form.validate_on_submit():
        clash = db.session.scalar(select(SmsTemplate.id).where(SmsTemplate.name == form.name.data.strip(),
                                                                SmsTemplate.id != (template.id or 0)))
        if clash:
            form.name.errors.append(_("已有同名模板"))
        else:
            form.populate_obj(template)
            template.name = template.name.strip()
            template.sign_name = template.sign_name or None
            template.provider_template_code = template.provider_template_code or None
            template.created_by_id = template.created_by_id or current_user.id
            db.session.add(template)
            db.session.commit()
            flash(_("模板已保存。"))
            return redirect(url_for("sms.templates_page"))
    preview_customer_id = request.args.get("customer_id", type=int)
    return render_template("sms/template_form.html", form=form, template=template,
                           preview_customer_id=preview_customer_id)
