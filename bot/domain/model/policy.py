"""The rules of the running campaign that the use cases need, read once at start-up."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.model.entities import Campaign, Person
from bot.domain.model.weeks import Month, Week


class ReminderTarget(StrEnum):
    """Where a unit's reminders go (the REMINDER_TARGET setting)."""

    # Its bound group when it has one, else its secretaries' private chats.
    GROUP = "group"
    # Its secretaries' private chats when it has any, else its bound group.
    SECRETARIES = "secretaries"
    BOTH = "both"


@dataclass(frozen=True)
class Policy:
    campaign: Campaign
    tz: ZoneInfo
    max_report: int
    # How long after Sunday 24:00 last week's reports are still accepted (12 h = Monday 12:00).
    late_grace: timedelta
    # (platform, user id) pairs from the settings; admins granted in the database come on top.
    configured_admins: frozenset[tuple[str, str]]
    # Monthly reports are due before this day of the month (on time up to the day before).
    monthly_due_day: int = 20
    # A report above this many times the quota it counts toward is confirmed before booking.
    plausibility_factor: int = 3
    reminder_target: ReminderTarget = ReminderTarget.GROUP
    # Messages a month a platform's plan allows (Zalo's basic plan: about 3 000); a platform
    # not named here has no budget.
    message_budgets: Mapping[str, int] = field(default_factory=dict)
    # Platforms whose terms ask a bot to say it is automated in its first answer to a person.
    introduced_on: frozenset[str] = frozenset({"zalo"})
    # How long an invitation can be used, and the Telegram bot's username for its deep link
    # (from getMe once Telegram has started; None without Telegram).
    invite_days: int = 30
    telegram_username: str | None = None
    # The bot's public address (the board's links) and how long a board link works.
    public_base_url: str = ""
    board_link_days: int = 7

    def week_of(self, moment: datetime) -> Week:
        return Week.of(moment, self.tz)

    def is_locked(self, week: Week, moment: datetime) -> bool:
        """A week is locked for secretaries once its late cut-off has passed."""
        return moment >= week.ends_at(self.tz) + self.late_grace

    def open_weeks(self, moment: datetime) -> list[Week]:
        """Weeks a secretary may still change: this one, and the last one until its cut-off."""
        current = self.week_of(moment)
        previous = current.previous()
        return [current] if self.is_locked(previous, moment) else [current, previous]

    def monthly_due(self, month: Month) -> datetime:
        """The moment a month's report becomes late: 00:00 local on the due day."""
        due_date = date(month.year, month.month, self.monthly_due_day)
        return datetime.combine(due_date, time(0), self.tz)

    def has_ended(self, moment: datetime) -> bool:
        """Whether the campaign's last day is over at `moment`."""
        end = self.campaign.end
        return end is not None and moment.astimezone(self.tz).date() > end

    def covers(self, week: Week) -> bool:
        """Whether any day of the week falls inside the campaign."""
        campaign = self.campaign
        return week.end >= campaign.start and (campaign.end is None or week.start <= campaign.end)

    def configured_admin_ids(self, platform: str) -> list[str]:
        """The admins named in the settings for one platform, in a stable order."""
        return sorted(
            user for admin_platform, user in self.configured_admins if admin_platform == platform
        )

    def is_configured_admin(self, person: Person) -> bool:
        return (person.platform, person.user_id) in self.configured_admins
