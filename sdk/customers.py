"""Customers for plugin code: the models, the one filter builder, and the service that saves them.

Find the customer an outside phone number or identity belongs to with ``match_customer(identity)``
(one rule for every plugin). Save through ``create_customer``/``update_customer`` (never by setting attributes directly): they
validate, run the ``validate_customer`` hooks, and get audited and announced like any other change.

Pages that choose or show a customer filter use core's own controls and words: ``describe_filter``
(the chips: 济宁市 · 本地特色产业), the macros of ``FILTER_CONTROLS_TEMPLATE`` (industry select, status
and tag pills, chips) and the region picker (``REGION_PICKER_TEMPLATE`` with ``picker_state``; read the
choice back with ``picked_region``).
"""
from kehu.customers.chips import describe_filter, industry_title, region_title
from kehu.customers.models import Contact, Customer
from kehu.customers.phones import InvalidPhone, blind_index, normalize as normalize_phone
from kehu.customers.query import (CustomerFilter, FilterInvalid, available_facts, criteria, customer_select,
                                  filter_from_args, filter_to_args, match_customer, visible_customer)
from kehu.customers.service import CustomerInvalid, create_customer, delete_customer, update_customer
from kehu.customers.views import industry_choices, picked as picked_region, picker_state
from kehu.tags.models import Tag
from kehu.tags.query import all_tags

FILTER_CONTROLS_TEMPLATE = "customers/_filter_controls.html"
REGION_PICKER_TEMPLATE = "customers/_region_picker.html"

__all__ = [
    "Contact", "Customer", "CustomerFilter", "CustomerInvalid", "FILTER_CONTROLS_TEMPLATE", "FilterInvalid",
    "InvalidPhone", "REGION_PICKER_TEMPLATE", "Tag", "all_tags", "available_facts", "blind_index",
    "create_customer", "criteria", "customer_select", "delete_customer", "describe_filter", "filter_from_args",
    "filter_to_args", "industry_choices", "industry_title", "match_customer", "normalize_phone", "picked_region",
    "picker_state", "region_title", "update_customer", "visible_customer",
]
