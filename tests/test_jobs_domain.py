"""The scheduled jobs as pure functions of the store and an injected clock."""

from datetime import date, timedelta

import pytest

from bot.domain import wording
from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import ChartSpec, TableSpec
from bot.domain.model.weeks import Month, Week
from bot.domain.scheduled.digests import monthly_digests, weekly_digests
from bot.domain.scheduled.reminders import monthly_nudges, weekly_reminders
from bot.domain.scheduled.table import JOBS
from tests.conftest import ADMIN_ID, at, make_policy
from tests.support.dialogue import Dialogue, person

ADMIN = person(ADMIN_ID, "Trần Thị Bình")
AN = person(1001, "Nguyễn Văn An")  # KM
BINH = person(1002, "Lê Văn Bình")  # KT
CUONG = person(1003, "Phạm Cường")  # DTN
KM_GROUP = -500


def chat(chat_id) -> ChatRef:
    return ChatRef("telegram", str(chat_id))


@pytest.fixture
def district(dialogue: Dialogue) -> Dialogue:
    """KM behind (120/200) with a group and a secretary; KT met (200); DTN silent with a
    secretary; NC silent with nobody to tell."""
    for who, code in ((AN, "KM"), (BINH, "KT"), (CUONG, "DTN")):
        dialogue.send(who, f"/register {code}", at=at("2024-09-02 08:00"))
        dialogue.send(ADMIN, f"/approve {who.user_id}", at=at("2024-09-02 08:00"))
    dialogue.send(AN, "/register KM", group=KM_GROUP, at=at("2024-09-02 08:00"))
    dialogue.send(AN, "30", at=at("2024-09-05 10:00"))  # week 36
    dialogue.send(AN, "120", at=at("2024-09-10 10:00"))  # week 37
    dialogue.send(BINH, "tổng 200", at=at("2024-09-11 10:00"))
    return dialogue


def recipients(messages) -> list[str]:
    return sorted(message.chat.chat_id for message in messages)


# ---------------------------------------------------------------- reminders


def test_reminders_go_to_the_units_group_else_to_its_secretaries(district):
    slot = at("2024-09-12 09:00")
    messages = weekly_reminders(district.store, district.policy, slot, slot)
    # KM has a bound group: the reminder goes there, not also to its secretary; DTN has no
    # group: its secretary is told in private.
    assert recipients(messages) == sorted(["-500", "1003"])
    by_chat = {message.chat.chat_id: message.text for message in messages}
    by_chat["1001"] = by_chat["-500"]
    assert "Phường Khương Mai" in by_chat["1001"] and "<b>120/200</b>" in by_chat["1001"]
    assert "cần khoảng 20 lượt mỗi ngày trong 4 ngày còn lại" in by_chat["1001"]
    # Where the ward stands among the district's wards, and an encouraging word.
    assert "Đơn vị đang xếp thứ 2/3 trong các phường của quận." in by_chat["1001"]
    assert "Đề nghị đồng chí tiếp tục động viên" in by_chat["1001"]
    assert "chưa báo cáo lượt dự thi nào" in by_chat["1003"]
    assert "cần khoảng 50 lượt mỗi ngày" in by_chat["1003"]


@pytest.mark.parametrize(
    ("target", "expected"),
    [("secretaries", ["1001", "1003"]), ("both", ["-500", "1001", "1003"])],
)
def test_the_reminder_target_setting_routes_reminders(district, target, expected):
    from dataclasses import replace

    from bot.domain.model.policy import ReminderTarget

    policy = replace(district.policy, reminder_target=ReminderTarget(target))
    slot = at("2024-09-12 09:00")
    assert recipients(weekly_reminders(district.store, policy, slot, slot)) == expected
    # A unit with a group and no secretary is still reached when secretaries are asked for.
    district.store.chats.bind(chat(-600), "NC", AN, slot)
    district.send(ADMIN, "/report NC 10", at=at("2024-09-12 08:00"))
    assert "-600" in recipients(weekly_reminders(district.store, policy, slot, slot))


def test_a_reminder_and_a_nudge_due_together_are_one_message_per_chat(district):
    # Thursday 19 September 2024, 09:00: the weekly reminder and the last monthly nudge.
    slot = at("2024-09-19 09:00")
    district.send(AN, "50", at=at("2024-09-16 10:00"))  # KM behind in week 38, no monthly report
    both = {"weekly-reminder", "monthly-nudge"}
    reminders = weekly_reminders(district.store, district.policy, slot, slot, frozenset(both))
    nudges = monthly_nudges(district.store, district.policy, slot, slot, frozenset(both))
    assert nudges == []  # carried by the reminder
    by_chat = {}
    for message in reminders:
        assert message.chat.chat_id not in by_chat, "one message per chat"
        by_chat[message.chat.chat_id] = message.text
    # KM's group: behind this week and no monthly report: both in one message.
    assert "Nhắc nhở tiến độ tuần" in by_chat["-500"] and "Nhắc báo cáo tháng 9" in by_chat["-500"]
    # Each chat's message is its reminder (if behind) followed by its nudge (if no report).
    separate: dict[str, list[str]] = {}
    alone_reminders = weekly_reminders(district.store, district.policy, slot, slot)
    alone_nudges = monthly_nudges(district.store, district.policy, slot, slot)
    for message in alone_reminders + alone_nudges:
        separate.setdefault(message.chat.chat_id, []).append(message.text)
    assert by_chat == {chat_id: "\n\n".join(parts) for chat_id, parts in separate.items()}
    assert any(len(parts) == 2 for parts in separate.values())


def test_units_at_quota_and_units_without_quota_get_no_reminder(district):
    district.send(AN, "80", at=at("2024-09-12 08:00"))  # KM reaches 200
    slot = at("2024-09-12 09:00")
    assert recipients(weekly_reminders(district.store, district.policy, slot, slot)) == ["1003"]


def test_a_chat_that_is_gone_is_left_out(district):
    district.store.chats.mark_gone(chat(1001), "blocked", at("2024-09-11 00:00"))
    slot = at("2024-09-12 09:00")
    assert "1001" not in recipients(weekly_reminders(district.store, district.policy, slot, slot))


def test_no_reminders_outside_the_campaign(district):
    slot = at("2025-01-02 09:00")
    assert weekly_reminders(district.store, district.policy, slot, slot) == []


# ---------------------------------------------------------------- monthly nudges


def test_nudges_only_units_without_this_months_report(district):
    district.send(AN, "/baocaothang Tháng 9: 150 lượt", at=at("2024-09-14 10:00"))
    slot = at("2024-09-15 09:00")
    messages = monthly_nudges(district.store, district.policy, slot, slot)
    by_chat = {message.chat.chat_id: message.text for message in messages}
    # KM sent its report: its group hears only of its cells, which nobody reports for.
    assert recipients(messages) == ["-500", "1002", "1003"]
    assert "Nhắc báo cáo tháng 9/2024" not in by_chat["-500"]
    assert "Chi bộ Tổ dân phố số 1" in by_chat["-500"]
    assert "Nhắc báo cáo tháng 9/2024" in by_chat["1002"]
    assert "hết ngày 19/09/2024 (còn 5 ngày, tính cả hôm nay)" in by_chat["1002"]


def test_the_last_nudge_says_today_is_the_last_day_and_none_after_the_deadline(district):
    slot = at("2024-09-19 09:00")
    sent = monthly_nudges(district.store, district.policy, slot, slot)
    texts_sent = [m.text for m in sent if m.chat.chat_id in ("1002", "1003", "-500")]
    assert texts_sent and all("hôm nay là hạn cuối" in text for text in texts_sent)
    late = at("2024-09-20 09:00")
    assert monthly_nudges(district.store, district.policy, late, late) == []


# ---------------------------------------------------------------- weekly digest


def subscribe(dialogue: Dialogue, chat_id: int, scope: str = "") -> None:
    dialogue.send(ADMIN, f"/subscribe {scope}".strip(), group=chat_id, at=at("2024-09-02 08:00"))


def test_weekly_digest_for_the_week_just_ended_with_chart_and_table(district):
    subscribe(district, -900)
    slot = at("2024-09-16 08:00")
    [digest] = weekly_digests(district.store, district.policy, slot, slot)
    assert digest.chat == chat(-900)
    text = digest.text
    assert text.startswith("📊 <b>Tổng hợp tuần 37 (09/09–15/09/2024)</b>")
    assert "Đạt chỉ tiêu: 1/5 đơn vị · Chưa đạt: 1 · Chưa báo cáo: 3" in text
    assert "Tổng: <b>320</b> lượt dự thi (bằng 39% tổng chỉ tiêu 805)." in text
    met = text.index("✅ <b>Đạt chỉ tiêu</b>")
    behind = text.index("⚠️ <b>Chưa đạt</b>")
    silent = text.index("❌ <b>Chưa báo cáo</b>")
    assert behind < silent < met
    assert "• Phường Khương Trung (KT) — 200/200 (100%)" in text
    assert "• Phường Khương Mai (KM) — 120/200 (60%)" in text
    streaks = text.split("🔁")[1].split("⚠️")[0]
    assert "Phường Nhân Chính (NC) — 2 tuần" in streaks
    assert "Phường Khương Trung" not in streaks
    chart, table = digest.attachments
    assert isinstance(chart, ChartSpec) and isinstance(table, TableSpec)
    assert [bar.label for bar in chart.bars][:2] == [
        "Phường Khương Trung (KT)",
        "Phường Khương Mai (KM)",
    ]
    assert {bar.standing for bar in chart.bars} == {"met", "behind", "silent"}
    headers = [column.header for column in table.columns]
    assert headers[4] == "Tuần 37 (09/09–15/09)"
    assert headers[-2:] == ["Tình trạng", "Số tuần liên tiếp chưa đạt"]
    rows = {row[0]: row for row in table.rows}
    assert rows["KM"][4] == 120 and rows["KM"][-2] == "Chưa đạt" and rows["KM"][-1] == 2
    assert rows["KT"][-2] == "Đạt" and rows["KT"][-1] == 0
    assert table.rows[-1][1] == "Tổng cộng" and table.rows[-1][4] == 320


def test_the_digest_follows_the_tree_behind_then_silent_then_met_at_each_level(district):
    subscribe(district, -900)
    district.send(ADMIN, "/report KM02 15", at=at("2024-09-10 10:00"))  # KM: 135/200
    district.send(ADMIN, "/report DBCA 5", at=at("2024-09-10 10:00"))
    slot = at("2024-09-16 08:00")
    [digest] = weekly_digests(district.store, district.policy, slot, slot)
    body = digest.text.split("⚠️ <b>Chưa đạt</b>\n")[1].split("\n\n<i>")[0]
    assert body.splitlines() == [
        "• Phường Khương Mai (KM) — 135/200 (67%)",
        # A ward's cells right under it: the one not reported first, then the one that did.
        "    ◦ Chi bộ Tổ dân phố số 1 (KM01) — chưa báo cáo",
        "    ◦ Chi bộ Tổ dân phố số 2 (KM02) — 15 lượt",
        "",
        "❌ <b>Chưa báo cáo</b>",
        "• Đoàn TNCS Hồ Chí Minh quận (DTN) — 0/200 (0%)",
        "• Phường Nhân Chính (NC) — 0/200 (0%)",
        "",
        "✅ <b>Đạt chỉ tiêu</b>",
        "• Đảng bộ Công an quận (DBCA) — 5/5 (100%)",
        "• Phường Khương Trung (KT) — 200/200 (100%)",
    ]


def test_a_digest_is_sent_even_when_nobody_reported(memory_store, policy):
    dialogue = Dialogue(memory_store, policy, at("2024-09-02 08:00"))
    subscribe(dialogue, -900)
    slot = at("2024-09-16 08:00")
    [digest] = weekly_digests(dialogue.store, dialogue.policy, slot, slot)
    assert "Tổng: <b>0</b> lượt dự thi (bằng 0% tổng chỉ tiêu 805)." in digest.text
    assert "Trong tuần chưa có đơn vị nào báo cáo." in digest.text
    assert "• Phường Khương Mai (KM) — 0/200 (0%)" in digest.text
    chart, _table = digest.attachments
    assert {bar.standing for bar in chart.bars} == {"silent"}


def thanh_xuan_store():
    from pathlib import Path

    from bot.storage.seed import read_units_file
    from tests.support.memory_store import MemoryStore

    store = MemoryStore()
    for unit in read_units_file(Path(__file__).parent.parent / "data" / "units.csv"):
        store.units.upsert(unit)
    store.campaigns.activate("Cuộc thi", date(2024, 9, 2), date(2024, 12, 29), "lượt dự thi")
    return store


def test_the_district_digest_of_thanh_xuan_is_three_telegram_messages_at_most(policy):
    from bot.domain.model.textsplit import split_message

    store = thanh_xuan_store()
    assert len(store.units.active()) > 70
    dialogue = Dialogue(store, policy, at("2024-09-02 08:00"))
    subscribe(dialogue, -900)
    wards = [unit for unit in store.units.active() if unit.kind.value == "ward"]
    for n, ward in enumerate(wards):
        dialogue.send(ADMIN, f"/report {ward.code} {40 * n}", at=at("2024-09-10 10:00"))
    slot = at("2024-09-16 08:00")
    [digest] = weekly_digests(store, dialogue.policy, slot, slot)
    assert len(split_message(digest.text, 4096)) <= 3
    # Every ward is there, with its cells under it.
    for ward in wards:
        assert f"• {ward.name} ({ward.code})" in digest.text
    assert digest.text.count("    ◦ ") >= 50


def test_a_huge_scope_points_to_the_spreadsheet_and_never_hides_a_top_level_streak(policy):
    WARDS = 160
    from bot.domain.model.entities import Unit, UnitKind
    from bot.domain.model.textsplit import split_message
    from tests.support.memory_store import MemoryStore

    store = MemoryStore()
    store.units.upsert(Unit("HN", "Thành phố", UnitKind.DISTRICT, None, 0))
    for n in range(WARDS):
        name = f"Phường số {n} của thành phố"
        store.units.upsert(Unit(f"P{n:03d}", name, UnitKind.WARD, "HN", 200))
        for cell in range(3):
            code = f"P{n:03d}C{cell}"
            store.units.upsert(Unit(code, f"Chi bộ {cell}", UnitKind.PARTY_CELL, f"P{n:03d}", 0))
    store.campaigns.activate("Cuộc thi", date(2024, 9, 2), date(2024, 12, 29), "lượt dự thi")
    dialogue = Dialogue(store, policy, at("2024-09-02 08:00"))
    subscribe(dialogue, -900)
    # Every ward reports well in week 36 but the last, which is behind two weeks running.
    for n in range(WARDS):
        if n != WARDS - 1:
            dialogue.send(ADMIN, f"/report P{n:03d} 200", at=at("2024-09-04 10:00"))
            dialogue.send(ADMIN, f"/report P{n:03d} 50", at=at("2024-09-10 10:00"))
    slot = at("2024-09-16 08:00")
    [digest] = weekly_digests(store, dialogue.policy, slot, slot)
    assert len(split_message(digest.text, 4096)) <= 3
    assert "xem đầy đủ trong tệp Excel đính kèm" in digest.text
    streaks = digest.text.split("🔁")[1].split("⚠️")[0]
    assert f"• Phường số {WARDS - 1} của thành phố (P{WARDS - 1:03d}) — 2 tuần" in streaks
    table = digest.attachments[1]
    assert {row[0] for row in table.rows} >= {f"P{n:03d}" for n in range(WARDS)}


def test_the_chart_wraps_full_names_titles_its_campaign_and_keeps_labels_off_the_line(district):
    from bot.domain.model.entities import Unit, UnitKind

    long_name = "Đảng bộ Cơ quan Ủy ban Mặt trận Tổ quốc Việt Nam quận Thanh Xuân"
    district.store.units.upsert(Unit("MTCQ", long_name, UnitKind.PARTY_COMMITTEE, "TX", 5))
    subscribe(district, -900)
    district.send(ADMIN, "/report KM 190", at=at("2024-09-10 10:00"))  # 95%+: near the line
    slot = at("2024-09-16 08:00")
    [digest] = weekly_digests(district.store, district.policy, slot, slot)
    chart = digest.attachments[0]
    assert chart.title.splitlines() == [
        district.policy.campaign.name,
        "Tất cả các đơn vị",
        "Tuần 37 (09/09–15/09/2024): tỷ lệ hoàn thành chỉ tiêu",
    ]
    [long_bar] = [bar for bar in chart.bars if bar.label.endswith("(MTCQ)")]
    # The whole name, on several lines, never cut inside a word.
    assert long_bar.label.replace("\n", " ") == f"{long_name} (MTCQ)"
    assert len(long_bar.label.splitlines()) > 1
    assert all(len(line) <= wording.CHART_LABEL_WIDTH for line in long_bar.label.splitlines())
    for bar in chart.bars:
        assert bar.label_at > max(bar.length, chart.reference)  # right of its bar and the line
        assert bar.label_at < chart.x_max
    km = next(bar for bar in chart.bars if bar.label.endswith("(KM)"))
    assert km.value_label == "310/200 (155%)" and km.length == 150.0


def test_a_wards_chart_shows_its_cells(district):
    subscribe(district, -901, "KM")
    district.send(ADMIN, "/report KM01 12", at=at("2024-09-10 10:00"))
    slot = at("2024-09-16 08:00")
    [digest] = weekly_digests(district.store, district.policy, slot, slot)
    chart = digest.attachments[0]
    assert [(bar.label, bar.value_label, bar.standing) for bar in chart.bars] == [
        ("Chi bộ Tổ dân phố số 1 (KM01)", "12 lượt", "reported"),
        ("Chi bộ Tổ dân phố số 2 (KM02)", "chưa báo cáo", "silent"),
    ]
    assert chart.reference is None
    assert "Phường Khương Mai (KM)" in chart.title
    assert "số lượt dự thi của các đơn vị trực thuộc" in chart.title


def test_the_chart_is_a_png_of_the_size_its_bars_need(district):
    import io

    from PIL import Image

    from bot.render.chart import render_chart

    subscribe(district, -900)
    slot = at("2024-09-16 08:00")
    [digest] = weekly_digests(district.store, district.policy, slot, slot)
    picture = render_chart(digest.attachments[0])
    image = Image.open(io.BytesIO(picture.content))
    assert image.format == "PNG" and image.width == 1000 and image.height >= 320


def test_a_scoped_digest_covers_the_unit_and_everything_below_it(district):
    subscribe(district, -901, "KM")
    district.send(AN, "/report KM01 6", at=at("2024-09-10 10:00"))
    slot = at("2024-09-16 08:00")
    [digest] = weekly_digests(district.store, district.policy, slot, slot)
    assert "Phạm vi: <b>Phường Khương Mai</b> (KM) và các đơn vị trực thuộc." in digest.text
    table = digest.attachments[1]
    assert [row[0] for row in table.rows] == ["KM", "KM01", "KM02", ""]
    assert "Khương Trung" not in digest.text


def test_no_digest_without_subscribers_or_before_the_campaign(district):
    slot = at("2024-09-16 08:00")
    assert weekly_digests(district.store, district.policy, slot, slot) == []
    subscribe(district, -900)
    early = at("2024-09-02 08:00")  # the week before the campaign
    assert weekly_digests(district.store, district.policy, early, early) == []


# ---------------------------------------------------------------- monthly digest


def test_monthly_digest_sorts_on_time_late_and_missing_with_month_totals(district):
    subscribe(district, -900)
    district.send(AN, "/baocaothang Tháng 9", at=at("2024-09-19 23:59"))
    district.send(BINH, "/baocaothang Tháng 9 (muộn)", at=at("2024-09-20 07:00"))
    district.send(AN, "45", at=at("2024-09-17 10:00"))  # week 38: not complete on the 20th
    slot = at("2024-09-20 08:00")
    [digest] = monthly_digests(district.store, district.policy, slot, slot)
    text = digest.text
    assert "Hạn gửi: hết ngày 19/09/2024." in text
    assert "Đúng hạn: 1 · Muộn: 1 · Chưa gửi: 6 (trên 8 đơn vị)" in text
    assert "Tổng lượt dự thi tuần 36–37 (02/09–15/09/2024): <b>350</b>" in text
    # What needs action first: missing, late, then on time.
    missing = text.split("❌ <b>Chưa gửi</b>")[1].split("⏰")[0]
    assert "Phường Nhân Chính (NC) · 0 lượt" in missing
    late = text.split("⏰ <b>Gửi muộn</b>")[1].split("✅")[0]
    assert "Phường Khương Trung (KT) — gửi 20/09 07:00 · 200 lượt" in late
    on_time = text.split("✅ <b>Đúng hạn</b>")[1]
    assert "Phường Khương Mai (KM) — gửi 19/09 23:59 · 150 lượt" in on_time
    [table] = digest.attachments
    rows = {row[0]: row for row in table.rows}
    assert [c.header for c in table.columns][4:6] == [
        "Tuần 36 (02/09–08/09)",
        "Tuần 37 (09/09–15/09)",
    ]
    assert rows["KM"][4:7] == (30, 120, 150)
    assert rows["KM"][-4:-2] == ("Đúng hạn", "19/09/2024 23:59")
    assert rows["KT"][-4] == "Muộn" and rows["NC"][-4] == "Chưa gửi"


def send_file(dialogue, who, file_id, name, caption, when):
    from bot.domain.model.messages import ChatKind, FileRef, Inbound

    return dialogue.handle(
        Inbound(
            sender=who,
            chat=chat(who.user_id),
            chat_kind=ChatKind.PRIVATE,
            sent_at=at(when),
            text=caption,
            command="monthly",
            args=tuple(caption.split()[1:]),
            message_id=f"file-{file_id}",
            document=FileRef(file_id, name),
        ),
        at(when),
    )


LONG_REPORT = (
    "Tháng 9 phường đã tổ chức 12 buổi tuyên truyền tại các tổ dân phố, phối hợp với Đoàn "
    "thanh niên hướng dẫn người cao tuổi cài đặt và dự thi trên điện thoại; "
) * 4 + "KẾT-THÚC-BÁO-CÁO"


def test_the_monthly_digest_quotes_each_report_and_forwards_its_file(district):
    from bot.domain.model.messages import StoredFile

    subscribe(district, -900)
    district.send(AN, f"/baocaothang {LONG_REPORT}", at=at("2024-09-18 10:00"))
    send_file(
        district, BINH, "FILE-KT", "bc-thang9.pdf", "/baocaothang Xem tệp.", "2024-09-18 11:00"
    )
    slot = at("2024-09-20 08:00")
    [digest] = monthly_digests(district.store, district.policy, slot, slot)
    text = digest.text
    km = text.split("Phường Khương Mai (KM) — gửi")[1].split("\n•")[0]
    assert "«Tháng 9 phường đã tổ chức 12 buổi tuyên truyền" in km
    assert "KẾT-THÚC-BÁO-CÁO" not in km and "… (/xembaocao KM)»" in km
    assert "Phường Khương Trung (KT) — gửi 18/09 11:00 · 200 lượt · kèm tệp «bc-thang9.pdf»" in text
    assert "/xembaocao MÃ" in text
    table, forwarded = digest.attachments
    assert forwarded == StoredFile(
        "FILE-KT", "bc-thang9.pdf", "📎 Báo cáo tháng 9/2024 — <b>Phường Khương Trung</b> (KT)"
    )
    # The spreadsheet holds every report whole.
    header = [column.header for column in table.columns]
    rows = {row[0]: row for row in table.rows}
    assert rows["KM"][header.index("Nội dung báo cáo")] == LONG_REPORT
    assert rows["KT"][header.index("Tệp đính kèm")] == "bc-thang9.pdf"


def test_a_file_kept_by_another_platform_is_not_forwarded(district):
    from bot.domain.model.entities import ChatRef

    district.store.subscriptions.subscribe(
        ChatRef("zalo", "z-900"), None, ADMIN, at("2024-09-02 08:00")
    )
    send_file(district, BINH, "FILE-KT", "bc.pdf", "/baocaothang", "2024-09-18 11:00")
    slot = at("2024-09-20 08:00")
    [digest] = monthly_digests(district.store, district.policy, slot, slot)
    assert digest.chat.platform == "zalo"
    assert (
        len(digest.attachments) == 1
    )  # the spreadsheet only: a Telegram file id means nothing there
    assert "kèm tệp «bc.pdf»" in digest.text


def test_the_monthly_digest_of_many_reports_stays_within_three_messages(policy):
    from bot.domain.model.textsplit import split_message

    store = thanh_xuan_store()
    dialogue = Dialogue(store, policy, at("2024-09-02 08:00"))
    subscribe(dialogue, -900)
    for n, unit in enumerate(store.units.active()):
        if unit.kind.value != "district":
            dialogue.send(ADMIN, f"/dangky {unit.code}", group=-2000 - n, at=at("2024-09-02 08:00"))
            dialogue.send(
                ADMIN, f"/baocaothang {LONG_REPORT}", group=-2000 - n, at=at("2024-09-18 08:00")
            )
    slot = at("2024-09-20 08:00")
    [digest] = monthly_digests(store, dialogue.policy, slot, slot)
    assert "Đúng hạn: 77 · Muộn: 0 · Chưa gửi: 0" in digest.text
    assert len(split_message(digest.text, 4096)) <= 3


# ---------------------------------------------------------------- job table


def test_periods_name_what_one_run_covers():
    policy = make_policy()
    assert JOBS["weekly-reminder"].period(at("2024-09-12 09:00"), policy) == "2024-09-12T09:00"
    assert JOBS["weekly-digest"].period(at("2024-09-16 08:00"), policy) == "2024-W37"
    assert JOBS["weekly-digest"].period(at("2024-09-17 14:00"), policy) == "2024-W37"
    assert JOBS["monthly-nudge"].period(at("2024-09-15 09:00"), policy) == "2024-09-15"
    assert JOBS["monthly-digest"].period(at("2024-09-20 08:00"), policy) == "2024-09"


def test_a_missed_run_is_useful_the_same_day_or_within_two_days():
    policy = make_policy()
    reminder, digest = JOBS["weekly-reminder"], JOBS["weekly-digest"]
    slot = at("2024-09-12 09:00")
    assert reminder.still_useful(slot, at("2024-09-12 23:00"), policy)
    assert not reminder.still_useful(slot, at("2024-09-13 00:30"), policy)
    assert not reminder.still_useful(slot, at("2024-09-12 08:00"), policy)
    monday = at("2024-09-16 08:00")
    assert digest.still_useful(monday, monday + timedelta(days=2), policy)
    assert not digest.still_useful(monday, monday + timedelta(days=2, minutes=1), policy)


def test_weeks_of_a_month_are_those_whose_thursday_falls_in_it():
    assert [w.number for w in Month(2024, 9).weeks()] == [36, 37, 38, 39]
    december = Month(2024, 12).weeks()
    assert december[0].start == date(2024, 12, 2) and december[-1].start == date(2024, 12, 23)
    assert Month(2025, 1).weeks()[0] == Week(date(2024, 12, 30))


# ---------------------------------------------------------------- monthly reports


def test_a_monthly_report_is_confirmed_with_its_deadline(district):
    text = district.send(
        AN, "/baocaothang Tháng 9 đơn vị vận động 820 lượt", at=at("2024-09-18 10:00")
    )
    assert "Đã nhận báo cáo tháng 9/2024 của <b>Phường Khương Mai</b>" in text[0].text
    assert "Đúng hạn (hạn gửi: hết ngày 19/09/2024)." in text[0].text
    late = district.send(AN, "/monthly Bản sửa", at=at("2024-09-21 10:00"))[0].text
    assert "Gửi muộn" in late and "thay cho báo cáo đã gửi trước đó" in late
    current = district.store.submissions.current(1, "KM", "2024-09")
    assert current.text == "Bản sửa"
    assert len(district.store.submissions.rows) == 2  # the first one is kept, marked replaced


def test_a_monthly_report_as_a_document_and_delivered_twice(district):
    from dataclasses import replace

    from bot.domain.model.messages import FileRef
    from bot.domain.usecases import conversation

    district.send(AN, "/baocaothang", at=at("2024-09-18 10:00"))
    inbound = replace(district.sent[district.last_message_id()], document=FileRef("f1", "bc.pdf"))
    first = conversation.handle(inbound, district.store, district.policy, at("2024-09-18 10:00"))
    assert "kèm tệp «bc.pdf»" in first[0].text
    again = conversation.handle(inbound, district.store, district.policy, at("2024-09-18 10:01"))
    assert again[0].text == wording.ALREADY_HANDLED
    assert district.store.submissions.current(1, "KM", "2024-09").file_name == "bc.pdf"
    assert len(district.store.submissions.rows) == 1


def test_monthly_report_refusals(district):
    stranger = person(4242, "Người lạ")
    assert district.send(AN, "/baocaothang")[0].text == wording.MONTHLY_USAGE
    assert district.send(stranger, "/baocaothang Xin chào")[0].text == wording.NOT_REGISTERED
    assert "dài quá" in district.send(AN, "/baocaothang " + "x" * 4000)[0].text
    assert district.store.submissions.rows == []


# ---------------------------------------------------------------- subscriptions and export


def test_subscriptions_are_for_admins(district):
    assert district.send(AN, "/dangkynhan", group=-900)[0].text == wording.NOT_ADMIN
    assert district.send(ADMIN, "/dangkynhan ZZ", group=-900)[0].text == wording.unknown_unit("ZZ")
    reply = district.send(ADMIN, "/dangkynhan km", group=-900)[0].text
    assert "của <b>Phường Khương Mai</b> (KM) và các đơn vị trực thuộc" in reply
    assert district.store.subscriptions.of(chat(-900)).scope == "KM"
    assert district.send(ADMIN, "/huynhan", group=-900)[0].text == wording.UNSUBSCRIBED
    assert district.send(ADMIN, "/huynhan", group=-900)[0].text == wording.NOT_SUBSCRIBED


def test_export_builds_one_row_per_unit_and_one_column_per_week(district):
    assert district.send(AN, "/xuat")[0].text == wording.NOT_ADMIN
    assert district.send(ADMIN, "/xuat năm")[0].text == wording.EXPORT_USAGE
    [reply] = district.send(ADMIN, "/xuat", at=at("2024-09-12 09:00"))
    [table] = reply.attachments
    assert table.filename == "quizbot-toan-bo.xlsx"
    assert [c.header for c in table.columns][4:6] == [
        "Tuần 36 (02/09–08/09)",
        "Tuần 37 (09/09–15/09)",
    ]
    rows = {row[0]: row for row in table.rows}
    # Rounded down as the chat shows it: 150/400 is 37%, never 38%.
    assert rows["KM"][3:9] == (200, 30, 120, 150, 400, 0.37)
    assert rows["MTTQ"][7:9] == (0, None)
    [week] = district.send(ADMIN, "/xuat tuần", at=at("2024-09-12 09:00"))[0].attachments
    assert week.filename == "quizbot-tuan-2024-W37.xlsx"
    # One week: its column is the total, so no separate total or period-quota columns.
    assert [c.header for c in week.columns] == [
        "Mã",
        "Đơn vị",
        "Cấp trên",
        "Chỉ tiêu/tuần",
        "Tuần 37 (09/09–15/09)",
        "Tỷ lệ",
        "Tình trạng",  # in every export, not only the digest's
    ]
    week_rows = {row[0]: row for row in week.rows}
    assert week_rows["KM"][4:] == (120, 0.6, "Chưa đạt")
    assert week_rows["KT"][-1] == "Đạt" and week_rows["NC"][-1] == "Chưa báo cáo"
    assert week_rows["MTTQ"][-1] == "Chưa báo cáo"  # no quota, and nothing reported
    assert rows["KM"][9] == "Chưa đạt"  # the whole campaign: 150 of 400
    [month] = district.send(ADMIN, "/xuat tháng", at=at("2024-09-12 09:00"))[0].attachments
    assert month.sheet_title == "Tháng 9-2024"
