"""The outbox end to end on Redis: a real `kehu worker` process, exactly one effect per row."""
import pytest

pytestmark = pytest.mark.integration

ROWS = 20


@pytest.fixture(scope="module")
def site(redis_broker, make_site):  # this order: the worker stops before the broker is flushed
    # stop_now: the worker must be gone before redis_broker flushes its database
    return make_site("redis-site", broker_url=redis_broker.url, stop_now=True)


def test_each_outbox_row_is_consumed_exactly_once_even_when_delivered_twice(site, redis_broker):
    sent = site.enqueue_notes("redis", ROWS)

    site.assert_one_note_per_row("redis", sent)

    # The same messages again (a relay that crashed after sending, a broker redelivery):
    task_ids = site.resend(sent)
    site.wait_tasks_succeeded(task_ids)
    site.wait_for(redis_broker.queue_drained, 10, "the Redis queue to drain")
    assert site.note_texts("redis") == sorted(p["text"] for p in sent.values())
    assert site.consumptions(sent) == ROWS


def test_a_rolled_back_enqueue_leaves_no_outbox_row_and_no_note(site):
    from kehu.extensions import db
    from kehu.platform.outbox import OutboxMessage, enqueue

    with site.app.app_context():
        ghost = enqueue(site.RECORD_NOTE, {"customer_id": 1, "text": "rolledback-1"}).id
        db.session.flush()  # the row did reach the database inside the transaction
        db.session.rollback()
        db.session.remove()
    assert site.outbox([ghost]) == {}

    # A committed row afterwards makes the worker run the relay; the ghost still does not appear.
    sentinel = site.enqueue_notes("after-rollback", 1)
    site.assert_one_note_per_row("after-rollback", sent=sentinel)
    assert site.note_texts("rolledback") == []
    with site.app.app_context():
        assert db.session.get(OutboxMessage, ghost) is None
        db.session.remove()
