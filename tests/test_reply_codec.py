"""Replies kept in the inbox come back as the messages they were ([core]): text, buttons,
an edit, a chart and a table still to render, a file's bytes and a forwarded file."""

from __future__ import annotations

import pytest

from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import (
    Attachment,
    Bar,
    Button,
    ChartSpec,
    Column,
    Outbound,
    RenderedMessage,
    StoredFile,
    TableSpec,
)
from bot.inbox import replies


def test_every_kind_of_reply_comes_back_equal():
    chat = ChatRef("telegram", "-100")
    chart = ChartSpec(
        "tuan.png",
        "Tuần 37",
        (Bar("Phường Khương Mai\n(KM)", 45, 200, "behind", 22.5, "45/200", 30.0),),
        "% chỉ tiêu",
        (("behind", "Chưa đạt"),),
        100.0,
        120.0,
    )
    table = TableSpec(
        "tuan.xlsx",
        "Tuần 37",
        (Column("Đơn vị"), Column("Lượt", "int"), Column("Tỉ lệ", "percent")),
        (("Khương Mai", 45, 0.225), ("Tổng", None, 1.0)),
        title_lines=("Cuộc thi", "Toàn quận"),
        total_row=True,
    )
    sent = [
        Outbound(chat, "<b>Đã ghi nhận</b> «+45»", reply_to="7"),
        Outbound(chat, "Duyệt?", buttons=(Button("✅ Duyệt", "approve", "12", "/duyet 12"),)),
        Outbound(chat, "Đã duyệt", edit_message_id="99"),
        Outbound(chat, "", attachments=(chart, table)),
        Outbound(chat, "", attachments=(Attachment("a.bin", b"\x00\xff\x10", "photo"),)),
        RenderedMessage(chat, "", attachments=(StoredFile("file-id", "bao-cao.pdf", "Tháng 9"),)),
    ]
    back = replies.decode(replies.encode(sent))
    assert back[:5] == sent[:5]
    # A rendered message is kept as the message it was: same fields, same values.
    assert back[5] == Outbound(sent[5].chat, "", attachments=sent[5].attachments)


def test_something_else_stored_is_refused():
    with pytest.raises(ValueError):
        replies.decode('[{"$type": "ChatRef", "platform": "telegram", "chat_id": "1"}]')
