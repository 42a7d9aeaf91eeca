"""Rows exactly as kehu stores them: a CSV row of gen_customers.py becomes a transient ``Customer``
(its listeners fill name_pinyin and search_tokens, the phone setter the ciphertext, blind index and
last four), plus contacts and tag names, and the loader writes the values read off those objects.

The spread a real site has: created_at over the last three years and updated_at after it, owners
and their teams (some customers in the pool), a few soft-deleted, contacts with phones at some
companies, the industry pack's custom fields. Random but seeded per chunk, so the same whatever
the number of worker processes. Needs an app context with KEHU_PII_KEY (the phone columns).
"""
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Flask

from kehu.customers import phones
from kehu.customers.models import Contact, Customer
from kehu.demo.service import _industry_fields as industry_fields  # values the industry plugin's packs accept

SPAN = timedelta(days=3 * 365)   # created_at over the last three years
UNOWNED = 0.05                   # in the pool (公海): no owner, no team
DELETED = 0.01                   # soft-deleted
CONTACTS = 0.4                   # companies with one or two contacts
CONTACT_NAMES = ("王", "李", "张", "刘", "陈", "杨", "赵", "黄"), ("伟", "芳", "敏", "静", "强", "磊", "军", "丽")
CONTACT_TITLES = ("总经理", "采购经理", "财务", "老板", "店长", None)

CUSTOMER_COLUMNS = list(Customer.__table__.columns)
CONTACT_COLUMNS = [c for c in Contact.__table__.columns if c.key != "id"]  # the sequence numbers them


@dataclass
class Plan:
    owners: list
    seed: int
    now: datetime
    versions: dict   # industry -> active version of its field pack


def column_values(obj, columns) -> tuple:
    """The values an INSERT of ``obj`` would write: its attributes, else the columns' Python defaults."""
    values = []
    for column in columns:
        value = obj.__dict__.get(column.key)
        if value is None and column.default is not None:
            value = column.default.arg if column.default.is_scalar else column.default.arg(None)
        values.append(value)
    return tuple(values)


def _mobile(rng) -> str:
    while True:
        number = f"13{rng.randrange(10**9):09d}"
        try:
            return phones.normalize(number)
        except phones.InvalidPhone:
            continue


def _customer(row: dict, rng, plan: Plan, **columns) -> Customer:
    """A transient customer made from a CSV row as kehu makes one (its listeners and phone setter run)."""
    industry = row["industry"] or None
    version = plan.versions.get(industry)
    owner_id, team_id = rng.choice(plan.owners) if rng.random() >= UNOWNED else (None, None)
    consent = rng.random() < 0.6
    customer = Customer(
        kind=row["kind"], name=row["name"], company=row["company"] or None, email=row["email"] or None,
        region_code=row["region_code"] or None, address=row["address"] or None, industry=industry,
        scale=row["scale"] or None, status=row["status"], source=row["source"] or None,
        birthday=date.fromisoformat(row["birthday"]) if row["birthday"] else None,
        extra=industry_fields(rng, industry) if version else {}, extra_schema=industry if version else None,
        extra_schema_version=version, consent_sms=consent, consent_email=False,
        consent_phone=consent and rng.random() < 0.5, owner_id=owner_id, team_id=team_id, **columns)
    customer.consent_updated_at = customer.created_at if consent else None
    try:
        customer.phone = row["phone"]
    except phones.InvalidPhone:  # the generator also makes numbers in unassigned ranges (179…)
        pass
    return customer


def transform(job, plan: Plan) -> dict:
    """One chunk of CSV rows as column values of customers, contacts and (customer id, tag name)."""
    first_id, rows = job
    rng = random.Random(f"{plan.seed}:{first_id}")
    out = {"customers": [], "contacts": [], "tags": [], "deleted": 0, "contact_phone": None, "detail_id": None}
    for offset, row in enumerate(rows):
        customer_id = first_id + offset
        created = plan.now - SPAN * rng.random()
        updated = created + (plan.now - created) * rng.random()
        deleted = updated if rng.random() < DELETED else None
        customer = _customer(row, rng, plan, id=customer_id, created_at=created, updated_at=updated,
                               deleted_at=deleted)
        out["customers"].append(column_values(customer, CUSTOMER_COLUMNS))
        out["deleted"] += deleted is not None
        names = [name for name in row["tags"].split("|") if name]
        out["tags"].extend((customer_id, name) for name in names)
        if row["kind"] == "company" and rng.random() < CONTACTS:
            for number in range(rng.choice((1, 1, 2))):
                phone = _mobile(rng)
                contact = Contact(customer_id=customer_id, name=rng.choice(CONTACT_NAMES[0]) + rng.choice(CONTACT_NAMES[1]),
                                  title=rng.choice(CONTACT_TITLES), phone=phone, is_primary=number == 0,
                                  created_at=created, updated_at=created)
                out["contacts"].append(column_values(contact, CONTACT_COLUMNS))
                out["contact_phone"] = out["contact_phone"] or phone
            if names and deleted is None and out["detail_id"] is None:
                out["detail_id"] = customer_id
    return out


_plan = None


def start_worker(pii_key, plan):
    global _plan
    _plan = plan
    app = Flask("kehu-bench-transform")  # the PII key is all the phone columns need of an app
    app.config["KEHU_PII_KEY"] = pii_key
    app.app_context().push()


def transform_in_worker(job):
    return transform(job, _plan)
