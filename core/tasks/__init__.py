"""Celery: one app per Flask app, tasks run inside its app context with fresh plugin state."""
from celery import Celery, Task

CORE_TASK_MODULES = ["kehu.tasks.outbox_relay", "kehu.webhooks.tasks"]
RELAY_INTERVAL_SECONDS = 30.0
WEBHOOK_SWEEP_SECONDS = 10.0  # due webhook retries are at most this late


def init_celery(app, task_modules) -> Celery:
    class AppContextTask(Task):
        def __call__(self, *args, **kwargs):
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=AppContextTask)
    celery.config_from_object(app.config["CELERY"])
    celery.conf.beat_schedule = {
        "kehu.outbox.relay": {"task": "kehu.outbox.relay", "schedule": RELAY_INTERVAL_SECONDS},
        "kehu.webhooks.sweep": {"task": "kehu.webhooks.sweep", "schedule": WEBHOOK_SWEEP_SECONDS},
    }
    celery.set_default()
    app.extensions["celery"] = celery
    celery.conf.imports = list(dict.fromkeys(CORE_TASK_MODULES + list(task_modules)))
    for module in celery.conf.imports:
        __import__(module)
    return celery
