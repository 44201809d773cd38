"""Numbers written in Vietnamese words: «mười lăm», «hai mươi mốt», «một trăm linh năm»,
«một nghìn hai trăm» — up to 9 999 999.

Only words written with their diacritics count (plus «hai», «ba», which have none): without
them «nam», «sau», «bay», «tu» are as likely "năm/nam", "sau/sáu", "bay/bảy", "từ/tư", and a
report must never be read as a number its sender did not mean. A run of number words that
is not a well-formed number is refused, not guessed.
"""

from __future__ import annotations

import re

_DIGITS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "nhăm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
}
_TEN = {"mười": 10, "mươi": 10}
_HUNDRED = {"trăm"}
_THOUSAND = {"nghìn", "ngàn"}
_MILLION = {"triệu"}
_ZERO_TENS = {"linh", "lẻ"}
NUMBER_WORDS = frozenset(_DIGITS) | frozenset(_TEN) | _HUNDRED | _THOUSAND | _MILLION | _ZERO_TENS
_WORD = re.compile(r"\w+|\W+")


class NotANumber(ValueError):
    """A run of number words that does not make one number."""


def replace_number_words(text: str) -> str:
    """`text` (lower case, NFC) with each run of number words replaced by its digits.

    Raises NotANumber for a malformed run ("mười mười", "trăm hai")."""
    pieces = _WORD.findall(text)
    out: list[str] = []
    run: list[str] = []
    gap = ""
    for piece in pieces:
        if piece in NUMBER_WORDS:
            run.append(piece)
            gap = ""
            continue
        if run and piece.isspace():
            gap += piece
            continue
        if run:
            out.append(str(_value(run)))
            out.append(gap)
            run, gap = [], ""
        out.append(piece)
    if run:
        out.append(str(_value(run)))
        out.append(gap)
    return "".join(out)


def _value(words: list[str]) -> int:
    """The number a run of words names, by Vietnamese rules; NotANumber otherwise."""
    total = 0
    for group, scale in _split(words, _MILLION, 1_000_000):
        total += _below_thousand_groups(group) * scale
    return total


def _split(words: list[str], markers: set[str], scale: int) -> list[tuple[list[str], int]]:
    if not any(word in markers for word in words):
        return [(words, 1)]
    index = next(i for i, word in enumerate(words) if word in markers)
    head, tail = words[:index], words[index + 1 :]
    if not head or any(word in markers for word in tail):
        raise NotANumber(" ".join(words))
    return [(head, scale), (tail, 1)] if tail else [(head, scale)]


def _below_thousand_groups(words: list[str]) -> int:
    total = 0
    groups = _split(words, _THOUSAND, 1_000)
    for group, scale in groups:
        if scale == 1 and not group:
            continue
        after_thousand = len(groups) > 1 and scale == 1
        if after_thousand and len(group) == 1 and group[0] in _DIGITS and group[0] != "không":
            # "một nghìn hai" (1 200 or 1 002?) is not read either.
            raise NotANumber(" ".join(words))
        total += _below_thousand(group) * scale
    if total >= 1_000_000:
        raise NotANumber(" ".join(words))
    return total


def _below_thousand(words: list[str]) -> int:
    """0..999: [digit trăm] [linh digit | tens] ..."""
    if not words:
        raise NotANumber("")
    hundreds = 0
    rest = words
    if "trăm" in words:
        index = words.index("trăm")
        if index != 1 or words[0] not in _DIGITS:
            raise NotANumber(" ".join(words))
        hundreds = _DIGITS[words[0]] * 100
        rest = words[2:]
        if len(rest) == 1 and rest[0] in _DIGITS:
            # "một trăm hai" is 120 to some and 102 to others: ask rather than guess.
            raise NotANumber(" ".join(words))
        if rest and rest[0] in _ZERO_TENS:
            if len(rest) != 2 or rest[1] not in _DIGITS:
                raise NotANumber(" ".join(words))
            return hundreds + _DIGITS[rest[1]]
    return hundreds + _below_hundred(rest, standalone=not hundreds)


def _below_hundred(words: list[str], *, standalone: bool) -> int:
    if not words:
        if standalone:
            raise NotANumber("")
        return 0
    if len(words) == 1 and words[0] in _DIGITS:
        return _DIGITS[words[0]]
    if words[0] == "mười":  # 10..19
        if len(words) == 1:
            return 10
        if len(words) == 2 and words[1] in _DIGITS and words[1] not in ("mốt", "tư", "không"):
            return 10 + _DIGITS[words[1]]
        raise NotANumber(" ".join(words))
    if len(words) >= 2 and words[0] in _DIGITS and words[1] == "mươi":  # 20..99
        tens = _DIGITS[words[0]]
        if tens < 2:
            raise NotANumber(" ".join(words))
        if len(words) == 2:
            return tens * 10
        if len(words) == 3 and words[2] in _DIGITS and words[2] not in ("không",):
            return tens * 10 + _DIGITS[words[2]]
    raise NotANumber(" ".join(words))
