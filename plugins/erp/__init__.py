"""kehu plugin `erp`: ERP sync: customers, orders, invoices, payments."""
