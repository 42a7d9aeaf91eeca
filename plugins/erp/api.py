"""The ERP plugin's JSON API under /api/v1/erp: the sync log, starting a sync, a customer's documents."""
from flask.views import MethodView
from flask_babel import gettext as _
from sqlalchemy import select

from kehu_sdk.api import PluginApi, abort, page_of
from kehu_sdk.customers import visible_customer
from kehu_sdk.db import db
from kehu_sdk.web import current_user, problem, require_permission
from kehu_plugins.erp.adapters import ENTITIES
from kehu_plugins.erp.models import ErpSyncRun
from kehu_plugins.erp.schemas import CustomerDocumentsSchema, RunSchema, SyncRequestSchema
from kehu_plugins.erp.service.documents import customer_documents
from kehu_plugins.erp.service.sync import SyncInvalid, never_started, queue_sync

api = PluginApi("erp", __name__, description="ERP sync (plugin erp): the sync log, starting a sync, "
                                             "a customer's orders, invoices and payments")


@api.route("/runs")
class Runs(MethodView):
    @require_permission("erp.view")
    @api.response(200, RunSchema(many=True))
    @api.paginate(page_size=20, max_page_size=100)
    def get(self, pagination_parameters):
        """The sync log, newest run first."""
        return page_of(select(ErpSyncRun).order_by(ErpSyncRun.id.desc()), pagination_parameters)


@api.route("/runs/<id:run_id>")
class RunById(MethodView):
    @require_permission("erp.view")
    @api.response(200, RunSchema)
    def get(self, run_id):
        """One run with its counts and errors."""
        run = db.session.get(ErpSyncRun, run_id)
        if run is None:
            abort(404, message=_("没有这次同步记录"))
        return run


@api.route("/sync")
class Sync(MethodView):
    @require_permission("erp.sync")
    @api.arguments(SyncRequestSchema, required=False)
    @api.response(202, RunSchema)
    @api.alt_response(503, response="SERVICE_UNAVAILABLE", description="the task queue cannot be reached")
    def post(self, data):
        """Start a sync of the named entities (default all); answers with the queued run.

        With eager tasks (tests, demos) the run is already done when the answer comes.
        """
        try:
            run = queue_sync(data.get("entities"), "manual", requested_by=current_user.id)
        except SyncInvalid as exc:
            abort(422, message=_("entities 只能包含：%(names)s", names=", ".join(ENTITIES)),
                  messages={"json": exc.errors})
        if never_started(run):
            return problem(503, "Service Unavailable", run.errors[0]["message"], run=RunSchema().dump(run))
        return run


@api.route("/customers/<id:customer_id>/documents")
class CustomerDocuments(MethodView):
    @require_permission("erp.view")
    @api.response(200, CustomerDocumentsSchema)
    def get(self, customer_id):
        """The customer's orders, invoices and payments from the ERP (customers in the caller's scope)."""
        if not current_user.has_permission("customer.read") or visible_customer(customer_id, current_user) is None:
            abort(404, message=_("客户不存在"))
        return customer_documents(customer_id)
