from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.config import CONSOLE_ADMIN_ID, Secret, SettingsError, digest_before_cutoff, load_settings
from tests.conftest import CAMPAIGN


def test_defaults_need_no_environment_at_all():
    settings = load_settings({}, env_file=None)
    assert settings.database_url == "sqlite:///data/quizbot.db"
    assert settings.telegram_api_base_url == "https://api.telegram.org"
    assert str(settings.timezone) == "Asia/Ho_Chi_Minh"
    assert settings.units_file == Path("data/units.csv")
    assert settings.max_report == 10_000
    assert settings.late_report_cutoff_hours == 12
    assert settings.campaign_start == date(2024, 9, 2) and settings.campaign_end is None
    assert not settings.has_telegram


def test_every_setting_is_read(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "TELEGRAM_BOT_TOKEN=from-file-token-1234\nMAX_REPORT=500\n", encoding="utf-8"
    )
    settings = load_settings(
        {
            "TELEGRAM_API_BASE_URL": "http://localhost:8081/",
            "DATABASE_URL": "postgresql+psycopg://u@h/db",
            "ADMIN_IDS": "123, 456",
            "TIMEZONE": "Asia/Bangkok",
            "UNITS_FILE": "other/units.csv",
            "LATE_REPORT_CUTOFF_HOURS": "36",
            "WEEKLY_DIGEST_CRON": "30 12 * * tue",
            "CAMPAIGN_NAME": "Đợt 2",
            "CAMPAIGN_START": "2025-01-06",
            "CAMPAIGN_END": "2025-03-30",
            "CAMPAIGN_METRIC": "lượt thi",
        },
        env_file=env_file,
    )
    assert settings.telegram_token.reveal() == "from-file-token-1234"
    assert settings.max_report == 500
    assert settings.telegram_api_base_url == "http://localhost:8081"
    assert settings.admin_ids == frozenset({"123", "456"})
    assert settings.campaign_end == date(2025, 3, 30)
    policy = settings.policy(CAMPAIGN)
    assert policy.late_grace == timedelta(hours=36)
    assert settings.schedules["weekly-digest"] == ("30 12 * * tue",)
    assert policy.configured_admins == frozenset({("telegram", "123"), ("telegram", "456")})
    console = settings.policy(CAMPAIGN, console=True)
    assert ("console", CONSOLE_ADMIN_ID) in console.configured_admins


def test_the_environment_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("MAX_REPORT=500\n", encoding="utf-8")
    assert load_settings({"MAX_REPORT": "700"}, env_file=env_file).max_report == 700


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("MAX_REPORT", "abc", "MAX_REPORT phải là số nguyên ≥ 1"),
        ("MAX_REPORT", "0", "MAX_REPORT phải là số nguyên ≥ 1"),
        ("ADMIN_IDS", "123,@bob", "không phải số: @bob"),
        ("TIMEZONE", "Mars/Olympus", "không phải múi giờ hợp lệ"),
        ("CAMPAIGN_START", "12/09/2024", "CAMPAIGN_START phải là ngày dạng 2024-09-02"),
    ],
)
def test_bad_settings_are_explained(name, value, message):
    with pytest.raises(SettingsError, match=message):
        load_settings({name: value}, env_file=None)


def test_the_weekly_digest_runs_after_the_late_cut_off_by_default():
    settings = load_settings({}, env_file=None)
    (cron,) = settings.schedules["weekly-digest"]
    assert digest_before_cutoff((cron,), settings.timezone, timedelta(hours=12)) is None


@pytest.mark.parametrize(
    ("environment", "refused"),
    [
        ({"WEEKLY_DIGEST_CRON": "0 8 * * mon"}, "0 8 * * mon"),
        ({"WEEKLY_DIGEST_CRON": "0 13 * * mon; 0 11 * * mon"}, "0 11 * * mon"),
        ({"LATE_REPORT_CUTOFF_HOURS": "36"}, "0 13 * * mon"),
    ],
)
def test_a_digest_scheduled_before_the_cut_off_is_refused_at_start(environment, refused):
    with pytest.raises(SettingsError, match="khóa sổ") as raised:
        load_settings(environment, env_file=None)
    assert f"«{refused}»" in str(raised.value)


def test_a_digest_after_a_shorter_cut_off_is_accepted():
    settings = load_settings(
        {"WEEKLY_DIGEST_CRON": "0 8 * * mon", "LATE_REPORT_CUTOFF_HOURS": "6"}, env_file=None
    )
    assert settings.schedules["weekly-digest"] == ("0 8 * * mon",)


def test_campaign_end_before_start_is_refused():
    with pytest.raises(SettingsError, match="CAMPAIGN_END"):
        load_settings({"CAMPAIGN_START": "2024-09-02", "CAMPAIGN_END": "2024-09-01"}, env_file=None)


def test_the_token_never_shows_itself():
    token = "123456789:" + "A" * 35
    settings = load_settings({"TELEGRAM_BOT_TOKEN": token}, env_file=None)
    assert token not in repr(settings) and token not in str(settings)
    assert token not in f"{settings.telegram_token}"
    assert repr(Secret("")) == "Secret('')"
