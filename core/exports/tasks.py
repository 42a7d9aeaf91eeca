"""Celery tasks of exports: making a large export's file, and the periodic clean-up of expired files."""
from celery import shared_task

from kehu.exports import service
from kehu.platform.tasks import EXPORT_SWEEP_TASK


@shared_task(name=service.RUN_TASK, acks_late=True, reject_on_worker_lost=True)
def run_export(job_id: int) -> None:
    """Make the job's file; a redelivered task finds the job done (or alive in another worker) and stops."""
    service.run_export(job_id)


@shared_task(name=EXPORT_SWEEP_TASK)
def sweep() -> int:
    return service.sweep()
