"""The plugin's JSON API under /api/v1/delivery (in kehu's OpenAPI): a customer's delivery receipts."""
from flask.views import MethodView
from flask_babel import gettext as _

from kehu_sdk.api import PluginApi, abort, page_of
from kehu_sdk.customers import visible_customer
from kehu_sdk.web import current_user, require_permission

from kehu_plugin_delivery.schemas import ReceiptSchema
from kehu_plugin_delivery.service import ReceiptInvalid, receipts_of, record_receipt

api = PluginApi("delivery", __name__, description="送货签收 (example plugin delivery): a customer's delivery receipts")


def _customer_or_404(customer_id):
    customer = visible_customer(customer_id, current_user)
    if customer is None:  # also outside the caller's scope: do not reveal it exists
        abort(404, message=_("客户不存在"))
    return customer


@api.route("/customers/<id:customer_id>/receipts")
class CustomerReceipts(MethodView):
    @require_permission("customer.read")
    @api.response(200, ReceiptSchema(many=True))
    @api.paginate()
    def get(self, customer_id, pagination_parameters):
        """The customer's delivery receipts, the newest signature first."""
        return page_of(receipts_of(_customer_or_404(customer_id).id), pagination_parameters)

    @require_permission("delivery.record")
    @api.arguments(ReceiptSchema)
    @api.response(201, ReceiptSchema)
    def post(self, data, customer_id):
        """Record a signed delivery by hand; a waybill recorded again updates its receipt."""
        customer = _customer_or_404(customer_id)
        try:
            return record_receipt(data, customer.id, recorded_by=current_user.id)
        except ReceiptInvalid as exc:
            abort(422, message=_("签收记录无法保存"), messages={"json": exc.errors})
