"""ERP pages: the sync log with the settings overview and the 「立即同步」 button, a run, the customer panel."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import select

from kehu_sdk import PluginBlueprint
from kehu_sdk.db import db
from kehu_sdk.plugins import SECRET_MASK, masked_settings_of
from kehu_sdk.web import current_user, login_required, require_permission
from kehu_plugins.erp.adapters import ENTITIES
from kehu_plugins.erp.models import DOCUMENT_STATES, ErpSyncRun
from kehu_plugins.erp.service.documents import customer_documents
from kehu_plugins.erp.service.sync import SyncInvalid, queue_sync

pages = PluginBlueprint("erp", __name__)  # /erp
LABELS = {
    "trigger": {"manual": _l("手动"), "schedule": _l("定时"), "webhook": _l("Webhook"), "push": _l("推送到 ERP")},
    "status": {"queued": _l("排队中"), "running": _l("进行中"), "success": _l("成功"), "partial": _l("部分失败"),
               "failed": _l("失败")},
    "entity": {"customers": _l("客户"), "orders": _l("销售订单"), "invoices": _l("发票"), "payments": _l("收款")},
    "state": DOCUMENT_STATES,
}
PAGE_SIZE = 50
ADMIN_SETTINGS = "admin_pages.admin_plugin_settings"  # core's settings form, generated from settings_schema


@pages.route("/")
@login_required
@require_permission("erp.view")
def runs_page():
    runs = db.session.scalars(select(ErpSyncRun).order_by(ErpSyncRun.id.desc()).limit(PAGE_SIZE)).all()
    admin_url = None
    if current_user.has_permission("plugin.manage") and ADMIN_SETTINGS in current_app.view_functions:
        admin_url = url_for(ADMIN_SETTINGS, name="erp")
    return render_template("erp/runs.html", runs=runs, settings=masked_settings_of("erp"), secret_mask=SECRET_MASK,
                           admin_url=admin_url, entities=ENTITIES, labels=LABELS,
                           can_sync=current_user.has_permission("erp.sync"))


@pages.route("/runs/<id:run_id>")
@login_required
@require_permission("erp.view")
def run_page(run_id):
    run = db.session.get(ErpSyncRun, run_id)
    if run is None:
        return render_template("erp/run.html", run=None, labels=LABELS), 404
    return render_template("erp/run.html", run=run, entities=ENTITIES, labels=LABELS)


@pages.route("/sync", methods=["POST"])
@login_required
@require_permission("erp.sync")
def sync_now():
    try:
        run = queue_sync(request.form.getlist("entities") or None, "manual", requested_by=current_user.id)
    except SyncInvalid as exc:
        for message in exc.errors["entities"]:
            flash(message)
        return redirect(url_for("erp.runs_page"))
    if run.status == "failed":
        flash(run.errors[0]["message"])
    else:
        flash(_("已开始同步（第 %(id)s 次）。", id=run.id))
    return redirect(url_for("erp.runs_page"))


def customer_panel(customer_id: int) -> str:
    """The 「ERP 订单」 panel of the customer page."""
    return render_template("erp/customer_panel.html", labels=LABELS, **customer_documents(customer_id))
