"""Celery tasks of imports: the dry run, the run and the undo, each in batches that hand over to a new
task while work is left (so no task holds a worker for an hour, and a restart loses one batch at most),
and a sweep that sends again the task of an import whose worker died."""
import logging

from celery import shared_task

from kehu.imports import service
from kehu.platform.tasks import dispatch

log = logging.getLogger(__name__)


@shared_task(name=service.CHECK_TASK, acks_late=True, reject_on_worker_lost=True)
def check(job_id: int) -> None:
    service.check(job_id)


@shared_task(name=service.RUN_TASK, acks_late=True, reject_on_worker_lost=True)
def run(job_id: int) -> str:
    outcome = service.run_batch(job_id)
    if outcome == "more":
        dispatch(service.RUN_TASK, job_id)
    return outcome


@shared_task(name=service.UNDO_TASK, acks_late=True, reject_on_worker_lost=True)
def undo(job_id: int) -> str:
    outcome = service.undo_batch(job_id)
    if outcome == "more":
        dispatch(service.UNDO_TASK, job_id)
    return outcome


@shared_task(name=service.SWEEP_TASK)
def sweep() -> None:
    for task_name, job_id in service.stalled_imports():
        log.warning("import %s stalled: sending %s again", job_id, task_name)
        dispatch(task_name, job_id)
    service.forget_old_uploads()
