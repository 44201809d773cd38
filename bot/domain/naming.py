"""Units named in ordinary text: «Khương Mai báo cáo thêm 70 lượt», «khuong mai»."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.collation import vietnamese_key
from bot.domain.model import Unit
from bot.domain.parsing import fold

# How a name may start; people often leave this out ("Khương Mai" for "Phường Khương Mai").
_KIND_PREFIXES = ("phuong ", "chi bo ", "dang bo ", "quan ")
_WORD_EDGE = re.compile(r"^\W+|\W+$")


@dataclass(frozen=True)
class Named:
    """The units a text names (several when the name is shared) and the text without it."""

    units: tuple[Unit, ...]
    rest: str


def _words(text: str) -> list[str]:
    return [_WORD_EDGE.sub("", fold(word)) for word in text.split()]


def name_forms(unit: Unit) -> set[str]:
    """The unit's name as people write it: whole, or without its kind ("khuong mai")."""
    name = " ".join(_words(unit.name))
    forms = {name}
    for prefix in _KIND_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix) + 2:
            forms.add(name[len(prefix) :])
    return forms


def find_named_unit(text: str, units: Sequence[Unit]) -> Named | None:
    """The longest unit name in `text`, at word boundaries, and the text without it."""
    words = _words(text)
    originals = text.split()
    best: list[tuple[int, int, Unit]] = []  # (start, length, unit)
    best_length = 0
    for unit in units:
        for form in name_forms(unit):
            form_words = form.split()
            size = len(form_words)
            if size < best_length:
                continue
            for start in range(len(words) - size + 1):
                if words[start : start + size] == form_words:
                    if size > best_length:
                        best, best_length = [], size
                    best.append((start, size, unit))
    if not best:
        return None
    found = {unit.code: unit for _, _, unit in best}
    start, size, _ = best[0]
    rest = " ".join(originals[:start] + originals[start + size :])
    return Named(tuple(found.values()), rest)


def search_units(query: str, units: Sequence[Unit]) -> list[Unit]:
    """Units whose code is the query or whose name contains it, diacritics and case aside
    («khuong mai», «Khương Mai»); the exact code first."""
    wanted = " ".join(_words(query))
    if not wanted:
        return []
    exact = [unit for unit in units if unit.code == query.strip().upper()]
    found = [
        unit
        for unit in units
        if unit not in exact and any(wanted in form for form in name_forms(unit))
    ]
    return exact + sorted(found, key=lambda unit: (len(unit.name), vietnamese_key(unit.name)))


def closest_units(query: str, units: Sequence[Unit], count: int = 3) -> list[Unit]:
    """The units whose code or name is nearest to a query that matched none."""
    wanted = " ".join(_words(query))
    forms = {form: unit for unit in units for form in (*name_forms(unit), unit.code.lower())}
    close = difflib.get_close_matches(wanted, list(forms), n=count * 2, cutoff=0.5)
    chosen: list[Unit] = []
    for form in close:
        if forms[form] not in chosen:
            chosen.append(forms[form])
    return chosen[:count]
