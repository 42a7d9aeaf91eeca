"""Customers: the filtered list, the detail page with contacts and timeline, create/edit forms."""
import re

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from marshmallow import ValidationError
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from kehu.accounts.models import User
from kehu.custom_fields import query as custom_fields
from kehu.customers import phones, regions, service
from kehu.customers.models import Contact, Customer, CustomerCount
from kehu.customers.query import (FilterInvalid, assignable_owners, customer_select, filter_from_args, known_total,
                                  visible_customer)
from kehu.customers.schemas import ContactSchema, CustomerPatchSchema, CustomerSchema
from kehu.customers.service import CustomerInvalid, LikelyDuplicate, create_customer, delete_customer, update_customer
from kehu.extensions import db
from kehu.interactions.query import timeline_context
from kehu.platform.pagination import page_number, page_rows
from kehu.platform.permissions import require
from kehu.tags.query import all_tags
from kehu.web import labels, schema_form
from kehu.web.form_errors import field_errors
from kehu.web.schema_form import options_of, title_of

pages = Blueprint("customer_pages", __name__, template_folder="templates")


@pages.app_template_filter("phone")
def phone_filter(e164):
    """The number as people read it for users with ``customer.pii``, masked for everybody else."""
    if e164 and not current_user.has_permission("customer.pii"):
        return phones.mask(e164)
    return phones.display(e164)


@pages.app_template_filter("phone_link")
def phone_link_filter(e164):
    """A ``tel:`` link for users who see the number (a tap on a phone dials it), else the mask."""
    if not e164 or not current_user.has_permission("customer.pii"):
        return phone_filter(e164)
    return Markup('<a href="{}" class="phone-link">{}</a>').format(phones.tel_uri(e164), phones.display(e164))


@pages.app_template_filter("region")
def region_filter(code):
    return regions.full_name(code) or code or ""


PAGE_SIZE = 20
TEXT_FIELDS = ("name", "company", "uscc", "email", "address", "industry", "source")
CHOICE_FIELDS = ("kind", "status", "scale")
CONSENT_FIELDS = ("consent_sms", "consent_email", "consent_phone")
# fields the form shows errors beside; errors of any other field are listed above the form
FORM_FIELDS = (*TEXT_FIELDS, *CHOICE_FIELDS, "phone", "region_code", "owner_id", "birthday", "tags")


def is_partial_request() -> bool:
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def customer_or_404(customer_id: int) -> Customer:
    customer = visible_customer(customer_id, current_user)
    if customer is None:  # outside the user's scope looks the same as missing
        abort(404)
    return customer


def industry_choices() -> list[tuple[str, str]]:
    """Known industries, those with a custom field schema, and any other value live customers have."""
    schemas = custom_fields.schema_titles()
    stored = db.session.scalars(  # from the counts: DISTINCT over customer reads every row
        select(CustomerCount.key).where(CustomerCount.dimension == "industry", CustomerCount.key != "")
        .group_by(CustomerCount.key).having(func.sum(CustomerCount.count) > 0))
    codes = dict.fromkeys([*labels.INDUSTRIES, *schemas, *stored])
    return [(code, str(labels.INDUSTRIES.get(code) or schemas.get(code) or code)) for code in codes]


# region picker (province → prefecture → county, refreshed with htmx) --------------------
def provinces() -> list[tuple[str, str]]:
    found = ((f"{n:02d}0000", regions.region_name(f"{n:02d}0000")) for n in range(11, 83))
    return [(code, name) for code, name in found if name]


def picker_state(name: str, code: str | None, level: str, default_province: bool = True) -> dict:
    """What the picker shows for the chosen ``code`` (any level); ``level`` "county" demands a county."""
    code = code if code and regions.region_name(code) else None
    province = code[:2] + "0000" if code else (labels.DEFAULT_PROVINCE if default_province else None)
    middle = None
    if code and code != province:
        middle = code[:4] + "00" if regions.region_name(code[:4] + "00") else code
    county = code if code and code not in (province, middle) else None
    middle_options = regions.children(province) if province else []
    county_options = regions.children(middle) if middle and middle.endswith("00") else []
    return {"name": name, "level": level, "province": province, "middle": middle, "county": county,
            "provinces": provinces(), "middle_options": middle_options, "county_options": county_options,
            "quick_picks": labels.QUICK_REGIONS}


def picked(form, name: str) -> str | None:
    """The most specific region chosen in the picker called ``name``."""
    for part in ("county", "middle", "province"):
        value = (form.get(f"{name}_{part}") or "").strip()
        if value:
            return value
    return None


@pages.route("/regions/picker")
@login_required
def region_picker():
    name = request.args.get("name", "region")
    if not name.replace("_", "").isalnum():
        name = "region"
    level = "county" if request.args.get("level") == "county" else "any"
    return render_template("customers/_region_picker.html", picker=picker_state(name, request.args.get("code"), level))


# list ------------------------------------------------------------------------------------
def _filter_args(args) -> MultiDict:
    """The query string without empty values, the region picker folded into ``region``."""
    cleaned = MultiDict((k, v) for k, v in args.items(multi=True)
                        if v.strip() and not k.startswith("region_") and k != "page")
    region = picked(args, "region")
    if region:
        cleaned.setlist("region", [region])
    return cleaned


@pages.route("/customers")
@login_required
@require("customer.read")
def customer_list():
    args = _filter_args(request.args)
    try:
        filters, errors = filter_from_args(args), {}
    except FilterInvalid as exc:  # same rules as the API; the page says what is wrong
        filters, errors = None, field_errors(exc.errors)
    customers, total, page = [], 0, page_number(request.args.get("page"))
    if filters is not None:
        customers, total = page_rows(customer_select(filters, current_user), page, PAGE_SIZE,
                                     known_total(filters, current_user))
    pages = max(1, -(-total // PAGE_SIZE))
    context = {
        "customers": customers, "total": total, "page": page, "pages": pages,
        "beyond": page > pages,  # ?page=999 of 5: say so and link to the last page, not "999 / 5"
        "args": args, "errors": errors, "query_args": request.args.to_dict(flat=False),
    }
    if is_partial_request() and request.headers.get("HX-Target") == "customer-results":
        return render_template("customers/_results.html", **context)
    industry = args.get("industry")
    context.update(
        tags=all_tags(), owners=assignable_owners(current_user),
        industries=industry_choices(), extra_filters=schema_form.filter_rows(custom_fields.schema_for(industry), args),
        region_picker=picker_state("region", args.get("region"), "any", default_province=False))
    if is_partial_request():  # the industry changed: new custom field filters
        return render_template("customers/_extra_filters.html", **context)
    return render_template("customers/list.html", **context)


# detail ----------------------------------------------------------------------------------
@pages.route("/customers/<id:customer_id>")
@login_required
@require("customer.read")
def customer_detail(customer_id):
    customer = customer_or_404(customer_id)
    panels = []
    for found in current_app.extensions["kehu_plugins"].hook("customer_panels")(customer=customer, user=current_user):
        panels.extend(found or [])
    return render_template("customers/detail.html", customer=customer, panels=panels, extra_view=_extra_view(customer),
                           contact_errors={}, contact_values={}, **timeline_context(customer))


def _extra_view(customer: Customer) -> dict | None:
    """The custom field values as (title, text), read with the schema version they were saved under."""
    if not customer.extra:
        return None
    row = custom_fields.schema_for_customer(customer)
    props = row.schema.get("properties", {}) if row else {}
    items = []
    for key, value in customer.extra.items():
        prop = props.get(key, {})
        names = dict(options_of(prop.get("items", {}) if isinstance(value, list) else prop))
        shown = [names.get(v, v) for v in value] if isinstance(value, list) else names.get(value, value)
        if isinstance(shown, bool):
            shown = _("是") if shown else _("否")
        items.append((title_of(prop, key), "、".join(map(str, shown)) if isinstance(shown, list) else shown))
    return {"title": row.title if row else _("其他字段"), "items": items}


@pages.route("/customers/<id:customer_id>/contacts", methods=["POST"])
@login_required
@require("customer.update")
def add_contact(customer_id):
    customer = customer_or_404(customer_id)
    raw = {k: request.form.get(k, "").strip() for k in ("name", "title", "phone", "email", "wechat")}
    data = {k: v for k, v in raw.items() if v or k == "name"}  # an empty name is an error, as in the API
    try:
        loaded = ContactSchema().load(data)
    except ValidationError as exc:
        return render_template("customers/_contacts.html", customer=customer,
                               contact_errors=field_errors(exc.messages), contact_values=raw), 422
    service.add_contact(customer, loaded)
    return render_template("customers/_contacts.html", customer=customer, contact_errors={}, contact_values={})


@pages.route("/customers/<id:customer_id>/contacts/<id:contact_id>/delete", methods=["POST"])
@login_required
@require("customer.update")
def delete_contact(customer_id, contact_id):
    customer = customer_or_404(customer_id)
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer.id:
        abort(404)
    service.delete_contact(contact)
    return render_template("customers/_contacts.html", customer=customer, contact_errors={}, contact_values={})


@pages.route("/customers/<id:customer_id>/delete", methods=["POST"])
@login_required
@require("customer.delete")
def customer_delete(customer_id):
    customer = customer_or_404(customer_id)
    delete_customer(customer)
    flash(_("已删除客户：%(name)s", name=customer.name))
    return redirect(url_for("customer_pages.customer_list"))


# create and edit -------------------------------------------------------------------------
def _form_data(form, customer: Customer | None) -> dict:
    """The submitted form as API-shaped input (only the fields the form showed)."""
    data = {}
    for key in TEXT_FIELDS:
        if key in form:
            value = form.get(key, "").strip()
            data[key] = value or (None if key != "name" else "")
    for key in CHOICE_FIELDS:
        value = form.get(key, "").strip()
        if value:
            data[key] = value
        elif key == "scale" and key in form:
            data[key] = None
    data["birthday"] = form.get("birthday", "").strip() or None
    # the province alone (preselected) is no choice; a city without its county is caught in _save
    data["region_code"] = picked(form, "region_code") if form.get("region_code_middle") else None
    phone = form.get("phone", "").strip()
    if phone or current_user.has_permission("customer.pii") or customer is None:
        data["phone"] = phone or None  # without customer.pii an empty box keeps the hidden number
    if "owner_id" in form:
        owner = form.get("owner_id", "").strip()
        data["owner_id"] = int(owner) if owner.isdigit() else None
    typed = re.split(r"[,，、;；]+", form.get("new_tags", ""))  # new tags typed inline, comma or 顿号 separated
    data["tags"] = list(dict.fromkeys(t.strip() for t in [*form.getlist("tags"), *typed] if t.strip()))
    for key in CONSENT_FIELDS:
        data[key] = key in form
    if customer is not None and data.get("owner_id") is None:
        data.pop("owner_id", None)
    return data


def _left_behind(customer, row) -> list[tuple[str, str]]:
    """(title, value) of stored fields the form's schema version no longer has: saving the form drops
    them (the audit log keeps them), so the form shows them to copy into the fields that replaced them."""
    if customer is None or not customer.extra or row is None:
        return []
    declared = row.schema.get("properties", {})
    shown = _extra_view(customer)["items"]  # in the order of customer.extra
    return [item for key, item in zip(customer.extra, shown) if key not in declared]


DUPLICATE_REASONS = {"phone": _l("电话相同"), "uscc": _l("统一社会信用代码相同"), "name": _l("名称相似")}


def _render_form(customer, values, errors, status=200, duplicates=()):
    region_code = values.get("region_code") if "region_code" in values else (customer.region_code if customer else None)
    extra_row = custom_fields.schema_for(values.get("industry"))
    extra_schema, extra_rows = schema_form.form_rows(extra_row, values.get("extra") or {}, errors)
    owners = assignable_owners(current_user)
    return render_template(
        "customers/form.html", customer=customer, values=values, errors=errors, known_fields=FORM_FIELDS,
        owner_choices=[(u.id, u.display_name) for u in owners], owners=owners, industries=industry_choices(),
        extra_schema=extra_schema, extra_rows=extra_rows, left_behind=_left_behind(customer, extra_row),
        tags=all_tags(), duplicates=duplicates, duplicate_reasons=DUPLICATE_REASONS,
        region_picker=picker_state("region_code", region_code, "county")), status


def _values_of(customer: Customer) -> dict:
    values = {key: getattr(customer, key) for key in (*TEXT_FIELDS, *CHOICE_FIELDS, *CONSENT_FIELDS)}
    values.update(birthday=customer.birthday.isoformat() if customer.birthday else "", extra=dict(customer.extra or {}),
                  owner_id=customer.owner_id, tags=[t.name for t in customer.tags], region_code=customer.region_code,
                  phone=phones.display(customer.phone) if current_user.has_permission("customer.pii") else "")
    return values


def _save(customer: Customer | None):
    data = _form_data(request.form, customer)
    extra, early_errors = schema_form.read_extra(custom_fields.schema_for(data.get("industry")), request.form)
    if data["region_code"] and not regions.is_county(data["region_code"]):
        early_errors["region_code"] = [_("请选择区县")]
    schema = CustomerSchema() if customer is None else CustomerPatchSchema(partial=True)
    try:
        loaded = schema.load({k: v for k, v in data.items() if v is not None or schema.fields[k].allow_none})
        if early_errors:
            return _render_form(customer, dict(data, extra=extra), early_errors, 422)
        if extra is not None:  # the form showed the industry's schema: validate against it
            loaded.update(extra=extra, extra_schema=data["industry"])
        if customer is None:
            customer = create_customer(loaded, current_user, check_duplicates="allow_duplicate" not in request.form)
            flash(_("已新建客户：%(name)s", name=customer.name))
        else:
            update_customer(customer, loaded, current_user)
            flash(_("已保存。"))
    except ValidationError as exc:
        return _render_form(customer, dict(data, extra=extra), dict(field_errors(exc.messages), **early_errors), 422)
    except CustomerInvalid as exc:
        db.session.rollback()
        return _render_form(customer, dict(data, extra=extra), field_errors(exc.errors), 422)
    except LikelyDuplicate as exc:
        return _render_form(None, dict(data, extra=extra), {}, 409, duplicates=exc.duplicates)
    return redirect(url_for("customer_pages.customer_detail", customer_id=customer.id))


@pages.route("/customers/new", methods=["GET", "POST"])
@login_required
@require("customer.create")
def customer_new():
    if request.method == "POST":
        return _save(None)
    return _render_form(None, {"kind": "company", "status": "lead", "owner_id": current_user.id}, {})


@pages.route("/customers/<id:customer_id>/edit", methods=["GET", "POST"])
@login_required
@require("customer.update")
def customer_edit(customer_id):
    customer = customer_or_404(customer_id)
    if request.method == "POST":
        return _save(customer)
    return _render_form(customer, _values_of(customer), {})


@pages.route("/customers/extra-fields")
@login_required
@require("customer.read")
def customer_extra_fields():
    """The custom field inputs for the industry just chosen in the customer form (htmx)."""
    row = custom_fields.schema_for(request.args.get("industry"))
    extra, _errors = schema_form.read_extra(row, request.args)
    extra_schema, extra_rows = schema_form.form_rows(row, extra or {}, {})
    return render_template("customers/_extra_fields.html", extra_schema=extra_schema, extra_rows=extra_rows)

