"""Understanding a report: `/report 45`, `=180`, `45 tuantruoc`, `thêm 45 lượt`, `tổng 180`.

The grammar is deliberately strict: a message is a report only if every word in it belongs
to the small vocabulary of reporting, so chatter that happens to contain a number ("cho tôi
hỏi 5 phút") is never counted. Any text gives a request or a `ParseError`, never an exception.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from bot.domain.model import ReportMode

# Longer messages are not reports; refusing them early keeps the work per message bounded.
MAX_REPORT_TEXT = 200
# More digits than this cannot be within any sane bound; checked before int() so that a
# 5 000-digit number costs nothing (and never hits Python's int-conversion digit limit).
MAX_NUMBER_DIGITS = 9

LAST_WEEK_WORD = "tuantruoc"

# Words (folded: lower case, no diacritics) that may appear around the number.
_ADD_WORDS = frozenset({"them", "cong"})
_SET_WORDS = frozenset({"tong"})
_FILLER_WORDS = frozenset(
    {
        "da",
        "co",
        "duoc",
        "luot",
        "du",
        "thi",
        "tham",
        "gia",
        "so",
        "la",
        "nua",
        "bao",
        "cao",
        "baocao",
        "bc",
        "ket",
        "qua",
    }
)
_WEEK_WORDS = frozenset({"tuan", "nay", "truoc", LAST_WEEK_WORD})
VOCABULARY = _ADD_WORDS | _SET_WORDS | _FILLER_WORDS | _WEEK_WORDS

_TOKEN = re.compile(
    r"(?P<number>[0-9]+(?:[.,][0-9]+)*)|(?P<word>[a-z]+)|(?P<symbol>[=+\-])|(?P<punct>[.,!:;?()…])",
    re.ASCII,
)
_GROUPED_THOUSANDS = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+", re.ASCII)
_UNIT_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,19}", re.ASCII)


class ParseProblem(StrEnum):
    EMPTY = "empty"
    NOT_UNDERSTOOD = "not_understood"
    SEVERAL_NUMBERS = "several_numbers"
    NEGATIVE = "negative"
    NOT_INTEGER = "not_integer"
    NON_ASCII_DIGITS = "non_ascii_digits"
    TOO_LONG = "too_long"
    TOO_LARGE = "too_large"


@dataclass(frozen=True)
class ParseError:
    problem: ParseProblem


@dataclass(frozen=True)
class ReportRequest:
    mode: ReportMode
    amount: int
    # 0 = the week the message was sent in, -1 = the week before.
    week_offset: int = 0
    unit_code: str | None = None


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics: 'Thêm 45 LƯỢT' -> 'them 45 luot'."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def _has_foreign_digits(text: str) -> bool:
    return any(unicodedata.category(ch) == "Nd" and not ("0" <= ch <= "9") for ch in text)


def parse_report(text: str, *, allow_unit_code: bool = False) -> ReportRequest | ParseError:
    """Parse a report; with `allow_unit_code` a leading unit code (`KM 45`) is accepted."""
    if len(text) > MAX_REPORT_TEXT:
        return ParseError(ParseProblem.TOO_LONG)
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        return ParseError(ParseProblem.EMPTY)
    if _has_foreign_digits(text):
        return ParseError(ParseProblem.NON_ASCII_DIGITS)

    unit_code = None
    if allow_unit_code:
        first, _, rest = text.partition(" ")
        if _UNIT_CODE.fullmatch(first) and fold(first) not in VOCABULARY:
            unit_code, text = first.upper(), rest.strip()
            if not text:
                return ParseError(ParseProblem.EMPTY)

    tokens = _tokenize(fold(text))
    if isinstance(tokens, ParseError):
        return tokens
    return _interpret(tokens, unit_code)


def _tokenize(folded: str) -> list[tuple[str, str]] | ParseError:
    tokens: list[tuple[str, str]] = []
    position = 0
    length = len(folded)
    while position < length:
        if folded[position].isspace():
            position += 1
            continue
        match = _TOKEN.match(folded, position)
        if match is None:
            return ParseError(ParseProblem.NOT_UNDERSTOOD)
        kind = match.lastgroup or ""
        if kind != "punct":
            tokens.append((kind, match.group()))
        position = match.end()
    return tokens


def _interpret(tokens: list[tuple[str, str]], unit_code: str | None) -> ReportRequest | ParseError:
    numbers = [index for index, (kind, _) in enumerate(tokens) if kind == "number"]
    words = [value for kind, value in tokens if kind == "word"]
    symbols = [value for kind, value in tokens if kind == "symbol"]
    if any(word not in VOCABULARY for word in words):
        return ParseError(ParseProblem.NOT_UNDERSTOOD)
    if not numbers:
        return ParseError(ParseProblem.NOT_UNDERSTOOD)
    if len(numbers) > 1:
        return ParseError(ParseProblem.SEVERAL_NUMBERS)
    number_index = numbers[0]
    if number_index > 0 and tokens[number_index - 1] == ("symbol", "-"):
        return ParseError(ParseProblem.NEGATIVE)
    if "-" in symbols:
        return ParseError(ParseProblem.NOT_UNDERSTOOD)

    amount = _number_value(tokens[number_index][1])
    if isinstance(amount, ParseError):
        return amount

    joined = " ".join(words)
    last_week = LAST_WEEK_WORD in words or "tuan truoc" in joined
    this_week = "tuan nay" in joined
    if last_week and this_week:
        return ParseError(ParseProblem.NOT_UNDERSTOOD)
    if "tuan" in words and not (last_week or this_week):
        return ParseError(ParseProblem.NOT_UNDERSTOOD)

    # "tổng cộng" is "in total"; a lone "cộng" is "plus".
    mode_words = joined.replace("tong cong", "tong").split()
    adds = "+" in symbols or any(word in _ADD_WORDS for word in mode_words)
    sets = "=" in symbols or any(word in _SET_WORDS for word in mode_words)
    if adds and sets:
        return ParseError(ParseProblem.NOT_UNDERSTOOD)
    # "tuần này 180" names the week's figure, i.e. a total, unless it says "thêm".
    mode = ReportMode.SET if sets or (this_week and not adds) else ReportMode.ADD
    return ReportRequest(
        mode=mode, amount=amount, week_offset=-1 if last_week else 0, unit_code=unit_code
    )


def _number_value(text: str) -> int | ParseError:
    if text.isdigit():
        digits = text
    elif _GROUPED_THOUSANDS.fullmatch(text):
        # Vietnamese writes thousands with a dot: 1.200 is one thousand two hundred.
        digits = text.replace(".", "")
    else:
        return ParseError(ParseProblem.NOT_INTEGER)
    digits = digits.lstrip("0") or "0"
    if len(digits) > MAX_NUMBER_DIGITS:
        return ParseError(ParseProblem.TOO_LARGE)
    return int(digits)
