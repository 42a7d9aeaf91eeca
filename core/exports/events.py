"""What exports announce: who may read the audit entries of exports (``service`` writes one per file made).

An export's entry is read as far as the exporting user is in the reader's scope: a team manager with
``audit.read`` sees the team's exports, admins everybody's.
"""
from sqlalchemy import String, cast, select

from kehu.exports.models import ExportJob
from kehu.platform.audit import AuditLog, audit_scope
from kehu.platform.permissions import scope_criterion


def _export_rows(user):
    jobs = select(cast(ExportJob.id, String)).where(scope_criterion(user, ExportJob.user_id, ExportJob.team_id))
    return AuditLog.entity_id.in_(jobs)


def register() -> None:
    audit_scope(ExportJob.__tablename__, _export_rows)
