"""Vietnamese alphabetical order for lists of names (Đ after D, tones as dictionaries order
them), from ICU's Vietnamese collation rather than a table of our own: the rules of the
language are ICU's business, and its tailoring is the one Vietnamese software agrees on."""

from __future__ import annotations

import threading

import icu

_local = threading.local()


def _collator() -> icu.Collator:
    # A collator is cheap to clone and not meant to be shared between threads.
    collator = getattr(_local, "collator", None)
    if collator is None:
        collator = icu.Collator.createInstance(icu.Locale("vi_VN"))
        _local.collator = collator
    return collator


def vietnamese_key(text: str) -> bytes:
    """A sort key: sorting by it puts names in Vietnamese dictionary order."""
    return bytes(_collator().getSortKey(text))


def sorted_names(names: list[str]) -> list[str]:
    return sorted(names, key=vietnamese_key)
