"""Units named in ordinary text: «Khương Mai báo cáo thêm 70 lượt», «khuong mai»."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.model.collation import vietnamese_key
from bot.domain.model.entities import Unit
from bot.domain.reading.parsing import fold

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


# Abbreviations officials write, and what they stand for (folded).
_ABBREVIATIONS = {
    "tdp": "to dan pho",
    "cb": "chi bo",
    "db": "dang bo",
    "dtn": "doan thanh nien",
    "tn": "thanh nien",
    "tncs": "thanh nien cong san",
    "hcm": "ho chi minh",
    "mttq": "mat tran to quoc",
    "ccb": "cuu chien binh",
    "p": "phuong",
    "q": "quan",
}
# Words that add nothing to a name («Tổ dân phố số 3» is «tổ 3»).
_NOISE = frozenset({"so"})
# «Tổ dân phố số 3», as people shorten it: «tổ 3», «TDP 3», «tổ dân phố 3».
_STREET_GROUP = re.compile(r"\bto dan pho (?:so )?(\d+)\b")
_PARENT_SUFFIX = re.compile(r" (?:phuong|quan) .+$")


def _expanded(words: Sequence[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        out.extend(_ABBREVIATIONS.get(word, word).split())
    return [word for word in out if word not in _NOISE]


def name_forms(unit: Unit) -> set[str]:
    """The unit's name as people write it: whole, without its kind ("khuong mai"), without
    the ward it belongs to, and a street group's cell as «chi bộ tổ 3», «tổ 3», «cb tdp 3»."""
    name = " ".join(_words(unit.name))
    forms = {name}
    short = _PARENT_SUFFIX.sub("", name)
    if short != name and len(short) > 4:
        forms.add(short)
    for form in list(forms):
        group = _STREET_GROUP.search(form)
        if group:
            number = group.group(1)
            for spoken in (f"to {number}", f"tdp {number}", f"to dan pho {number}"):
                forms.add(_STREET_GROUP.sub(spoken, form))
            if form.startswith("chi bo to dan pho"):
                # «Chi bộ 3», «chi bộ số 3»: a street group's cell by its number alone.
                forms.update({f"chi bo {number}", f"chi bo so {number}", f"cb {number}"})
    for form in list(forms):
        for prefix in _KIND_PREFIXES:
            if form.startswith(prefix) and len(form) > len(prefix) + 2:
                forms.add(form[len(prefix) :])
        if form.startswith("chi bo "):
            forms.add("cb " + form[len("chi bo ") :])
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


def _name_words(unit: Unit) -> list[str]:
    return _expanded(_words(unit.name))


def _bare(words: list[str]) -> list[str]:
    """A name without its kind word («khuong mai» for «phuong khuong mai»)."""
    joined = " ".join(words)
    for prefix in _KIND_PREFIXES:
        if joined.startswith(prefix):
            return joined[len(prefix) :].split()
    return words


def search_units(query: str, units: Sequence[Unit], limit: int | None = None) -> list[Unit]:
    """Units a query names, best first: the exact code; else an exact full name (with or
    without its kind word, diacritics aside) alone; else every unit whose name, with the
    name of the unit above it, holds all the query's words (abbreviations such as TDP, CB,
    ĐTN known; «tổ 3» is «Tổ dân phố số 3»), those matching in their own name first."""
    exact_code = [unit for unit in units if unit.code == query.strip().upper()]
    if exact_code:
        return exact_code
    wanted = _expanded(_words(query))
    wanted = [word for word in wanted if word]
    if not wanted:
        return []
    exact = [
        unit
        for unit in units
        if wanted == _name_words(unit) or _bare(wanted) == _bare(_name_words(unit))
    ]
    if exact:
        return exact[:limit] if limit else exact
    by_code = {unit.code: unit for unit in units}
    scored = []
    for unit in units:
        own = set(_name_words(unit))
        parent = by_code.get(unit.parent or "")
        around = set(_name_words(parent)) if parent else set()
        if all(word in own or word in around or word == unit.code.lower() for word in wanted):
            in_own = sum(1 for word in wanted if word in own)
            scored.append((-in_own, len(own), vietnamese_key(unit.name), unit))
    found = [unit for *_, unit in sorted(scored, key=lambda item: item[:3])]
    return found[:limit] if limit else found


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
