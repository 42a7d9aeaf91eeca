"""An export job: who exported which filter to which format, its progress and its file until it expires."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kehu.extensions import db
from kehu.platform.columns import TimestampMixin, UTCDateTime

# queued -> running -> done -> expired (the file deleted), or failed
STATUSES = ("queued", "running", "done", "failed", "expired")
UNFINISHED = ("queued", "running")


class ExportJob(TimestampMixin, db.Model):
    """One export. Not an audited model: its progress changes every batch; the export itself is written
    to the audit log once, when its file is made (``service.run_export``). ``updated_at`` is the
    heartbeat of a running job: a job whose worker died stops beating (``service.sweep``)."""

    __tablename__ = "export_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), nullable=False, index=True)
    # the user's team when exporting: a team-scoped reader of the audit log sees the team's exports
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"))
    format: Mapped[str] = mapped_column(String(40), nullable=False)
    # the customer list's arguments (kehu.customers.query.filter_to_args): read again when the job runs
    filter_args: Mapped[dict] = mapped_column(JSON, default=dict, nullable=False)
    locale: Mapped[str | None] = mapped_column(String(16))  # the column titles' language
    status: Mapped[str] = mapped_column(String(12), default="queued", nullable=False, index=True)
    rows_total: Mapped[int | None] = mapped_column(Integer)  # counted when the job starts writing
    rows_done: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    file_path: Mapped[str | None] = mapped_column(String(300))  # inside KEHU_EXPORT_DIR
    file_name: Mapped[str | None] = mapped_column(String(120))  # what the download is called
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    error: Mapped[str | None] = mapped_column(String(500))

    @property
    def row_count(self) -> int | None:
        """How many customers the file holds (once it is made)."""
        return self.rows_done if self.status in ("done", "expired") else None
