"""ERP pages (sync log, sync button, settings overview) and the JSON API under /api/v1/erp."""
import logging

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import func, select

from kehu_plugins.erp.adapters import ENTITIES
from kehu_plugins.erp.models import ErpInvoice, ErpPayment, ErpSalesOrder, ErpSyncRun, utcnow
from kehu_plugins.erp.sync import erp_settings, start_run
from kehu_sdk import PluginBlueprint
from kehu_sdk.customers import visible_customer
from kehu_sdk.db import db
from kehu_sdk.plugins import masked_settings_of
from kehu_sdk.web import current_user, login_required, problem, require_permission

web = PluginBlueprint("erp", __name__)                    # /erp
api = PluginBlueprint("erp", __name__, name="erp_api", api=True)  # /api/v1/erp, CSRF-exempt like core's API
log = logging.getLogger(__name__)
LABELS = {
    "trigger": {"manual": _l("手动"), "schedule": _l("定时"), "webhook": _l("Webhook"), "push": _l("推送到 ERP")},
    "status": {"queued": _l("排队中"), "running": _l("进行中"), "success": _l("成功"), "partial": _l("部分失败"),
               "failed": _l("失败")},
    "entity": {"customers": _l("客户"), "orders": _l("销售订单"), "invoices": _l("发票"), "payments": _l("收款")},
    "state": {"draft": _l("草稿"), "confirmed": _l("已确认"), "cancelled": _l("已取消")},
}
PAGE_SIZE = 50
DOCUMENT_LIMIT = 50
ADMIN_SETTINGS = "admin_pages.admin_plugin_settings"  # core's settings form, generated from settings_schema


def queue_sync(entities, trigger="manual") -> ErpSyncRun:
    """A run row now, executed by a worker (at once in eager mode); failed at once when the broker is down."""
    run_id = start_run(trigger, entities, requested_by=current_user.id).id
    try:
        current_app.extensions["celery"].tasks["kehu.erp.run_sync"].delay(run_id)
    except Exception:  # the broker is unreachable: say so instead of leaving a run queued forever
        log.exception("could not queue erp sync run %s", run_id)
        db.session.rollback()
        run = db.session.get(ErpSyncRun, run_id)
        run.status, run.finished_at = "failed", utcnow()
        run.errors = [{"entity": None, "external_id": None, "message": _("后台任务队列不可用，同步未开始，请稍后重试")}]
        db.session.commit()
    db.session.expire_all()
    return db.session.get(ErpSyncRun, run_id)


def run_json(run: ErpSyncRun) -> dict:
    def iso(moment):
        return moment.isoformat() if moment else None

    return {"id": run.id, "adapter": run.adapter, "trigger": run.trigger, "entities": run.entities,
            "status": run.status, "counts": run.counts, "errors": run.errors,
            "created_at": iso(run.created_at), "started_at": iso(run.started_at), "finished_at": iso(run.finished_at)}


def customer_documents(customer_id: int) -> dict:
    """The customer's newest orders, invoices and payments, and the order totals."""
    def newest(model, date_column):
        return db.session.scalars(select(model).where(model.customer_id == customer_id)
                                  .order_by(getattr(model, date_column).desc(), model.id.desc())
                                  .limit(DOCUMENT_LIMIT)).all()

    totals = select(func.count(ErpSalesOrder.id), func.coalesce(func.sum(ErpSalesOrder.amount), 0))
    count, total = db.session.execute(totals.where(ErpSalesOrder.customer_id == customer_id,
                                                   ErpSalesOrder.state == "confirmed")).one()
    return {"orders": newest(ErpSalesOrder, "order_date"), "invoices": newest(ErpInvoice, "invoice_date"),
            "payments": newest(ErpPayment, "payment_date"), "order_count": count, "order_total": total}


def _document_json(row, date_column) -> dict:
    return {"id": row.id, "external_id": row.external_id, "number": row.number,
            "date": getattr(row, date_column).isoformat(), "amount": str(row.amount), "currency": row.currency,
            "state": row.state}


# web -------------------------------------------------------------------------------------
@web.route("/")
@login_required
@require_permission("erp.view")
def runs_page():
    runs = db.session.scalars(select(ErpSyncRun).order_by(ErpSyncRun.id.desc()).limit(PAGE_SIZE)).all()
    admin_url = None
    if current_user.has_permission("plugin.manage") and ADMIN_SETTINGS in current_app.view_functions:
        admin_url = url_for(ADMIN_SETTINGS, name="erp")
    return render_template("erp/runs.html", runs=runs, settings=masked_settings_of("erp"), admin_url=admin_url,
                           entities=ENTITIES, labels=LABELS, can_sync=current_user.has_permission("erp.sync"))


@web.route("/runs/<int:run_id>")
@login_required
@require_permission("erp.view")
def run_page(run_id):
    run = db.session.get(ErpSyncRun, run_id)
    if run is None:
        return render_template("erp/run.html", run=None, labels=LABELS), 404
    return render_template("erp/run.html", run=run, entities=ENTITIES, labels=LABELS)


@web.route("/sync", methods=["POST"])
@login_required
@require_permission("erp.sync")
def sync_now():
    entities = [e for e in request.form.getlist("entities") if e in ENTITIES] or list(ENTITIES)
    run = queue_sync(entities)
    if run.status == "failed":
        flash(run.errors[0]["message"])
    else:
        flash(_("已开始同步（第 %(id)s 次）。", id=run.id))
    return redirect(url_for("erp.runs_page"))


# API -------------------------------------------------------------------------------------
@api.route("/runs")
@require_permission("erp.view")
def list_runs():
    try:
        page = max(1, int(request.args.get("page", 1)))
        page_size = min(100, max(1, int(request.args.get("page_size", 20))))
    except ValueError:
        return problem(422, "Unprocessable Entity", _("page 和 page_size 必须是整数"))
    total = db.session.scalar(select(func.count(ErpSyncRun.id)))
    runs = db.session.scalars(select(ErpSyncRun).order_by(ErpSyncRun.id.desc())
                              .offset((page - 1) * page_size).limit(page_size)).all()
    return jsonify(items=[run_json(r) for r in runs], total=total, page=page, page_size=page_size)


@api.route("/runs/<int:run_id>")
@require_permission("erp.view")
def get_run(run_id):
    run = db.session.get(ErpSyncRun, run_id)
    if run is None:
        return problem(404, "Not Found", _("没有这次同步记录"))
    return jsonify(run_json(run))


@api.route("/sync", methods=["POST"])
@require_permission("erp.sync")
def post_sync():
    body = request.get_json(silent=True)
    if body is None:
        body = {}
    entities = body.get("entities") if isinstance(body, dict) else None
    if entities is None:
        entities = list(ENTITIES)
    if not isinstance(entities, list) or not entities or any(e not in ENTITIES for e in entities):
        return problem(422, "Unprocessable Entity", _("entities 只能包含：%(names)s", names=", ".join(ENTITIES)),
                       errors={"json": {"entities": [_("无效的同步对象")]}})
    run = queue_sync(entities)
    if run.status == "failed" and not run.started_at:
        return problem(503, "Service Unavailable", run.errors[0]["message"], run=run_json(run))
    return jsonify(run_json(run)), 202


@api.route("/customers/<int:customer_id>/documents")
@require_permission("erp.view")
def get_customer_documents(customer_id):
    if not current_user.has_permission("customer.read") or visible_customer(customer_id, current_user) is None:
        return problem(404, "Not Found", _("客户不存在"))
    found = customer_documents(customer_id)
    return jsonify(orders=[_document_json(r, "order_date") for r in found["orders"]],
                   invoices=[_document_json(r, "invoice_date") | {"amount_due": str(r.amount_due)}
                             for r in found["invoices"]],
                   payments=[_document_json(r, "payment_date") for r in found["payments"]],
                   order_count=found["order_count"], order_total=str(found["order_total"]))
