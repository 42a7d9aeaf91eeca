"""The rows of a customer export: the columns in the user's language, each customer's cells as the user
may see them (phones masked without ``customer.pii``), custom fields as columns.

Customers come from the one filter engine (``customer_select``: the list's filters, scope and plugin
criteria) in keyset batches: per batch one SELECT of the shown columns, one of the batch's tags and
one of its contacts — never OFFSET, never a query per customer, never a million ORM objects.
"""
import json
from dataclasses import dataclass
from typing import Callable, Iterator

from flask_babel import gettext as _
from sqlalchemy import select

from kehu.accounts.models import Team, User
from kehu.custom_fields.query import declared_fields, schema_titles
from kehu.customers import phones, regions
from kehu.customers.models import Contact, Customer
from kehu.customers.query import SORTS, CustomerFilter, customer_select
from kehu.extensions import db
from kehu.platform.json_schema import field_kind
from kehu.platform.time import china_time
from kehu.tags.models import Tag, customer_tags
from kehu.web import labels
from kehu.web.schema_form import options_of, title_of

BATCH_SIZE = 1000
SEPARATOR = "|"  # between the values of one cell: tags, contacts, a list field's choices
TIME_FORMAT = "%Y-%m-%d %H:%M"
SHOWN = (Customer.id, Customer.kind, Customer.name, Customer.name_pinyin, Customer.company, Customer.phone_encrypted,
         Customer.email, Customer.address, Customer.region_code, Customer.industry, Customer.scale, Customer.status,
         Customer.source, Customer.owner_id, Customer.team_id, Customer.birthday, Customer.extra, Customer.consent_sms,
         Customer.consent_email, Customer.consent_phone, Customer.created_at, Customer.updated_at)


@dataclass
class Batch:
    """What a batch of customers needs beyond its own columns, read with one query each."""
    tags: dict[int, list[str]]
    contacts: dict[int, list[str]]


Cell = Callable[[object, Batch], object]  # (a row of SHOWN, its batch) -> the cell's value


def _names(mapping: dict) -> dict[str, str]:
    """Display names of codes in the current language, evaluated once per export, not once per cell."""
    return {code: str(title) for code, title in mapping.items()}


def _coded(attribute: str, names: dict[str, str]) -> Cell:
    return lambda row, batch: names.get(getattr(row, attribute), getattr(row, attribute))


def _plain(attribute: str) -> Cell:
    return lambda row, batch: getattr(row, attribute)


class CustomerTable:
    """The columns of a customer export for ``user`` and its rows, in the language now in force."""

    def __init__(self, user):
        self.user = user
        self.may_see_phones = user.has_permission("customer.pii")
        self.owners = dict(db.session.execute(select(User.id, User.display_name)).all())
        self.teams = dict(db.session.execute(select(Team.id, Team.name)).all())
        self._regions: dict[str, str] = {}
        self.yes_no = {True: _("是"), False: _("否")}
        self.columns: list[tuple[str, Cell]] = self._core_columns()
        # one column per field of the active custom field schemas, titled as the forms title it
        self.fields = [(name, title_of(prop, name), self._field_value(prop)) for name, prop in declared_fields().items()]

    @property
    def titles(self) -> list[str]:
        return [title for title, _cell in self.columns] + [title for _name, title, _value in self.fields]

    def _core_columns(self) -> list[tuple[str, Cell]]:
        industries = {**schema_titles(), **_names(labels.INDUSTRIES)}
        return [
            (_("编号"), _plain("id")),
            (_("名称"), _plain("name")),
            (_("类型"), _coded("kind", _names(labels.CUSTOMER_KINDS))),
            (_("公司"), _plain("company")),
            (_("电话"), lambda row, batch: self.phone(row.phone_encrypted)),
            (_("邮箱"), _plain("email")),
            (_("地区"), lambda row, batch: self.region(row.region_code)),
            (_("地址"), _plain("address")),
            (_("行业"), _coded("industry", industries)),
            (_("规模"), _coded("scale", _names(labels.SCALES))),
            (_("状态"), _coded("status", _names(labels.CUSTOMER_STATUSES))),
            (_("来源"), _coded("source", _names(labels.SOURCES))),
            (_("负责人"), lambda row, batch: self.owners.get(row.owner_id)),
            (_("团队"), lambda row, batch: self.teams.get(row.team_id)),
            (_("生日"), lambda row, batch: row.birthday.isoformat() if row.birthday else None),
            (_("标签"), lambda row, batch: SEPARATOR.join(batch.tags.get(row.id, ()))),
            (_("联系人"), lambda row, batch: SEPARATOR.join(batch.contacts.get(row.id, ()))),
            (_("短信同意"), self._consent("consent_sms")),
            (_("邮件同意"), self._consent("consent_email")),
            (_("电话营销同意"), self._consent("consent_phone")),
            (_("创建时间"), lambda row, batch: china_time(row.created_at, TIME_FORMAT)),
            (_("更新时间"), lambda row, batch: china_time(row.updated_at, TIME_FORMAT)),
        ]

    def _consent(self, attribute: str) -> Cell:
        return lambda row, batch: self.yes_no[bool(getattr(row, attribute))]

    def _field_value(self, prop: dict) -> Callable[[object], object]:
        """How a stored value of the field declared as ``prop`` is shown: choices by their labels, yes/no
        in words, a list's items joined."""
        listed = field_kind(prop) == "array"
        choices = {value: label for value, label in options_of(prop.get("items", {}) if listed else prop)
                   if isinstance(value, (str, int, float))}

        def shown(value):
            if isinstance(value, bool):
                return self.yes_no[value]
            if isinstance(value, (str, int, float)):
                return choices.get(value, value)
            if isinstance(value, list):
                return SEPARATOR.join(str(shown(item)) for item in value)
            return json.dumps(value, ensure_ascii=False)  # an object: as JSON, not as Python's repr

        return shown

    def _field_cells(self, row) -> list:
        """The custom field cells of a row: one function per row, not one per cell (an industry pack
        brings dozens of fields, most of them empty for any one customer)."""
        extra = row.extra
        if not extra:
            return [None] * len(self.fields)
        return [None if (value := extra.get(name)) is None or value == "" or value == [] else shown(value)
                for name, _title, shown in self.fields]

    def phone(self, encrypted: str | None) -> str | None:
        """The number as the user may see it: in full with ``customer.pii``, else masked (138****1234)."""
        if not encrypted:
            return None
        number = phones.decrypt(encrypted)
        if number is None:
            return None
        return phones.display(number) if self.may_see_phones else phones.mask(number)

    def region(self, code: str | None) -> str | None:
        if not code:
            return None
        if code not in self._regions:
            self._regions[code] = regions.full_name(code) or code
        return self._regions[code]

    # reading ----------------------------------------------------------------------------------
    def _batch(self, ids: list[int]) -> Batch:
        tags: dict[int, list[str]] = {}
        for customer_id, name in db.session.execute(
                select(customer_tags.c.customer_id, Tag.name).join(Tag, Tag.id == customer_tags.c.tag_id)
                .where(customer_tags.c.customer_id.in_(ids)).order_by(customer_tags.c.customer_id, Tag.name)):
            tags.setdefault(customer_id, []).append(name)
        contacts: dict[int, list[str]] = {}
        for contact in db.session.execute(
                select(Contact.customer_id, Contact.name, Contact.title, Contact.phone_encrypted)
                .where(Contact.customer_id.in_(ids)).order_by(Contact.customer_id, Contact.id)):
            parts = (contact.name, contact.title, self.phone(contact.phone_encrypted))
            contacts.setdefault(contact.customer_id, []).append(" ".join(p for p in parts if p))
        return Batch(tags, contacts)

    def rows(self, filters: CustomerFilter, progress: Callable[[int], None] | None = None) -> Iterator[list]:
        """Each customer of ``filters`` as ``self.user`` sees them, in the list's order; ``progress(n)``
        after each batch of ``n`` rows was consumed (the writer has them)."""
        sort_key = SORTS[filters.sort.lstrip("-")].key
        after = None
        while True:
            query = (customer_select(filters, self.user, after)
                     .with_only_columns(*SHOWN, maintain_column_froms=True).limit(BATCH_SIZE))
            found = db.session.execute(query).all()
            if not found:
                return
            batch = self._batch([row.id for row in found])
            for row in found:
                yield [cell(row, batch) for _title, cell in self.columns] + self._field_cells(row)
            if progress is not None:
                progress(len(found))
            if len(found) < BATCH_SIZE:
                return
            after = (getattr(found[-1], sort_key), found[-1].id)
