"""The operator's command line in Vietnamese (issue [trust]): help, refusals that say what
form is expected, both platforms' admins, the unit table's line numbers, a quiet pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.channels.console.simulator import plain
from bot.cli import main
from bot.domain import wording
from tests.support.units import CSV_HEADER, units_csv

ENGLISH = ("usage:", "show this help", "positional arguments", "options:", "error:")


def environment(tmp_path: Path, units: str | None = None) -> dict[str, str]:
    path = tmp_path / "units.csv"
    path.write_text(units if units is not None else units_csv(), encoding="utf-8")
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'quizbot.db'}",
        "UNITS_FILE": str(path),
        "CAMPAIGN_START": "2024-09-02",
        "TELEGRAM_BOT_TOKEN": "",
        "ZALO_BOT_TOKEN": "",
        "ADMIN_IDS": "900",
        "ZALO_ADMIN_IDS": "zadmin1",
    }


@pytest.fixture
def cli(tmp_path, monkeypatch):
    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    return tmp_path


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["init"],
        ["run"],
        ["units"],
        ["jobs"],
        ["jobs", "list"],
        ["jobs", "run"],
        ["export"],
        ["admins"],
        ["admins", "list"],
        ["admins", "grant"],
        ["admins", "revoke"],
    ],
)
def test_every_help_is_vietnamese_with_a_description_and_an_example(command, capsys):
    with pytest.raises(SystemExit) as stopped:
        main([*command, "--help"])
    assert stopped.value.code == 0
    shown = capsys.readouterr().out
    assert shown.startswith("Cách dùng: quizbot")
    assert "-h, --help" in shown and wording.CLI_HELP_FLAG in shown
    assert "Ví dụ: quizbot" in shown
    for english in ENGLISH:
        assert english not in shown.lower(), english


def test_an_unknown_job_is_named_with_the_known_ones(cli, capsys):
    assert main(["jobs", "run", "nhac-nho"]) == 2
    error = capsys.readouterr().err
    assert "«nhac-nho»" in error
    assert all(name in error for name in ("weekly-reminder", "monthly-digest"))


def test_admins_on_both_platforms(cli, capsys):
    assert main(["admins", "grant", "a1B2c3d4", "--platform", "zalo"]) == 0
    assert "a1B2c3d4 (Zalo)" in capsys.readouterr().out
    assert main(["admins", "grant", "123456", "--platform", "Telegram"]) == 0
    capsys.readouterr()
    assert main(["admins", "grant", "123", "--platform", "viber"]) == 2
    assert "Không có nền tảng «viber»" in capsys.readouterr().err
    assert main(["admins", "grant", "abc", "--platform", "telegram"]) == 2
    assert "phải là số" in capsys.readouterr().err
    assert main(["admins", "list"]) == 0
    listing = capsys.readouterr().out
    telegram, zalo = listing.split("Zalo:")
    assert "900" in telegram and "123456" in telegram
    assert "zadmin1" in zalo and "a1B2c3d4" in zalo


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("TX,Quận,district,,0\nBAD5,Thiếu cột,ward\n", "Dòng 3: đơn vị «BAD5» thiếu cột"),
        ("TX,Quận,district,,0\nKM,Phường,ward,ZZ,200\n", "Dòng 3: đơn vị «KM» có đơn vị cấp trên"),
    ],
)
def test_a_bad_unit_row_is_refused_with_its_line(tmp_path, monkeypatch, capsys, rows, expected):
    for key, value in environment(tmp_path, CSV_HEADER + rows).items():
        monkeypatch.setenv(key, value)
    assert main(["init"]) == 2
    assert expected in capsys.readouterr().err


def test_units_into_a_closed_pipe_ends_quietly(cli):
    env = {**os.environ, **environment(cli)}
    env["UNITS_FILE"] = str(cli / "units.csv")
    command = f"{sys.executable} -m bot.cli units | head -1"
    done = subprocess.run(
        command,
        shell=True,
        env=env,
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("Mã")
    assert "BrokenPipeError" not in done.stderr and "Traceback" not in done.stderr


def test_export_says_what_form_it_wants(cli, capsys):
    target = cli / "out.xlsx"
    assert main(["export", "--week", "37", "-o", str(target)]) == 2
    error = capsys.readouterr().err
    assert "NĂM-WTUẦN" in error and "2024-W37" in error and "Cấu hình" not in error
    assert main(["export", "--week", "2024-W37", "-o", str(cli / "khong-co" / "x.xlsx")]) == 2
    error = capsys.readouterr().err
    assert "thư mục «" in error and "khong-co" in error
    assert main(["export", "--week", "2023-W01", "-o", str(target)]) == 2
    assert "ngoài thời gian cuộc thi" in capsys.readouterr().err
    assert main(["export", "--week", "2030-W01", "-o", str(target)]) == 0
    import openpyxl

    sheet = openpyxl.load_workbook(target).active
    titles = " ".join(str(sheet.cell(row, 1).value) for row in range(1, 4))
    assert "tuần 1 (31/12/2029–06/01/2030)" in titles


def test_without_tokens_the_start_line_names_both_and_how_to_make_env(cli):
    env = {**os.environ, **environment(cli), "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        cwd=cli,
        input="",  # the simulator starts, reads the end of input, and stops
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    first_line = done.stdout.splitlines()[0]
    assert "TELEGRAM_BOT_TOKEN" in first_line and "ZALO_BOT_TOKEN" in first_line
    assert "cp .env.example .env" in first_line


# ---------------------------------------------------------------- files in the simulator


async def console_output(tmp_path: Path, script: list[str], **extra: str) -> str:
    import io

    from bot.bootstrap import initialise, run_console
    from bot.clock import MovableClock
    from bot.config import load_settings

    settings = load_settings({**environment(tmp_path), **extra}, env_file=None)
    initialise(settings)
    out = io.StringIO()
    await run_console(settings, MovableClock(), io.StringIO("\n".join(script)), out)
    return out.getvalue()


async def test_files_in_the_simulator_do_what_telegram_does(tmp_path):
    output = await console_output(
        tmp_path,
        [
            ":time 2024-09-10 09:00",
            ":user 900 Quản trị",
            "/dangky KM",
            ":file anh.jpg 20 lượt",
            "/tiendo",
            ":file bc.docx báo cáo tháng 9",
            ":quit",
        ],
    )
    photo, status, document = output.split("Quản trị> ")[-4:-1]
    # A number in a photo's caption is not counted, and the bot says how to send it.
    assert plain(wording.MEDIA_CAPTION_NOT_COUNTED) in photo
    assert "Tuần 37 (09/09–15/09/2024): 0/200 lượt dự thi" in status
    # A document captioned as a monthly report is one.
    assert "Đã nhận báo cáo tháng 9/2024 của Phường Khương Mai (KM), kèm tệp «bc.docx»" in document


@pytest.mark.parametrize("public", ["", "https://bot.example.org"])
async def test_zalo_in_the_simulator_gets_files_as_zalo_would(tmp_path, public):
    output = await console_output(
        tmp_path,
        [
            ":time 2024-09-09 08:00",
            ":platform zalo",
            ":user 900 Quản trị",
            "/dangkynhan",
            ":time 2024-09-16 14:00",
            ":quit",
        ],
        PUBLIC_BASE_URL=public,
        ZALO_ADMIN_IDS="900",
    )
    digest = output.split("Tổng hợp tuần 37")[-1]
    if public:
        assert "https://bot.example.org/files/" in digest
    else:
        assert "quizbot-tuan-2024-W37.xlsx chưa gửi được qua Zalo" in digest
    assert "đã lưu tại" not in digest  # not delivered as an attachment
