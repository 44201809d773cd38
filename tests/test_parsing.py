import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.model.entities import ReportMode
from bot.domain.reading.numberwords import NUMBER_WORDS, replace_number_words
from bot.domain.reading.parsing import (
    ParseError,
    ParseProblem,
    ReportRequest,
    confirmation_answer,
    fold,
    parse_report,
)

ADD, SET = ReportMode.ADD, ReportMode.SET


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45", ReportRequest(ADD, 45)),
        ("+45", ReportRequest(ADD, 45)),
        ("thêm 45 lượt", ReportRequest(ADD, 45)),
        ("Thêm 45 LƯỢT.", ReportRequest(ADD, 45)),
        ("them 45 luot", ReportRequest(ADD, 45)),
        ("45 lượt dự thi", ReportRequest(ADD, 45)),
        ("đã có thêm 45", ReportRequest(ADD, 45)),
        ("tổng 180", ReportRequest(SET, 180)),
        ("tổng cộng 180 lượt", ReportRequest(SET, 180)),
        ("tuần này 180", ReportRequest(SET, 180)),
        ("tuần này thêm 20", ReportRequest(ADD, 20)),
        ("=180", ReportRequest(SET, 180)),
        ("= 180", ReportRequest(SET, 180)),
        ("1.200", ReportRequest(ADD, 1200)),
        ("thêm 10.000 lượt", ReportRequest(ADD, 10000)),
        ("45 tuantruoc", ReportRequest(ADD, 45, week_offset=-1)),
        ("tuần trước thêm 45", ReportRequest(ADD, 45, week_offset=-1)),
        ("tổng 180 tuần trước", ReportRequest(SET, 180, week_offset=-1)),
        ("0", ReportRequest(ADD, 0)),
        ("045", ReportRequest(ADD, 45)),
    ],
)
def test_reports_understood(text, expected):
    assert parse_report(text) == expected


def test_decomposed_vietnamese_is_understood_like_composed():
    decomposed = "the\u0302m 45 lu\u031bo\u031b\u0323t"
    assert parse_report(decomposed) == ReportRequest(ADD, 45)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", ParseProblem.EMPTY),
        ("   ", ParseProblem.EMPTY),
        ("xin chào", ParseProblem.NOT_UNDERSTOOD),
        ("cho tôi hỏi 5 phút", ParseProblem.NOT_UNDERSTOOD),
        ("thêm lượt", ParseProblem.NOT_UNDERSTOOD),
        ("tuần 37 thêm 5", ParseProblem.SEVERAL_NUMBERS),
        ("45 50", ParseProblem.SEVERAL_NUMBERS),
        ("-5", ParseProblem.NEGATIVE),
        ("thêm -5 lượt", ParseProblem.NEGATIVE),
        ("4,5", ParseProblem.NOT_INTEGER),
        ("45.5", ParseProblem.NOT_INTEGER),
        ("1.20", ParseProblem.NOT_INTEGER),
        ("١٢", ParseProblem.NON_ASCII_DIGITS),
        ("４５", ParseProblem.NON_ASCII_DIGITS),
        ("9" * 5000, ParseProblem.TOO_LONG),
        ("9" * 150, ParseProblem.TOO_LARGE),
        ("1234567890", ParseProblem.TOO_LARGE),
        ("x" * 10_000, ParseProblem.TOO_LONG),
        ("tổng thêm 5", ParseProblem.NOT_UNDERSTOOD),
        ("tuần này tuần trước 5", ParseProblem.NOT_UNDERSTOOD),
        ("<b>45</b>", ParseProblem.NOT_UNDERSTOOD),
        ("4🎉5", ParseProblem.SEVERAL_NUMBERS),
    ],
)
def test_refusals_name_the_problem(text, problem):
    assert parse_report(text) == ParseError(problem)


def test_emoji_around_a_report_change_nothing():
    assert parse_report("45 🎉") == ReportRequest(ADD, 45)
    assert parse_report("👍 tổng 180 ✅") == ReportRequest(SET, 180)


def test_unit_code_only_where_allowed():
    assert parse_report("KM 45", allow_unit_code=True) == ReportRequest(ADD, 45, unit_code="KM")
    assert parse_report("km01 =20 tuantruoc", allow_unit_code=True) == ReportRequest(
        SET, 20, week_offset=-1, unit_code="KM01"
    )
    assert parse_report("KM 45") == ParseError(ParseProblem.NOT_UNDERSTOOD)
    # A vocabulary word is never mistaken for a unit code.
    assert parse_report("thêm 45", allow_unit_code=True) == ReportRequest(ADD, 45)
    assert parse_report("KM", allow_unit_code=True) == ParseError(ParseProblem.EMPTY)


def test_fold():
    assert fold("Đã có THÊM 45 lượt dự thi") == "da co them 45 luot du thi"


@settings(max_examples=600, deadline=None)
@given(st.text(max_size=300), st.booleans())
def test_any_text_gives_a_request_or_a_parse_error(text, allow_unit_code):
    result = parse_report(text, allow_unit_code=allow_unit_code)
    assert isinstance(result, ReportRequest | ParseError)
    if isinstance(result, ReportRequest):
        assert 0 <= result.amount < 10**9
        assert result.week_offset in (0, -1)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "thêm",
                "45",
                "lượt",
                "tổng",
                "=",
                "+",
                "-",
                "1.200",
                "tuần",
                "này",
                "trước",
                "tuantruoc",
                "dự",
                "thi",
                "đã",
                "có",
                "KM",
                "٤",
                "0",
                ",",
                ".",
            ]
        ),
        max_size=8,
    )
)
def test_any_mix_of_report_words_gives_a_request_or_a_parse_error(words):
    result = parse_report(" ".join(words), allow_unit_code=True)
    assert isinstance(result, ReportRequest | ParseError)


@pytest.mark.parametrize(
    "text",
    [
        "đã có 180",
        "số lượt là 180",
        "kết quả 180",
        "đủ 180",
        "đạt 180",
        "hiện có 180 lượt",
        "Đã có 180 lượt dự thi",
        "da co 180",
        "ket qua 180 luot",
        "đạt 180 lượt",
    ],
)
def test_statements_of_a_running_total_are_totals(text):
    assert parse_report(text) == ReportRequest(SET, 180)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("đã có thêm 45", ReportRequest(ADD, 45)),
        ("đạt thêm 45 lượt", ReportRequest(ADD, 45)),
        ("45 lượt dự thi", ReportRequest(ADD, 45)),
        ("dự thi 45 lượt", ReportRequest(ADD, 45)),
        ("45 nữa", ReportRequest(ADD, 45)),
    ],
)
def test_an_explicit_addition_stays_an_addition(text, expected):
    assert parse_report(text) == expected


@pytest.mark.parametrize(
    "text",
    ["0.500", "00.200", "01.200", "1234.567", "4\u03015", "1\u03002", "thêm 4\u0323 5", "4\u0301"],
)
def test_malformed_numbers_are_refused_with_a_reason(text):
    assert parse_report(text) in (
        ParseError(ParseProblem.MALFORMED_NUMBER),
        ParseError(ParseProblem.NOT_UNDERSTOOD),
        ParseError(ParseProblem.SEVERAL_NUMBERS),
    )
    assert not isinstance(parse_report(text), ReportRequest)


def test_grouping_with_a_leading_zero_names_the_problem():
    for text in ("0.500", "00.200", "4\u03015"):
        assert parse_report(text) == ParseError(ParseProblem.MALFORMED_NUMBER), text


@pytest.mark.parametrize(
    "text",
    ["tuần này trước 45", "trước 45", "tuần 45 này", "nay 45", "45 tuần", "tuantruoc tuần này 4"],
)
def test_only_whole_week_phrases_name_a_week(text):
    assert parse_report(text) == ParseError(ParseProblem.NOT_UNDERSTOOD)


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("có", True),
        ("Có ạ", True),
        ("đúng rồi", True),
        ("ok nhé", True),
        ("không", False),
        ("Không ạ", False),
        ("sai", False),
        ("45", None),
        ("có 45", None),
        ("xin chào", None),
    ],
)
def test_confirmation_answers(text, answer):
    assert confirmation_answer(text) is answer


@settings(max_examples=400, deadline=None)
@given(
    st.one_of(
        st.text(max_size=60),
        st.lists(
            st.sampled_from(
                ["thêm", "lượt", "mười", "hai", "mươi", "trăm", "năm", "ạ", "45", "tổng"]
            ),
            max_size=6,
        ).map(" ".join),
    )
)
def test_a_booked_number_is_always_written_in_the_text(text):
    """In digits, or in number words that name exactly that number."""
    result = parse_report(text)
    if isinstance(result, ReportRequest):
        digits = "".join(ch for ch in text if ch.isdigit())
        if digits:
            assert str(result.amount) in digits.lstrip("0") or result.amount == 0
        else:
            words = [w for w in text.lower().split() if w in NUMBER_WORDS]
            assert words and replace_number_words(" ".join(words)) == str(result.amount)


# ---------------------------------------------- as officials write ([conversation])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("70 lượt ạ", ReportRequest(ADD, 70)),
        ("thêm 70 lượt nhé", ReportRequest(ADD, 70)),
        ("bổ sung 70 lượt", ReportRequest(ADD, 70)),
        ("báo cáo thêm 70 lượt dự thi ạ", ReportRequest(ADD, 70)),
        ("15 lượt dự thi ạ", ReportRequest(ADD, 15)),
        ("Đã vận động thêm 30 người dự thi", ReportRequest(ADD, 30)),
        ("em báo cáo 45 lượt ạ", ReportRequest(ADD, 45)),
        ("Tuần này phường đạt 180 lượt", ReportRequest(SET, 180)),
        ("dong chi oi them 12 luot nha", ReportRequest(ADD, 12)),
    ],
)
def test_courtesy_words_and_particles_are_understood(text, expected):
    assert parse_report(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mười lăm", ReportRequest(ADD, 15)),
        ("hai mươi lượt", ReportRequest(ADD, 20)),
        ("thêm hai mươi mốt lượt", ReportRequest(ADD, 21)),
        ("một trăm linh năm lượt", ReportRequest(ADD, 105)),
        ("tổng một nghìn hai trăm", ReportRequest(SET, 1200)),
        ("chín nghìn chín trăm chín mươi chín", ReportRequest(ADD, 9999)),
        ("thêm năm lượt ạ", ReportRequest(ADD, 5)),
    ],
)
def test_numbers_written_in_words(text, expected):
    assert parse_report(text) == expected


@pytest.mark.parametrize(
    "text",
    ["một trăm hai", "một nghìn hai", "mười mười", "trăm hai", "năm 2024 được 45", "ba", "năm"],
)
def test_number_words_that_could_mean_two_numbers_are_never_booked(text):
    assert isinstance(parse_report(text), ParseError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thme 40", ReportRequest(ADD, 40)),
        ("tehm 40 lout", ReportRequest(ADD, 40)),
        ("theem 40 luwowtj", ReportRequest(ADD, 40)),
        ("toong 180", ReportRequest(SET, 180)),
        ("da co them 45 luot du thi", ReportRequest(ADD, 45)),
        ("tuan nay dat 180", ReportRequest(SET, 180)),
    ],
)
def test_slips_and_text_without_diacritics(text, expected):
    assert parse_report(text) == expected


INVISIBLE = ["\u200d", "\u200b", "\ufe0f", "\ufe0e", "\u00ad", "\u2060", "\u0301", "\u0323"]


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 99_999),
    st.sampled_from(INVISIBLE),
    st.data(),
    st.sampled_from(["", "thêm ", "tổng ", "+"]),
)
def test_a_format_character_inside_a_number_is_never_read_through(number, mark, data, prefix):
    digits = str(number)
    if len(digits) < 2:
        digits += "0"
    cut = data.draw(st.integers(1, len(digits) - 1))
    text = f"{prefix}{digits[:cut]}{mark}{digits[cut:]}"
    result = parse_report(text)
    assert not isinstance(result, ReportRequest), (text, result)
    assert result == ParseError(ParseProblem.MALFORMED_NUMBER)


@given(st.text(max_size=60))
def test_a_booked_number_is_always_in_the_text(text):
    result = parse_report(text)
    if isinstance(result, ReportRequest):
        digits = [int(run.replace(".", "")) for run in re.findall(r"[0-9][0-9.]*", text)]
        assert not digits or result.amount in digits, text
