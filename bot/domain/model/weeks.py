"""Weeks (Monday 00:00 to Sunday 24:00 local time) and months, computed from a given `now`.

Nothing here reads the clock: every function takes the moment it reasons about.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS_IN_WEEK = 7


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week, identified by its Monday."""

    start: date

    def __post_init__(self) -> None:
        if self.start.weekday() != 0:
            raise ValueError(f"a week starts on a Monday, not on {self.start.isoformat()}")

    @classmethod
    def containing(cls, day: date) -> Week:
        return cls(day - timedelta(days=day.weekday()))

    @classmethod
    def of(cls, moment: datetime, tz: ZoneInfo) -> Week:
        return cls.containing(local_date(moment, tz))

    @classmethod
    def from_iso(cls, text: str) -> Week:
        """Parse `2024-W37` (ISO year and week)."""
        year_text, _, week_text = text.strip().upper().partition("-W")
        return cls(date.fromisocalendar(int(year_text), int(week_text), 1))

    @property
    def end(self) -> date:
        """The Sunday that closes the week."""
        return self.start + timedelta(days=DAYS_IN_WEEK - 1)

    @property
    def number(self) -> int:
        return self.start.isocalendar().week

    @property
    def iso(self) -> str:
        iso = self.start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"

    def previous(self) -> Week:
        return Week(self.start - timedelta(days=DAYS_IN_WEEK))

    def next(self) -> Week:
        return Week(self.start + timedelta(days=DAYS_IN_WEEK))

    def shifted(self, weeks: int) -> Week:
        return Week(self.start + timedelta(days=DAYS_IN_WEEK * weeks))

    def ends_at(self, tz: ZoneInfo) -> datetime:
        """Sunday 24:00, i.e. the next Monday 00:00, local time."""
        return datetime.combine(self.start + timedelta(days=DAYS_IN_WEEK), time(0), tz)

    def days_left(self, moment: datetime, tz: ZoneInfo) -> int:
        """Days left in the week counting today (Monday 7 ... Sunday 1); 0 once it is over."""
        today = local_date(moment, tz)
        if today > self.end:
            return 0
        if today < self.start:
            return DAYS_IN_WEEK
        return (self.end - today).days + 1


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is required")
    return moment.astimezone(tz).date()


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime, tz: ZoneInfo) -> Month:
        day = local_date(moment, tz)
        return cls(day.year, day.month)

    @classmethod
    def from_iso(cls, text: str) -> Month:
        """Parse `2024-09`."""
        year_text, _, month_text = text.strip().partition("-")
        month = cls(int(year_text), int(month_text))
        if not 1 <= month.month <= 12:
            raise ValueError(f"no month {text!r}")
        return month

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    @property
    def iso(self) -> str:
        return f"{self.year}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def weeks(self) -> list[Week]:
        """The weeks that belong to this month: those whose Thursday falls in it (as ISO
        weeks belong to years), so that every week belongs to exactly one month."""
        first = Week.containing(self.first_day)
        if (first.start + timedelta(days=3)).month != self.month:
            first = first.next()
        weeks = []
        week = first
        while (week.start + timedelta(days=3)).month == self.month:
            weeks.append(week)
            week = week.next()
        return weeks

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)
