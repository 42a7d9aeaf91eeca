"""Creating, changing and deleting customers: the rules shared by the API, web UI and imports."""
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, literal, select, text

from kehu.accounts.models import Team, User
from kehu.custom_fields.query import active_schema
from kehu.custom_fields.service import validate_extra
from kehu.customers.duplicates import likely_duplicates
from kehu.customers.models import Contact, Customer, CustomerCount, counted_keys
from kehu.extensions import db
from kehu.platform.session import commit_as_written
from kehu.platform.time import utcnow
from kehu.tags.service import UnknownTags, resolve_tags

CONSENT_FIELDS = ("consent_sms", "consent_email", "consent_phone")


class CustomerInvalid(Exception):
    """The data breaks a rule; ``errors`` maps each field to messages in the user's language."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


# the columns the owner rules need, not a whole user with role and team: this runs on every create
_OWNER = select(User.id, User.active, User.team_id).where(User.id == bindparam("owner_id"))


class _Lookups:
    """What the rules read, read once for many rows (an import's batch): owners, active schemas, tags."""

    def __init__(self):
        self.owners, self.schemas, self.tags = {}, {}, None


def _owner_row(owner_id, user, lookups):
    if owner_id == user.id:
        return user
    if lookups is not None and owner_id in lookups.owners:
        return lookups.owners[owner_id]
    owner = db.session.execute(_OWNER, {"owner_id": owner_id}).one_or_none()
    if lookups is not None:
        lookups.owners[owner_id] = owner
    return owner


def _check_owner(data, user, lookups=None):
    """Sales (scope own) may only own their own customers; team scope within the team.

    Returns the owner (None when there is none)."""
    owner_id = data.get("owner_id")
    if owner_id is None:
        return None
    owner = _owner_row(owner_id, user, lookups)
    if owner is None or not owner.active:
        raise CustomerInvalid({"owner_id": [_("负责人不存在")]})
    allowed = (user.scope == "all" or owner.id == user.id
               or (user.scope == "team" and user.team_id is not None and owner.team_id == user.team_id))
    if not allowed:
        raise CustomerInvalid({"owner_id": [_("不能把客户分配给权限范围以外的人")]})
    data.setdefault("team_id", owner.team_id)
    return owner


def _check_team(data, user, owner=None):
    """Only scope "all" may put a customer into another team, and only into one that exists."""
    team_id = data.get("team_id")
    if team_id is None:
        return
    if user.scope != "all" and team_id != user.team_id:
        raise CustomerInvalid({"team_id": [_("不能把客户放到其他团队")]})
    # the user's and the owner's teams exist (their rows reference them): no need to look
    known = {user.team_id, owner.team_id if owner is not None else None} - {None}
    if team_id not in known and db.session.get(Team, team_id) is None:
        raise CustomerInvalid({"team_id": [_("团队不存在")]})


def _plugin_errors(customer, data):
    errors = {}
    for found in current_app.extensions["kehu_plugins"].hook("validate_customer")(customer=customer, data=data):
        for field, messages in (found or {}).items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise CustomerInvalid(errors)


def _active_schema(key, lookups):
    if lookups is None:
        return active_schema(key)
    if key not in lookups.schemas:
        lookups.schemas[key] = active_schema(key)
    return lookups.schemas[key]


def _schema_key(data, customer, lookups=None):
    """Which schema ``extra`` follows: the one asked for, else the record's, else its industry's (when
    it has one). Returns the key and, when the industry decided, its active schema (read once)."""
    if "extra_schema" in data:
        return data["extra_schema"], None
    if customer is not None and customer.extra_schema:
        return customer.extra_schema, None
    industry = data["industry"] if "industry" in data else (customer.industry if customer is not None else None)
    schema = _active_schema(industry, lookups) if industry else None
    return (industry, schema) if schema is not None else (None, None)


def _check_extra(customer, data, lookups=None):
    """Validate custom fields against the ACTIVE version of their schema and record that version.

    Runs only when ``extra`` or ``extra_schema`` is being set; other edits leave an old record on
    the version it was written with. ``extra`` is replaced as a whole; null values are dropped.
    """
    if "extra" not in data and "extra_schema" not in data:
        return
    source = data["extra"] if "extra" in data else (customer.extra if customer is not None else None)
    extra = {k: v for k, v in (source or {}).items() if v is not None}
    key, schema = _schema_key(data, customer, lookups)
    if key is None:
        if extra:
            raise CustomerInvalid({"extra_schema": [_("自定义字段需要字段模式：请选择行业或字段模式")]})
        data.update(extra={}, extra_schema=None, extra_schema_version=None)
        return
    schema = schema or _active_schema(key, lookups)
    if schema is None:
        raise CustomerInvalid({"extra_schema": [_("没有这个字段模式：%(key)s", key=key)]})
    errors = validate_extra(schema, extra)
    if errors:
        raise CustomerInvalid({"extra": errors})
    data.update(extra=extra, extra_schema=schema.key, extra_schema_version=schema.version)


def _apply(customer, data, user, lookups=None):
    data = dict(data)
    if "tags" in data:
        names = data.pop("tags")
        if lookups is not None and lookups.tags is not None:
            customer.tags = sorted({lookups.tags[n] for n in names}, key=lambda t: t.name)
        else:
            try:
                customer.tags = resolve_tags(names, may_create=user.has_permission("tag.manage"))
            except UnknownTags as exc:
                raise CustomerInvalid({"tags": [str(exc)]}) from None
    if "contacts" in data:  # a new customer's contacts, already loaded by ContactSchema (imports)
        customer.contacts = [Contact(**contact) for contact in data.pop("contacts")]
    if any(f in data and data[f] != getattr(customer, f) for f in CONSENT_FIELDS):
        customer.consent_updated_at = utcnow()
    for key, value in data.items():
        setattr(customer, key, value)


def _checked(data: dict, user, lookups=None) -> dict:
    """A new customer's data once the rules hold (owner, team, custom fields, plugins); CustomerInvalid
    when one is broken."""
    data = dict(data)
    data.setdefault("owner_id", user.id)
    owner = _check_owner(data, user, lookups)
    data.setdefault("team_id", user.team_id)
    _check_team(data, user, owner)
    _check_extra(None, data, lookups)
    _plugin_errors(None, data)
    return data


def _new_customer(data: dict, user, lookups=None) -> Customer:
    """A customer made by the rules, not yet added to the session; CustomerInvalid when one is broken."""
    data = _checked(data, user, lookups)
    customer = Customer(extra={}, contacts=[], tags=[])
    _apply(customer, data, user, lookups)
    return customer


class LikelyDuplicate(Exception):
    """The customer probably exists already (``duplicates``: kehu.customers.duplicates.Duplicate); the
    caller shows them and may save anyway."""

    def __init__(self, duplicates: list):
        super().__init__(duplicates)
        self.duplicates = duplicates


def create_customer(data: dict, user, check_duplicates: bool = False) -> Customer:
    """A new customer. With ``check_duplicates`` (the form and the API, unless the user confirmed),
    LikelyDuplicate when one with the same phone or USCC or a similar name exists: nothing is saved."""
    if check_duplicates:
        found = likely_duplicates(data, user)
        if found:
            raise LikelyDuplicate(found)
    customer = _new_customer(data, user)
    db.session.add(customer)
    commit_as_written(db.session)
    return customer


def create_customers(rows: list[dict], user, commit: bool = True) -> list:
    """Many customers in one transaction (an import's batch), each by the same rules as
    ``create_customer``: the result has, for each row, its new Customer or the CustomerInvalid that
    refused it (refused rows are not written; the others are committed together). Owners, schemas
    and tags are read once for the batch; SQLAlchemy writes the rows with multi-row INSERTs."""
    lookups = _Lookups()
    names = list(dict.fromkeys(n for row in rows for n in row.get("tags", ())))
    refused_tags = set()
    try:
        lookups.tags = {t.name: t for t in resolve_tags(names, may_create=user.has_permission("tag.manage"))}
    except UnknownTags as exc:
        refused_tags = set(exc.names)
        lookups.tags = {t.name: t for t in resolve_tags([n for n in names if n not in refused_tags], False)}
    found = []
    for row in rows:
        unknown = [n for n in row.get("tags", ()) if n in refused_tags]
        try:
            if unknown:
                raise CustomerInvalid({"tags": [str(UnknownTags(unknown))]})
            customer = _new_customer(row, user, lookups)
        except CustomerInvalid as exc:
            found.append(exc)
            continue
        db.session.add(customer)
        found.append(customer)
    if commit:
        commit_as_written(db.session)
    else:  # the caller writes its own rows in the same transaction (an import marks its rows done)
        db.session.flush()
    return found


def check_new_customers(rows: list[dict], user) -> list[dict]:
    """The errors ``create_customers`` would give each row ({} when it would be created), writing
    nothing: an import's dry run. Tags a row would create are not created."""
    lookups = _Lookups()
    missing = set()
    if not user.has_permission("tag.manage"):
        try:
            resolve_tags(list(dict.fromkeys(n for row in rows for n in row.get("tags", ()))), may_create=False)
        except UnknownTags as exc:
            missing = set(exc.names)
    found = []
    with db.session.no_autoflush:
        for row in rows:
            unknown = [n for n in row.get("tags", ()) if n in missing]
            try:
                if unknown:
                    raise CustomerInvalid({"tags": [str(UnknownTags(unknown))]})
                _checked(row, user, lookups)  # no Customer is made: its pinyin, tokens and ciphertext are the run's
            except CustomerInvalid as exc:
                found.append(exc.errors)
                continue
            found.append({})
    return found


def update_customer(customer: Customer, data: dict, user, commit: bool = True) -> Customer:
    data = dict(data)
    owner = None
    if "owner_id" in data and data["owner_id"] != customer.owner_id:
        owner = _check_owner(data, user)
    if "team_id" in data:
        _check_team(data, user, owner)
    _check_extra(customer, data)
    _plugin_errors(customer, data)
    _apply(customer, data, user)
    if commit:
        commit_as_written(db.session)
    return customer


def delete_customer(customer: Customer, commit: bool = True) -> None:
    """Soft delete: the row stays (for audit and restore) but disappears from every query."""
    customer.deleted_at = utcnow()
    if commit:
        db.session.commit()


# contacts ---------------------------------------------------------------------------------
def add_contact(customer: Customer, data: dict) -> Contact:
    contact = Contact(customer=customer, **data)
    db.session.add(contact)
    db.session.commit()
    return contact


def update_contact(contact: Contact, data: dict) -> Contact:
    for key, value in data.items():
        setattr(contact, key, value)
    db.session.commit()
    return contact


def delete_contact(contact: Contact) -> None:
    customer = contact.customer
    db.session.delete(contact)
    db.session.commit()
    db.session.refresh(customer)  # its contacts list, for the page that shows it next


# counts ----------------------------------------------------------------------------------------
def rebuild_counts() -> int:
    """Count every live customer afresh into ``customer_count``; returns how many were counted.

    The triggers keep the counts exact; this is for recovery (a dump restored without the counts, a
    write made with triggers disabled). One transaction; on PostgreSQL customer writes wait until it
    commits (a write between the delete and the refill would be counted twice or not at all).
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        db.session.execute(text("LOCK TABLE customer IN SHARE MODE"))
    db.session.execute(CustomerCount.__table__.delete())
    owner, team = func.coalesce(Customer.owner_id, 0), func.coalesce(Customer.team_id, 0)
    for dimension, key in counted_keys(dialect).items():
        db.session.execute(insert(CustomerCount).from_select(
            ["dimension", "key", "owner_id", "team_id", "count"],
            select(literal(dimension), key, owner, team, func.count())
            .where(Customer.deleted_at.is_(None)).group_by(key, owner, team)))
    counted = db.session.scalar(select(func.coalesce(func.sum(CustomerCount.count), 0))
                                .where(CustomerCount.dimension == "status"))
    db.session.commit()
    return counted
