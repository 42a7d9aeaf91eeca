"""Customer search: what ``q=`` finds, and how it stays fast at a million rows.

A ``LIKE '%王%'`` cannot use an index, and trigram indexes (pg_trgm, FTS5 ``trigram``) find nothing
for the one- and two-character queries Chinese users type most (王, 张伟, 鸿达). So every customer
carries ``search_tokens`` (``search_tokens.py``): each Chinese character and each pair of
neighbouring characters of its name and company, and the pairs and triples of Latin letters and
digits (pinyin, "ABC", "365"). A query word becomes the tokens every match must contain; the index
(a GIN array on PostgreSQL, an FTS5 table on SQLite: migration 0006) finds the rows. A word that is
one token (王, 张伟, zhw) is answered by the index alone; for longer words the original ``ILIKE`` on
the few rows found keeps the exact meaning of "contains".

Phone numbers do not go through tokens: four digits match the last-four column and a full number
the blind index of the customer's and its contacts' phones, as one indexed lookup of ids.
"""
import re
import unicodedata

from sqlalchemy import ARRAY, Text, and_, bindparam, func, literal_column, or_, select, text

from kehu.customers import phones
from kehu.customers.models import Contact, Customer
from kehu.customers.search_tokens import normalized, query_tokens, tokens_decide

_PHONE_LIKE = re.compile(r"^[\d\s+\-()０-９]{4,}$")
MAX_WORDS = 8  # "曲阜 化工" is two words; nobody types nine, and each costs an index probe


def tokens_match(tokens: list[str], dialect: str):
    """Customers whose search tokens include every one of ``tokens`` (the index answers it)."""
    if dialect == "postgresql":
        return Customer.search_tokens.op("@>")(bindparam(None, tokens, type_=ARRAY(Text)))
    # the FTS5 external-content table over customer.search_tokens (rowid = customer.id)
    phrase = " ".join('"' + t.replace('"', '""') + '"' for t in tokens)
    matching = select(literal_column("rowid")).select_from(text("customer_search")).where(
        literal_column("customer_search").op("MATCH")(bindparam(None, phrase, type_=Text)))
    return Customer.id.in_(matching)


def _contains(word: str):
    """Customers whose name, company or name pinyin contains ``word`` (case-insensitive)."""
    options = [Customer.name.icontains(word, autoescape=True), Customer.company.icontains(word, autoescape=True)]
    compact = normalized(word)
    if compact.isascii() and compact.isalnum():
        options.append(Customer.name_pinyin.contains(compact, autoescape=True))
    return or_(*options)


def words_criterion(words: list[str], dialect: str):
    """Customers containing every word: one index lookup for the tokens of all words together (the
    index intersects them: 济宁 and 化工 each match a third of the rows, both a few), then ILIKE for
    the words their tokens do not decide."""
    tokens = sorted({token for word in words for token in query_tokens(word)})
    rechecks = [_contains(word) for word in words if not tokens_decide(word)]  # a deciding word has its token
    return and_(*([tokens_match(tokens, dialect)] if tokens else []), *rechecks)


def _phone_criterion(q: str, digits: str, may_see_phones: bool, dialect: str):
    """Four digits: the last four (what a masked number shows anyway). A full number, only for users
    who see phones in full (else searching 10,000 candidates unmasks 187****1749): the customer's or
    a contact's. None when ``q`` is no number such a user may search by."""
    if len(digits) == 4:
        return Customer.phone_last4 == digits
    if not may_see_phones:
        return None
    try:
        index = phones.blind_index(phones.normalize(q))
    except phones.InvalidPhone:
        return None
    ids = select(Customer.id).where(Customer.phone_index == index).union(
        select(Contact.customer_id).where(Contact.phone_index == index))
    if dialect == "postgresql":  # an InitPlan: the planner sees a handful of ids, not a join to plan
        return Customer.id == func.any(func.array(ids.scalar_subquery()))
    return Customer.id.in_(ids)


def criterion(q: str, may_see_phones: bool, dialect: str):
    """The WHERE criterion of ``q=``: a phone number, else every word (up to MAX_WORDS) contained."""
    q = q.strip()
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", q))
    if _PHONE_LIKE.match(q) and len(digits) >= 4:
        found = _phone_criterion(q, digits, may_see_phones, dialect)
        if found is not None:
            return found
    return words_criterion(q.split()[:MAX_WORDS], dialect)
