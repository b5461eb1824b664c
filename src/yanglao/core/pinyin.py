"""Pinyin for Chinese names, so officers can search 张三 by typing ``zs`` or ``zhangsan``."""

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=65536)
def initials(text: str) -> str:
    return "".join(p[0] for p in lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore") if p).lower()


@lru_cache(maxsize=65536)
def full(text: str) -> str:
    return "".join(lazy_pinyin(text, errors="ignore")).lower()
