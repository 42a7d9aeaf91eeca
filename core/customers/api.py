"""Customers and their contacts."""
from flask import after_this_request, request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint, abort

from kehu.customers.models import Contact
from kehu.customers.query import (FilterInvalid, cursor_after, customer_select, filter_fields, filter_from_args,
                                  known_total, visible_customer)
from kehu.customers.schemas import (ContactSchema, CustomerDetailSchema, CustomerListArgs, CustomerPatchSchema,
                                    CustomerSchema, FilterFieldsSchema)
from kehu.customers.duplicates import duplicate_json
from kehu.customers.service import (CustomerInvalid, LikelyDuplicate, add_contact, create_customer, delete_contact,
                                    delete_customer, update_contact, update_customer)
from kehu.extensions import db
from kehu.platform.pagination import CursorInvalid, Total, count_of, decode_cursor, page_of, say_estimated
from kehu.platform.permissions import require

blp = Blueprint("customers", __name__, url_prefix="/customers", description="Customers (companies and persons)")


def customer_or_404(customer_id):
    customer = visible_customer(customer_id, current_user)
    if customer is None:  # also for customers outside the user's scope: do not reveal they exist
        abort(404, message=_("客户不存在"))
    return customer


def _saved(action):
    try:
        return action()
    except CustomerInvalid as exc:
        db.session.rollback()
        abort(422, message="invalid customer", messages={"json": exc.errors})


@blp.route("")
class Customers(MethodView):
    @require("customer.read")
    @blp.arguments(CustomerListArgs, location="query", as_kwargs=False)
    @blp.response(200, CustomerSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List customers the caller may see, filtered and sorted.

        Totals above 10,000 are estimates (`X-Total-Estimated: true`). A full page carries `X-Next-Cursor`:
        pass it as `cursor` for the next page without OFFSET (deep pages, exports).

        Custom fields filter as `extra.<field>=value` (also `extra.<field>__gte=` and `__gt`, `__lt`,
        `__lte` for numbers and dates, `__contains` for text); plugin facts as `fact=name:op:value[:days]`.
        """
        try:
            filters = filter_from_args(request.args)  # also reads extra.* (not expressible in the spec)
        except FilterInvalid as exc:
            abort(422, message="invalid filter", messages={"query": exc.errors})
        if not args.get("cursor"):
            rows = page_of(customer_select(filters, current_user), pagination_parameters,
                           known_total(filters, current_user))
        else:
            try:
                after = decode_cursor(args["cursor"], filters.sort)
            except CursorInvalid:
                abort(422, message="invalid cursor", messages={"query": {"cursor": [_("翻页游标无效：请从第一页重新开始")]}})
            total = known_total(filters, current_user)
            pagination_parameters.item_count = count_of(customer_select(filters, current_user)) \
                if total is None else Total(total)
            say_estimated(pagination_parameters.item_count)
            rows = list(db.session.scalars(customer_select(filters, current_user, after)
                                           .limit(pagination_parameters.page_size)))
        if len(rows) == pagination_parameters.page_size:
            next_cursor = cursor_after(filters, rows[-1])
            after_this_request(lambda response: response.headers.set("X-Next-Cursor", next_cursor) or response)
        return rows

    @require("customer.create")
    @blp.arguments(CustomerSchema())  # instances: a class is instantiated again on every request
    @blp.response(201, CustomerDetailSchema())
    @blp.alt_response(409, description="a likely duplicate exists: `duplicates` lists it (masked when outside "
                                       "the caller's scope); send `allow_duplicate: true` to create anyway")
    def post(self, data):
        """Create a customer; the caller owns it unless owner_id says otherwise.

        A likely duplicate (the same phone or 统一社会信用代码, or a similar company name) answers 409 with
        `duplicates` (`reason`, `score`, `description`, and `customer_id` when the caller may open it);
        `allow_duplicate: true` creates it anyway."""
        allow = data.pop("allow_duplicate", False)
        try:
            return _saved(lambda: create_customer(data, current_user, check_duplicates=not allow))
        except LikelyDuplicate as exc:
            abort(409, message=_("可能已有这个客户：确认不是重复后，加上 allow_duplicate: true 再提交"),
                  extra={"duplicates": [duplicate_json(d) for d in exc.duplicates]})


@blp.route("/filter-fields")
class CustomerFilterFields(MethodView):
    @require("customer.read")
    @blp.response(200, FilterFieldsSchema)
    def get(self):
        """Custom fields and plugin facts the customer list can filter on, with their operators."""
        return filter_fields()


@blp.route("/<id:customer_id>")
class CustomerById(MethodView):
    @require("customer.read")
    @blp.response(200, CustomerDetailSchema)
    def get(self, customer_id):
        return customer_or_404(customer_id)

    @require("customer.update")
    @blp.arguments(CustomerPatchSchema(partial=True))
    @blp.response(200, CustomerDetailSchema)
    def patch(self, data, customer_id):
        customer = customer_or_404(customer_id)
        return _saved(lambda: update_customer(customer, data, current_user))

    @require("customer.delete")
    @blp.response(204)
    def delete(self, customer_id):
        delete_customer(customer_or_404(customer_id))


@blp.route("/<id:customer_id>/contacts")
class CustomerContacts(MethodView):
    @require("customer.read")
    @blp.response(200, ContactSchema(many=True))
    def get(self, customer_id):
        return customer_or_404(customer_id).contacts

    @require("customer.update")
    @blp.arguments(ContactSchema)
    @blp.response(201, ContactSchema)
    def post(self, data, customer_id):
        return add_contact(customer_or_404(customer_id), data)


def contact_or_404(contact_id):
    contact = db.session.get(Contact, contact_id)
    if contact is None or visible_customer(contact.customer_id, current_user) is None:
        abort(404, message=_("联系人不存在"))
    return contact


@blp.route("/contacts/<id:contact_id>")
class ContactById(MethodView):
    @require("customer.read")
    @blp.response(200, ContactSchema)
    def get(self, contact_id):
        return contact_or_404(contact_id)

    @require("customer.update")
    @blp.arguments(ContactSchema(partial=True))
    @blp.response(200, ContactSchema)
    def patch(self, data, contact_id):
        return update_contact(contact_or_404(contact_id), data)

    @require("customer.update")
    @blp.response(204)
    def delete(self, contact_id):
        delete_contact(contact_or_404(contact_id))
