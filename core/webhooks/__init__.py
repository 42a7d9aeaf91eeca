"""Signed webhooks (Standard Webhooks): inbound at /webhooks/<source>, outbound to subscribed endpoints.

See docs/webhooks.md.
"""
