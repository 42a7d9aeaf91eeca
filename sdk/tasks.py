"""Celery tasks for plugin code: ``@task("kehu.<plugin>.<fn>")`` and outbox consumers."""
from kehu.platform.outbox import outbox_consumer
from kehu.platform.tasks import plugin_task as task

__all__ = ["outbox_consumer", "task"]
