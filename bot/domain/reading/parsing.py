"""Understanding a report: `/report 45`, `=180`, `45 tuantruoc`, `thêm 45 lượt`, `tổng 180`.

The grammar is deliberately strict: a message is a report only if every word in it belongs
to the small vocabulary of reporting, so chatter that happens to contain a number ("cho tôi
hỏi 5 phút") is never counted. Any text gives a request or a `ParseError`, never an exception.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.domain.model.entities import ReportMode
from bot.domain.reading.numberwords import (
    NUMBER_WORDS,
    AmbiguousNumber,
    NotANumber,
    replace_number_words,
)

# Longer messages are not reports; refusing them early keeps the work per message bounded.
MAX_REPORT_TEXT = 200
# More digits than this cannot be within any sane bound; checked before int() so that a
# 5 000-digit number costs nothing (and never hits Python's int-conversion digit limit).
MAX_NUMBER_DIGITS = 9

LAST_WEEK_WORD = "tuantruoc"

# Words (folded: lower case, no diacritics) that may appear around the number.
# Officials write English words too («update 150», «add 20», «total 180»).
_ADD_WORDS = frozenset({"them", "cong", "nua", "add", "plus", "tang"})
_SET_WORDS = frozenset({"tong", "total"})
# Words that state where the unit stands rather than what it adds ("đã có 180", "đạt 180",
# "số lượt là 180", "kết quả 180", "đủ 200"): a running total, unless "thêm" says otherwise.
_STANDING_WORDS = frozenset({"co", "la", "dat", "du", "hien", "ca", "update"})
_FILLER_WORDS = frozenset(
    {
        "da",
        "duoc",
        "luot",
        "thi",
        "tham",
        "gia",
        "so",
        "bao",
        "cao",
        "baocao",
        "bc",
        "bo",
        "sung",
        "ket",
        "qua",
        # Courtesy and particles: "70 lượt ạ", "thêm 70 lượt nhé", "đồng chí", "em báo cáo".
        "a",
        "nhe",
        "nha",
        "voi",
        "em",
        "anh",
        "chi",
        "dong",
        "oi",
        "ah",
        "roi",
        "day",
        "phuong",
        # "vận động thêm 30 người dự thi"
        "van",
        "nguoi",
    }
)
# "hôm nay" (today: what was added today), "đến nay", "lũy kế", "từ đầu" (since the
# campaign began: the week's figure or the campaign's? asked), "báo cáo lại" (a re-report:
# a total), "xin", "cho", "trong", "dạ": words around a report that change nothing else.
_TIME_WORDS = frozenset({"hom", "den", "luy", "ke", "tu", "dau", "lai", "tinh", "thoi", "diem"})
# Phrases that state the figure: a total. «số lượt», «số người», «hoàn thành».
_STANDING_PHRASES = ("ket qua", "cap nhat", "so luot", "so lieu", "so nguoi", "hoan thanh")
# Phrases that count from the campaign's start: the week's figure or the campaign's? asked.
_TO_DATE_PHRASES = ("den nay", "luy ke", "tu dau", "den hom nay", "den thoi diem", "tinh den")
# Phrases that name a part of today: what came in then is added to the week.
_TODAY_PHRASES = ("hom nay", "hom qua", "sang nay", "chieu nay", "toi nay", "trua nay")
_FILLER_WORDS = _FILLER_WORDS | {
    "xin",
    "cho",
    "trong",
    "vang",
    "chao",
    "phep",
    "gui",
    "nop",
    "nhap",
    "lieu",  # "số liệu"
    "bai",  # "bài dự thi"
    "cuoc",  # "cuộc thi"
    "ok",
    "oke",
    "okie",
    "hi",
    "ad",  # "ad ơi": the admin
    "report",
    "ban",  # "Ban Tuyên giáo", "bạn"
    "cap",
    "nhat",  # "cập nhật": an update states the figure
    "sang",
    "chieu",
    "toi",  # "sáng nay", "chiều nay", "tối nay": today
    # Around a report as officials write it: «kính gửi Ban Tuyên giáo», «em cảm ơn ạ»,
    # «chi bộ mình», «chúng em», «vừa», «mới», «hiện tại», «trên hệ thống», «các đảng viên»,
    # «hoàn thành chỉ tiêu», «vượt chỉ tiêu», «thi trắc nghiệm trực tuyến».
    "kinh",
    "tuyen",
    "giao",
    "uy",
    "cam",
    "on",
    "camon",
    "thanks",
    "thank",
    "tks",
    "e",
    "minh",
    "chung",
    "vua",
    "moi",
    "tai",
    "tren",
    "he",
    "thong",
    "app",
    "cac",
    "dang",
    "vien",
    "hoan",
    "thanh",
    "tieu",
    "vuot",
    "trac",
    "nghiem",
    "truc",
}
_WEEK_WORDS = frozenset({"tuan", "nay", "truoc", LAST_WEEK_WORD})
VOCABULARY = _ADD_WORDS | _SET_WORDS | _STANDING_WORDS | _FILLER_WORDS | _WEEK_WORDS | _TIME_WORDS
# Common slips: letters swapped, and Telex typed with the Vietnamese keyboard off.
SLIPS = {
    "thme": "them",
    "tehm": "them",
    "theem": "them",
    "thên": "them",
    "tnog": "tong",
    "toong": "tong",
    "toongr": "tong",
    "lout": "luot",
    "luto": "luot",
    "luowt": "luot",
    "luowtj": "luot",
    "luwowtj": "luot",
    "tuaanf": "tuan",
    "nayf": "nay",
    "truwowcs": "truoc",
    "themm": "them",
    "trc": "truoc",
    "lg": "luot",
}

# Answers to "is this figure right?" (folded), particles such as "ạ", "nhé" left aside.
_YES = frozenset(
    {"co", "dung", "dung roi", "dong y", "xac nhan", "chinh xac", "ok", "oke", "vang", "yes"}
)
_NO = frozenset(
    {"khong", "ko", "k", "sai", "sai roi", "khong dung", "khong phai", "nham", "huy", "no"}
)
_PARTICLES = frozenset({"a", "nhe", "nha", "ah", "oi"})
# Words a unit code must not be: `/bc CO 45` would read "CO" as "có", not as a unit.
RESERVED_WORDS = VOCABULARY | {word for phrase in _YES | _NO for word in phrase.split()}

_TOKEN = re.compile(
    r"(?P<number>[0-9]+(?:[.,][0-9]+)*)|(?P<word>[a-z]+)|(?P<symbol>[=+\-])|(?P<punct>[.,!:;?()…])",
    re.ASCII,
)
_GROUPED_THOUSANDS = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+", re.ASCII)
# Looks like thousands grouping but is not well formed ("0.500", "00.200", "1234.567").
_GROUPING_LIKE = re.compile(r"[0-9]+(?:\.[0-9]{3})+", re.ASCII)
# Characters nobody sees, which folding would drop silently: combining marks, variation
# selectors, format characters (zero-width joiner, soft hyphen…).
_INVISIBLE_CATEGORIES = frozenset({"Mn", "Me", "Cf"})
_UNIT_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,19}", re.ASCII)


class Question(StrEnum):
    """What the bot must ask before booking, where the words allow two readings."""

    # «được 10 lượt»: ten more, or ten in all this week?
    ADD_OR_TOTAL = "add_or_total"
    # «tổng cộng đến nay là 420»: this week's figure, or the campaign's so far?
    WEEK_OR_CAMPAIGN = "week_or_campaign"


class ParseProblem(StrEnum):
    EMPTY = "empty"
    NOT_UNDERSTOOD = "not_understood"
    SEVERAL_NUMBERS = "several_numbers"
    NEGATIVE = "negative"
    NOT_INTEGER = "not_integer"
    NON_ASCII_DIGITS = "non_ascii_digits"
    TOO_LONG = "too_long"
    TOO_LARGE = "too_large"
    # Digits written in a way that could stand for another number ("0.500", "4\u03015").
    MALFORMED_NUMBER = "malformed_number"
    # Number words Vietnamese speakers read two ways: «một trăm hai» (102 or 120?).
    AMBIGUOUS_NUMBER = "ambiguous_number"


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
    # Set when the words allow two readings: the sender is asked, nothing is guessed.
    question: Question | None = None


def fold(text: str) -> str:
    """Lower case without Vietnamese diacritics: 'Thêm 45 LƯỢT' -> 'them 45 luot'."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


# «đ/c», «d/c»: the usual short form of «đồng chí».
_ABBREVIATED = re.compile(r"(?<![a-z])[dđ]/c(?![a-z])")


def _without_symbols(text: str) -> str:
    """Emoji and pictographs (👍, ✅, 🎉, and the joiners and skin tones that build them)
    carry no figure: they are read as spaces. Ones touching a digit were refused before."""
    return "".join(
        " " if unicodedata.category(ch) in ("So", "Sk", "Cf", "Cs", "Co") else ch for ch in text
    )


def _invisible_by_a_digit(text: str) -> bool:
    """A digit followed by an invisible character ("4\u03015", "4\ufe0f5", "4\u200d5"): a
    person reads it as something other than the number folding would make of it."""
    return any(
        text[index - 1].isdigit() and unicodedata.category(ch) in _INVISIBLE_CATEGORIES
        for index, ch in enumerate(text)
        if index > 0
    )


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
    if _invisible_by_a_digit(text):
        return ParseError(ParseProblem.MALFORMED_NUMBER)

    unit_code = None
    if allow_unit_code:
        first, _, rest = text.partition(" ")
        if _UNIT_CODE.fullmatch(first) and fold(first) not in VOCABULARY:
            unit_code, text = first.upper(), rest.strip()
            if not text:
                return ParseError(ParseProblem.EMPTY)

    text = _without_symbols(text)
    lowered = _ABBREVIATED.sub("dong chi", text.lower())
    if lowered.strip() in NUMBER_WORDS:
        # A lone "ba" or "năm" may be a name or a greeting as well as a number: not a report.
        return ParseError(ParseProblem.NOT_UNDERSTOOD)
    try:
        text = replace_number_words(lowered)
    except AmbiguousNumber:
        return ParseError(ParseProblem.AMBIGUOUS_NUMBER)
    except NotANumber:
        return ParseError(ParseProblem.MALFORMED_NUMBER)
    folded = " ".join(SLIPS.get(word, word) for word in fold(text).split())
    tokens = _tokenize(folded)
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

    week_offset = _week_offset(tokens)
    if isinstance(week_offset, ParseError):
        return week_offset

    return _reading(words, symbols, amount, week_offset, unit_code)


def _reading(
    words: list[str], symbols: list[str], amount: int, week_offset: int, unit_code: str | None
) -> ReportRequest | ParseError:
    """How the words book the amount; the table is in docs/REPORTING.md."""
    # "tổng cộng" is "in total"; a lone "cộng" is "plus"; "dự thi" is no "đủ".
    joined = " ".join(words).replace("tong cong", "tong").replace("du thi", "duthi")
    mode_words = joined.split()
    adds = "+" in symbols or any(word in _ADD_WORDS for word in mode_words) or "bo sung" in joined
    sets = (
        "=" in symbols
        or any(word in _SET_WORDS for word in mode_words)
        or "bao cao lai" in joined  # a re-report states the figure anew
    )
    if adds and sets:
        return ParseError(ParseProblem.NOT_UNDERSTOOD)
    if not _time_words_placed(mode_words, joined):
        return ParseError(ParseProblem.NOT_UNDERSTOOD)
    request = ReportRequest(ReportMode.ADD, amount, week_offset, unit_code)
    if any(phrase in joined for phrase in _TO_DATE_PHRASES) and not adds:
        return replace(request, mode=ReportMode.SET, question=Question.WEEK_OR_CAMPAIGN)
    if sets:
        return replace(request, mode=ReportMode.SET)
    if adds or any(phrase in joined for phrase in _TODAY_PHRASES):
        # What came in today is added to the week, whatever verb states it.
        return request
    # "đã có 180", "tuần này 180" name the week's figure, i.e. a total.
    standing = (
        any(word in _STANDING_WORDS for word in mode_words)
        or any(phrase in joined for phrase in _STANDING_PHRASES)
        or (week_offset == 0 and "tuan nay" in joined)
    )
    if standing:
        return replace(request, mode=ReportMode.SET)
    if "duoc" in mode_words:
        # «được 10 lượt» reads as "ten more" to some and "ten so far" to others: ask.
        return replace(request, question=Question.ADD_OR_TOTAL)
    return request


def _time_words_placed(words: list[str], joined: str) -> bool:
    """«hôm nay», «đến nay», «lũy kế», «từ đầu», «báo cáo lại» only as those phrases."""
    phrases = {
        "hom": ("hom nay", "hom qua"),
        "tinh": ("tinh den",),
        "thoi": ("thoi diem",),
        "diem": ("thoi diem",),
        "sang": ("sang nay",),
        "chieu": ("chieu nay",),
        "toi": ("toi nay",),
        "cap": ("cap nhat",),
        "nhat": ("cap nhat",),
        "ca": ("ca tuan",),
        "den": ("den nay", "den hom nay", "den thoi diem", "tinh den"),
        "luy": ("luy ke",),
        "ke": ("luy ke",),
        "tu": ("tu dau",),
        "dau": ("tu dau",),
        "lai": ("bao cao lai", "baocao lai", "bc lai"),
    }
    return all(
        any(phrase in joined for phrase in phrases[word]) for word in words if word in phrases
    )


def _week_offset(tokens: list[tuple[str, str]]) -> int | ParseError:
    """0 for this week, -1 for last week; only "tuần này", "tuần trước" or "tuantruoc"
    name a week, so "tuần này trước 45" or a stray "trước" is not understood."""
    words = [value if kind == "word" else "" for kind, value in tokens]
    offsets = set()
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        preceding = words[index - 1] if index > 0 else ""
        if word == "tuan" and following in ("truoc", "qua", "roi"):
            offsets.add(-1)  # "tuần trước", "tuần qua", "tuần rồi"
        elif word == "tuan" and following == "nay":
            offsets.add(0)
        elif word == "tuan" and preceding in ("ca", "qua", "tong", "luot", "thi"):
            offsets.add(0)  # "cả tuần", "kết quả tuần", "tổng tuần": this week's
        elif word == "tuan":
            return ParseError(ParseProblem.NOT_UNDERSTOOD)
        elif word == "nay" and preceding in ("hom", "den", "sang", "chieu", "toi", "trua", "diem"):
            continue  # "hôm nay", "đến nay": not a week
        elif word in ("nay", "truoc") and preceding != "tuan":
            return ParseError(ParseProblem.NOT_UNDERSTOOD)
        elif word == LAST_WEEK_WORD:
            offsets.add(-1)
    if len(offsets) > 1:
        return ParseError(ParseProblem.NOT_UNDERSTOOD)
    return offsets.pop() if offsets else 0


def confirmation_answer(text: str) -> bool | None:
    """True for a yes ("có", "đúng rồi ạ"), False for a no ("không", "sai"), None otherwise."""
    if len(text) > 40 or any(ch.isdigit() for ch in text):
        return None
    words = [word for word in re.findall(r"[a-z]+", fold(text)) if word not in _PARTICLES]
    phrase = " ".join(words)
    if phrase in _YES:
        return True
    if phrase in _NO:
        return False
    return None


def choice_answer(text: str) -> int | None:
    """1 or 2 for the answer to a question with two readings («1», «số 2 ạ»), else None."""
    if len(text) > 20:
        return None
    words = [word for word in re.findall(r"[a-z0-9]+", fold(text)) if word not in _PARTICLES]
    if words and words[0] in ("so", "phuong", "cach", "y"):
        words = words[1:]
    if words in (["1"], ["2"]):
        return int(words[0])
    return None


def _number_value(text: str) -> int | ParseError:
    if text.isdigit():
        digits = text
    elif _GROUPED_THOUSANDS.fullmatch(text):
        # Vietnamese writes thousands with a dot: 1.200 is one thousand two hundred.
        digits = text.replace(".", "")
    elif _GROUPING_LIKE.fullmatch(text):
        return ParseError(ParseProblem.MALFORMED_NUMBER)
    else:
        return ParseError(ParseProblem.NOT_INTEGER)
    digits = digits.lstrip("0") or "0"
    if len(digits) > MAX_NUMBER_DIGITS:
        return ParseError(ParseProblem.TOO_LARGE)
    return int(digits)
