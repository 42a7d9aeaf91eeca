"""The export: every live customer to .xlsx through kehu's export service, against one hand-written SQL
SELECT written with XlsxWriter (constant_memory), in the same run on the same database.

Both write the same cells: the same columns and titles, labels for codes, the full region name,
China time, tags and contacts joined with "|", phones decrypted and shown as people write them, one
column per custom field. What kehu adds is its machinery: the filter engine with the user's scope
and plugin criteria, keyset batches and their tag and contact queries, neutralizing every text cell,
the job row with its progress, the audit entry. Runs alternate (kehu, then the raw one), so that a
change in the machine's load hits both.
"""
import json
import time
from pathlib import Path

import xlsxwriter
from sqlalchemy import text

from kehu.accounts.models import User
from kehu.custom_fields.query import declared_fields, schema_titles
from kehu.customers import phones, regions
from kehu.customers.query import filter_from_args
from kehu.exports import service
from kehu.exports.models import ExportJob
from kehu.exports.rows import CustomerTable
from kehu.extensions import db
from kehu.platform.pii import fernet_for
from kehu.web import labels

from timing import Timing, figure

WARMUP = 1

_SQL = {
    "postgresql": """
        SELECT c.id, c.name, c.kind, c.company, c.phone_encrypted, c.email, c.region_code, c.address, c.industry,
               c.scale, c.status, c.source, u.display_name AS owner, t.name AS team, c.birthday,
               (SELECT string_agg(g.name, '|' ORDER BY g.name) FROM customer_tag ct JOIN tag g ON g.id = ct.tag_id
                 WHERE ct.customer_id = c.id) AS tags,
               (SELECT json_agg(json_build_array(k.name, k.title, k.phone_encrypted) ORDER BY k.id) FROM contact k
                 WHERE k.customer_id = c.id) AS contacts,
               c.consent_sms, c.consent_email, c.consent_phone,
               to_char(c.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS created,
               to_char(c.updated_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') AS updated, c.extra
          FROM customer c LEFT JOIN user_account u ON u.id = c.owner_id LEFT JOIN team t ON t.id = c.team_id
         WHERE c.deleted_at IS NULL ORDER BY c.created_at DESC, c.id DESC""",
    "sqlite": """
        SELECT c.id, c.name, c.kind, c.company, c.phone_encrypted, c.email, c.region_code, c.address, c.industry,
               c.scale, c.status, c.source, u.display_name AS owner, t.name AS team, c.birthday,
               (SELECT group_concat(name, '|') FROM (SELECT g.name FROM customer_tag ct JOIN tag g ON g.id = ct.tag_id
                 WHERE ct.customer_id = c.id ORDER BY g.name)) AS tags,
               (SELECT json_group_array(json_array(k.name, k.title, k.phone_encrypted)) FROM contact k
                 WHERE k.customer_id = c.id) AS contacts,
               c.consent_sms, c.consent_email, c.consent_phone,
               strftime('%Y-%m-%d %H:%M', c.created_at, '+8 hours') AS created,
               strftime('%Y-%m-%d %H:%M', c.updated_at, '+8 hours') AS updated, c.extra
          FROM customer c LEFT JOIN user_account u ON u.id = c.owner_id LEFT JOIN team t ON t.id = c.team_id
         WHERE c.deleted_at IS NULL ORDER BY c.created_at DESC, c.id DESC""",
}


def _raw_export(site, path: Path, titles: list[str]) -> int:
    """The hand-written export: one streamed SELECT, Python for what SQL cannot do, XlsxWriter."""
    names = {mapping: {code: str(title) for code, title in getattr(labels, mapping).items()}
             for mapping in ("CUSTOMER_KINDS", "SCALES", "CUSTOMER_STATUSES", "SOURCES", "INDUSTRIES")}
    industries = {**schema_titles(), **names["INDUSTRIES"]}
    fields = list(declared_fields())
    fernet = fernet_for(b"phone-encryption")
    region_names: dict[str, str] = {}
    yes_no = ("否", "是")

    def phone(token):
        return phones.display(fernet.decrypt(token.encode()).decode()) if token else None

    def region(code):
        if code and code not in region_names:
            region_names[code] = regions.full_name(code) or code
        return region_names.get(code)

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "tmpdir": str(path.parent)})
    sheet = book.add_worksheet("客户")
    for column, title in enumerate(titles):
        sheet.write_string(0, column, title)
    count = 0
    with db.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=1000).execute(text(_SQL[site.dialect]))
        for count, r in enumerate(result, start=1):
            contacts = json.loads(r.contacts) if isinstance(r.contacts, str) else (r.contacts or [])
            extra = json.loads(r.extra) if isinstance(r.extra, str) else (r.extra or {})
            cells = [r.id, r.name, names["CUSTOMER_KINDS"].get(r.kind, r.kind), r.company, phone(r.phone_encrypted),
                     r.email, region(r.region_code), r.address, industries.get(r.industry, r.industry),
                     names["SCALES"].get(r.scale, r.scale), names["CUSTOMER_STATUSES"].get(r.status, r.status),
                     names["SOURCES"].get(r.source, r.source), r.owner, r.team, str(r.birthday) if r.birthday else None,
                     r.tags, "|".join(" ".join(p for p in (k[0], k[1], phone(k[2])) if p) for k in contacts),
                     yes_no[bool(r.consent_sms)], yes_no[bool(r.consent_email)], yes_no[bool(r.consent_phone)],
                     r.created, r.updated]
            for name in fields:
                value = extra.get(name)
                if isinstance(value, bool):
                    value = yes_no[value]
                cells.append("|".join(map(str, value)) if isinstance(value, list) else value)
            for column, value in enumerate(cells):
                if value is None or value == "":
                    continue
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    sheet.write_number(count, column, value)
                else:
                    sheet.write_string(count, column, str(value))
    book.close()
    return count


def _kehu_export(site, admin_id) -> tuple[int, Path]:
    job = service.start_export(filter_from_args({}), "xlsx", db.session.get(User, admin_id))
    assert job.status == "done", job.error
    return job.rows_done, service.export_folder() / job.file_path


def export_case(site, repeat: int) -> list[dict]:
    """``repeat`` exports each way, alternating, after a warm-up; files are deleted after each run."""
    site.app.config["KEHU_EXPORT_INLINE_ROWS"] = 10**9  # in the service's own call, not a worker's
    kehu, raw, rows = [], [], None
    with site.app.app_context():
        titles = CustomerTable(db.session.get(User, site.admin_id)).titles
        folder = service.export_folder()
    for number in range(WARMUP + repeat):
        with site.app.app_context():
            began = time.perf_counter()
            count, made = _kehu_export(site, site.admin_id)
            taken = (time.perf_counter() - began) * 1000
            made.unlink()
            db.session.query(ExportJob).delete()
            db.session.commit()
        with site.app.app_context():
            path = folder / f"raw-{number}.xlsx"
            began = time.perf_counter()
            raw_count = _raw_export(site, path, titles)
            raw_taken = (time.perf_counter() - began) * 1000
            path.unlink()
        assert raw_count == count, f"raw SELECT wrote {raw_count} rows, kehu {count}"
        if number >= WARMUP:
            kehu.append(taken)
            raw.append(raw_taken)
        rows = count
    kehu_timing, raw_timing = Timing.of(kehu), Timing.of(raw)
    return [figure("export", f"xlsx, all {rows:,} customers", kehu_timing, raw_timing,
                   "raw SELECT + XlsxWriter", rows=rows, columns=len(titles),
                   kehu_rows_per_s=round(rows / (kehu_timing.median_ms / 1000), 1),
                   raw_rows_per_s=round(rows / (raw_timing.median_ms / 1000), 1))]
