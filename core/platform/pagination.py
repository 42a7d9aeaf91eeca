"""Page-number pagination for smorest's ``@blp.paginate()`` over a SELECT."""
from sqlalchemy import func, select

from kehu.platform.db import db


def page_of(query, pagination_parameters):
    """Set the total for the X-Pagination header and return the requested page's rows."""
    pagination_parameters.item_count = db.session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery()))
    first, size = pagination_parameters.first_item, pagination_parameters.page_size
    if first >= pagination_parameters.item_count:
        return []  # past the end; also keeps an absurd page number from overflowing OFFSET in SQL
    return db.session.scalars(query.limit(size).offset(first)).all()
