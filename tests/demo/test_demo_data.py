"""The demo data `make run` loads is valid and realistic."""
from sqlalchemy import func, select

from kehu.accounts.models import User
from kehu.customers import regions
from kehu.customers.models import Customer
from kehu.demo.service import load_demo
from kehu.extensions import db
from kehu.interactions.models import Interaction


def test_demo_customers_are_valid_and_owned_by_sales_of_their_city(app):
    logins = load_demo(customers=40, seed=7)
    assert len(logins["sales"]) == 6
    customers = db.session.scalars(select(Customer)).all()
    assert len({c.phone_index for c in customers}) == 40  # and maybe a duplicate sharing a phone
    for customer in customers:
        assert regions.is_county(customer.region_code)
        assert customer.phone.startswith("+861")
        if customer.owner is None:  # the lead pool: in a team, nobody's yet
            assert customer.status == "lead" and customer.team_id is not None
        else:
            assert customer.owner.role.name == "sales" and customer.team_id == customer.owner.team_id
    assert db.session.scalar(select(func.count(Interaction.id))) > 0
    assert db.session.scalar(select(func.count(User.id))) == 9


def test_demo_fills_industry_fields_valid_for_the_active_packs(app, enable_plugins):
    from kehu.custom_fields.query import get_schema
    from kehu.custom_fields.validation import validate_extra

    enable_plugins("industry")
    load_demo(customers=30, seed=3)
    customers = db.session.scalars(select(Customer)).all()
    assert len({c.industry for c in customers}) >= 3
    for customer in customers:
        if customer.extra_schema is None and customer.owner_id is not None and not customer.extra:
            continue  # a duplicate typed by hand, without the industry fields
        schema = get_schema(customer.industry)
        assert customer.extra and customer.extra_schema == customer.industry
        assert validate_extra(schema, customer.extra) == {}
