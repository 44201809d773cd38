"""Words officials write (issue [trust]): each phrasing booked as it is meant, or asked about
once where it allows two readings, or refused with its own reason; registration by name."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain import wording
from bot.domain.reading.parsing import ParseError, ParseProblem, Question, parse_report
from tests.conftest import ADMIN_ID, at
from tests.support.dialogue import Dialogue, only_text, person

ADMIN = person(ADMIN_ID, "Trần Thị Bình")
AN = person(1001, "Nguyễn Văn An")  # KM
CHI = person(1003, "Đỗ Thị Chi")  # KM01
WEEK_37 = date(2024, 9, 9)
WHEN = at("2024-09-10 10:00")  # Tuesday of week 37


def approve(dialogue: Dialogue, who, code: str) -> None:
    dialogue.send(who, f"/register {code}", at=at("2024-09-02 08:00"))
    dialogue.send(ADMIN, f"/approve {who.user_id}", at=at("2024-09-02 08:00"))


def own(dialogue: Dialogue, code: str, week: date = WEEK_37) -> int:
    return dialogue.query(
        lambda store: store.ledger.own_total(store.campaigns.active().id, code, week)
    )


@pytest.fixture
def secretaries(db_dialogue: Dialogue) -> Dialogue:
    approve(db_dialogue, AN, "KM")
    approve(db_dialogue, CHI, "KM01")
    return db_dialogue


# ---------------------------------------------------------------- booked as meant


@pytest.mark.parametrize(
    ("text", "after"),
    [
        ("thêm 30 lượt trong hôm nay ạ", 40),
        ("hôm nay được thêm 3 lượt", 13),
        ("đồng chí cho thêm 5 lượt", 15),
        ("Dạ em xin báo cáo lại, phường đã có 120 ạ", 120),
        ("em xin báo cáo lại tổng 120 ạ", 120),
        ("muoi lam luot", 25),
        ("hai muoi lam luot a", 35),
        ("tuần này được 25 lượt", 25),
        ("Khương Mai báo cáo thêm 70 lượt", 80),
    ],
)
def test_everyday_phrasings_are_booked_as_meant(secretaries, text, after):
    secretaries.send(AN, "10", at=at("2024-09-10 08:00"))
    reply = only_text(secretaries.send(AN, text, at=WHEN))
    assert "✅" in reply, reply
    assert own(secretaries, "KM") == after


def test_a_unit_code_in_the_text_names_the_unit(secretaries):
    reply = only_text(secretaries.send(CHI, "KM01 báo cáo thêm 25", at=WHEN))
    assert "✅" in reply and own(secretaries, "KM01") == 25
    # Another unit's code from a secretary: asked, nothing booked.
    refused = only_text(secretaries.send(CHI, "KM02 báo cáo thêm 5", at=WHEN))
    assert "✅" not in refused and own(secretaries, "KM02") == 0
    # An admin names the unit to report for.
    assert "✅" in only_text(secretaries.send(ADMIN, "KM02 báo cáo thêm 5", at=WHEN))
    assert own(secretaries, "KM02") == 5


def test_a_cell_named_as_people_say_it_is_the_senders_own():
    from tests.conftest import make_policy
    from tests.test_jobs_domain import thanh_xuan_store

    store = thanh_xuan_store()
    dialogue = Dialogue(store, make_policy(), at("2024-09-02 08:00"))
    secretary = person(2003, "Bí thư tổ 3")
    approve(dialogue, secretary, "KM03")
    reply = only_text(dialogue.send(secretary, "Chi bộ tổ 3 báo cáo đã có 20 lượt ạ", at=WHEN))
    assert "✅" in reply and "Tổ dân phố số 3 phường Khương Mai" in reply
    assert own(dialogue, "KM03") == 20
    assert all(own(dialogue, f"{ward}03") == 0 for ward in ("HD", "KD", "KT"))


# ---------------------------------------------------------------- asked once


def test_duoc_n_is_asked_once_and_the_button_books_it_once(secretaries):
    secretaries.send(AN, "10", at=at("2024-09-10 08:00"))
    [question] = secretaries.send(AN, "chi bộ em được 10 lượt ạ", at=WHEN)
    assert own(secretaries, "KM") == 10  # nothing booked yet
    labels = [button.label for button in question.buttons]
    assert labels == ["➕ Cộng thêm 10", "🟰 Tổng là 10"]
    assert "«1»" in question.text and "«2»" in question.text
    asked_again = only_text(secretaries.again(secretaries.last_message_id(), at=WHEN))
    assert "đang chờ đồng chí chọn" in asked_again
    held_id = question.buttons[1].argument
    answer = only_text(secretaries.press(AN, "pick_other", held_id, button_message_id="77"))
    assert "✅" in answer and own(secretaries, "KM") == 10  # a total of 10
    pressed_again = only_text(
        secretaries.press(AN, "confirm_held", held_id, button_message_id="77")
    )
    assert pressed_again == wording.held_already("confirmed", question=True)
    assert own(secretaries, "KM") == 10


def test_duoc_n_answered_by_typing_1_adds(secretaries):
    secretaries.send(AN, "10", at=at("2024-09-10 08:00"))
    secretaries.send(AN, "được 10 lượt", at=WHEN)
    answer = only_text(secretaries.send(AN, "1", at=WHEN))
    assert "✅" in answer and own(secretaries, "KM") == 20
    # With no question waiting, «1» is a report of one entry.
    only_text(secretaries.send(AN, "1", at=WHEN))
    assert own(secretaries, "KM") == 21


def test_last_weeks_duoc_then_a_report_is_not_counted_twice(secretaries):
    monday = at("2024-09-16 09:00")
    secretaries.send(AN, "tuần trước chi bộ em được 30 lượt ạ", at=monday)
    secretaries.send(AN, "2", at=monday)  # a total: last week had 30
    secretaries.send(AN, "/bc =30 tuantruoc", at=monday)
    assert own(secretaries, "KM", WEEK_37) == 30


def test_to_date_is_asked_with_the_weeks_share(secretaries):
    secretaries.send(AN, "300", at=at("2024-09-04 10:00"))  # week 36
    [question] = secretaries.send(AN, "tổng cộng đến nay là 420 lượt", at=WHEN)
    assert "300" in question.text and "120" in question.text
    assert own(secretaries, "KM") == 0
    answer = only_text(secretaries.send(AN, "2", at=WHEN))
    assert "✅" in answer and own(secretaries, "KM") == 120


def test_to_date_in_the_first_week_is_the_weeks_figure(secretaries):
    reply = only_text(
        secretaries.send(AN, "tổng cộng đến nay là 42 lượt", at=at("2024-09-04 10:00"))
    )
    assert "✅" in reply and own(secretaries, "KM", date(2024, 9, 2)) == 42


def test_where_there_are_no_buttons_the_answers_are_typed_and_never_pressed(secretaries):
    from bot.domain.rendering import buttons_as_text, plain_text

    [question] = secretaries.send(AN, "được 10 lượt", at=WHEN)
    secretaries.send(AN, "90000", at=WHEN)
    [held] = secretaries.send(AN, "thêm 900 lượt", at=WHEN)
    for message in (question, held):
        shown = plain_text(buttons_as_text(message).text)
        assert "bấm" not in shown.lower() and "nút" not in shown.lower(), shown
    assert "trả lời «1» hoặc «2»" in buttons_as_text(question).text
    assert "trả lời «có»" in buttons_as_text(held).text


# ---------------------------------------------------------------- refused with a reason


def test_number_words_read_two_ways_are_refused_with_their_own_reason(secretaries):
    for text in ("một trăm hai", "mot tram hai luot", "thêm một nghìn hai"):
        assert parse_report(text) == ParseError(ParseProblem.AMBIGUOUS_NUMBER), text
        reply = only_text(secretaries.send(AN, text, at=WHEN))
        assert "102 hay 120" in reply and "0.500" not in reply
    assert own(secretaries, "KM") == 0


@pytest.mark.parametrize("text", ["4\ufe0f5", "4\u200d5", "thêm 4\u00ad5 lượt", "1\ufe0e0"])
def test_invisible_characters_inside_a_number_are_refused(text):
    assert parse_report(text) == ParseError(ParseProblem.MALFORMED_NUMBER)


def test_readings_table():
    assert parse_report("chi bộ em được 10 lượt ạ").question is Question.ADD_OR_TOTAL
    assert parse_report("tổng cộng đến nay là 420").question is Question.WEEK_OR_CAMPAIGN
    assert parse_report("báo cáo 45").mode.value == "add"
    assert parse_report("số lượt là 180").mode.value == "set"
    assert parse_report("đạt 180").mode.value == "set"
    assert parse_report("hôm nay có 5 lượt").mode.value == "add"


# ---------------------------------------------------------------- periods


def test_status_of_a_month(secretaries):
    secretaries.send(AN, "30", at=at("2024-09-04 10:00"))
    secretaries.send(AN, "50", at=at("2024-09-10 10:00"))
    reply = only_text(secretaries.send(AN, "/tiendo thang 9", at=at("2024-09-20 10:00")))
    assert "Không tìm thấy" not in reply
    assert "tháng 9/2024" in reply and "<b>80/" in reply
    everyone = only_text(secretaries.send(ADMIN, "/tiendo all thang 9", at=at("2024-09-20 10:00")))
    assert "Phường Khương Mai (KM) — 80/" in everyone


def test_an_admin_books_to_a_named_week_a_secretary_is_told_why_not(secretaries):
    later = at("2024-09-25 10:00")  # week 39: week 37 is closed
    reply = secretaries.send(ADMIN, "/bc KM 5 tuan 37", at=later)[0].text
    assert "✅" in reply and "Tuần 37" in reply
    assert own(secretaries, "KM", WEEK_37) == 5
    refused = only_text(secretaries.send(AN, "/bc 5 tuan 37", at=later))
    assert "khóa sổ" in refused and own(secretaries, "KM", WEEK_37) == 5


# ---------------------------------------------------------------- registration by name


@pytest.fixture
def district():
    from tests.conftest import make_policy
    from tests.test_jobs_domain import thanh_xuan_store

    return Dialogue(thanh_xuan_store(), make_policy(), at("2024-09-02 08:00"))


def registered_unit(dialogue: Dialogue, who, query: str) -> str:
    return dialogue.send(who, f"/dangky {query}")[0].text


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("Phường Khương Mai", "KM"),
        ("phuong khuong mai", "KM"),
        ("Khương Mai", "KM"),
        ("chi bo to 3 khuong mai", "KM03"),
        ("Tổ dân phố số 1 Khương Mai", "KM01"),
        ("TDP 2 Kim Giang", "KG02"),
        ("cb to 4 ha dinh", "HD04"),
        ("doan thanh nien", "DTN"),
        ("ĐTN", "DTN"),
    ],
)
def test_registration_by_name_finds_the_one_unit(district, query, code):
    from bot.domain.reading.naming import search_units

    units = district.store.units.active()
    found = search_units(query, units, limit=5)
    assert [unit.code for unit in found][:1] == [code], [u.code for u in found]
    if query not in ("doan thanh nien", "ĐTN"):
        assert len(found) == 1
    reply = registered_unit(district, person(3000 + len(query), "Người mới"), query)
    assert f"({code})" in reply


def test_a_name_shared_by_many_offers_at_most_five_best_first(district):
    from bot.domain.reading.naming import search_units

    found = search_units("to 1", district.store.units.active(), limit=5)
    assert len(found) == 5
    assert all(unit.code.endswith("01") for unit in found)


def test_the_high_number_question_for_a_cell_names_whose_quota_it_is(secretaries):
    [question] = secretaries.send(CHI, "thêm 900 lượt", at=WHEN)
    assert "chỉ tiêu 200 lượt/tuần của Phường Khương Mai" in question.text
    assert "(tuần 37 (" not in question.text  # no nested parentheses
    assert own(secretaries, "KM01") == 0


def test_a_street_groups_cell_by_its_number_alone():
    from tests.conftest import make_policy
    from tests.test_jobs_domain import thanh_xuan_store

    dialogue = Dialogue(thanh_xuan_store(), make_policy(), at("2024-09-02 08:00"))
    secretary = person(2005, "Bí thư chi bộ 5")
    approve(dialogue, secretary, "KG05")
    reply = only_text(dialogue.send(secretary, "Chi bộ 5 đã vận động được thêm 25 người", at=WHEN))
    assert "✅" in reply and own(dialogue, "KG05") == 25
