"""`quizbot invite`: a card per unit whose QR code, read back with a real decoder (zxing-cpp),
is the Telegram deep link with the unit's code; one spreadsheet listing every unit; the code
on the card works."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
import pytest
import zxingcpp
from PIL import Image

from bot.cli import main
from bot.domain.usecases.conversation import handle
from bot.storage.database import Database, make_engine
from tests.support.fake_bot_api import BOT_USERNAME, FakeBotApi
from tests.support.harness import TOKEN
from tests.support.units import UNITS, units_csv
from tests.test_trust_cli import environment


@pytest.fixture
def api():
    with FakeBotApi(TOKEN) as fake:
        yield fake


@pytest.fixture
def cli(tmp_path, monkeypatch, api):
    values = environment(tmp_path)
    values.update({"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.base_url})
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    (tmp_path / "units.csv").write_text(units_csv(), encoding="utf-8")
    monkeypatch.setenv("UNITS_FILE", str(tmp_path / "units.csv"))
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    return tmp_path


def read_qr(path: Path) -> str:
    [found] = zxingcpp.read_barcodes(Image.open(path))
    return found.text


def sheet_rows(path: Path) -> list[tuple]:
    sheet = openpyxl.load_workbook(path).active
    rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
    header = next(i for i, row in enumerate(rows) if row[0] == "Mã đơn vị")
    return rows[header + 1 :]


def test_all_units_get_a_card_whose_qr_is_the_deep_link_and_one_list(cli, capsys):
    capsys.readouterr()
    assert main(["invite", "--all", "--out", str(cli / "the")]) == 0
    out = capsys.readouterr().out
    active = [u for u in UNITS if u.active and u.parent is not None]
    assert f"Đã tạo {len(active)} mã mời" in out
    rows = sheet_rows(cli / "the" / "quizbot-ma-moi.xlsx")
    assert sorted(row[0] for row in rows) == sorted(u.code for u in active)
    for row in rows:
        code, link = row[3], row[4]
        assert link == f"https://t.me/{BOT_USERNAME}?start={code}"
        assert read_qr(cli / "the" / f"the-moi-{row[0]}.png") == link
        assert row[5] == 3 and re.fullmatch(r"\d\d:\d\d \d\d/\d\d/\d{4}", row[6])


def test_missing_only_and_one_unit(cli, capsys):
    database = Database(make_engine(f"sqlite:///{cli / 'quizbot.db'}"))
    # KM gets a bound group: it is no longer missing.
    from bot.domain.model.entities import ChatRef, Person

    database.run(
        lambda store: store.chats.bind(
            ChatRef("telegram", "-55"), "KM", Person("telegram", "900"), _now()
        )
    )
    assert main(["invite", "--missing", "--out", str(cli / "thieu")]) == 0
    codes = {row[0] for row in sheet_rows(cli / "thieu" / "quizbot-ma-moi.xlsx")}
    assert "KM" not in codes and {"KT", "NC", "KM01"} <= codes
    assert main(["invite", "--unit", "km01", "--uses", "5", "--out", str(cli / "mot")]) == 0
    [row] = sheet_rows(cli / "mot" / "quizbot-ma-moi.xlsx")
    assert row[0] == "KM01" and row[5] == 5
    # The code on the card makes a secretary.
    from bot.domain.model.messages import ChatKind, Inbound
    from tests.conftest import make_policy

    campaign = database.run(lambda store: store.campaigns.active())
    inbound = Inbound(
        sender=Person("telegram", "8123", "Lý Thị Mai"),
        chat=ChatRef("telegram", "8123"),
        chat_kind=ChatKind.PRIVATE,
        sent_at=_now(),
        text=f"/start {row[3]}",
        command="start",
        args=(row[3],),
        message_id="1",
    )
    replies = database.run(lambda store: handle(inbound, store, make_policy(campaign), _now()))
    assert "người báo cáo của <b>Chi bộ Tổ dân phố số 1</b>" in replies[0].text
    database.dispose()
    assert main(["invite", "--unit", "ZZ", "--out", str(cli / "sai")]) == 2
    assert "«ZZ»" in capsys.readouterr().err


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
