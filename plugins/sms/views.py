"""SMS pages under /sms: campaigns (progress polled with htmx), campaign detail, templates.

Forms are loaded with the API's schemas and saved through the same service functions, so a page
refuses what the API refuses, with the same messages (422 with the form shown again): marshmallow's
own messages translated as the API translates them.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import DateTimeLocalInput

from kehu_plugins.sms.models import TEMPLATE_KINDS
from kehu_plugins.sms.schemas import CampaignSchema, TemplateSchema
from kehu_plugins.sms.service import SmsConflict, SmsInvalid, campaigns, templates
from kehu_sdk import PluginBlueprint
from kehu_sdk.customers import FILTER_CONTROLS_TEMPLATE, describe_filter
from kehu_sdk.db import db
from kehu_sdk.schemas import translated
from kehu_sdk.web import current_user, login_required, require_permission

web = PluginBlueprint("sms", __name__)
STATUS_TITLES = {"draft": _l("草稿"), "scheduled": _l("已排期"), "running": _l("发送中"), "paused": _l("已暂停"),
                 "cancelled": _l("已取消"), "done": _l("已完成")}
MESSAGE_STATUS_TITLES = {"pending": _l("待发送"), "sending": _l("发送中"), "sent": _l("已发送"),
                         "delivered": _l("已送达"), "undelivered": _l("未送达"), "failed": _l("发送失败"),
                         "skipped": _l("未发送")}
CUSTOMER_STATUSES = [SelectChoice("lead", _l("线索")), SelectChoice("potential", _l("潜在")),
                     SelectChoice("intent", _l("意向")), SelectChoice("customer", _l("成交")),
                     SelectChoice("lost", _l("流失"))]


class SchemaForm(FlaskForm):
    """A form whose rules are a schema's: it renders the fields and shows the schema's messages."""

    def show_errors(self, errors: dict) -> None:
        """Put ``{field: [messages]}`` beside the fields; the rest above the form (``form_errors``)."""
        for key, messages in errors.items():
            if isinstance(messages, dict):
                self.show_errors(messages)  # the campaign target: region, tags … are fields here
                continue
            messages = messages if isinstance(messages, list) else [messages]
            field = self._fields.get(key)
            if field is not None and key != "csrf_token":
                field.errors = [*field.errors, *messages]
            else:
                self.form_errors.extend(messages)


class TemplateForm(SchemaForm):
    name = StringField(_l("名称"))
    kind = SelectField(_l("类型"), choices=[SelectChoice("marketing", _l("营销")),
                                                SelectChoice("notification", _l("通知"))], validate_choice=False)
    body = TextAreaField(_l("内容"), description=_l("可用变量：{name} {company} {industry} {extra.字段}"))
    sign_name = StringField(_l("签名（空为设置中的签名）"))
    provider_template_code = StringField(_l("服务商模板编号"))

    def values(self) -> dict:
        """What the API would get: empty optional texts are not set."""
        return {"name": self.name.data or "", "kind": self.kind.data, "body": self.body.data or "",
                "sign_name": self.sign_name.data or None,
                "provider_template_code": self.provider_template_code.data or None}


def _split(text):
    return [p.strip() for p in (text or "").replace("，", ",").split(",") if p.strip()]


class CampaignForm(SchemaForm):
    name = StringField(_l("名称"))
    template_id = SelectField(_l("模板"), validate_choice=False)
    status = SelectMultipleField(_l("客户状态"), choices=CUSTOMER_STATUSES, validate_choice=False)
    tags = StringField(_l("标签（逗号分隔，须全部具备）"))
    region = StringField(_l("区域代码（如 3708 济宁）"))
    industry = StringField(_l("行业（逗号分隔）"))
    scheduled_at = StringField(_l("定时发送（北京时间，空为立即）"), widget=DateTimeLocalInput())

    def values(self) -> dict:
        """What the API would get: the target is the customer filter the fields describe."""
        found = {"status": self.status.data or [], "tags": _split(self.tags.data),
                 "region": (self.region.data or "").strip() or None, "industry": _split(self.industry.data)}
        template_id = self.template_id.data or ""
        return {"name": self.name.data or "", "template_id": int(template_id) if template_id.isdecimal() else template_id,
                "target": {k: v for k, v in found.items() if v}, "scheduled_at": self.scheduled_at.data or None}


def _saved(form, schema, save):
    """Load the form with ``schema`` and save it with ``save(data)``; None when refused (errors on the form)."""
    try:
        return save(schema.load(form.values()))
    except ValidationError as exc:
        form.show_errors(translated(exc.messages))
    except SmsInvalid as exc:
        db.session.rollback()
        form.show_errors(exc.errors)
    except SmsConflict as exc:
        db.session.rollback()
        form.show_errors({exc.field or "_form": [exc.message]})
    return None


def _campaign_or_404(campaign_id):
    return campaigns.campaign_for(campaign_id, current_user) or abort(404)


@web.route("/", endpoint="campaigns")
@login_required
@require_permission("sms.read")
def campaigns_page():
    rows = [(c, campaigns.progress(c)) for c in db.session.scalars(campaigns.campaigns_of(current_user).limit(100))]
    return render_template("sms/campaigns.html", rows=rows, statuses=STATUS_TITLES,
                           can_send=current_user.has_permission("sms.send"))


@web.route("/campaigns/new", methods=["GET", "POST"])
@login_required
@require_permission("sms.send")
def new_campaign():
    form = CampaignForm()
    form.template_id.choices = [SelectChoice(str(t.id), t.name) for t in templates.all_templates()]
    if form.validate_on_submit():
        campaign = _saved(form, CampaignSchema(), lambda data: campaigns.create_campaign(data, current_user))
        if campaign is not None:
            return redirect(url_for("sms.campaign_page", campaign_id=campaign.id))
        return render_template("sms/campaign_form.html", form=form), 422
    return render_template("sms/campaign_form.html", form=form)


@web.route("/campaigns/<id:campaign_id>")
@login_required
@require_permission("sms.read")
def campaign_page(campaign_id):
    campaign = _campaign_or_404(campaign_id)
    audience = campaigns.audience(campaign) if campaign.status == "draft" else None
    return render_template("sms/campaign.html", campaign=campaign, progress=campaigns.progress(campaign),
                           audience=audience, statuses=STATUS_TITLES, chips=describe_filter(campaign.target),
                           controls=FILTER_CONTROLS_TEMPLATE, with_actions=True,
                           can_send=current_user.has_permission("sms.send"))


@web.route("/campaigns/<id:campaign_id>/progress")
@login_required
@require_permission("sms.read")
def campaign_progress(campaign_id):
    """The progress bar, for htmx polling; with ``actions=1`` (the campaign page) the buttons the
    campaign's state allows as well, so they change with it (a finished campaign has none)."""
    campaign = _campaign_or_404(campaign_id)
    return render_template("sms/_progress.html", campaign=campaign, progress=campaigns.progress(campaign),
                           statuses=STATUS_TITLES, with_actions=request.args.get("actions") == "1",
                           can_send=current_user.has_permission("sms.send"))


@web.route("/campaigns/<id:campaign_id>/<action>", methods=["POST"])
@login_required
@require_permission("sms.send")
def campaign_action(campaign_id, action):
    if action not in campaigns.ACTIONS or not FlaskForm().validate_on_submit():
        abort(400)
    campaign = _campaign_or_404(campaign_id)
    try:
        campaigns.ACTIONS[action](campaign)
    except campaigns.CampaignStateError:
        db.session.rollback()
        flash(_("活动当前状态不允许此操作。"))
    return redirect(url_for("sms.campaign_page", campaign_id=campaign_id))


@web.route("/templates")
@login_required
@require_permission("sms.read")
def templates_page():
    return render_template("sms/templates.html", templates=templates.all_templates(),
                           kinds=dict(zip(TEMPLATE_KINDS, (_("营销"), _("通知")))),
                           can_manage=current_user.has_permission("sms.manage"))


@web.route("/templates/new", methods=["GET", "POST"], defaults={"template_id": None})
@web.route("/templates/<id:template_id>", methods=["GET", "POST"])
@login_required
@require_permission("sms.manage")
def edit_template(template_id):
    template = templates.get_template(template_id) if template_id else None
    if template_id and template is None:
        abort(404)
    form = TemplateForm(obj=template)
    status = 200
    if form.validate_on_submit():
        def save(data):
            return templates.update_template(template, data) if template else templates.create_template(data, current_user)

        if _saved(form, TemplateSchema(), save) is not None:
            flash(_("模板已保存。"))
            return redirect(url_for("sms.templates_page"))
        status = 422
    return render_template("sms/template_form.html", form=form, template=template,
                           preview_customer_id=request.args.get("customer_id", type=int)), status


def customer_panel(customer_id: int) -> str:
    """The 「短信」 panel of the customer page: the SMS the customer got, in China time, in words."""
    return render_template("sms/customer_panel.html", messages=campaigns.recent_messages(customer_id),
                           message_statuses=MESSAGE_STATUS_TITLES)
