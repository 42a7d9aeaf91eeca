from kehu_sdk import outbox_consumer
from kehu_sdk.db import db

from kehu_sample.models import SampleNote


@outbox_consumer("kehu.sample.record_note")
def record_note(payload, outbox_id):
    """Writes one note per outbox row (the test checks exactly one per row)."""
    db.session.add(SampleNote(customer_id=payload["customer_id"], text=payload["text"]))
