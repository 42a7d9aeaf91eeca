"""查重: the customers a new (or changed) one probably duplicates, found without decrypting any phone.

Three signs, strongest first: the same phone (the blind index of the customer's and its contacts'
numbers), the same 统一社会信用代码, a similar name. Names are compared by their core: the name without
its region words (山东省, 济宁市, 兖州区, 兖州…) and legal-form words (有限公司, 商行, 经营部…), so
兖州瑞丰建材商行 and 瑞丰建材（兖州）are one business (region words only where the name starts); candidates come from the search-token index
(every pair of neighbouring characters of the core), then rapidfuzz scores them.

A candidate the user may not see is described, never shown: the first character of its name, whose it
is (另一团队 · a colleague), no phone — enough to ask the right colleague, too little to read the book.
"""
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _
from rapidfuzz import fuzz
from sqlalchemy import case, literal, select, union_all

from kehu.customers import phones, regions
from kehu.customers.models import Contact, Customer
from kehu.customers.search import tokens_match
from kehu.customers.search_tokens import query_tokens
from kehu.extensions import db
from kehu.platform.permissions import scope_criterion

LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "分公司", "总公司", "公司", "集团",
               "专业合作社", "合作社", "经营部", "门市部", "营业部", "商行", "商店", "店", "厂", "工作室",
               "个体工商户", "中心")
NAME_SCORE = 85      # rapidfuzz ratio of two cores from which names count as similar
CANDIDATES = 50      # name candidates scored at most (the index narrows them first)
MIN_CORE = 3
_BRACKETS = re.compile(r"[（(【\[［][^）)】\]］]*[）)】\]］]")
_PUNCTUATION = re.compile(r"[\s·.,，。、\-—_/\\'\"“”‘’]+")


@dataclass
class Duplicate:
    customer_id: int
    reason: str          # phone | uscc | name
    score: int           # 100 for a phone or USCC, the name similarity otherwise
    visible: bool        # within the user's scope: may be shown and opened
    description: str     # what the user reads


@cache
def _region_words() -> re.Pattern:
    names = set()
    for code, name in regions._regions().items():
        names.add(name)
        for suffix in ("省", "市", "自治州", "地区", "盟", "区", "县", "旗", "自治县"):
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                names.add(name[: -len(suffix)])  # 兖州区 → 兖州, 济宁市 → 济宁
    return re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))


def name_core(name: str | None) -> str:
    """What makes a business name its own: 兖州瑞丰建材商行 → 瑞丰建材. A name that would lose everything
    (济宁商行) keeps what it had without the legal form."""
    text = unicodedata.normalize("NFKC", name or "").strip()
    text = _PUNCTUATION.sub("", _BRACKETS.sub("", text))
    for form in LEGAL_FORMS:
        if text.endswith(form) and len(text) > len(form):
            text = text[: -len(form)]
            break
    stripped = text
    for _level in range(3):  # 山东 · 济宁 · 兖州: only where a name starts (a 新华书店 keeps its 新华 inside)
        found = _region_words().match(stripped)
        if not found:
            break
        stripped = stripped[found.end():]
    return (stripped if len(stripped) >= 2 else text).lower()


def _masked(name: str) -> str:
    return (name[:1] + "*" * min(max(len(name) - 1, 1), 6)) if name else "*"


def describe(customer_id: int, name: str, team_id, user, visible: bool) -> str:
    if visible:
        return _("已存在：%(name)s（编号 %(id)s）", name=name, id=customer_id)
    whose = _("另一团队") if team_id != user.team_id else _("同事")
    return _("已存在 · %(name)s · %(whose)s", name=_masked(name), whose=whose)


def _candidates(data: dict, user):
    """One query for every sign at once (a UNION of indexed lookups): rows of (reason, id, name,
    team_id, visible), a customer possibly under several reasons."""
    dialect = db.engine.dialect.name
    live = Customer.deleted_at.is_(None)
    visible = case((scope_criterion(user, Customer.owner_id, Customer.team_id), True), else_=False).label("visible")

    def branch(reason, *where, joined=None, limit=20):
        query = select(literal(reason).label("reason"), Customer.id, Customer.name, Customer.team_id, visible)
        if joined is not None:
            query = query.join(joined, joined.customer_id == Customer.id)
        return query.where(live, *where).limit(limit)

    branches = []
    index = _phone_index(data.get("phone"))
    if index:
        branches += [branch("phone", Customer.phone_index == index),
                     branch("phone", Contact.phone_index == index, joined=Contact)]
    if data.get("uscc"):
        branches.append(branch("uscc", Customer.uscc == data["uscc"]))
    core = name_core(data.get("name"))
    # people share names (there are a great many 张伟): a person matches by phone only; and a core of two
    # characters (食品, 建材) says too little to call two businesses one
    tokens = query_tokens(core) if data.get("kind") != "person" and len(core) >= MIN_CORE else []
    if tokens:
        branches.append(branch("name", tokens_match(tokens, dialect), limit=CANDIDATES))
    if not branches:
        return [], core
    # each branch in a subquery: SQLite allows LIMIT inside a compound select only there
    union = union_all(*(select(b.subquery()) for b in branches)).subquery()
    return db.session.execute(select(union)).all(), core


def _phone_index(phone: str | None) -> str | None:
    if not phone:
        return None
    try:
        return phones.blind_index(phones.normalize(phone))
    except phones.InvalidPhone:
        return None


def likely_duplicates(data: dict, user, exclude_id: int | None = None, limit: int = 5) -> list[Duplicate]:
    """The customers ``data`` (a create's fields) probably duplicates, strongest first; one query."""
    rows, core = _candidates(data, user)
    found: dict[int, tuple[str, int, object]] = {}
    for row in rows:
        if row.id == exclude_id or row.id in found and found[row.id][1] == 100:
            continue
        score = 100 if row.reason != "name" else int(fuzz.ratio(core, name_core(row.name)))
        if score >= NAME_SCORE and (row.id not in found or score > found[row.id][1]):
            found[row.id] = (row.reason, score, row)
    ranked = sorted(found.values(), key=lambda f: (-f[1], f[0] != "phone", f[2].id))[:limit]
    return [Duplicate(row.id, reason, score, bool(row.visible),
                      describe(row.id, row.name, row.team_id, user, bool(row.visible)))
            for reason, score, row in ranked]


def duplicate_json(found: Duplicate) -> dict:
    """A duplicate as the API shows it: its id only to whom may open it."""
    shown = {"reason": found.reason, "score": found.score, "description": found.description}
    if found.visible:
        shown["customer_id"] = found.customer_id
    return shown
