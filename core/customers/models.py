"""Customers (companies and persons) and their contacts."""
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, event, func
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kehu.customers.phones import PhoneColumnsMixin
from kehu.customers.pinyin import search_key
from kehu.customers.search_tokens import SearchTokens, tokens_of
from kehu.extensions import db
from kehu.platform.audit import AuditedMixin
from kehu.platform.columns import TimestampMixin, UTCDateTime
from kehu.platform.time import china_month

KINDS = ("company", "person")
STATUSES = ("lead", "potential", "intent", "customer", "lost")
SCALES = ("large", "medium", "small", "individual")

class Customer(PhoneColumnsMixin, AuditedMixin, TimestampMixin, db.Model):
    __tablename__ = "customer"
    __audit_exclude__ = ("created_at", "updated_at", "phone_encrypted", "phone_index", "name_pinyin", "search_tokens")
    __audit_collections__ = ("tags",)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), default="company", nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    name_pinyin: Mapped[str] = mapped_column(String(600), default="", nullable=False)
    # the n-grams search finds the customer by (kehu.customers.search); indexed by migration 0006
    search_tokens: Mapped[list] = mapped_column(SearchTokens, default=list, nullable=False,
                                                deferred=True)  # only the index reads them: not loaded with a row
    company: Mapped[str | None] = mapped_column(String(200))
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)  # 统一社会信用代码: public, not PII
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)  # its id in the user's old system
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(300))
    region_code: Mapped[str | None] = mapped_column(String(6), index=True)
    industry: Mapped[str | None] = mapped_column(String(40), index=True)
    scale: Mapped[str | None] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12), default="lead", nullable=False, index=True)
    source: Mapped[str | None] = mapped_column(String(40))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    birthday: Mapped[date | None] = mapped_column(Date)
    extra: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    extra_schema: Mapped[str | None] = mapped_column(String(80))
    extra_schema_version: Mapped[int | None] = mapped_column(Integer)
    consent_sms: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    consent_email: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    consent_phone: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    consent_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # indexed where set: migration 0006

    owner = relationship("User", lazy="joined")
    team = relationship("Team", lazy="joined")
    tags = relationship("Tag", secondary="customer_tag", lazy="selectin", order_by="Tag.name")
    contacts = relationship("Contact", back_populates="customer", lazy="selectin",
                            cascade="all, delete-orphan", order_by="Contact.id")


class CustomerCount(db.Model):
    """How many live customers share a key (a China month, county, industry or status) per owner and team.

    Database triggers on ``customer`` keep it exact in the writing transaction, whatever writes
    (ORM, bulk inserts, raw SQL): migration 0007 creates them; ``service.rebuild_counts`` refills it.
    ``key`` is "" and ``owner_id``/``team_id`` 0 for none, so that upserts match on every database.
    """

    __tablename__ = "customer_count"

    dimension: Mapped[str] = mapped_column(String(12), primary_key=True)  # a key of counted_keys()
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


def counted_keys(dialect_name: str) -> dict:
    """``{dimension: SQL}``: the key under which a customer row is counted, as the triggers compute it."""
    return {
        "month": func.coalesce(china_month(Customer.created_at, dialect_name), ""),
        "county": func.coalesce(Customer.region_code, ""),
        "industry": func.coalesce(Customer.industry, ""),
        "status": Customer.status,
    }


# customer's triggers write customer_count: it is created before customer and emptied after it
Customer.__table__.add_is_dependent_on(CustomerCount.__table__)


def _other_company(name, company):
    return company if company != name else None  # a company's name is usually its company


@event.listens_for(Customer.name, "set")
def _keep_search_keys(target, value, oldvalue, initiator):
    target.name_pinyin = search_key(value or "")
    target.search_tokens = tokens_of(value, _other_company(value, target.company), target.name_pinyin)


@event.listens_for(Customer.company, "set")
def _keep_company_tokens(target, value, oldvalue, initiator):
    was = oldvalue if isinstance(oldvalue, str) else None  # NO_VALUE on a new customer
    if target.name is not None and _other_company(target.name, value) == _other_company(target.name, was):
        return  # the company adds nothing the name's tokens lack (it is the name, or it did not change)
    target.search_tokens = tokens_of(target.name, _other_company(target.name, value), target.name_pinyin)


class Contact(PhoneColumnsMixin, AuditedMixin, TimestampMixin, db.Model):
    """A person to talk to at a customer (a company has many; a person usually has one)."""

    __tablename__ = "contact"
    __audit_exclude__ = ("created_at", "updated_at", "phone_encrypted", "phone_index")

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(80), nullable=False)
    title: Mapped[str | None] = mapped_column(String(80))
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    phone_index: Mapped[str | None] = mapped_column(String(64), index=True)
    phone_last4: Mapped[str | None] = mapped_column(String(4))
    email: Mapped[str | None] = mapped_column(String(254))
    wechat: Mapped[str | None] = mapped_column(String(80))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    notes: Mapped[str | None] = mapped_column(Text)

    customer = relationship("Customer", back_populates="contacts")
