"""The read cases: search, list pages, the dashboard, and the cost of enabled plugins.

Every kehu figure comes with a baseline measured in the same run on the same database:
  search     kehu's query (page + count, as the list runs it) vs the naive OR of ILIKEs that kehu ran
             before the token index, with every index forbidden (a sequential scan)
  lists      GET /api/v1/customers vs a one-route Flask app running hand-written SQL for the same page
  plugins    list and detail with every installed plugin enabled vs none enabled
The dashboard has no baseline: its goal compares sizes. HTTP cases go through Flask's test client
outside any app context, so each request gets its own context and session as in a server.
"""
import json
import math
import re
from urllib.parse import urlencode

from flask import Flask, jsonify
from sqlalchemy import text

from kehu.accounts import sessions
from kehu.accounts.models import User
from kehu.customers import phones
from kehu.customers.query import customer_select, filter_from_args
from kehu.extensions import db
from kehu.platform.pagination import page_rows

import data
from timing import Timing, figure, measure, samples

PAGE_SIZE = 50
# (kind, query): the kinds people type; None is the full number of a contact (known after loading).
# The generator draws given names one character at a time and starts company names with the
# prefecture, so 张伟, 王建国, zhangwei, qfhg and 曲阜 化工 find few rows or none; the "found" kinds
# are the same shapes with many matches, where the count has rows to touch.
SEARCHES = [
    ("1 char", "王"), ("2 chars", "张伟"), ("3+ chars", "王建国"), ("pinyin full", "zhangwei"),
    ("pinyin initials", "zhw"), ("pinyin initials", "qfhg"), ("company fragment", "鸿达"), ("full phone", None),
    ("last 4 digits", "1749"), ("multi-word", "曲阜 化工"),
    ("2 chars, found", "王秀"), ("3+ chars, found", "济宁鸿达"), ("pinyin full, found", "hongda"),
    ("multi-word, found", "济宁 化工"),
]
TAG = "重点关注"
# (case, query arguments, WHERE and ORDER BY of the hand-written SQL)
LISTS = [
    ("first page", [], "deleted_at IS NULL", "created_at DESC, id DESC"),
    ("page 200", [("page", 200)], "deleted_at IS NULL", "created_at DESC, id DESC"),
    ("filtered", [("status", "intent"), ("status", "customer"), ("region", "3708"), ("sort", "-updated_at")],
     "deleted_at IS NULL AND status IN ('intent', 'customer') AND region_code BETWEEN '370800' AND '370899'",
     "updated_at DESC, id DESC"),
    ("tag filter", [("tags", TAG)],
     "deleted_at IS NULL AND id IN (SELECT ct.customer_id FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id "
     "WHERE t.name = :tag)", "created_at DESC, id DESC"),
    ("sort=name", [("sort", "name")], "deleted_at IS NULL", "name_pinyin, id"),
]
SEQ_SCAN_PG = ("SET LOCAL enable_indexscan = off", "SET LOCAL enable_bitmapscan = off",
               "SET LOCAL enable_indexonlyscan = off")


def api_client(site):
    client = site.app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {site.token}"
    return client


def web_client(site):
    """A logged-in browser session, made as kehu_sdk.testing's web_client_as makes one."""
    client = site.app.test_client()
    with site.app.test_request_context():
        key = sessions.start(db.session.get(User, site.admin_id), remember=False)
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = key
        session["_fresh"] = True
    return client


def _get(client, url, rows=None):
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code} {response.get_data(as_text=True)[:300]}"
    if rows is not None:
        assert len(response.get_json()) == rows, f"{url}: {len(response.get_json())} rows, not {rows}"
    return response


def _engine(site):
    with site.app.app_context():
        return db.engine


# search -----------------------------------------------------------------------------------------
def search_queries(site) -> list[tuple[str, str]]:
    number = site.loaded.contact_phone
    return [(f"{kind} {q}" if q else f"{kind} (a contact's)", q or number.removeprefix("+86")) for kind, q in SEARCHES]


def _naive_sql(q: str, dialect: str):
    """kehu's search before the token index: every word in name, company or pinyin, ORed with the
    last four digits or the blind index of the customer's and its contacts' phones."""
    like, hint = ("ILIKE", "") if dialect == "postgresql" else ("LIKE", " NOT INDEXED")
    words, params = [], {}
    for n, word in enumerate(q.split()):
        options = [f"name {like} :w{n}", f"company {like} :w{n}"]
        params[f"w{n}"] = f"%{word}%"
        if word.isascii() and word.isalnum():
            options.append(f"name_pinyin LIKE :p{n}")
            params[f"p{n}"] = f"%{word.lower()}%"
        digits = re.sub(r"\D", "", word)
        if len(digits) == 4 and digits == word:
            options.append(f"phone_last4 = :d{n}")
            params[f"d{n}"] = digits
        elif len(digits) >= 7 and digits == word:
            options += [f"phone_index = :i{n}", f"id IN (SELECT customer_id FROM contact{hint} WHERE phone_index = :i{n})"]
            params[f"i{n}"] = phones.blind_index(phones.normalize(word))
        words.append("(" + " OR ".join(options) + ")")
    where = " AND ".join(["deleted_at IS NULL", *words])
    page = text(f"SELECT * FROM customer{hint} WHERE {where} ORDER BY created_at DESC, id DESC LIMIT {PAGE_SIZE}")
    return text(f"SELECT count(*) FROM customer{hint} WHERE {where}"), page, params


def _seq_scan(engine, dialect, count, page, params):
    def run():
        with engine.connect() as conn, conn.begin():
            if dialect == "postgresql":
                for setting in SEQ_SCAN_PG:
                    conn.exec_driver_sql(setting)
            total = conn.execute(count, params).scalar()
            if total:  # page_rows skips the page past the end; so does the baseline
                conn.execute(page, params).all()
            return total
    return run


def search_cases(site, repeat: int) -> list[dict]:
    engine, client, found = _engine(site), api_client(site), []

    def setup():
        context = site.app.app_context()
        context.push()
        return context, db.session.get(User, site.admin_id)

    for case, q in search_queries(site):
        def kehu(state, q=q):
            return page_rows(customer_select(filter_from_args({"q": q}), state[1]), 1, PAGE_SIZE)[1]

        state = setup()
        hits = kehu(state)
        count, page, params = _naive_sql(q, site.dialect)
        state[0].pop()
        baseline = _seq_scan(engine, site.dialect, count, page, params)
        naive_hits = baseline()
        kehu_timing = measure(kehu, repeat, setup=setup, teardown=lambda state: state[0].pop())
        base_timing = measure(baseline, repeat)
        url = f"/api/v1/customers?{urlencode({'q': q, 'page_size': PAGE_SIZE})}"
        api = measure(lambda url=url: _get(client, url, rows=min(hits, PAGE_SIZE)), repeat)
        found.append(figure("search", case, kehu_timing, base_timing, "seq scan", hits=hits, q=q,
                            api_p95_ms=round(api.p95_ms, 3), api_median_ms=round(api.median_ms, 3),
                            **({} if naive_hits == hits else {"MISMATCH_seq_scan_hits": naive_hits})))
    return found


# list pages --------------------------------------------------------------------------------------
def _bare_app(engine):
    """The old customer_list.py baseline: one route, hand-written SQL, JSON."""
    bare = Flask("bare")
    queries = {}

    @bare.get("/page/<int:number>")
    def page(number):
        count, select_page, params = queries[number]
        with engine.connect() as conn:
            total = conn.execute(count, params).scalar()
            rows = [dict(r._mapping) for r in conn.execute(select_page, params)]
        return jsonify(total=total, items=rows)

    return bare, queries


def list_cases(site, repeat: int) -> list[dict]:
    engine, client, found = _engine(site), api_client(site), []
    bare, queries = _bare_app(engine)
    bare_client = bare.test_client()
    last_full_page = data.live_count(site) // PAGE_SIZE
    for number, (case, args, where, order) in enumerate(LISTS):
        args = [(k, min(v, last_full_page) if k == "page" else v) for k, v in args]
        page = dict(args).get("page", 1)
        queries[number] = (text(f"SELECT count(*) FROM customer WHERE {where}"),
                           text(f"SELECT * FROM customer WHERE {where} ORDER BY {order} "
                                f"LIMIT {PAGE_SIZE} OFFSET {(page - 1) * PAGE_SIZE}"), {"tag": TAG})
        url = f"/api/v1/customers?{urlencode(args + [('page_size', PAGE_SIZE)])}"
        total = json.loads(_get(client, url, rows=PAGE_SIZE).headers["X-Pagination"])["total"]
        bare_total = bare_client.get(f"/page/{number}").get_json()["total"]
        kehu = measure(lambda url=url: _get(client, url, rows=PAGE_SIZE), repeat)
        baseline = measure(lambda number=number: bare_client.get(f"/page/{number}"), repeat)
        found.append(figure("list", case, kehu, baseline, "bare Flask + SQL", total=total, page=page,
                            **({} if bare_total == total else {"MISMATCH_bare_total": bare_total})))
    return found


# dashboard ---------------------------------------------------------------------------------------
def dashboard_case(site, repeat: int) -> list[dict]:
    client = web_client(site)
    return [figure("dashboard", "GET /dashboard/data", measure(lambda: _get(client, "/dashboard/data"), repeat))]


# plugins -----------------------------------------------------------------------------------------
# Its goal is a 10 % difference, finer than a p95 of --repeat runs resolves on a shared machine: so
# SAMPLES × --repeat runs per state, in alternating blocks (a change in the machine's load hits both).
SAMPLES = 4
ROUNDS = 12


def plugin_cases(site, repeat: int) -> list[dict]:
    client = api_client(site)
    requests = {"list, first page": (f"/api/v1/customers?page_size={PAGE_SIZE}", PAGE_SIZE),
                "detail": (f"/api/v1/customers/{site.loaded.detail_id}", None)}
    taken = {(case, on): [] for case in requests for on in (True, False)}
    per_round = math.ceil(SAMPLES * repeat / ROUNDS)
    for number in range(ROUNDS):
        for on in (True, False) if number % 2 == 0 else (False, True):
            data.set_plugins(site.app, enabled=on)
            for case, (url, rows) in requests.items():
                taken[case, on] += samples(lambda url=url, rows=rows: _get(client, url, rows=rows), per_round)
    data.set_plugins(site.app, enabled=True)
    names = ", ".join(site.app.extensions["kehu_plugins"].installed)
    return [figure("plugins", case, Timing.of(taken[case, True]), Timing.of(taken[case, False]), "no plugin enabled",
                   plugins=names) for case in requests]
