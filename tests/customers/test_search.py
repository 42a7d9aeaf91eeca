"""Search finds exactly what "contains" finds, through the token index, on every database."""
import csv
import io
import random
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from kehu.customers import search
from kehu.customers.models import Customer
from kehu.customers.query import CustomerFilter, criteria
from kehu.customers.search_tokens import query_tokens, tokens_decide, tokens_of
from kehu.extensions import db

GEN = Path(__file__).resolve().parents[3] / "shared" / "tools" / "gen_customers.py"


def _found(user, q):
    return set(db.session.scalars(select(Customer.id).where(*criteria(CustomerFilter(q=q), user))))


def _contains(customer, word):
    word = word.lower()
    pinyin = word.isascii() and word.isalnum() and word in customer.name_pinyin
    return word in customer.name.lower() or word in (customer.company or "").lower() or pinyin


@pytest.fixture
def generated(app, admin):
    rows = subprocess.run([sys.executable, str(GEN), "--rows", "250", "--seed", "3"],
                          check=True, capture_output=True, text=True).stdout
    customers = [Customer(name=row["name"], company=row["company"] or None, kind=row["kind"], owner_id=admin.id)
                 for row in csv.DictReader(io.StringIO(rows))]
    customers += [Customer(name="ABC科技(济宁)有限公司", company="ABC科技"), Customer(name="365便利店"),
                  Customer(name="曲阜市化工厂", company="曲阜化工"), Customer(name="化工曲阜贸易")]
    db.session.add_all(customers)
    db.session.commit()
    return customers


def _samples(customers, count, seed):
    """Substrings people type: 1 to 6 characters of names, companies and pinyin, some in capitals."""
    rng = random.Random(seed)
    found = []
    while len(found) < count:
        customer = rng.choice(customers)
        source = rng.choice([customer.name, customer.company or customer.name, customer.name_pinyin.split()[0],
                             customer.name_pinyin.split()[-1]])
        length = rng.randint(1, min(6, len(source)))
        start = rng.randint(0, len(source) - length)
        word = source[start:start + length].strip()
        if word:
            found.append(word.upper() if rng.random() < 0.2 else word)
    return found


def test_every_substring_finds_exactly_the_customers_containing_it(generated, admin):
    queries = _samples(generated, 150, seed=5) + ["王", "张伟", "鸿达", "zhw", "qfhg", "365", "abc", "ABC科技",
                                                  "不存在的公司名", "xq", "科技(济宁)", "%", "_"]
    for q in queries:
        expected = {c.id for c in generated if _contains(c, q)}
        assert _found(admin, q) == expected, q


def test_several_words_must_all_be_found(generated, admin):
    assert _found(admin, "曲阜 化工") == {c.id for c in generated if _contains(c, "曲阜") and _contains(c, "化工")}
    assert len(_found(admin, "曲阜 化工")) >= 2  # the words in either order, in the name or the company
    assert _found(admin, "曲阜 不存在") == set()


def test_tokens_follow_changes_and_deleted_rows_leave_the_index(app, admin, make_customer):
    customer = make_customer(owner=admin, name="鸿达机械")
    assert _found(admin, "鸿达") == {customer.id}
    customer.name = "瑞丰建材"
    db.session.commit()
    assert _found(admin, "鸿达") == set() and _found(admin, "瑞丰") == {customer.id}
    customer.company = "鸿达集团"
    db.session.commit()
    assert _found(admin, "鸿达") == {customer.id}
    db.session.execute(text("DELETE FROM customer WHERE id = :id"), {"id": customer.id})
    db.session.commit()
    if db.engine.dialect.name == "sqlite":  # the FTS5 table's rows go with the customer's
        assert db.session.scalar(text("SELECT count(*) FROM customer_search WHERE customer_search MATCH '\"鸿达\"'")) == 0


def test_the_index_serves_one_and_two_character_chinese_queries(app, admin, make_customer):
    make_customer(owner=admin, name="王建国")
    query = select(Customer.id).where(search.criterion("张伟", True, db.engine.dialect.name))
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": db.engine.dialect.name == "sqlite"})
    with db.engine.connect() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SET enable_seqscan = off"))  # a tiny table is scanned anyway; can the index serve?
            plan = " ".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {compiled}", compiled.params))
            assert "ix_customer_search_tokens" in plan
        else:
            plan = " ".join(str(r[-1]) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
            assert "customer_search VIRTUAL TABLE" in plan


def test_query_tokens_are_what_every_match_has():
    assert query_tokens("王") == ["王"] and query_tokens("张伟") == ["张伟"]
    assert query_tokens("王建国") == ["建国", "王建"]
    assert query_tokens("ZhangWei") == ["ngw", "wei", "zha"]  # side by side, the last at the end
    assert query_tokens("济宁鸿达机械") == ["机械", "济宁", "鸿达"]
    assert query_tokens("(济") == ["济"] and query_tokens("-") == []
    assert query_tokens("w") == []  # one Latin letter: the index cannot narrow, ILIKE alone decides
    assert set(query_tokens("王建国")) <= set(tokens_of("济宁王建国商行"))
    assert set(query_tokens("ＡＢＣ")) <= set(tokens_of("abc公司"))  # full-width is half-width
    # one token is the whole answer; several tokens may sit apart, so ILIKE checks them
    assert [tokens_decide(w) for w in ("王", "张伟", "zhw", "zs", "a座")] == [True] * 5
    assert [tokens_decide(w) for w in ("王建国", "wang", "w", "A-1", "Ａb")] == [False] * 5
    assert set(query_tokens("王建国")) <= set(tokens_of("王建和建国"))  # why: the pairs, apart
