"""Page-number pagination over a SELECT: one way for the API (smorest's ``@blp.paginate()`` envelope:
a list body, totals in ``X-Pagination``) and for the pages' lists."""
from sqlalchemy import func, select

from kehu.platform.db import db

MAX_PAGE = 10_000  # an absurd page number would overflow OFFSET in SQL


def count_of(query) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def page_rows(query, page: int, page_size: int) -> tuple[list, int]:
    """(the rows of page ``page`` (from 1), the total) of ``query``."""
    total = count_of(query)
    first = (page - 1) * page_size
    if first >= total:
        return [], total  # past the end
    return list(db.session.scalars(query.limit(page_size).offset(first))), total


def page_of(query, pagination_parameters):
    """Set the total for the X-Pagination header and return the requested page's rows."""
    rows, pagination_parameters.item_count = page_rows(query, pagination_parameters.page,
                                                       pagination_parameters.page_size)
    return rows


def page_number(text) -> int:
    """A ``?page=`` argument of a page: 1 for anything that is not a page number."""
    try:
        return max(1, min(int(text or 1), MAX_PAGE))
    except ValueError:
        return 1
