"""The rules of the running campaign that the use cases need, read once at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.model import Campaign, Person
from bot.domain.weeks import Week


@dataclass(frozen=True)
class Policy:
    campaign: Campaign
    tz: ZoneInfo
    max_report: int
    # How long after Sunday 24:00 last week's reports are still accepted (12 h = Monday 12:00).
    late_grace: timedelta
    # (platform, user id) pairs from the settings; admins granted in the database come on top.
    configured_admins: frozenset[tuple[str, str]]

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

    def is_configured_admin(self, person: Person) -> bool:
        return (person.platform, person.user_id) in self.configured_admins
