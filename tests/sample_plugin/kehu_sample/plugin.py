import click
from flask import Blueprint, jsonify

from kehu_sdk import Plugin, hookimpl
from kehu_sdk.db import db
from kehu_sdk.interactions import MessageChannel, MessageRefused, log_interaction
from kehu_sdk.signals import customer_created
from kehu_sdk.webhooks import WebhookReceiver

from kehu_sample import models  # noqa: F401  plugin tables are registered at start-up

blueprint = Blueprint("sample", __name__, url_prefix="/sample")
received = []  # customer ids seen by the signal receiver (tests read it)
webhook_secrets = []  # accepted signing secrets of POST /webhooks/sample (tests set them)
webhooks_handled = []  # events given to the webhook handler (tests read it)


def handle_webhook(event):
    """Records the event; a payload with "fail": N fails until N events were recorded before it."""
    failures = event["payload"].get("fail", 0) if isinstance(event["payload"], dict) else 0
    webhooks_handled.append(event)
    if len(webhooks_handled) <= failures:
        raise RuntimeError("sample handler failing as asked")


def send_chat(customer, text, user):
    """Logs the message on the timeline; refuses customers without an e-mail address (to be testable)."""
    if not customer.email:
        raise MessageRefused("这个客户没有邮箱，示例聊天发不出去")
    log_interaction(customer.id, "message", channel="sample_chat", subject=text[:50], content=text, user_id=user.id)
    db.session.commit()
    return "sent"


class SamplePlugin(Plugin):
    name = "sample"
    title = "示例插件"
    version = "1.0.0"
    settings_schema = {
        "type": "object",
        "properties": {
            "greeting": {"type": "string", "default": "你好", "maxLength": 20},
            "max_notes": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
            "api_key": {"type": "string", "writeOnly": True},
            "forbidden_word": {"type": "string", "default": "禁止"},
        },
        "additionalProperties": False,
    }

    def __init__(self):
        self.connect(customer_created, self._on_customer_created)

    def _on_customer_created(self, sender, customer_id, **kwargs):
        received.append(customer_id)

    @hookimpl
    def register_blueprints(self):
        return [blueprint]

    @hookimpl
    def task_modules(self):
        return ["kehu_sample.tasks"]

    @hookimpl
    def interaction_kinds(self):
        return [{"kind": "sample_visit", "title": "示例拜访"}]

    @hookimpl
    def validate_customer(self, customer, data):
        word = self.settings["forbidden_word"]
        if word and word in (data.get("name") or ""):
            return {"name": [f"名称不能包含“{word}”"]}
        return {}

    @hookimpl
    def webhook_receivers(self):
        return [WebhookReceiver(source="sample", secrets=lambda: list(webhook_secrets), handle=handle_webhook)]

    @hookimpl
    def message_channels(self):
        return [MessageChannel(name="sample_chat", title="示例聊天", send=send_chat, permission="customer.read")]

    @hookimpl
    def event_types(self):
        return {"sample.noted": "示例事件"}

    @hookimpl
    def register_commands(self):
        @click.command("sample-hello")
        def hello():
            """Say the configured greeting."""
            click.echo(self.settings["greeting"])

        return [hello]


@blueprint.route("/ping")
def ping():
    return jsonify(greeting=SamplePlugin().settings["greeting"])
