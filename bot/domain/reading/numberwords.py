"""Numbers written in Vietnamese words: «mười lăm», «hai mươi mốt», «một trăm linh năm»,
«một nghìn hai trăm» — up to 9 999 999.

Words written with their diacritics count wherever they stand. Without diacritics («muoi lam
luot»), «nam», «sau», «bay», «tu» are as likely "năm/nam", "sau/sáu", "bay/bảy", "từ/tư":
such a run is read only when it has two words or more and one of them can only be part of a
number («muoi», «tram», «nghin», «ngan», «trieu», «linh»), or is «muoi» (ten) alone, so a
report is never read as a number its sender did not mean. A run of number words that is not
a well-formed number is refused, not guessed.
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
# Number words typed without diacritics, and what they stand for ("muoi" is "mười" at the
# start of a run, "mươi" after a digit; "mot" is "mốt" after "mươi").
_FOLDED = {
    "khong": "không",
    "mot": "một",
    "hai": "hai",
    "ba": "ba",
    "bon": "bốn",
    "tu": "tư",
    "nam": "năm",
    "lam": "lăm",
    "nham": "nhăm",
    "sau": "sáu",
    "bay": "bảy",
    "tam": "tám",
    "chin": "chín",
    "muoi": "mười",
    "tram": "trăm",
    "nghin": "nghìn",
    "ngan": "ngàn",
    "trieu": "triệu",
    "linh": "linh",
    "le": "lẻ",
}
# Without diacritics, a run is a number only with one of these in it.
_FOLDED_MARKERS = frozenset({"muoi", "tram", "nghin", "ngan", "trieu", "linh"})


class NotANumber(ValueError):
    """A run of number words that does not make one number."""


class AmbiguousNumber(NotANumber):
    """Words Vietnamese speakers read as two numbers: «một trăm hai» is 102 to some and 120
    to others, «một nghìn hai» 1 002 or 1 200."""


def replace_number_words(text: str) -> str:
    """`text` (lower case, NFC) with each run of number words replaced by its digits.

    Raises NotANumber for a malformed run ("mười mười", "trăm hai")."""
    return _replace_runs(_replace_folded_runs(text))


def _replace_folded_runs(text: str) -> str:
    """Runs of number words typed without diacritics, given theirs back where the run can
    only be a number («muoi lam» → «mười lăm»); any other run is left as it is."""
    pieces = _WORD.findall(text)
    out: list[str] = []
    index = 0
    while index < len(pieces):
        end = index
        run: list[int] = []
        while end < len(pieces) and (pieces[end] in _FOLDED or (run and pieces[end] == " ")):
            if pieces[end] in _FOLDED:
                run.append(end)
            end += 1
        words = [pieces[i] for i in run]
        if (len(words) >= 2 and _FOLDED_MARKERS.intersection(words)) or words == ["muoi"]:
            restored = _restore(words)
            out.append(" ".join(restored))
            last = run[-1] + 1
            out.extend(pieces[last:end])
            index = end
        elif run:
            out.append(pieces[index])
            index += 1
        else:
            out.append(pieces[index])
            index += 1
    return "".join(out)


def _restore(words: list[str]) -> list[str]:
    restored: list[str] = []
    for word in words:
        previous = restored[-1] if restored else ""
        if word == "muoi":
            restored.append("mươi" if previous in _DIGITS and previous != "không" else "mười")
        elif word == "mot" and previous == "mươi":
            restored.append("mốt")
        elif word == "lam" or (word == "nam" and previous in ("mười", "mươi")):
            restored.append("lăm")
        else:
            restored.append(_FOLDED[word])
    return restored


def _replace_runs(text: str) -> str:
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
            raise AmbiguousNumber(" ".join(words))
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
            raise AmbiguousNumber(" ".join(words))
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
