"""Celery tasks for plugin code: ``@task(NAME)`` and outbox consumers; send with ``dispatch(NAME, *args)``.

Name each task once, as a constant in the plugin's ``tasks.py`` (``RUN_CAMPAIGN = "kehu.sms.run_campaign"``),
and use that constant wherever it is sent.
"""
from kehu.platform.outbox import outbox_consumer
from kehu.platform.tasks import dispatch, plugin_task as task

__all__ = ["dispatch", "outbox_consumer", "task"]
