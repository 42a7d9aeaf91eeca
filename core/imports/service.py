"""Importing customers from a sheet: upload, mapping, dry run, run in resumable batches, undo.

Every customer goes through the customer service (``create_customers`` / ``update_customer``): the same
validation, industry schema, plugin checks, audit and signals as a customer typed into the form. A row
the rules refuse is that row's error in the report; it never stops the others. The run is resumable:
a batch's customers and the marking of its rows as done are one transaction, so a worker killed in the
middle leaves either both or neither, and the task that runs again (acks_late, or the sweep) goes on
with the rows not yet done.
"""
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from cryptography.fernet import InvalidToken
from flask import current_app
from flask_babel import force_locale, gettext as _
from marshmallow import ValidationError
from sqlalchemy import delete, insert, select, update

from kehu.accounts.models import User
from kehu.custom_fields.query import active_schemas
from kehu.customers import phones, regions
from kehu.customers.duplicates import describe
from kehu.customers.models import Customer
from kehu.customers.query import visible_customer
from kehu.customers.schemas import ContactSchema, CustomerSchema
from kehu.customers.service import (CustomerInvalid, check_new_customers, create_customers, delete_customer,
                                    update_customer)
from kehu.extensions import db
from kehu.imports import cleaning, mapping, readers
from kehu.imports.models import MATCH_KEYS, MODES, ImportJob, ImportMapping, ImportRow
from kehu.platform.messages import translated
from kehu.platform.pii import fernet_for
from kehu.platform.tasks import dispatch
from kehu.platform.time import utcnow
from kehu.web import labels
from kehu.web.schema_form import title_of as property_title

log = logging.getLogger(__name__)

CHECK_TASK = "kehu.imports.check"
RUN_TASK = "kehu.imports.run"
UNDO_TASK = "kehu.imports.undo"
SWEEP_TASK = "kehu.imports.sweep"
BATCH = 500
HEADER_SEARCH_ROWS = 20     # the header row is looked for among the first rows (a title row may come first)
STALLED_AFTER = timedelta(minutes=2)  # a running import whose progress stopped this long is picked up again
CHECK_STALLED_AFTER = timedelta(minutes=15)
# fields the schema reads as text as they are (phones, e-mails, USCC are checked by CustomerSchema)
_AS_TYPED = ("name", "company", "phone", "email", "address", "uscc", "external_id")


class ImportInvalid(Exception):
    """The request cannot be taken: ``errors`` maps fields to messages in the user's language."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


# the file --------------------------------------------------------------------------------------
def _folder() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _file_key():
    return fernet_for(b"import-files")


def _store(data: bytes) -> str:
    """The upload written encrypted with the PII key (a customer list is all PII); its file name."""
    name = f"{utcnow():%Y%m%d%H%M%S}-{secrets.token_hex(8)}.upload"
    path = _folder() / name
    path.write_bytes(_file_key().encrypt(data))
    path.chmod(0o600)
    return name


def _stored(job: ImportJob) -> bytes:
    try:
        return _file_key().decrypt((_folder() / job.stored_as).read_bytes())
    except (FileNotFoundError, InvalidToken):
        raise readers.FileRefused(_("上传的文件已不在服务器上（已过保留期），请重新上传")) from None


def _phones_through(values: dict, convert) -> dict:
    """``values`` with the customer's and its contacts' phones passed through ``convert``."""
    found = dict(values)
    if found.get("phone"):
        found["phone"] = convert(found["phone"])
    if found.get("contacts"):
        found["contacts"] = [{**c, "phone": convert(c["phone"])} if c.get("phone") else c for c in found["contacts"]]
    return found


# phones in an import row's values are stored encrypted, as the customer's own phone is
def _sealed(values: dict) -> dict:
    return _phones_through(values, phones.encrypt)


def _opened(values: dict) -> dict:
    return _phones_through(values, phones.decrypt)


def _custom_fields() -> tuple[dict[str, str], dict[str, dict], dict[str, str]]:
    """Custom fields of the active schemas: normalized title (both languages) → target, target →
    property, target → title (first schema by key wins a clash, as in the customer form)."""
    by_title, props, titles = {}, {}, {}
    for row in active_schemas():
        for name, prop in row.schema.get("properties", {}).items():
            target = f"extra.{name}"
            if target in props:
                continue
            props[target] = prop
            titles[target] = property_title(prop, name)
            for title in (prop.get("title"), prop.get("x-title-en"), name):
                if isinstance(title, str) and title:
                    by_title.setdefault(mapping.normalized(title), target)
    return by_title, props, titles


def _header_index(table: readers.Table, by_title: dict) -> int:
    """The row that holds the headers: of the first rows, the one most of whose cells are known headers."""
    best, best_known = 0, 0
    for index, row in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        known = sum(1 for cell in row if mapping.target_of(cell, by_title))
        if known > best_known:
            best, best_known = index, known
    return best


def _read(data: bytes):
    table = readers.read_table(data)
    by_title, props, titles = _custom_fields()
    index = _header_index(table, by_title)
    headers = table.rows[index]
    return table, index, headers, by_title


def _check_options(options: dict, user) -> dict:
    errors, found = {}, {}
    mode = options.get("mode") or "skip"
    if mode not in MODES:
        errors["mode"] = [_("导入方式只能是 create、upsert 或 skip")]
    found["mode"] = mode
    match_on = options.get("match_on") or list(MATCH_KEYS)
    if isinstance(match_on, str):
        match_on = [m.strip() for m in match_on.split(",") if m.strip()]
    if not set(match_on) <= set(MATCH_KEYS):
        errors["match_on"] = [_("查重依据只能是 phone、uscc、external_id")]
    found["match_on"] = match_on
    for key in ("owner_id", "team_id"):
        value = options.get(key)
        if value in (None, ""):
            found[key] = None
            continue
        try:
            found[key] = int(value)
        except (TypeError, ValueError):
            errors[key] = [_("不是有效的编号")]
    if errors:
        raise ImportInvalid(errors)
    probe = {k: found[k] for k in ("owner_id", "team_id") if found[k] is not None}
    if probe:  # refuse an owner or team outside the importer's scope now, not on every row
        problems = check_new_customers([{"name": "-", **probe}], user)[0]
        if problems:
            raise ImportInvalid({k: v for k, v in problems.items() if k in probe} or problems)
    return found


def start_import(user, filename: str, data: bytes, options: dict) -> ImportJob:
    """Take an uploaded file: read it, guess (or recall) its mapping, and start the dry run.

    Raises readers.FileRefused (the file) or ImportInvalid (the options)."""
    options = _check_options(options, user)
    table, header_index, headers, by_title = _read(data)
    if len(table.rows) <= header_index + 1:
        raise readers.FileRefused(_("文件里只有表头，没有数据行"))
    signature = mapping.signature(headers)
    remembered = db.session.get(ImportMapping, signature)
    targets, repeated = mapping.guess(headers, by_title)
    notes = list(table.notes)
    if remembered is not None and len(remembered.targets) == len(headers):
        targets = list(remembered.targets)
        notes.append(_("已沿用上次同样表头的文件所用的对应关系"))
    elif repeated:
        notes.append(_("重复的表头未自动对应：%(columns)s", columns="、".join(headers[i] for i in repeated)))
    digest = hashlib.sha256(data).hexdigest()
    stored_as = _store(data)
    job = ImportJob(created_by_id=user.id, filename=(filename or "upload")[-255:], kind=table.kind,
                    encoding=table.encoding, delimiter=table.delimiter, stored_as=stored_as, size=len(data),
                    sha256=digest, header_line=table.lines[header_index], headers=headers, mapping=targets,
                    notes=[str(n) for n in notes], status="checking", **options)
    db.session.add(job)
    db.session.commit()
    dispatch(CHECK_TASK, job.id)
    return job


def remap(job: ImportJob, user, targets: list[str] | None, options: dict, remember: bool = True) -> ImportJob:
    """The user's corrections to the mapping and options; the dry run is made again."""
    if job.status not in ("checked", "failed"):
        raise ImportInvalid({"status": [_("这个导入已经开始，不能再修改")]})
    found = _check_options({**{"mode": job.mode, "match_on": job.match_on, "owner_id": job.owner_id,
                               "team_id": job.team_id}, **options}, user)
    if targets is not None:
        _by_title, props, _titles = _custom_fields()
        errors = _mapping_errors(targets, job.headers, {t.removeprefix("extra.") for t in props})
        if errors:
            raise ImportInvalid({"mapping": errors})
        job.mapping = list(targets)
        if remember:
            _remember(job, user)
    for key, value in found.items():
        setattr(job, key, value)
    job.status = "checking"
    db.session.commit()
    dispatch(CHECK_TASK, job.id)
    return job


def _mapping_errors(targets, headers, custom_fields) -> list[str]:
    if not isinstance(targets, list) or len(targets) != len(headers):
        return [_("对应关系须为每一列给出一项（共 %(count)s 列）", count=len(headers))]
    errors, seen = [], {}
    for index, target in enumerate(targets):
        if not isinstance(target, str) or not mapping.known_target(target, custom_fields):
            errors.append(_("第 %(column)s 列：没有这个字段：%(target)s", column=index + 1, target=target))
        elif target and target in seen:
            errors.append(_("第 %(column)s 列与第 %(other)s 列对应了同一个字段", column=index + 1,
                            other=seen[target] + 1))
        else:
            seen.setdefault(target, index)
    if not errors and "name" not in targets:
        errors.append(_("请指定哪一列是客户名称"))
    return errors


def _remember(job: ImportJob, user) -> None:
    signature = mapping.signature(job.headers)
    row = db.session.get(ImportMapping, signature)
    if row is None:
        db.session.add(ImportMapping(signature=signature, targets=list(job.mapping), updated_by_id=user.id))
    else:
        row.targets, row.updated_by_id = list(job.mapping), user.id


# the dry run ------------------------------------------------------------------------------------
@dataclass
class _Candidate:
    line: int
    last_line: int
    values: dict
    errors: list


def _group(table: readers.Table, start: int, targets: list[str]):
    """The file's customers: a row with a name starts one; a row without one (or with the same name and
    no other customer value that differs) adds its contacts to the customer above it."""
    name_at = targets.index("name") if "name" in targets else None
    customer_columns = [i for i, t in enumerate(targets) if t and "." not in t] + \
                       [i for i, t in enumerate(targets) if t.startswith("extra.")]
    current = None
    for row, line in zip(table.rows[start:], table.lines[start:]):
        cells = row + [""] * (len(targets) - len(row))
        name = cells[name_at].strip() if name_at is not None else ""
        continues = current is not None and (
            not name or (name == current[0][name_at].strip()
                         and all(not cells[i] or cells[i] == current[0][i] for i in customer_columns)))
        if continues:
            current[1].append(cells)
            current[3] = line
            continue
        if current is not None:
            yield current
        current = [cells, [cells], line, line]
    if current is not None:
        yield current


def _contact_of(cells, targets, prefix) -> dict:
    found = {}
    for index, target in enumerate(targets):
        if target.startswith(prefix) and cells[index].strip():
            found[target.removeprefix(prefix)] = cells[index]
    return found


class _Cleaner:
    """Turns one file customer (its rows of cells) into the values the customer service takes."""

    def __init__(self, job: ImportJob, props: dict, titles: dict, owners: dict):
        self.job, self.targets, self.titles, self.owners = job, job.mapping, titles, owners
        self.readers = {t: cleaning.custom_field_reader(props[t]) for t in self.targets if t in props}
        self.schema, self.contact_schema = CustomerSchema(), ContactSchema()

    def _title(self, target):
        return mapping.title_of(target, self.titles)

    def clean(self, first, rows) -> tuple[dict, list[str]]:
        values, errors, extra = {}, [], {}
        for index, target in enumerate(self.targets):
            raw = first[index]
            if not target or "." in target and not target.startswith("extra.") or not raw.strip():
                continue
            try:
                if target.startswith("extra."):
                    extra[target.removeprefix("extra.")] = self.readers[target](raw)
                else:
                    self._customer_value(values, extra, target, raw)
            except cleaning.CellInvalid as exc:
                errors.append(f"{self._title(target)}：{exc}")
        if extra:
            values["extra"] = {**values.get("extra", {}), **extra}
        if not values.get("region_code") and values.get("address"):
            found = regions.county_in(values["address"])
            if found:
                values["region_code"] = found
        if self.job.owner_id:
            values["owner_id"] = self.job.owner_id
        if self.job.team_id:
            values["team_id"] = self.job.team_id
        try:
            loaded = self.schema.load(values)
        except ValidationError as exc:
            errors.extend(self._messages(translated(exc.messages)))  # marshmallow's own, in the user's language
            loaded = None
        contacts = self._contacts(rows, errors)
        if loaded is None or errors:
            return values, errors
        loaded = {k: v for k, v in loaded.items() if v is not None or k in values}
        if contacts:
            loaded["contacts"] = contacts
        if "birthday" in loaded and loaded["birthday"] is not None:
            loaded["birthday"] = loaded["birthday"].isoformat()  # JSON in import_row; the service gets a date back
        return loaded, errors

    def _customer_value(self, values, extra, target, raw):
        if target in _AS_TYPED:
            values[target] = cleaning.text(raw)
        elif target == "kind":
            values["kind"] = cleaning.kind(raw)
        elif target == "status":
            values["status"] = cleaning.status(raw)
        elif target == "scale":
            values["scale"] = cleaning.scale(raw)
        elif target == "industry":
            values["industry"] = cleaning.coded_or_text(raw, labels.INDUSTRIES)
        elif target == "source":
            values["source"] = cleaning.coded_or_text(raw, labels.SOURCES)
        elif target == "region_code":
            values["region_code"] = cleaning.region(raw)
        elif target == "birthday":
            values["birthday"] = cleaning.birthday(raw)
        elif target == "tags":
            values["tags"] = cleaning.tags(raw)
        elif target == "consent_sms":
            values["consent_sms"] = cleaning.yes_no(raw)
        elif target == "extra":
            values["extra"] = {**cleaning.extra_json(raw), **values.get("extra", {})}
        elif target == "owner":
            owner_id = self.owners.get(cleaning.text(raw))
            if owner_id is None:
                raise cleaning.CellInvalid(_("没有这个负责人：%(value)s", value=cleaning.text(raw)))
            values["owner_id"] = owner_id

    def _messages(self, messages: dict, within: str | None = None) -> list[str]:
        return report_lines(messages, self.titles, within)

    def _contacts(self, rows, errors) -> list[dict]:
        wanted = []
        for cells in rows:
            single = _contact_of(cells, self.targets, "contact.")
            if single:
                wanted.append(single)
        numbers = sorted({int(t.split(".")[1]) for t in self.targets if t.startswith("contacts.")})
        for number in numbers:
            numbered = _contact_of(rows[0], self.targets, f"contacts.{number}.")
            if numbered:
                wanted.append(numbered)
        found, seen = [], set()
        for raw in wanted:
            key = (raw.get("name", "").strip(), raw.get("phone", "").strip())
            if key in seen:
                continue
            seen.add(key)
            if not raw.get("name", "").strip():
                raw["name"] = raw.get("phone", "")  # a phone without a name: the number names the contact
            try:
                contact = self.contact_schema.load({k: cleaning.text(v) for k, v in raw.items()})
            except ValidationError as exc:
                errors.extend(self._messages(translated(exc.messages), str(mapping.CONTACT_FIELDS["name"][0])))
                continue
            found.append({k: v for k, v in contact.items() if v is not None})
        if found:
            found[0].setdefault("is_primary", True)
        return found


def _field_title(field: str, titles: dict, within: str | None) -> str:
    if within == "extra":
        return mapping.title_of(f"extra.{field}", titles)
    if field in mapping.CUSTOMER_FIELDS:
        return mapping.title_of(field, titles)
    return {"owner_id": str(mapping.CUSTOMER_FIELDS["owner"][0]), "team_id": _("团队"),
            "extra_schema": _("字段模式"), "_schema": _("字段模式")}.get(field, field)


def report_lines(messages: dict, titles: dict, within: str | None = None) -> list[str]:
    """Marshmallow's or the customer service's errors as report lines ("电话：不是有效的电话号码：123"),
    fields named by their titles (``titles``: custom fields' by target), the dry run's and the run's alike."""
    found = []
    for field, items in messages.items():
        title = within if within and within != "extra" else _field_title(str(field), titles, within)
        for item in (items if isinstance(items, list) else [items]):
            if isinstance(item, dict):
                found.extend(report_lines(item, titles, "extra" if field == "extra" else title))
            else:
                found.append(f"{title}：{item}")
    return found


def _owners_by_name(user) -> dict[str, int]:
    """Active users by username and by display name (a display name two users share names nobody)."""
    found, shared = {}, set()
    for row in db.session.execute(select(User.id, User.username, User.display_name).where(User.active.is_(True))):
        found[row.username] = row.id
        if row.display_name:
            if row.display_name in found and found[row.display_name] != row.id:
                shared.add(row.display_name)
            found.setdefault(row.display_name, row.id)
    for name in shared:
        found.pop(name, None)
    return found


def _match_keys(values: dict, match_on) -> list[tuple[str, str]]:
    keys = []
    if "phone" in match_on and values.get("phone"):
        keys.append(("phone", phones.blind_index(values["phone"])))
    if "uscc" in match_on and values.get("uscc"):
        keys.append(("uscc", values["uscc"]))
    if "external_id" in match_on and values.get("external_id"):
        keys.append(("external_id", values["external_id"]))
    return keys


_MATCH_COLUMNS = {"phone": Customer.phone_index, "uscc": Customer.uscc, "external_id": Customer.external_id}


def _existing(keys_by_kind: dict[str, set]) -> dict[tuple[str, str], tuple]:
    """Live customers by each match key, found with one IN query per kind and thousand keys."""
    found = {}
    for kind, keys in keys_by_kind.items():
        column = _MATCH_COLUMNS[kind]
        keys = sorted(keys)
        for start in range(0, len(keys), 1000):
            rows = db.session.execute(
                select(column, Customer.id, Customer.name, Customer.owner_id, Customer.team_id)
                .where(column.in_(keys[start:start + 1000]), Customer.deleted_at.is_(None))
                .order_by(Customer.id))
            for row in rows:
                found.setdefault((kind, row[0]), row)
    return found


def described(match, user) -> str:
    """The existing customer a row matched, as the importer may see it (masked outside their scope)."""
    return describe(match.id, match.name, match.team_id, user, visible_customer(match.id, user) is not None)


def check(job_id: int) -> None:
    """The dry run: what every customer of the file would do, written as the job's rows and counts."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status != "checking":
        return
    user = job.created_by
    with force_locale(user.locale or "zh"):
        try:
            _check(job, user)
        except readers.FileRefused as exc:
            job.status, job.error = "failed", str(exc)
            db.session.commit()


def _check(job: ImportJob, user) -> None:
    table = readers.read_table(_stored(job))
    _by_title, props, titles = _custom_fields()
    start = table.lines.index(job.header_line) + 1 if job.header_line in table.lines else 1
    cleaner = _Cleaner(job, props, titles, _owners_by_name(user) if "owner" in job.mapping else {})
    candidates = []
    for first, rows, line, last_line in _group(table, start, job.mapping):
        values, errors = cleaner.clean(first, rows)
        candidates.append(_Candidate(line, last_line, values, errors))
    valid = [c for c in candidates if not c.errors]
    for candidate, problems in zip(valid, _rule_errors([c.values for c in valid], user)):
        candidate.errors.extend(cleaner._messages(problems))
    keys_by_kind: dict[str, set] = {}
    for candidate in candidates:
        if not candidate.errors:
            for kind, key in _match_keys(candidate.values, job.match_on):
                keys_by_kind.setdefault(kind, set()).add(key)
    existing = _existing(keys_by_kind)
    db.session.execute(delete(ImportRow).where(ImportRow.job_id == job.id))
    seen_in_file, rows, counts = {}, [], {"create": 0, "update": 0, "skip": 0, "error": 0}
    for candidate in candidates:
        action, messages, match_id = _decide(job, user, candidate, existing, seen_in_file)
        counts[action] += 1
        rows.append({"job_id": job.id, "line": candidate.line, "last_line": candidate.last_line, "action": action,
                     "values": _sealed(candidate.values), "messages": messages, "match_customer_id": match_id,
                     "done": action in ("skip", "error"), "undone": False})
        if len(rows) >= BATCH:
            db.session.execute(insert(ImportRow), rows)
            rows = []
    if rows:
        db.session.execute(insert(ImportRow), rows)
    job.counts, job.total_rows, job.done_rows = counts, len(candidates), 0
    job.status, job.checked_at, job.error = "checked", utcnow(), None
    db.session.commit()


def _rule_errors(values: list[dict], user) -> list[dict]:
    """The customer service's own rules (owner and team scope, industry schema, plugins) for each row,
    in batches, writing nothing."""
    found = []
    for start in range(0, len(values), BATCH):
        found.extend(check_new_customers(values[start:start + BATCH], user))
    return found


def _decide(job, user, candidate, existing, seen_in_file):
    if candidate.errors:
        return "error", candidate.errors, None
    keys = _match_keys(candidate.values, job.match_on)
    for key in keys:
        if key in seen_in_file:
            return "skip", [_("与第 %(line)s 行重复（%(key)s 相同）", line=seen_in_file[key],
                             key=_key_title(key[0]))], None
    for key in keys:
        seen_in_file[key] = candidate.line
    match = next((existing[k] for k in keys if k in existing), None)
    if match is None:
        return "create", [], None
    description = described(match, user)
    if job.mode == "skip":
        return "skip", [_("跳过：%(existing)s", existing=description)], match.id
    if job.mode == "create":
        return "create", [_("可能重复，仍将新建：%(existing)s", existing=description)], match.id
    if visible_customer(match.id, user) is None:
        return "error", [_("不能更新：%(existing)s，不在你的权限范围内", existing=description)], match.id
    return "update", [_("将更新：%(existing)s", existing=description)], match.id


def _key_title(kind: str) -> str:
    return {"phone": _("电话"), "uscc": _("统一社会信用代码"), "external_id": _("外部编号")}[kind]


# the run ----------------------------------------------------------------------------------------
def commit_import(job: ImportJob, user) -> ImportJob:
    """Start writing what the dry run found; the work runs in Celery, batch by batch."""
    if job.status != "checked":
        raise ImportInvalid({"status": [_("只有检查完成的导入才能开始")]})
    if not (job.counts.get("create") or job.counts.get("update")):
        raise ImportInvalid({"status": [_("没有可以导入的行")]})
    job.status, job.committed_at = "running", utcnow()
    db.session.commit()
    dispatch(RUN_TASK, job.id)
    return job


def _for_service(values: dict) -> dict:
    found = _opened(values)
    if isinstance(found.get("birthday"), str):
        found["birthday"] = date.fromisoformat(found["birthday"])
    return found


def _claim(job_id: int, status: str) -> ImportJob | None:
    """The job, locked for this batch: the UPDATE comes first in the transaction, so a second task on
    the same import (the sweep's, while this one still works) waits for this batch's commit and then
    reads the rows it left done (a row lock on PostgreSQL, the write lock on SQLite)."""
    claimed = db.session.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.status == status)
                                 .values(updated_at=utcnow()))
    if claimed.rowcount != 1:
        db.session.rollback()
        return None
    return db.session.get(ImportJob, job_id, populate_existing=True)


def run_batch(job_id: int) -> str:
    """Write the next batch of a running import; "more", "done" or "stopped" (not running)."""
    job = _claim(job_id, "running")
    if job is None:
        return "stopped"
    user = job.created_by
    pending = list(db.session.scalars(select(ImportRow).where(ImportRow.job_id == job.id,
                                                              ImportRow.done.is_(False))
                                      .order_by(ImportRow.line).limit(BATCH)))
    if not pending:
        job.status, job.finished_at = "done", utcnow()
        db.session.commit()
        return "done"
    with force_locale(user.locale or "zh"):
        titles = _custom_fields()[2]
        creates = [r for r in pending if r.action == "create"]
        results = create_customers([_for_service(r.values) for r in creates], user, commit=False) if creates else []
        for row, result in zip(creates, results):
            _record(job, row, result, titles)
        for row in (r for r in pending if r.action == "update"):
            _update(job, row, user, titles)
    job.done_rows = job.done_rows + len(pending)
    db.session.commit()
    return "more"


def _record(job, row, result, titles) -> None:
    row.done = True
    if isinstance(result, CustomerInvalid):
        row.action, row.messages = "error", report_lines(result.errors, titles)
        job.counts = {**job.counts, "create": job.counts["create"] - 1, "error": job.counts["error"] + 1}
    else:
        row.customer_id = result.id


UPDATABLE = ("kind", "name", "company", "uscc", "external_id", "phone", "email", "address", "region_code",
             "industry", "scale", "status", "source", "birthday", "tags", "extra", "consent_sms")


def _update(job, row, user, titles) -> None:
    row.done = True
    customer = visible_customer(row.match_customer_id, user)
    if customer is None:
        row.action, row.messages = "error", [_("要更新的客户已不存在或不在你的权限范围内")]
        return
    values = {k: v for k, v in _for_service(row.values).items() if k in UPDATABLE}
    before = {k: _jsonable(getattr(customer, k)) for k in values if k != "tags"}
    if "tags" in values:
        before["tags"] = [t.name for t in customer.tags]
    try:
        with db.session.begin_nested():
            update_customer(customer, values, user, commit=False)
            db.session.flush()
    except CustomerInvalid as exc:
        row.action, row.messages = "error", report_lines(exc.errors, titles)
        return
    row.customer_id, row.before = customer.id, _sealed(before)


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value


# undo -------------------------------------------------------------------------------------------
def undo_import(job: ImportJob, user) -> ImportJob:
    """Take a finished import back: its new customers deleted, the ones it changed restored."""
    if job.status != "done":
        raise ImportInvalid({"status": [_("只有完成的导入才能撤销")]})
    job.status = "undoing"
    db.session.commit()
    dispatch(UNDO_TASK, job.id)
    return job


def undo_batch(job_id: int) -> str:
    job = _claim(job_id, "undoing")
    if job is None:
        return "stopped"
    user = job.created_by
    pending = list(db.session.scalars(select(ImportRow).where(
        ImportRow.job_id == job.id, ImportRow.customer_id.is_not(None), ImportRow.undone.is_(False))
        .order_by(ImportRow.line.desc()).limit(BATCH)))
    if not pending:
        job.status, job.undone_at = "undone", utcnow()
        db.session.commit()
        return "done"
    with force_locale(user.locale or "zh"):
        titles = _custom_fields()[2]
        for row in pending:
            row.undone = True
            customer = db.session.get(Customer, row.customer_id)
            if customer is None or customer.deleted_at is not None:
                continue
            if row.action == "create":
                delete_customer(customer, commit=False)
            elif row.before is not None:
                try:
                    with db.session.begin_nested():
                        update_customer(customer, _for_service(row.before), user, commit=False)
                        db.session.flush()
                except CustomerInvalid as exc:  # restored as far as today's rules allow
                    row.messages = list(row.messages) + report_lines(exc.errors, titles)
    db.session.commit()
    return "more"


def stalled_imports() -> list[tuple[str, int]]:
    """Imports whose progress stopped (a worker died): the sweep sends their task again. A batch bumps
    ``updated_at``; a dry run writes only at its end, so it is given longer."""
    now = utcnow()
    stalled_after = timedelta(seconds=current_app.config.get("KEHU_IMPORT_STALL_SECONDS", STALLED_AFTER.total_seconds()))
    rows = db.session.execute(select(ImportJob.id, ImportJob.status).where(
        ((ImportJob.status.in_(("running", "undoing"))) & (ImportJob.updated_at < now - stalled_after))
        | ((ImportJob.status == "checking") & (ImportJob.updated_at < now - CHECK_STALLED_AFTER))))
    return [({"running": RUN_TASK, "undoing": UNDO_TASK, "checking": CHECK_TASK}[r.status], r.id) for r in rows]


# what the user reads -----------------------------------------------------------------------------
def columns_of(job: ImportJob) -> list[dict]:
    """Each column's header, target and the target's title in the user's language."""
    _by_title, _props, titles = _custom_fields()
    return [{"header": h, "target": t, "title": mapping.title_of(t, titles) if t else ""}
            for h, t in zip(job.headers, job.mapping)]


def targets_offered() -> list[dict]:
    """Every target the mapping form offers, with its title: customer fields, contacts, custom fields."""
    _by_title, props, titles = _custom_fields()
    found = [{"target": t, "title": str(title)} for t, (title, _words) in mapping.CUSTOMER_FIELDS.items()]
    found += [{"target": f"contact.{t}", "title": str(title)} for t, (title, _words) in mapping.CONTACT_FIELDS.items()]
    for number in range(1, 4):
        found += [{"target": f"contacts.{number}.{t}", "title": f"{title} {number}"}
                  for t, (title, _words) in mapping.CONTACT_FIELDS.items()]
    found += [{"target": t, "title": titles[t]} for t in props]
    return found


def error_workbook(job: ImportJob) -> bytes:
    """The rows that were refused, as the file had them, with a 错误原因 column: fix them, upload again.

    Cells are written as text (write_string): a cell that starts with = stays a string, not a formula."""
    import io
    import xlsxwriter
    table = readers.read_table(_stored(job))
    by_line = dict(zip(table.lines, table.rows))
    refused = db.session.execute(select(ImportRow.line, ImportRow.last_line, ImportRow.messages).where(
        ImportRow.job_id == job.id, ImportRow.action == "error").order_by(ImportRow.line)).all()
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    sheet = book.add_worksheet(_("需修改的行"))
    bold = book.add_format({"bold": True})
    reason = book.add_format({"font_color": "#B00020", "text_wrap": True})
    for column, header in enumerate(job.headers):
        sheet.write_string(0, column, header, bold)
    sheet.write_string(0, len(job.headers), _("错误原因"), bold)
    out_row = 1
    for line, last_line, messages in refused:
        for at in range(line, last_line + 1):
            if at not in by_line:
                continue
            for column, value in enumerate(by_line[at][:len(job.headers)]):
                sheet.write_string(out_row, column, value)
            if at == line:
                sheet.write_string(out_row, len(job.headers), "；".join(messages), reason)
            out_row += 1
    sheet.set_column(len(job.headers), len(job.headers), 60)
    book.close()
    return out.getvalue()


def forget_old_uploads() -> int:
    """Delete the uploaded files of imports last touched ``KEHU_IMPORT_KEEP_DAYS`` ago (30 by default):
    the customers they held are in the database by then; the report stays, the error workbook goes."""
    keep = timedelta(days=current_app.config.get("KEHU_IMPORT_KEEP_DAYS", 30))
    old = db.session.scalars(select(ImportJob).where(
        ImportJob.updated_at < utcnow() - keep, ImportJob.status.in_(("checked", "done", "failed", "undone"))))
    forgotten = 0
    for job in old:
        path = _folder() / job.stored_as
        if path.exists():
            path.unlink()
            forgotten += 1
    return forgotten
