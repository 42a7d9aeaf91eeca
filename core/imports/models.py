"""An import: the uploaded file, how its columns map, what each of its rows will do or did."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from kehu.extensions import db
from kehu.platform.audit import AuditedMixin
from kehu.platform.columns import TimestampMixin, UTCDateTime

MODES = ("create", "upsert", "skip")      # create only · create or update matches · skip matches
MATCH_KEYS = ("phone", "uscc", "external_id")
# uploaded → (checking) → checked → running → done → (undoing) → undone; failed when a run stopped on
# something other than a row (a row's problem is that row's error, never the import's)
STATUSES = ("checking", "checked", "running", "done", "failed", "undoing", "undone")
ACTIONS = ("create", "update", "skip", "error")


class ImportJob(AuditedMixin, TimestampMixin, db.Model):
    __tablename__ = "import_job"
    __audit_exclude__ = ("created_at", "updated_at", "done_rows", "counts", "headers", "stored_as", "task_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)           # xlsx | xls | csv
    encoding: Mapped[str | None] = mapped_column(String(20))
    delimiter: Mapped[str | None] = mapped_column(String(2))
    stored_as: Mapped[str] = mapped_column(String(300), nullable=False)    # under the instance folder
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    header_line: Mapped[int] = mapped_column(Integer, nullable=False)
    headers: Mapped[list] = mapped_column(JSON, nullable=False)
    mapping: Mapped[list] = mapped_column(JSON, nullable=False)            # a target per column
    mode: Mapped[str] = mapped_column(String(8), default="create", nullable=False)
    match_on: Mapped[list] = mapped_column(JSON, default=lambda: list(MATCH_KEYS), nullable=False)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))   # import into this owner
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))           # or this team
    status: Mapped[str] = mapped_column(String(10), default="checking", nullable=False)
    total_rows: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    done_rows: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    counts: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)  # {action: rows}
    notes: Mapped[list] = mapped_column(JSON, default=list, nullable=False)   # what the reader did
    error: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[str | None] = mapped_column(String(64))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by = relationship("User", foreign_keys=[created_by_id], lazy="joined")


class ImportRow(db.Model):
    """One customer of the file (a row, or several rows when its contacts take a row each): what the dry
    run found it will do, and, once run, what it did. ``values`` is what the customer service is given."""
    __tablename__ = "import_row"
    __table_args__ = (Index("ix_import_row_pending", "job_id", "done", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("import_job.id", ondelete="CASCADE"), nullable=False)
    line: Mapped[int] = mapped_column(Integer, nullable=False)          # the first of its lines in the file
    last_line: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(8), nullable=False)
    values: Mapped[dict] = mapped_column(JSON, nullable=False)
    messages: Mapped[list] = mapped_column(JSON, default=list, nullable=False)   # why refused or skipped
    match_customer_id: Mapped[int | None] = mapped_column(Integer)      # the existing customer it matched
    customer_id: Mapped[int | None] = mapped_column(Integer, index=True)  # created or updated by the run
    before: Mapped[dict | None] = mapped_column(JSON)                    # an update's before-values (undo)
    done: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    undone: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)


class ImportMapping(TimestampMixin, db.Model):
    """The mapping a user chose for a file with these headers, offered for the next such file."""
    __tablename__ = "import_mapping"

    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    targets: Mapped[list] = mapped_column(JSON, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
