"""The ERP plugin's API as it reads and writes: sync runs, a sync request, a customer's documents."""
from marshmallow import fields

from kehu_sdk import PluginSchema
from kehu_plugins.erp.adapters import ENTITIES
from kehu_plugins.erp.service.sync import STATUSES, TRIGGERS


class Amount(fields.Decimal):
    """Yuan with two decimals, as a string ("12800.50"): exact, unlike a JSON number."""

    def __init__(self, **kwargs):
        super().__init__(places=2, as_string=True, metadata={"type": "string", "format": "decimal"}, **kwargs)


class ErpSchema(PluginSchema):
    __plugin__ = "erp"


class RunErrorSchema(ErpSchema):
    entity = fields.String(allow_none=True, metadata={"enum": list(ENTITIES)})
    external_id = fields.String(allow_none=True, metadata={"description": "the record's id in the ERP"})
    message = fields.String()


class RunSchema(ErpSchema):
    """One sync run: what started it, what it did per entity, and the errors it met (at most 100)."""

    id = fields.Integer()
    adapter = fields.String()
    trigger = fields.String(metadata={"enum": list(TRIGGERS)})
    entities = fields.List(fields.String(metadata={"enum": list(ENTITIES)}))
    status = fields.String(metadata={"enum": list(STATUSES)})
    counts = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(), values=fields.Integer()),
                         metadata={"description": "per entity: created, updated, skipped, failed"})
    errors = fields.List(fields.Nested(RunErrorSchema))
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


class SyncRequestSchema(ErpSchema):
    """Which entities to pull; none named (or no body): all of them. The sync service checks them."""

    entities = fields.List(fields.String(metadata={"enum": list(ENTITIES)}), allow_none=True, load_default=None,
                           metadata={"minItems": 1})


class DocumentSchema(ErpSchema):
    id = fields.Integer()
    external_id = fields.String()
    number = fields.String()
    amount = Amount()
    currency = fields.String()
    state = fields.String(metadata={"enum": ["draft", "confirmed", "cancelled"]})


class OrderSchema(DocumentSchema):
    date = fields.Date(attribute="order_date")


class InvoiceSchema(DocumentSchema):
    date = fields.Date(attribute="invoice_date")
    amount_due = Amount()


class PaymentSchema(DocumentSchema):
    date = fields.Date(attribute="payment_date")


class CustomerDocumentsSchema(ErpSchema):
    """A customer's newest ERP documents (at most 50 of each) and the confirmed orders' count and total."""

    orders = fields.List(fields.Nested(OrderSchema))
    invoices = fields.List(fields.Nested(InvoiceSchema))
    payments = fields.List(fields.Nested(PaymentSchema))
    order_count = fields.Integer()
    order_total = Amount()
