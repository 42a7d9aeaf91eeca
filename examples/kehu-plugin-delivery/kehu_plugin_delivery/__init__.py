"""送货签收 (delivery receipts): an example third-party kehu plugin.

A logistics provider calls ``POST /webhooks/delivery`` (Standard Webhooks signature) when the
consignee signs for a shipment; the plugin stores the receipt, matches the customer by phone,
adds it to the customer's timeline and shows recent receipts in a panel on the customer page.
"""
