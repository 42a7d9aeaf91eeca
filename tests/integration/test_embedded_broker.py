"""The outbox end to end on the embedded broker (`sqla+sqlite`, what `make run` uses).

Needs no service: a real `kehu worker` process (solo pool) on a SQLite broker file.
"""
import pytest

ROWS = 20


@pytest.fixture(scope="module")
def site(make_site):
    return make_site("embedded-site")  # default: sqla+sqlite:///<instance>/celery-broker.sqlite


def test_the_embedded_broker_delivers_each_outbox_row_exactly_once(site):
    assert site.app.extensions["celery"].conf.broker_url.startswith("sqla+sqlite:///")
    sent = site.enqueue_notes("embedded", ROWS)

    site.assert_one_note_per_row("embedded", sent)

    task_ids = site.resend(sent)
    site.wait_tasks_succeeded(task_ids)
    assert site.note_texts("embedded") == sorted(p["text"] for p in sent.values())
    assert site.consumptions(sent) == ROWS
