"""Admin pages: webhook endpoints (list, create, enable/disable, delete), deliveries with attempts and replay."""
import json

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectMultipleField, StringField, widgets
from wtforms.validators import URL, DataRequired, Length

from kehu.extensions import db
from kehu.webhooks import tasks
from kehu.webhooks.api import (PERMISSION, create_endpoint, delete_endpoint, delivery_or_404, delivery_select,
                               endpoint_or_404, update_endpoint)
from kehu.webhooks.events import known_event_types
from kehu.webhooks.models import InboundEvent, WebhookEndpoint
from kehu.webhooks.schemas import DELIVERY_STATUSES

pages = Blueprint("webhook_pages", __name__, url_prefix="/admin/webhooks", template_folder="templates")
PAGE_SIZE = 50


@pages.before_request
@login_required
def _admins_only():
    if not current_user.has_permission(PERMISSION):
        abort(403)


class CheckboxList(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EndpointForm(FlaskForm):
    url = StringField(_l("接收网址"), validators=[
        DataRequired(), Length(max=2000), URL(require_tld=False, message=_l("需要以 http:// 或 https:// 开头的有效网址"))])
    description = StringField(_l("说明"), validators=[Length(max=200)])
    event_types = CheckboxList(_l("订阅的事件"), validators=[DataRequired(message=_l("至少选择一个事件"))])


class ActionForm(FlaskForm):
    """Buttons (replay, enable, delete): only the CSRF token."""


def _endpoint_form():
    form = EndpointForm()
    form.event_types.choices = [(name, f"{name} — {text}") for name, text in sorted(known_event_types().items())]
    return form


@pages.route("/", methods=["GET", "POST"])
def endpoints():
    form = _endpoint_form()
    if form.validate_on_submit():
        if not form.url.data.lower().startswith(("http://", "https://")):
            form.url.errors.append(_("需要以 http:// 或 https:// 开头的有效网址"))
        else:
            endpoint = create_endpoint({"url": form.url.data.strip(), "description": form.description.data.strip(),
                                        "event_types": form.event_types.data}, current_user)
            flash(_("已添加。签名密钥只显示这一次，请立即保存：%(secret)s", secret=endpoint.plain_secret))
            return redirect(url_for(".endpoints"))
    rows = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    return render_template("webhooks/endpoints.html", endpoints=rows, form=form, action=ActionForm())


@pages.route("/<id:endpoint_id>/toggle", methods=["POST"])
def toggle(endpoint_id):
    if ActionForm().validate_on_submit():
        endpoint = endpoint_or_404(endpoint_id)
        update_endpoint(endpoint, {"enabled": not endpoint.enabled})
        flash(_("已启用。") if endpoint.enabled else _("已停用。"))
    return redirect(url_for(".endpoints"))


@pages.route("/<id:endpoint_id>/delete", methods=["POST"])
def delete(endpoint_id):
    if ActionForm().validate_on_submit():
        delete_endpoint(endpoint_or_404(endpoint_id))
        flash(_("已删除。"))
    return redirect(url_for(".endpoints"))


@pages.route("/deliveries")
def deliveries():
    args = {"endpoint_id": request.args.get("endpoint_id", type=int),
            "status": request.args.get("status") if request.args.get("status") in DELIVERY_STATUSES else None}
    rows = db.session.scalars(delivery_select(args).limit(PAGE_SIZE)).all()
    return render_template("webhooks/deliveries.html", deliveries=rows, statuses=DELIVERY_STATUSES, args=args)


@pages.route("/deliveries/<id:delivery_id>", methods=["GET", "POST"])
def delivery(delivery_id):
    found = delivery_or_404(delivery_id)
    action = ActionForm()
    if action.validate_on_submit():
        tasks.replay(found)
        flash(_("已重新发送（同一 webhook-id）。"))
        return redirect(url_for(".delivery", delivery_id=delivery_id))
    payload_text = json.dumps(found.payload, ensure_ascii=False, indent=2)  # readable Chinese, autoescaped
    return render_template("webhooks/delivery.html", delivery=found, action=action, payload_text=payload_text)


@pages.route("/inbound")
def inbound():
    rows = db.session.scalars(select(InboundEvent).order_by(InboundEvent.id.desc()).limit(PAGE_SIZE)).all()
    return render_template("webhooks/inbound.html", events=rows)
