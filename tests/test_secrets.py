"""The token never shows, on any path ([durability] 2): a real `quizbot` process whose token
the server rejects, or whose Bot API address is wrong, fails with one Vietnamese line and
no trace of the token — whole, its secret part, or URL-encoded — on stdout or stderr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.bootstrap import initialise
from bot.redaction import redact, register_secrets, secret_forms
from tests.support.fake_bot_api import FakeBotApi
from tests.support.harness import bot_settings, cli_environment

REPO = Path(__file__).resolve().parents[1]
# Shaped like a real token (digits, a colon, a long secret), yet not one: 7 digits.
REJECTED = "5123456:AAHrejected-token-xxxxxxxxxxxxxxxxxxxxxxxx"
SERVER_TOKEN = "4242:the-token-the-fake-server-accepts"


def forms(token: str) -> list[str]:
    secret = token.split(":", 1)[1]
    return [token, secret, quote(token, safe=""), quote(secret, safe="")]


def run_cli(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *arguments],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def api():
    with FakeBotApi(SERVER_TOKEN) as fake:
        yield fake


@pytest.mark.parametrize("command", [["run"], ["jobs", "run", "weekly-reminder"]])
@pytest.mark.parametrize("case", ["rejected token", "wrong base URL"])
def test_a_failing_start_prints_one_redacted_line(api, tmp_path, command, case):
    settings = bot_settings(api, tmp_path)
    initialise(settings)
    if case == "rejected token":
        env = cli_environment(settings, TELEGRAM_BOT_TOKEN=REJECTED, LOG_LEVEL="DEBUG")
        token = REJECTED
    else:
        env = cli_environment(
            settings, TELEGRAM_API_BASE_URL=f"{api.base_url}/wrong", LOG_LEVEL="DEBUG"
        )
        token = SERVER_TOKEN
    result = run_cli(env, *command)
    assert result.returncode == 1, result.stderr
    output = result.stdout + result.stderr
    for form in forms(token):
        assert form not in output, (form, output)
    assert "Traceback" not in result.stderr.split("Lỗi:")[-1]
    lines = [line for line in result.stderr.splitlines() if line.startswith("Lỗi:")]
    assert len(lines) == 1 and "TELEGRAM_BOT_TOKEN" in lines[0], result.stderr


def test_every_form_of_a_registered_token_is_scrubbed():
    register_secrets([REJECTED])
    assert set(forms(REJECTED)) <= secret_forms(REJECTED)
    text = " ".join(f"<{form}>" for form in forms(REJECTED))
    assert redact(text) == "<***> <***> <***> <***>"


ZALO_SERVER_TOKEN = "zalo-fake:the-token-the-fake-zalo-accepts"
ZALO_REJECTED = "3123456:zalo-rejected-token-xxxxxxxxxxxxxxxxxxxx"


@pytest.mark.parametrize("case", ["rejected token", "wrong base URL"])
def test_a_failing_zalo_start_prints_one_redacted_line(tmp_path, case):
    from tests.support.fake_zalo_api import FakeZaloApi
    from tests.support.zalo import zalo_settings

    with FakeZaloApi(ZALO_SERVER_TOKEN) as zalo:
        settings = zalo_settings(zalo, tmp_path)
        initialise(settings)
        env = {
            "PATH": "/usr/bin:/bin",
            "ZALO_BOT_TOKEN": ZALO_REJECTED if case == "rejected token" else ZALO_SERVER_TOKEN,
            "ZALO_API_BASE_URL": zalo.base_url
            if case == "rejected token"
            else "http://127.0.0.1:9",
            "DATABASE_URL": settings.database_url,
            "UNITS_FILE": str(settings.units_file),
            "CAMPAIGN_START": "2024-09-02",
            "LOG_LEVEL": "DEBUG",
        }
        result = run_cli(env, "run")
    token = env["ZALO_BOT_TOKEN"]
    assert result.returncode == 1, result.stderr
    output = result.stdout + result.stderr
    for form in forms(token):
        assert form not in output, (form, output)
    lines = [line for line in result.stderr.splitlines() if line.startswith("Lỗi:")]
    assert len(lines) == 1 and "ZALO" in lines[0], result.stderr
