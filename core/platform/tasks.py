"""Celery: one app per Flask app; tasks run inside its app context. Tasks are named by constants.

Send a task with ``dispatch(NAME, *args)``: it goes through the Celery app of the Flask app at hand
(eager mode honours that), never Celery's process-wide "current" app, which is whichever app was
created last (possibly another site's broker).
"""
import functools
import logging

from celery import Celery, Task, shared_task
from celery.schedules import crontab
from flask import current_app

log = logging.getLogger(__name__)

RELAY_TASK = "kehu.outbox.relay"
WEBHOOK_SWEEP_TASK = "kehu.webhooks.sweep"
IMPORT_SWEEP_TASK = "kehu.imports.sweep"
EXPORT_SWEEP_TASK = "kehu.exports.sweep"
BACKUP_TASK = "kehu.backups.daily_backup"
CORE_TASK_MODULES = ["kehu.platform.outbox", "kehu.webhooks.tasks", "kehu.imports.tasks", "kehu.exports.tasks",
                     "kehu.backups.tasks"]
RELAY_INTERVAL_SECONDS = 30.0
WEBHOOK_SWEEP_SECONDS = 10.0  # due webhook retries are at most this late
IMPORT_SWEEP_SECONDS = 60.0   # an import whose worker died goes on within a minute of being seen stalled
EXPORT_SWEEP_SECONDS = 600.0  # expired export files are deleted at most this late


def init_celery(app, task_modules) -> Celery:
    class AppContextTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=AppContextTask)
    celery.config_from_object(app.config["CELERY"])
    celery.conf.beat_schedule = {
        RELAY_TASK: {"task": RELAY_TASK, "schedule": RELAY_INTERVAL_SECONDS},
        WEBHOOK_SWEEP_TASK: {"task": WEBHOOK_SWEEP_TASK, "schedule": WEBHOOK_SWEEP_SECONDS},
        IMPORT_SWEEP_TASK: {"task": IMPORT_SWEEP_TASK,
                            "schedule": float(app.config.get("KEHU_IMPORT_SWEEP_SECONDS", IMPORT_SWEEP_SECONDS))},
        # does nothing until KEHU_BACKUP_DIR and KEHU_BACKUP_KEY_FILE are set (the task checks, per run)
        BACKUP_TASK: {"task": BACKUP_TASK, "schedule": daily_at(app.config["KEHU_BACKUP_AT"])},
        EXPORT_SWEEP_TASK: {"task": EXPORT_SWEEP_TASK, "schedule": EXPORT_SWEEP_SECONDS},
    }
    celery.set_default()
    app.extensions["celery"] = celery
    celery.conf.imports = list(dict.fromkeys(CORE_TASK_MODULES + list(task_modules)))
    for module in celery.conf.imports:
        __import__(module)
    return celery


def daily_at(clock: str) -> crontab:
    """``"03:00"`` as a daily schedule, in Celery's time zone (China time)."""
    try:
        hour, minute = (int(part) for part in clock.split(":"))
        return crontab(hour=hour, minute=minute)
    except ValueError:
        raise ValueError(f"a time of day is HH:MM, not {clock!r}") from None


def dispatch(task_name: str, *args, countdown: float | None = None, **kwargs) -> None:
    """Queue ``task_name`` (a name constant) with JSON ``args``/``kwargs`` on this app's Celery."""
    celery = current_app.extensions["celery"]
    task = celery.tasks.get(task_name)
    options = {"countdown": countdown} if countdown else {}
    if task is not None:
        task.apply_async(args=args, kwargs=kwargs, **options)
    else:  # a task only workers know (another process registered it)
        celery.send_task(task_name, args=args, kwargs=kwargs, **options)


def plugin_task(name: str, **options):
    """Declare a Celery task ``kehu.<plugin>.<fn>`` that does nothing while its plugin is disabled.

    Tasks take JSON arguments (ids, not ORM objects) and must be idempotent: with ``acks_late``
    a task interrupted by a dying worker runs again.
    """
    parts = name.split(".")
    if len(parts) < 3 or parts[0] != "kehu":
        raise ValueError(f"plugin task names are kehu.<plugin>.<function>, not {name!r}")
    plugin_name = parts[1]

    def decorator(fn):
        @shared_task(name=name, **options)
        @functools.wraps(fn)
        def run(*args, **kwargs):
            if not current_app.extensions["kehu_plugins"].is_enabled(plugin_name):
                log.debug("skipping %s: plugin %s is disabled", name, plugin_name)  # every minute: not news
                return None
            return fn(*args, **kwargs)

        return run

    return decorator
