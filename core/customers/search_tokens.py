"""Search tokens: the n-grams a customer is found by, made in Python (the same on every database
and under any locale), and the column type that stores them. How a query uses them: ``search.py``."""
import re
import unicodedata

from sqlalchemy import ARRAY, Text
from sqlalchemy.types import TypeDecorator


SEPARATORS = re.compile(r"[^0-9a-z\u3400-\u9fff\U00020000-\U0002ffff]+")
_CJK = re.compile(r"[\u3400-\u9fff\U00020000-\U0002ffff]")


class SearchTokens(TypeDecorator):
    """A list of tokens: a text[] on PostgreSQL (GIN-indexed), space-separated text elsewhere (FTS5)."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(ARRAY(Text) if dialect.name == "postgresql" else Text())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return list(value) if dialect.name == "postgresql" else " ".join(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return []
        return list(value) if isinstance(value, list) else value.split()


def normalized(text_: str) -> str:
    """Full-width to half-width, lower case: "ＡＢＣ" and "abc" are the same to a searcher."""
    return unicodedata.normalize("NFKC", text_ or "").lower()


def _run_tokens(run: str) -> set[str]:
    found = {c for c in run if _CJK.match(c)}
    found.update(run[i:i + 2] for i in range(len(run) - 1))
    found.update(run[i:i + 3] for i in range(len(run) - 2) if run[i:i + 3].isascii())
    return found


def tokens_of(*texts: str | None) -> list[str]:
    """The tokens a customer with these texts (name, company, pinyin key) is found by, sorted."""
    found: set[str] = set()
    for text_ in texts:
        for run in SEPARATORS.split(normalized(text_ or "")):
            found |= _run_tokens(run)
    return sorted(found)


def tokens_decide(word: str) -> bool:
    """Whether having the token of ``word`` already means containing it: a word that is one token
    (a Chinese character, any two characters, three Latin letters or digits). Longer words are
    several tokens that may sit apart ("王建" and "建国" in "王建和建国"), so ILIKE checks them."""
    runs = [run for run in SEPARATORS.split(normalized(word)) if run]
    if len(runs) != 1 or runs[0] != (word or "").strip().lower():
        return False
    run = runs[0]
    return (len(run) == 1 and bool(_CJK.match(run))) or len(run) == 2 or (len(run) == 3 and run.isascii())


def _tiling(run: str, size: int) -> set[str]:
    """The n-grams of ``run`` side by side, the last flush with its end: "hongda" → hon, gda.
    Together they cover the word, and the index intersects two lists instead of four (overlapping
    n-grams add little: the ILIKE re-check decides anyway, and every list makes the planner's
    estimate of the rows more wrong, as if the n-grams were independent)."""
    starts = set(range(0, len(run) - size + 1, size)) | {len(run) - size}
    return {run[i:i + size] for i in starts}


def query_tokens(word: str) -> list[str]:
    """Tokens every customer containing ``word`` has; [] when the index cannot narrow (one Latin
    letter, punctuation only): then the word is matched by ILIKE alone."""
    needed: set[str] = set()
    for run in SEPARATORS.split(normalized(word)):
        if len(run) == 1:
            if _CJK.match(run):
                needed.add(run)
        elif run:
            needed |= _tiling(run, 3 if len(run) > 2 and run.isascii() else 2)
    return sorted(needed)


