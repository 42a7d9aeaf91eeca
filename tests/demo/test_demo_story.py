"""Demo data that makes sense (issue 12, point 5): nothing done in the future, kinds and subjects that
fit, follow-ups overdue and ahead, a few duplicates, a lead pool; an interrupted `kehu demo` goes on."""
from collections import Counter

from sqlalchemy import func, select

from kehu.customers.models import Customer
from kehu.demo.service import DONE_KINDS, load_demo
from kehu.extensions import db
from kehu.interactions.models import Interaction
from kehu.platform.time import utcnow

SUBJECTS = dict(DONE_KINDS)


def test_the_demo_story_holds_together(app):
    load_demo(customers=160, seed=11)
    now = utcnow()
    interactions = db.session.scalars(select(Interaction)).all()
    done = [i for i in interactions if i.status == "done"]
    assert done and all(i.occurred_at <= now for i in done)  # no 已完成 dated after today
    assert all(i.subject in SUBJECTS[i.kind] for i in done)  # no "消息 · 上门拜访"
    planned = [i for i in interactions if i.status == "planned"]
    assert any(i.due_at < now for i in planned) and any(i.due_at > now for i in planned)
    customers = db.session.scalars(select(Customer)).all()
    pool = [c for c in customers if c.owner_id is None]
    assert pool and all(c.status == "lead" and c.team_id is not None for c in pool)
    shared_phones = [phone for phone, count in Counter(c.phone_index for c in customers).items() if count > 1]
    assert shared_phones  # duplicates to find


def test_an_interrupted_demo_goes_on_where_it_stopped(app):
    from kehu.cli import cli
    load_demo(customers=25, seed=2026)  # as if `kehu demo` had been stopped after 25 customers
    result = app.test_cli_runner().invoke(cli, ["demo", "--customers", "40"])
    assert result.exit_code == 0 and "demo data loaded" in result.output, result.output
    assert db.session.scalar(select(func.count(func.distinct(Customer.phone_index)))) == 40
    again = app.test_cli_runner().invoke(cli, ["demo", "--customers", "40"])
    assert again.exit_code == 0
    assert db.session.scalar(select(func.count(func.distinct(Customer.phone_index)))) == 40  # nothing twice


def test_demo_refuses_a_database_with_real_users(app, make_user):
    from kehu.cli import cli
    make_user("sales", username="liuqiang")
    result = app.test_cli_runner().invoke(cli, ["demo", "--customers", "5"])
    assert "demo data not loaded" in result.output
    assert db.session.scalar(select(func.count(Customer.id))) == 0
