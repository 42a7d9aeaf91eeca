"""Pinyin search keys for Chinese names, so staff can type "zhangsan" or "zs" to find 张三."""
from pypinyin import Style, lazy_pinyin


def search_key(name: str) -> str:
    """Full pinyin and initials, lower case, separated by a space: "zhangsan zs"."""
    if not name:
        return ""
    syllables = [s.lower() for s in lazy_pinyin(name, errors="default") if s.strip()]
    # Non-Chinese runs ("ABC") stay whole in both keys.
    initials = "".join(s for s in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default") if s.strip())
    return f"{''.join(syllables)} {initials.lower()}"
