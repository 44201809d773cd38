"""The console simulator and the `quizbot` command line, as a person uses them."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.bootstrap import initialise, open_core
from bot.channels.console.simulator import ConsoleSimulator, plain
from bot.cli import main
from bot.clock import MovableClock
from bot.config import load_settings
from bot.domain import wording
from tests.support.units import units_csv

REPO = Path(__file__).resolve().parents[1]


def environment(tmp_path: Path) -> dict[str, str]:
    units = tmp_path / "units.csv"
    units.write_text(units_csv(), encoding="utf-8")
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'quizbot.db'}",
        "UNITS_FILE": str(units),
        "CAMPAIGN_START": "2024-09-02",
        "TELEGRAM_BOT_TOKEN": "",
    }


async def run_console(tmp_path: Path, script: str) -> str:
    settings = load_settings(environment(tmp_path), env_file=None)
    initialise(settings)
    clock = MovableClock()
    core = open_core(settings, clock, console=True)
    out = io.StringIO()
    try:
        await ConsoleSimulator(core, clock, io.StringIO(script), out).run()
    finally:
        core.close()
    return out.getvalue()


async def test_a_week_in_the_console(tmp_path):
    script = "\n".join(
        [
            ":time 2024-09-12 09:00",
            ":user 1001 Nguyễn Văn An",
            "/dangky KM",
            ":user 1 Quản trị",
            "/duyet 1001",
            ":user 1001 Nguyễn Văn An",
            "thêm 45 lượt",
            ":again 7",
            ":edit 7 thêm 50 lượt",
            ":group 500 Nhóm Khương Mai",
            "/dangky KM",
            ":user 2002 Thành viên",
            "/tiendo",
            ":reply thêm 5",
            ":time +4d",
            ":time",
            "/nonsense",
            ":bogus",
            ":quit",
        ]
    )
    output = await run_console(tmp_path, script)
    assert "Giờ của trình mô phỏng: 09:00 thứ Năm, 12/09/2024." in output
    assert "→ tin nhắn riêng của 1" in output and "[✅ Duyệt: /duyet 1001]" in output
    assert "→ tin nhắn riêng của 1001" in output and "đã được duyệt" in output
    assert "Đã ghi nhận «+45» lượt dự thi cho Phường Khương Mai (KM)." in output
    assert "đã được ghi nhận trước đó" in output
    assert "«+45» → «tổng" not in output and "«+45» → «+50»" in output
    assert "Nhóm này đã được gắn với Phường Khương Mai (KM)" in output
    assert "▶ Phường Khương Mai (KM) — 50/200 (25%)" in output
    assert "Đồng chí chưa đăng ký báo cáo" in output  # the member's reply is not a report
    assert "Giờ của trình mô phỏng: 09:00 thứ Hai, 16/09/2024." in output
    assert "Không có lệnh điều khiển «:bogus»" in output
    assert "<b>" not in output


async def test_the_simulator_acts_as_a_zalo_user_and_shows_what_zalo_would(tmp_path):
    script = "\n".join(
        [
            ":time 2024-09-12 09:00",
            ":platform zalo",
            ":user 1001 Nguyễn Văn An",
            "/dangky KM",
            ":user 1 Quản trị",
            "/duyet 1001",
            ":user 1001 Nguyễn Văn An",
            "thêm 45 lượt",
            "/tiendo",
            ":platform bogus",
            ":quit",
        ]
    )
    output = await run_console(tmp_path, script)
    assert "Đang gõ như người dùng Zalo" in output
    # Zalo's terms: the first answer to a new person says it is automated.
    assert "trợ lý tự động" in output.split("/dangky KM")[1]
    # No buttons on Zalo: the admin's request says what to type instead.
    assert "Gửi /duyet 1001 để duyệt hoặc /tuchoi 1001 để từ chối." in output
    assert "[✅ Duyệt:" not in output
    assert "45/200" in output and wording.CONSOLE_PLATFORM_USAGE in output


def test_plain_rendering_unescapes():
    assert plain("<b>A &amp; B</b> &lt;x&gt;") == "A & B <x>"


def test_cli_init_units_and_admins(tmp_path, monkeypatch, capsys):
    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    assert main(["units"]) == 2
    assert "quizbot init" in capsys.readouterr().err
    assert main(["init"]) == 0
    assert "9 thêm mới" in capsys.readouterr().out
    assert main(["init"]) == 0
    assert "0 thêm mới, 0 cập nhật, 9 không đổi" in capsys.readouterr().out
    assert main(["units"]) == 0
    table = capsys.readouterr().out
    assert "KM01" in table and "Phường Khương Mai" in table
    assert main(["admins", "grant", "123"]) == 0
    assert "Đã cấp quyền quản trị cho 123" in capsys.readouterr().out
    assert main(["admins", "list"]) == 0
    assert "cơ sở dữ liệu:\n    123: toàn quận" in capsys.readouterr().out
    assert main(["admins", "grant", "abc"]) == 2
    assert main(["admins", "revoke", "123"]) == 0
    assert "Đã thu hồi" in capsys.readouterr().out


def test_cli_explains_bad_settings_and_bad_units(tmp_path, monkeypatch, capsys):
    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("MAX_REPORT", "nhiều")
    assert main(["init"]) == 2
    assert "Cấu hình không hợp lệ: MAX_REPORT" in capsys.readouterr().err
    monkeypatch.delenv("MAX_REPORT")
    (tmp_path / "units.csv").write_text("code,name\nKM,X\n", encoding="utf-8")
    assert main(["init"]) == 2
    assert "thiếu cột: kind, parent, weekly_quota" in capsys.readouterr().err
    monkeypatch.setenv("UNITS_FILE", str(tmp_path / "missing.csv"))
    assert main(["init"]) == 2
    assert "Không tìm thấy tệp" in capsys.readouterr().err


def test_run_without_a_token_starts_the_console_and_says_so_in_one_line(tmp_path):
    env = {**os.environ, **environment(tmp_path)}
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "init"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        cwd=tmp_path,
        input="/huongdan\n:quit\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Chưa có TELEGRAM_BOT_TOKEN") and "console" in lines[0]
    assert "Xin chào! Tôi là trợ lý tự động" in result.stdout


async def test_watching_a_week_go_by_in_the_console(tmp_path):
    from bot.bootstrap import run_console

    settings = load_settings(environment(tmp_path), env_file=None)
    initialise(settings)
    script = "\n".join(
        [
            ":time 2024-09-09 08:00",
            ":user 1001 Nguyễn Văn An",
            "/dangky KM",
            ":user 1 Quản trị",
            "/duyet 1001",
            "/dangkynhan",
            ":user 1001 Nguyễn Văn An",
            "thêm 45 lượt",
            ":jobs",
            ":file bc-thang9.pdf /baocaothang Báo cáo tháng 9",
            ":time 2024-09-16 14:00",
            ":job weekly-reminder",
            ":job ngay-mai",
            ":quit",
        ]
    )
    out = io.StringIO()
    await run_console(settings, MovableClock(), io.StringIO(script), out)
    output = out.getvalue()
    assert "weekly-digest    0 13 * * mon       lần tới: 13:00 thứ Hai, 09/09/2024" in output
    assert "kèm tệp «bc-thang9.pdf»" in output
    # Moving the clock ran, in order, Thursday's and Saturday's reminders and Monday's digest.
    thursday = output.index("(weekly-reminder, kỳ 2024-09-12T09:00: 1 tin nhắn.)")
    saturday = output.index("(weekly-reminder, kỳ 2024-09-14T15:00: 1 tin nhắn.)")
    digest = output.index("(weekly-digest, kỳ 2024-W37: 3 tin nhắn.)")
    assert thursday < saturday < digest
    assert "cần khoảng 39 lượt mỗi ngày trong 4 ngày còn lại" in output
    assert "📊 Tổng hợp tuần 37 (09/09–15/09/2024)" in output
    assert "📎 quizbot-bieu-do-2024-W37.png" in output and "📎 quizbot-tuan-2024-W37.xlsx" in output
    # KM sent its monthly report, so Sunday's nudge told KM's secretary only of its cells,
    # which nobody reports for.
    assert "(monthly-nudge, kỳ 2024-09-15: 1 tin nhắn.)" in output
    assert "Chi bộ Tổ dân phố số 1 (KM01) chưa có người báo cáo" in output
    assert "(weekly-reminder, kỳ 2024-09-16T14:00: 1 tin nhắn.)" in output
    assert wording.CONSOLE_JOB_USAGE in output


def test_cli_jobs_list_run_and_export(tmp_path, monkeypatch, capsys):
    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    assert main(["admins", "grant", "900"]) == 0
    capsys.readouterr()
    assert main(["jobs", "list"]) == 0
    listing = capsys.readouterr().out
    assert "weekly-reminder  0 9 * * thu" in listing and "0 15 * * sat" in listing
    assert "monthly-digest: Tổng hợp báo cáo tháng" in listing

    settings = load_settings(environment(tmp_path), env_file=None)
    clock = MovableClock()
    core = open_core(settings, clock)
    from bot.domain.model.entities import MembershipStatus, Person

    def secretary(store):
        person = Person("console", "1001", "An")
        request = store.members.request(person, "KM", clock.now())
        store.members.decide(request.id, MembershipStatus.APPROVED, person, clock.now())

    core.database.run(secretary)
    core.close()
    assert main(["jobs", "run", "weekly-reminder", "--at", "2024-09-12T09:00"]) == 0
    run = capsys.readouterr().out
    assert "Nhắc nhở tiến độ tuần — Phường Khương Mai (KM)" in run
    assert (
        "(weekly-reminder), lượt chạy 12/09/2024 09:00: đã xếp 1 tin nhắn vào hàng gửi. "
        "Đã gửi 1" in run
    )
    assert "lượt gửi" not in run  # «lượt» means entries only
    assert main(["jobs", "run", "weekly-reminder", "--at", "2024-09-12T09:00"]) == 0
    assert "lượt này đã chạy trước đó" in capsys.readouterr().out
    assert main(["jobs", "run", "weekly-reminder", "--at", "thứ năm"]) == 2
    error = capsys.readouterr().err
    assert "không đúng dạng" in error and "2024-09-12T09:00" in error
    assert "Cấu hình" not in error
    # Without --at, the latest due slot: run again a minute later, it is the same run.
    assert main(["jobs", "run", "weekly-reminder"]) == 0
    first = capsys.readouterr().out
    slot = first.split("lượt chạy ")[1].split(":")[0]
    assert slot.endswith((" 09", " 15"))  # a Thursday 09:00 or a Saturday 15:00 slot
    assert main(["jobs", "run", "weekly-reminder"]) == 0
    assert f"lượt chạy {slot}:00: lượt này đã chạy trước đó" in capsys.readouterr().out
    assert main(["jobs", "list"]) == 0
    listing = capsys.readouterr().out
    # Local times as officials write them, not ISO periods.
    assert re.search(r"weekly-reminder .* \d\d/\d\d/\d{4} \d\d:\d\d \(xong\)", listing)

    target = tmp_path / "tuan37.xlsx"
    assert main(["export", "--week", "2024-W37", "-o", str(target)]) == 0
    assert "9 đơn vị" in capsys.readouterr().out
    import openpyxl

    sheet = openpyxl.load_workbook(target).active
    assert sheet.title == "Tuần 37" and sheet["E5"].value == "Tuần 37 (09/09–15/09)"
    assert main(["export", "--month", "2024-13", "-o", str(target)]) == 2
    assert "Tháng «2024-13» không đúng dạng; dùng NĂM-THÁNG" in capsys.readouterr().err


def test_a_command_line_mistake_is_explained_in_vietnamese(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["export"])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("Lỗi: lệnh «quizbot export» chưa đúng: hãy chọn một kỳ")
    assert "Cách dùng: quizbot export" in error and "usage" not in error
    assert "the following arguments" not in error


async def test_the_simulator_saves_the_files_the_bot_sends_and_lists_them(tmp_path):
    from bot.bootstrap import run_console

    settings = load_settings(environment(tmp_path), env_file=None)
    initialise(settings)
    script = "\n".join(
        [":time 2024-09-09 08:00", "/dangkynhan", ":time 2024-09-16 14:00", ":files", ":quit"]
    )
    out = io.StringIO()
    await run_console(settings, MovableClock(), io.StringIO(script), out)
    output = out.getvalue()
    folder = tmp_path / "console-files"
    saved = sorted(folder.iterdir())
    # Two Mondays went by: two weekly digests, each with its chart and its spreadsheet.
    assert [path.suffix for path in saved] == [".png", ".xlsx", ".png", ".xlsx"]
    assert saved[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for path in saved:
        assert f"đã lưu tại {path}" in output
    assert "Các tệp bot đã gửi (mở được ngay):" in output and str(saved[1]) in output


async def test_the_simulator_says_when_today_is_outside_the_campaign(tmp_path):
    from bot.bootstrap import run_console

    settings = load_settings({**environment(tmp_path), "CAMPAIGN_END": "2024-12-29"}, env_file=None)
    initialise(settings)
    out = io.StringIO()
    await run_console(settings, MovableClock(), io.StringIO(":quit"), out)
    assert "nằm ngoài thời gian cuộc thi (02/09/2024–29/12/2024)" in out.getvalue()
    assert ":time 2024-12-29 09:00" in out.getvalue()


def test_ctrl_c_leaves_the_simulator_without_a_traceback(tmp_path):
    import signal
    import time

    env = {
        **os.environ,
        **environment(tmp_path),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
    }
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "init"],
        env=env,
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--console"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(3)  # started and waiting for input
    process.send_signal(signal.SIGINT)
    # Let the interrupt be handled before stdin closes: an end of input first would end the
    # simulator the ordinary way (found flaky on a busy machine).
    time.sleep(1.5)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert wording.CONSOLE_BYE in stdout.decode()
