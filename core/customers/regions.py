"""China's administrative division codes (GB/T 2260, 县级以上行政区划代码).

A code has six digits: province (2), prefecture (2), county (2); a level that a code
does not reach is written "00" ("370000" 山东省, "370800" 济宁市, "370811" 任城区).
The table lives in data/gb2260.json and is read once, on first use.
"""
import json
import re
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("data") / "gb2260.json"
_CODE = re.compile(r"[0-9]{6}")
_PREFIX = re.compile(r"[0-9]{1,6}")


@cache
def _load() -> dict:
    """The parsed data file: {"source": ..., "regions": {code: name}}."""
    with _DATA.open(encoding="utf-8") as f:
        return json.load(f)


def _regions() -> dict[str, str]:
    """Every known code mapped to its own name."""
    return _load()["regions"]


def _parent(code: str) -> str | None:
    """The nearest known level above a code (a province has none)."""
    levels = {6: [code[:4] + "00", code[:2] + "0000"], 4: [code[:2] + "0000"], 2: []}
    return next((c for c in levels[len(prefix_of(code))] if c in _regions()), None)


@cache
def _children_index() -> dict[str, list[tuple[str, str]]]:
    """Each code mapped to its direct children, sorted by code."""
    index: dict[str, list[tuple[str, str]]] = {}
    for code, name in sorted(_regions().items()):
        parent = _parent(code)
        if parent:
            index.setdefault(parent, []).append((code, name))
    return index


def prefix_of(code: str) -> str:
    """The significant digits of a code: "370000"→"37", "370800"→"3708", "370811"→"370811".

    Raises ValueError for anything that is not six ASCII digits.
    """
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise ValueError(f"not a 6-digit region code: {code!r}")
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def region_name(code: str) -> str | None:
    """The region's own name ("370102"→"历下区"), or None for an unknown code."""
    return _regions().get(code)


def full_name(code: str) -> str | None:
    """Province, prefecture and own name joined ("山东省济南市历下区"), or None if unknown.

    A level missing from the table is skipped (municipalities, 省直辖 units), and a name
    repeated by the next level is written once ("北京市东城区").
    """
    regions = _regions()
    if code not in regions:
        return None
    names: list[str] = []
    for level in dict.fromkeys((code[:2] + "0000", code[:4] + "00", code)):
        name = regions.get(level)
        if name and (not names or names[-1] != name):
            names.append(name)
    return "".join(names)


def is_county(code: str) -> bool:
    """Whether a code is a known county-level division (six digits, not ending in "00")."""
    return (
        isinstance(code, str)
        and bool(_CODE.fullmatch(code))
        and not code.endswith("00")
        and code in _regions()
    )


def children(code: str) -> list[tuple[str, str]]:
    """Direct children as (code, name) sorted by code: a province's prefectures, a
    prefecture's counties; a province's directly administered counties are its children too.
    """
    return list(_children_index().get(code, []))


def counties_under(prefix: str) -> list[str]:
    """Sorted county-level codes starting with a prefix ("37", "3708").

    A six-digit code is first reduced to its significant prefix, so "370800" means "3708".
    Raises ValueError unless the prefix is one to six ASCII digits.
    """
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise ValueError(f"not a region code prefix: {prefix!r}")
    if len(prefix) == 6:
        prefix = prefix_of(prefix)
    return sorted(c for c in _regions() if c.startswith(prefix) and not c.endswith("00"))


def source() -> str:
    """Where the data comes from, with its year."""
    return _load()["source"]


# Finding a county by its name, and in an address ---------------------------------------------------
_COUNTY_ENDINGS = "县区市旗"


@cache
def _counties_by_name() -> dict[str, list[str]]:
    """Every way a county is written as a name, to the county codes it may mean: its own name (任城区),
    with its prefecture (济宁市任城区) and with its province (山东省济宁市任城区)."""
    found: dict[str, list[str]] = {}
    regions = _regions()
    for code, name in regions.items():
        if code.endswith("00"):
            continue
        prefecture = regions.get(code[:4] + "00", "")
        province = regions.get(code[:2] + "0000", "")
        for form in {name, prefecture + name, province + prefecture + name, province + name}:
            found.setdefault(form, []).append(code)
    return found


def _compact(text: str) -> str:
    return "".join((text or "").split())


def county_named(text: str) -> str | None:
    """The county a name means ("济宁市任城区", "任城区"), or None when unknown or ambiguous
    (市中区 is in 济南 and in 枣庄: it needs its prefecture)."""
    codes = _counties_by_name().get(_compact(text), [])
    return codes[0] if len(codes) == 1 else None


def county_in(address: str) -> str | None:
    """The county an address names ("山东省济宁市汶上县红星路238号" → 370830), or None when it names none
    or several that its prefecture does not decide between.

    Only the places where a county name can end (县, 区, 市, 旗) are looked at, so the cost is a few
    dictionary lookups per address, not a scan over 2,900 names."""
    text = _compact(address)
    names = _counties_by_name()
    regions = _regions()
    candidates = []
    for end, char in enumerate(text):
        if char not in _COUNTY_ENDINGS:
            continue
        for start in range(max(0, end - 14), end - 0):
            codes = names.get(text[start:end + 1])
            if codes:
                candidates.append(codes)
                break  # the longest name ending here (济宁市任城区 before 任城区)
    found = set()
    for codes in candidates:
        found.update(codes if len(codes) == 1 else [c for c in codes if regions.get(c[:4] + "00", "\0") in text])
    return found.pop() if len(found) == 1 else None
