"""Reading tags: all of them, with how many customers carry each."""
from sqlalchemy import func, select

from kehu.extensions import db
from kehu.tags.models import Tag, customer_tags


def all_tags() -> list[Tag]:
    return list(db.session.scalars(select(Tag).order_by(Tag.name)))


def with_counts(tags: list[Tag]) -> list[Tag]:
    """``tags`` with ``customer_count`` set on each (one query for all)."""
    counts = dict(db.session.execute(select(customer_tags.c.tag_id, func.count())
                                     .group_by(customer_tags.c.tag_id)).all())
    for tag in tags:
        tag.customer_count = counts.get(tag.id, 0)
    return tags
