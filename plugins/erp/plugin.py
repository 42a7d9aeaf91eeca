from kehu_sdk import Plugin


class ErpPlugin(Plugin):
    """ERP sync: customers, orders, invoices, payments."""

    name = "erp"
    title = "ERP 对接"
    version = "0.1.0"
