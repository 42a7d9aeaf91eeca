"""Pagination over a SELECT: one way for the API (smorest's ``@blp.paginate()`` envelope: a list
body, totals in ``X-Pagination``) and for the pages' lists.

Counting a million rows costs more than fetching the page, so totals are exact up to
EXACT_COUNT_LIMIT and, above it, the planner's estimate on PostgreSQL (``Total.estimated``: the
UI says "约 120 万" or "超过 10000", the API sends ``X-Total-Estimated: true``). Deep pages and exports go by a
keyset cursor (the last row's sort value and id) instead of OFFSET.
"""
import base64
import contextlib
import binascii
import json
from datetime import datetime

from flask import after_this_request, has_request_context
from sqlalchemy import func, literal_column, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from kehu.platform.db import db

MAX_PAGE = 10_000  # an absurd page number would overflow OFFSET in SQL
EXACT_COUNT_LIMIT = 1_000
TRUSTED_ESTIMATE = 10_000  # an estimate this large is never a small set misjudged: no count at all


class Total(int):
    """A number of rows. ``estimated``: the planner's estimate of a set above EXACT_COUNT_LIMIT;
    ``at_least``: not even that, only that there are more than EXACT_COUNT_LIMIT (the planner
    guessed fewer, which the count disproved)."""

    estimated = False
    at_least = False

    @classmethod
    def estimate(cls, value: int, at_least: bool = False) -> "Total":
        total = cls(value)
        total.estimated, total.at_least = True, at_least
        return total


class _PlannerEstimate(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, query):
        self.query = query


@compiles(_PlannerEstimate, "postgresql")
def _explain(element, compiler, **kw):
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.query, **kw)


def _planner_rows(query) -> int:
    plan = db.session.execute(_PlannerEstimate(query)).scalar()
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def _capped_count(rows, limit: int) -> int:
    return db.session.scalar(select(func.count()).select_from(rows.limit(limit + 1).subquery()))


def count_of(query) -> Total:
    """The number of rows of ``query``: exact up to EXACT_COUNT_LIMIT, estimated above on PostgreSQL.

    A count stops at EXACT_COUNT_LIMIT + 1 rows, but finding them can mean reading 100,000 rows
    when one in a hundred matches; so a planner's estimate above TRUSTED_ESTIMATE is taken as it
    is, and only smaller ones are checked by the capped count. When the count disproves the
    estimate (the planner takes search tokens for independent and underestimates them a
    hundredfold) or there is none (SQLite), the rows are counted up to TRUSTED_ESTIMATE: exact
    below, "more than" (``at_least``) above.
    """
    rows = query.order_by(None).with_only_columns(literal_column("1"), maintain_column_froms=True)
    if db.session.get_bind().dialect.name != "postgresql":
        # no estimate to trust: one count to TRUSTED_ESTIMATE (counting to EXACT_COUNT_LIMIT first
        # would read the first thousand rows twice whenever there are more)
        counted = _capped_count(rows, TRUSTED_ESTIMATE)
        return Total(counted) if counted <= TRUSTED_ESTIMATE else Total.estimate(counted, at_least=True)
    estimate = _planner_rows(rows)
    if estimate > TRUSTED_ESTIMATE:
        return Total.estimate(estimate)
    capped = _capped_count(rows, EXACT_COUNT_LIMIT)
    if capped <= EXACT_COUNT_LIMIT:
        return Total(capped)
    if estimate >= capped:
        return Total.estimate(estimate)
    counted = _capped_count(rows, TRUSTED_ESTIMATE)
    return Total(counted) if counted <= TRUSTED_ESTIMATE else Total.estimate(counted, at_least=True)


@contextlib.contextmanager
def _planner_without(*scans: str):
    db.session.execute(text("; ".join(f"SET LOCAL {scan} = off" for scan in scans)))
    try:
        yield
    finally:
        db.session.execute(text("; ".join(f"SET LOCAL {scan} TO DEFAULT" for scan in scans)))


def _page(query, total: Total):
    """The page's rows, the plan chosen with what the count just learned. PostgreSQL's estimate of a
    filter's rows can be off a hundredfold (a rare search token it has no statistics for, tokens it
    takes for independent), and with LIMIT that picks the wrong plan: walking the sort index past a
    million rows for 58 matches, or fetching and sorting 27,000 matches to show the newest 50. So
    up to TRUSTED_ESTIMATE rows are fetched through the filter's index and sorted, and more by
    walking the sort index (50 of 10,000 in a million are found within 5,000 rows of it)."""
    large = total > TRUSTED_ESTIMATE
    if db.session.get_bind().dialect.name != "postgresql":
        return list(db.session.scalars(query))
    scans = ("enable_bitmapscan", "enable_seqscan") if large else ("enable_indexscan",)
    with _planner_without(*scans):
        return list(db.session.scalars(query))


ONE_PASS = "kehu_count_in_the_page"  # execution option: the set is read whole anyway (a search's index)


def _page_with_count(query, first: int, page_size: int):
    """SQLite, for a query marked ONE_PASS: the page and the exact total in one pass over the matches
    (``count(*) OVER ()``) instead of a count and a page that each read them. None when the page is
    empty (past the end, or nothing found): then the total is counted."""
    entity = query.column_descriptions[0]["entity"]
    key = entity.__mapper__.primary_key[0]
    # the page's ids and the total, narrow rows through the window and the sort; then the page's rows
    ids = db.session.execute(query.with_only_columns(key, func.count().over(), maintain_column_froms=True)
                             .limit(page_size).offset(first)).all()
    if not ids:
        return None
    by_id = {row.id: row for row in db.session.scalars(select(entity).where(key.in_([i[0] for i in ids])))}
    return [by_id[i[0]] for i in ids if i[0] in by_id], Total(ids[0][1])


def page_rows(query, page: int, page_size: int, total: int | None = None) -> tuple[list, Total]:
    """(the rows of page ``page`` (from 1), the total) of ``query``; ``total`` when the caller knows it
    exactly without counting (an unfiltered list, from a table of counts)."""
    first = (page - 1) * page_size
    if (total is None and query.get_execution_options().get(ONE_PASS)
            and db.session.get_bind().dialect.name != "postgresql"):
        found = _page_with_count(query, first, page_size)
        if found is not None:
            return found
    total = count_of(query) if total is None else Total(total)
    if first >= total and not total.estimated:
        return [], total  # past the end
    return _page(query.limit(page_size).offset(first), total), total


def say_estimated(total: Total):
    """Send ``X-Total-Estimated`` with this response."""
    if has_request_context():
        @after_this_request
        def header(response):
            response.headers["X-Total-Estimated"] = "true" if total.estimated else "false"
            return response


def page_of(query, pagination_parameters, total: int | None = None):
    """Set the total for the X-Pagination header (and X-Total-Estimated) and return the page's rows."""
    rows, total = page_rows(query, pagination_parameters.page, pagination_parameters.page_size, total)
    pagination_parameters.item_count = total
    say_estimated(total)
    return rows


def page_number(text) -> int:
    """A ``?page=`` argument of a page: 1 for anything that is not a page number."""
    try:
        return max(1, min(int(text or 1), MAX_PAGE))
    except ValueError:
        return 1


# keyset cursors ------------------------------------------------------------------------------
class CursorInvalid(ValueError):
    """A cursor that this list did not hand out (or for another sort)."""


def encode_cursor(sort: str, value, row_id: int) -> str:
    """An opaque cursor after the row with sort ``value`` and ``row_id``, for the list sorted by ``sort``."""
    if isinstance(value, datetime):
        value = {"t": value.isoformat()}
    raw = json.dumps([sort, value, row_id], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(text: str, sort: str) -> tuple:
    """(sort value, row id) of a cursor from ``encode_cursor`` for the same ``sort``; raises CursorInvalid."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        cursor_sort, value, row_id = json.loads(raw)
        if isinstance(value, dict):
            value = datetime.fromisoformat(value["t"])
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise CursorInvalid(text) from None
    if cursor_sort != sort or not isinstance(row_id, int) or isinstance(row_id, bool) \
            or not isinstance(value, (str, int, datetime)) or isinstance(value, bool):
        raise CursorInvalid(text)
    return value, row_id
