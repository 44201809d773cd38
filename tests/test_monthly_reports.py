"""Reading a unit's monthly report in full (`/xembaocao`): who may, which month, the file."""

from __future__ import annotations

from bot.domain import wording
from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import ChatKind, FileRef, Inbound, StoredFile
from tests.conftest import ADMIN_ID, at
from tests.support.dialogue import Dialogue, only_text, person

ADMIN = person(ADMIN_ID, "Trần Thị Bình")
AN = person(1001, "Nguyễn Văn An")  # KM's secretary
CELL = person(1005, "Đỗ Thị Cúc")  # KM01's secretary
BINH = person(1002, "Lê Văn Bình")  # KT's secretary
STRANGER = person(4242, "Người lạ")
REPORT = "Tháng 9 phường vận động 820 lượt dự thi, tổ chức 12 buổi tuyên truyền. " * 3


def setup(dialogue: Dialogue) -> None:
    for who, code in ((AN, "KM"), (CELL, "KM01"), (BINH, "KT")):
        dialogue.send(who, f"/dangky {code}", at=at("2024-09-02 08:00"))
        dialogue.send(ADMIN, f"/duyet {who.user_id}", at=at("2024-09-02 08:00"))
    dialogue.handle(
        Inbound(
            sender=CELL,
            chat=ChatRef("telegram", CELL.user_id),
            chat_kind=ChatKind.PRIVATE,
            sent_at=at("2024-09-18 09:00"),
            text=f"/baocaothang {REPORT}",
            command="monthly",
            args=tuple(REPORT.split()),
            message_id="doc-1",
            document=FileRef("FILE-KM01", "bc-km01-t9.docx"),
        ),
        at("2024-09-18 09:00"),
    )


def test_a_report_is_read_whole_with_its_file_by_those_above_and_admins(dialogue):
    setup(dialogue)
    for reader in (ADMIN, AN, CELL):  # an admin, the ward above the cell, the cell itself
        [reply] = dialogue.send(reader, "/xembaocao km01", at=at("2024-09-19 10:00"))
        assert reply.text.startswith(
            "🗓 <b>Báo cáo tháng 9/2024</b> — <b>Chi bộ Tổ dân phố số 1</b> (KM01)"
        )
        assert "Gửi lúc 09:00 ngày 18/09/2024 (đúng hạn)" in reply.text
        assert REPORT.strip() in reply.text and "«bc-km01-t9.docx»" in reply.text
        [file] = reply.attachments
        assert isinstance(file, StoredFile) and file.file_id == "FILE-KM01"


def test_others_are_refused_and_a_missing_report_is_said_so(dialogue):
    setup(dialogue)
    moment = at("2024-09-19 10:00")
    assert only_text(dialogue.send(BINH, "/xembaocao KM01", at=moment)) == (
        wording.READ_REPORT_NOT_ALLOWED
    )
    assert only_text(dialogue.send(STRANGER, "/xembaocao KM01", at=moment)) == (
        wording.READ_REPORT_NOT_ALLOWED
    )
    assert only_text(dialogue.send(ADMIN, "/xembaocao KT", at=moment)) == (
        "<b>Phường Khương Trung</b> (KT) chưa gửi báo cáo tháng 9/2024."
    )
    assert "Không tìm thấy đơn vị có mã «ZZ»" in only_text(
        dialogue.send(ADMIN, "/xembaocao ZZ", at=moment)
    )
    assert only_text(dialogue.send(ADMIN, "/xembaocao", at=moment)) == wording.READ_REPORT_USAGE


def test_another_month_and_a_subscribed_chat(dialogue):
    setup(dialogue)
    dialogue.send(ADMIN, "/dangkynhan KM", group=-900, at=at("2024-09-02 08:00"))
    october = at("2024-10-03 10:00")
    [reply] = dialogue.send(STRANGER, "/xembaocao KM01 thang 9", group=-900, at=october)
    assert REPORT.strip() in reply.text
    this_month = only_text(dialogue.send(ADMIN, "/xembaocao KM01", at=october))
    assert this_month.endswith("chưa gửi báo cáo tháng 10/2024.")
    # A chat subscribed to another ward's digests may not read this one.
    dialogue.send(ADMIN, "/dangkynhan KT", group=-901, at=at("2024-09-02 08:00"))
    refused = only_text(dialogue.send(STRANGER, "/xembaocao KM01 thang 9", group=-901, at=october))
    assert refused == wording.READ_REPORT_NOT_ALLOWED
