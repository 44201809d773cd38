"""Settings from the environment (and a .env file), read once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.domain import wording
from bot.domain.model.entities import Campaign
from bot.domain.model.jobnames import JobName
from bot.domain.model.policy import Policy, ReminderTarget

DEFAULT_CAMPAIGN_NAME = (
    "Cuộc thi tìm hiểu về 70 năm Ngày Giải phóng Thủ đô (10/10/1954 – 10/10/2024)"
)
TELEGRAM = "telegram"
ZALO = "zalo"
CONSOLE = "console"
DEFAULT_ZALO_API_BASE_URL = "https://bot-api.zaloplatforms.com"
# In the console simulator this user is an admin, so that one person can try every role.
CONSOLE_ADMIN_ID = "1"


# Job name -> (setting, default cron expressions). Day-of-week by name: APScheduler 3 counts
# Monday as 0 where crontab counts Sunday, so numbers would fire a day off.
SCHEDULE_SETTINGS: dict[str, tuple[str, tuple[str, ...]]] = {
    JobName.WEEKLY_REMINDER: ("WEEKLY_REMINDER_CRON", ("0 9 * * thu", "0 15 * * sat")),
    # After last week's late cut-off (Monday 12:00 by default), so the digest is final.
    JobName.WEEKLY_DIGEST: ("WEEKLY_DIGEST_CRON", ("0 13 * * mon",)),
    JobName.MONTHLY_NUDGE: ("MONTHLY_NUDGE_CRON", ("0 9 15,18,19 * *",)),
    JobName.MONTHLY_DIGEST: ("MONTHLY_DIGEST_CRON", ("0 8 20 * *",)),
}
DEFAULT_SCHEDULES = {job: default for job, (_, default) in SCHEDULE_SETTINGS.items()}
_CRON_FIELDS = 5


class SettingsError(ValueError):
    pass


def parse_crons(name: str, raw: str) -> tuple[str, ...]:
    """'0 9 * * thu; 0 15 * * sat' -> both expressions, each checked."""
    from apscheduler.triggers.cron import CronTrigger

    expressions = tuple(" ".join(part.split()) for part in raw.split(";") if part.strip())
    if not expressions:
        raise SettingsError(wording.setting_bad_cron(name, raw))
    for expression in expressions:
        fields = expression.split()
        if len(fields) != _CRON_FIELDS or any(ch.isdigit() for ch in fields[-1]):
            raise SettingsError(wording.setting_bad_cron(name, expression))
        try:
            CronTrigger.from_crontab(expression)
        except ValueError as error:
            raise SettingsError(wording.setting_bad_cron(name, expression)) from error
    return expressions


def digest_before_cutoff(
    expressions: tuple[str, ...], tz: ZoneInfo, late_grace: timedelta
) -> str | None:
    """The first weekly-digest schedule that fires while last week is still open to late
    reports (its figures would not be final), or None."""
    from apscheduler.triggers.cron import CronTrigger

    sample_start = datetime(2024, 1, 1, tzinfo=tz)  # a Monday; five weeks cover any pattern
    sample_end = sample_start + timedelta(weeks=5)
    for expression in expressions:
        trigger = CronTrigger.from_crontab(expression, timezone=tz)
        fire = trigger.get_next_fire_time(None, sample_start)
        while fire is not None and fire < sample_end:
            local = fire.astimezone(tz)
            week_start = datetime.combine(
                local.date() - timedelta(days=local.weekday()), time(0), tz
            )
            if local < week_start + late_grace:
                return expression
            fire = trigger.get_next_fire_time(fire, fire + timedelta(minutes=1))
    return None


class Secret:
    """A value that never shows itself in a repr, a log line or an exception."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('***')" if self._value else "Secret('')"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    telegram_token: Secret = field(default_factory=lambda: Secret(""))
    telegram_api_base_url: str = "https://api.telegram.org"
    database_url: str = "sqlite:///data/quizbot.db"
    admin_ids: frozenset[str] = frozenset()
    zalo_token: Secret = field(default_factory=lambda: Secret(""))
    zalo_api_base_url: str = DEFAULT_ZALO_API_BASE_URL
    # Zalo ids are opaque strings (20 hex characters in live payloads).
    zalo_admin_ids: frozenset[str] = frozenset()
    # Where the bot's own web server is reachable from the internet (webhooks, file links).
    public_base_url: str = ""
    http_port: int = 8080
    # Loopback by default: the reverse proxy in front forwards to it (README: behind a proxy).
    http_host: str = "127.0.0.1"
    zalo_monthly_message_budget: int = 3000
    # The secret Zalo sends back with every webhook delivery (derived from the token if unset).
    zalo_webhook_secret: Secret = field(default_factory=lambda: Secret(""))
    # Telegram's webhook secret (derived from its token if unset); `run --polling` ignores it.
    telegram_webhook_secret: Secret = field(default_factory=lambda: Secret(""))
    # Telegram's overall limit, replies and fan-outs of every worker together (about 30 a
    # second; kept a little under, as the limit is not published exactly).
    telegram_messages_per_second: int = 29
    # How long the leader's lease lasts without renewal (PostgreSQL, several workers).
    leader_lease_seconds: int = 15
    # Several workers: a reply still unsent this long after its update was handled is sent
    # by another worker (its own worker died between the commit and the send).
    unsent_reply_seconds: int = 60
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    units_file: Path = Path("data/units.csv")
    max_report: int = 10_000
    late_report_cutoff_hours: int = 12
    campaign_name: str = DEFAULT_CAMPAIGN_NAME
    campaign_start: date = date(2024, 9, 2)
    campaign_end: date | None = None
    campaign_metric: str = "lượt dự thi"
    # Whether CAMPAIGN_START was given: only then does `quizbot init` create the first
    # campaign (no campaign is made from defaults, and none once campaigns exist).
    seeds_campaign: bool = False
    log_level: str = "INFO"
    monthly_due_day: int = 20
    reminder_target: ReminderTarget = ReminderTarget.GROUP
    # How long an invitation (/moi) can be used, and a board link (/bangtin).
    invite_days: int = 30
    board_link_days: int = 7
    # Cron expressions (minute hour day month day-of-week), several per job allowed.
    schedules: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DEFAULT_SCHEDULES)
    )

    @property
    def has_telegram(self) -> bool:
        return bool(self.telegram_token)

    @property
    def has_zalo(self) -> bool:
        return bool(self.zalo_token)

    @property
    def secrets(self) -> list[str]:
        """Every value that must never appear in a log line, an exception or a reply."""
        values = (
            self.telegram_token,
            self.zalo_token,
            self.zalo_webhook_secret,
            self.telegram_webhook_secret,
        )
        return [secret.reveal() for secret in values if secret]

    def policy(self, campaign: Campaign, *, console: bool = False) -> Policy:
        admins = {(TELEGRAM, user_id) for user_id in self.admin_ids}
        admins |= {(ZALO, user_id) for user_id in self.zalo_admin_ids}
        if console:
            # The simulator's admin is one on either platform it can act as.
            for platform in (CONSOLE, ZALO):
                admins |= {(platform, user_id) for user_id in self.admin_ids | {CONSOLE_ADMIN_ID}}
        return Policy(
            campaign=campaign,
            tz=self.timezone,
            max_report=self.max_report,
            late_grace=timedelta(hours=self.late_report_cutoff_hours),
            configured_admins=frozenset(admins),
            monthly_due_day=self.monthly_due_day,
            reminder_target=self.reminder_target,
            invite_days=self.invite_days,
            public_base_url=self.public_base_url,
            board_link_days=self.board_link_days,
            message_budgets={ZALO: self.zalo_monthly_message_budget} if self.has_zalo else {},
        )


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
) -> Settings:
    """Settings from `environ` (default: the process environment) over the `.env` file."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def text(name: str, default: str) -> str:
        value = values.get(name, "").strip()
        return value if value else default

    def integer(name: str, default: int, minimum: int) -> int:
        raw = text(name, str(default))
        if not raw.isascii() or not raw.isdigit() or int(raw) < minimum:
            raise SettingsError(wording.setting_not_whole_number(name, minimum, raw))
        return int(raw)

    def day(name: str, default: date | None) -> date | None:
        raw = text(name, "")
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError as error:
            raise SettingsError(wording.setting_not_date(name, raw)) from error

    admin_ids = frozenset(part.strip() for part in text("ADMIN_IDS", "").split(",") if part.strip())
    bad_admins = sorted(admin for admin in admin_ids if not admin.lstrip("-").isdigit())
    if bad_admins:
        raise SettingsError(wording.setting_bad_admin_ids(bad_admins))
    zalo_admin_ids = frozenset(
        part.strip() for part in text("ZALO_ADMIN_IDS", "").split(",") if part.strip()
    )
    bad_zalo = sorted(admin for admin in zalo_admin_ids if not admin.isascii() or " " in admin)
    if bad_zalo:
        raise SettingsError(wording.setting_bad_zalo_admin_ids(bad_zalo))
    public_base_url = text("PUBLIC_BASE_URL", "").rstrip("/")
    if public_base_url and not public_base_url.startswith(("https://", "http://")):
        raise SettingsError(wording.setting_bad_public_url(public_base_url))
    webhook_secret = text("ZALO_WEBHOOK_SECRET", "")
    if webhook_secret and not 8 <= len(webhook_secret) <= 256:
        raise SettingsError(wording.SETTING_BAD_WEBHOOK_SECRET)
    try:
        timezone = ZoneInfo(text("TIMEZONE", "Asia/Ho_Chi_Minh"))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SettingsError(wording.setting_bad_timezone(text("TIMEZONE", ""))) from error

    start = day("CAMPAIGN_START", Settings.campaign_start)
    end = day("CAMPAIGN_END", None)
    if start is None:
        raise AssertionError("CAMPAIGN_START has a default")
    if end is not None and end < start:
        raise SettingsError(wording.SETTING_CAMPAIGN_END_BEFORE_START)

    due_day = integer("MONTHLY_DUE_DAY", Settings.monthly_due_day, 2)
    if due_day > 28:
        raise SettingsError(wording.setting_bad_due_day(due_day))
    schedules = {
        job: parse_crons(setting, text(setting, "; ".join(default)))
        for job, (setting, default) in SCHEDULE_SETTINGS.items()
    }
    target = text("REMINDER_TARGET", ReminderTarget.GROUP.value).lower()
    if target not in {choice.value for choice in ReminderTarget}:
        raise SettingsError(wording.setting_bad_reminder_target(target))
    cutoff_hours = integer("LATE_REPORT_CUTOFF_HOURS", Settings.late_report_cutoff_hours, 0)
    too_early = digest_before_cutoff(
        schedules[JobName.WEEKLY_DIGEST], timezone, timedelta(hours=cutoff_hours)
    )
    if too_early is not None:
        raise SettingsError(
            wording.setting_digest_before_cutoff(
                SCHEDULE_SETTINGS[JobName.WEEKLY_DIGEST][0],
                too_early,
                timedelta(hours=cutoff_hours),
            )
        )

    return Settings(
        telegram_token=Secret(text("TELEGRAM_BOT_TOKEN", "")),
        telegram_api_base_url=text("TELEGRAM_API_BASE_URL", Settings.telegram_api_base_url).rstrip(
            "/"
        ),
        database_url=text("DATABASE_URL", Settings.database_url),
        admin_ids=admin_ids,
        zalo_token=Secret(text("ZALO_BOT_TOKEN", "")),
        zalo_api_base_url=text("ZALO_API_BASE_URL", DEFAULT_ZALO_API_BASE_URL).rstrip("/"),
        zalo_admin_ids=zalo_admin_ids,
        public_base_url=public_base_url,
        http_port=integer("HTTP_PORT", Settings.http_port, 1),
        http_host=text("HTTP_HOST", Settings.http_host).strip() or Settings.http_host,
        zalo_monthly_message_budget=integer(
            "ZALO_MONTHLY_MESSAGE_BUDGET", Settings.zalo_monthly_message_budget, 0
        ),
        zalo_webhook_secret=Secret(webhook_secret),
        telegram_webhook_secret=Secret(text("TELEGRAM_WEBHOOK_SECRET", "")),
        telegram_messages_per_second=integer(
            "TELEGRAM_MESSAGES_PER_SECOND", Settings.telegram_messages_per_second, 1
        ),
        leader_lease_seconds=integer("LEADER_LEASE_SECONDS", Settings.leader_lease_seconds, 3),
        unsent_reply_seconds=integer("UNSENT_REPLY_SECONDS", Settings.unsent_reply_seconds, 1),
        timezone=timezone,
        units_file=Path(text("UNITS_FILE", str(Settings.units_file))),
        max_report=integer("MAX_REPORT", Settings.max_report, 1),
        late_report_cutoff_hours=cutoff_hours,
        campaign_name=text("CAMPAIGN_NAME", DEFAULT_CAMPAIGN_NAME),
        campaign_start=start,
        campaign_end=end,
        campaign_metric=text("CAMPAIGN_METRIC", Settings.campaign_metric),
        seeds_campaign=bool(text("CAMPAIGN_START", "")),
        log_level=text("LOG_LEVEL", "INFO").upper(),
        monthly_due_day=due_day,
        reminder_target=ReminderTarget(target),
        invite_days=integer("INVITE_DAYS", Settings.invite_days, 1),
        board_link_days=integer("BOARD_LINK_DAYS", Settings.board_link_days, 1),
        schedules=schedules,
    )
