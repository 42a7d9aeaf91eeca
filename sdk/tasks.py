"""Celery tasks for plugin code: ``@task("kehu.<plugin>.<fn>")`` and outbox consumers."""
from kehu.tasks.outbox_relay import outbox_consumer
from kehu.tasks.plugin_tasks import plugin_task as task

__all__ = ["outbox_consumer", "task"]
