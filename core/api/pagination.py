"""Page-number pagination for smorest's ``@blp.paginate()`` over a SELECT."""
from sqlalchemy import func, select

from kehu.extensions import db


def page_of(query, pagination_parameters):
    """Set the total for the X-Pagination header and return the requested page's rows."""
    pagination_parameters.item_count = db.session.scalar(
        select(func.count()).select_from(query.order_by(None).subquery()))
    page, size = pagination_parameters.page, pagination_parameters.page_size
    return db.session.scalars(query.limit(size).offset((page - 1) * size)).all()
