"""The daily backup (beat schedule in kehu.platform.tasks, at KEHU_BACKUP_AT China time)."""
from celery import shared_task

from kehu.backups import service
from kehu.platform.tasks import BACKUP_TASK


@shared_task(name=BACKUP_TASK)
def daily_backup() -> dict | None:
    """Back up with KEHU_BACKUP_KEY_FILE into KEHU_BACKUP_DIR and keep the newest KEHU_BACKUP_KEEP."""
    return service.scheduled_backup()
