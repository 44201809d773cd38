"""Files as officials make them ([durability] 7, 8): units.csv saved by Excel in its encodings
is read; anything undecodable or unsafe is refused with the problem list, the same on SQLite
and PostgreSQL; spreadsheets never carry a live formula or a character that breaks them."""

from __future__ import annotations

import codecs
import io
import unicodedata

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import ChatKind, Column, FileRef, Inbound, TableSpec
from bot.domain.scheduled.digests import monthly_digests
from bot.domain.usecases.unit_table import UnitTableError
from bot.render.spreadsheet import render_table
from bot.storage.seed import load_units, read_units_file
from tests.conftest import ADMIN_ID, at
from tests.support.dialogue import Dialogue, person
from tests.support.units import units_csv

TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258(text: str) -> bytes:
    """Text as Excel's Vietnamese code page stores it: base letters with their hats and
    horns precomposed, tones as separate combining marks."""
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        tone = next(mark for mark in decomposed if mark in TONES)
        base = unicodedata.normalize("NFC", decomposed.replace(tone, ""))
        out += base.encode("cp1258") + tone.encode("cp1258")
    return bytes(out)


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode("utf-8"),
        lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
        lambda text: text.encode("utf-16"),  # with its BOM, as Excel writes it
        lambda text: text.replace(",", "\t").encode("utf-16"),  # Excel's "Unicode text"
        cp1258,
    ],
    ids=["utf-8", "utf-8 BOM", "utf-16", "utf-16 tabs", "cp1258"],
)
def test_the_units_file_is_read_in_excels_encodings(tmp_path, encode):
    path = tmp_path / "units.csv"
    path.write_bytes(encode(units_csv()))
    units = {unit.code: unit for unit in read_units_file(path)}
    assert units["KM"].name == "Phường Khương Mai"
    assert units["DTN"].name == "Đoàn TNCS Hồ Chí Minh quận"
    assert units["KM01"].parent == "KM" and units["KM"].weekly_quota == 200


def test_an_undecodable_file_is_refused_with_a_reason_not_a_traceback(
    tmp_path, monkeypatch, capsys
):
    path = tmp_path / "units.csv"
    path.write_bytes(units_csv().encode("utf-8") + b"X9,T\x81\x8a,ward,TX,200\n")
    with pytest.raises(UnitTableError) as raised:
        read_units_file(path)
    assert "CSV UTF-8" in raised.value.problems[0]
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'q.db'}")
    monkeypatch.setenv("UNITS_FILE", str(path))
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    assert main(["init"]) == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error and "CSV UTF-8" in error


BAD_ROWS = [
    ("X1,Tên có\x00ký tự rỗng,ward,TX,200", "ký tự điều khiển"),
    ("X2,Tên\x07chuông,ward,TX,200", "ký tự điều khiển"),
    ("X3," + "Rất dài " * 40 + ",ward,TX,200", "dài quá 200"),
    ('X4,"=HYPERLINK(""http://x"",""Xem"")",ward,TX,200', "công thức"),
    ("X5,@lệnh,ward,TX,200", "công thức"),
    ("X6,Phường lớn,ward,TX,99999999999", "từ 0 đến 1.000.000"),
]


@pytest.mark.parametrize(("row", "problem"), BAD_ROWS)
def test_unsafe_names_and_quotas_are_refused_the_same_on_every_database(
    sql_database, tmp_path, row, problem
):
    path = tmp_path / "units.csv"
    path.write_text(units_csv() + row + "\n", encoding="utf-8")
    with pytest.raises(UnitTableError) as raised:
        sql_database.run(lambda store: load_units(store, path))
    assert any(problem in line for line in raised.value.problems), raised.value.problems
    assert sql_database.run(lambda store: store.units.get(row.split(",")[0])) is None


def test_a_spreadsheet_holds_text_as_text_and_drops_what_it_cannot_hold():
    spec = TableSpec(
        "x.xlsx",
        "Tuần\x07 37",
        (Column("Mã"), Column("Tệp"), Column("Số", "int")),
        (
            ("KM", '=HYPERLINK("http://x","Xem")', 3),
            ("A\x01B", "+1 @x -2", -2),
        ),
    )
    sheet = load_workbook(io.BytesIO(render_table(spec).content)).active
    assert sheet.title == "Tuần 37"
    link = sheet["B2"]
    assert link.value == '=HYPERLINK("http://x","Xem")' and link.data_type == "s"
    assert link.quotePrefix is True
    assert sheet["A3"].value == "AB" and sheet["B3"].data_type == "s"
    assert sheet["C3"].value == -2 and sheet["C3"].data_type == "n"


def test_a_monthly_report_file_named_like_a_formula_is_a_plain_name_in_the_digest(
    dialogue: Dialogue,
):
    an = person(1001, "An")
    admin = person(ADMIN_ID, "Quản trị")
    dialogue.send(an, "/dangky KM", at=at("2024-09-02 08:00"))
    dialogue.send(admin, "/duyet 1001", at=at("2024-09-02 08:00"))
    dialogue.send(admin, "/dangkynhan", group=-900, at=at("2024-09-02 08:00"))
    dialogue.handle(
        Inbound(
            sender=an,
            chat=ChatRef("telegram", "1001"),
            chat_kind=ChatKind.PRIVATE,
            sent_at=at("2024-09-18 09:00"),
            text="/baocaothang",
            command="monthly",
            message_id="doc-1",
            document=FileRef("F1", '=HYPERLINK("http://x","Xem")\x07.pdf'),
        ),
        at("2024-09-18 09:00"),
    )
    slot = at("2024-09-20 08:00")
    [digest] = monthly_digests(dialogue.store, dialogue.policy, slot, slot)
    table, forwarded = digest.attachments
    assert forwarded.file_id == "F1"  # the unit's file itself goes on to the digest's chat
    sheet = load_workbook(io.BytesIO(render_table(table).content)).active
    cells = [
        cell
        for row in sheet.iter_rows()
        for cell in row
        if cell.value and "HYPERLINK" in str(cell.value)
    ]
    assert cells and all(cell.data_type == "s" for cell in cells)
    assert all("\x07" not in str(cell.value) for cell in cells)
