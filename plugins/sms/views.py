"""SMS pages under /sms: campaigns (progress polled with htmx), campaign detail, templates.

Forms are loaded with the API's schemas and saved through the same service functions, so a page
refuses what the API refuses, with the same messages (422 with the form shown again): marshmallow's
own messages translated as the API translates them.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import DateTimeLocalInput

from kehu_plugins.sms.models import TEMPLATE_KINDS
from kehu_plugins.sms.schemas import CampaignSchema, TemplateSchema
from kehu_plugins.sms.service import SmsConflict, SmsInvalid, campaigns, templates
from kehu_sdk import PluginBlueprint
from kehu_sdk.customers import (FILTER_CONTROLS_TEMPLATE, REGION_PICKER_TEMPLATE, CustomerFilter, all_tags,
                                customer_select, describe_filter, industry_choices, picked_region, picker_state,
                                visible_customer)
from kehu_sdk.db import db
from kehu_sdk.schemas import translated
from kehu_sdk.web import current_user, login_required, require_permission

web = PluginBlueprint("sms", __name__)
STATUS_TITLES = {"draft": _l("草稿"), "scheduled": _l("已排期"), "running": _l("发送中"), "paused": _l("已暂停"),
                 "cancelled": _l("已取消"), "done": _l("已完成")}
MESSAGE_STATUS_TITLES = {"pending": _l("待发送"), "sending": _l("发送中"), "sent": _l("已发送"),
                         "delivered": _l("已送达"), "undelivered": _l("未送达"), "failed": _l("发送失败"),
                         "skipped": _l("未发送")}
REGION = "region"  # the name of the campaign form's region picker
SEARCH_LIMIT = 10  # customers the preview search lists


def _flat(messages) -> list:
    """Messages nested by list index ({0: [...]}) as one list."""
    if isinstance(messages, dict):
        return [m for found in messages.values() for m in _flat(found)]
    return list(messages) if isinstance(messages, (list, tuple)) else [messages]


class SchemaForm(FlaskForm):
    """A form whose rules are a schema's: it renders the fields and shows the schema's messages."""

    target_errors: dict

    def show_errors(self, errors: dict) -> None:
        """Put ``{field: [messages]}`` beside the fields, the campaign target's beside its controls
        (``target_errors``); the rest above the form (``form_errors``)."""
        for key, messages in errors.items():
            if isinstance(messages, dict):
                self.target_errors = {**getattr(self, "target_errors", {}),
                                      **{name: _flat(found) for name, found in messages.items()}}
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


def chosen_target(form) -> dict:
    """The customer filter the campaign form's controls chose (core's region picker, industry select,
    status and tag pills): the ``target`` the API takes."""
    found = {"status": form.getlist("status"), "tags": form.getlist("tags"), "region": picked_region(form, REGION),
             "industry": [i for i in form.getlist("industry") if i.strip()]}
    target = {k: v for k, v in found.items() if v}
    if target.get("tags") and form.get("tag_mode") == "any":
        target["tag_mode"] = "any"
    return target


class CampaignForm(SchemaForm):
    name = StringField(_l("名称"))
    template_id = SelectField(_l("模板"), validate_choice=False)
    scheduled_at = StringField(_l("定时发送（北京时间，空为立即）"), widget=DateTimeLocalInput())

    def values(self) -> dict:
        """What the API would get: the target is the customer filter the controls describe."""
        template_id = self.template_id.data or ""
        return {"name": self.name.data or "", "template_id": int(template_id) if template_id.isdecimal() else template_id,
                "target": chosen_target(request.form), "scheduled_at": self.scheduled_at.data or None}


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
    status, target = 200, {}
    if form.validate_on_submit():
        campaign = _saved(form, CampaignSchema(), lambda data: campaigns.create_campaign(data, current_user))
        if campaign is not None:
            return redirect(url_for("sms.campaign_page", campaign_id=campaign.id))
        status, target = 422, chosen_target(request.form)
    return render_template("sms/campaign_form.html", form=form, target=target,
                           target_errors=getattr(form, "target_errors", {}),
                           region_picker=picker_state(REGION, target.get("region"), "any", default_province=False),
                           industries=industry_choices(), tags=all_tags(), controls=FILTER_CONTROLS_TEMPLATE,
                           region_picker_template=REGION_PICKER_TEMPLATE), status


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
    return render_template("sms/template_form.html", form=form, template=template), status


@web.route("/templates/<id:template_id>/customers")
@login_required
@require_permission("sms.read")
def preview_customers(template_id):
    """Customers to preview a template for, found by name, pinyin, company or phone within the user's
    record scope (core's customer query, which also decides what a phone search may match)."""
    template = templates.get_template(template_id) or abort(404)
    q = request.args.get("q", "").strip()[:100]
    found = db.session.scalars(customer_select(CustomerFilter(q=q), current_user).limit(SEARCH_LIMIT)) if q else []
    return render_template("sms/_preview_customers.html", template=template, customers=list(found), q=q)


@web.route("/templates/<id:template_id>/preview")
@login_required
@require_permission("sms.read")
def preview_page(template_id):
    """The text a customer of the user's scope would receive (the template form's preview)."""
    template = templates.get_template(template_id) or abort(404)
    customer = visible_customer(request.args.get("customer_id", type=int) or 0, current_user) or abort(404)
    return render_template("sms/_preview.html", preview=templates.preview(template, customer), customer=customer)


def customer_panel(customer_id: int) -> str:
    """The 「短信」 panel of the customer page: the SMS the customer got, in China time, in words."""
    return render_template("sms/customer_panel.html", messages=campaigns.recent_messages(customer_id),
                           message_statuses=MESSAGE_STATUS_TITLES)
