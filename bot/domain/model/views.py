"""What digests, progress views and the board show: plain data the wording turns into text
(kept here, below both the use cases that build it and the wording that reads it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.model.collation import vietnamese_key
from bot.domain.model.entities import Person, Submission, Unit, UnitWeekTotal
from bot.domain.model.weeks import Month, Week


@dataclass(frozen=True)
class DigestLine(UnitWeekTotal):
    # Weeks in a row below quota, ending with the digested week (0 when met or no quota).
    missed_weeks: int

    @property
    def standing(self) -> str:
        quota = self.unit.weekly_quota
        if quota > 0 and self.total >= quota:
            return "met"
        if not self.reported:
            return "silent"
        return "behind"

    @property
    def level_group(self) -> int:
        """Order within a level of the tree: behind, then not reported, then met (or, with
        no quota, reported)."""
        if self.unit.weekly_quota == 0:
            return 1 if not self.reported else 3
        return {"behind": 0, "silent": 1, "met": 2}[self.standing]


def level_key(line: DigestLine) -> tuple[int, float, bytes]:
    """Furthest behind first among the behind, best first among those that met."""
    quota = line.unit.weekly_quota
    share = line.total / quota if quota else 0.0
    group = line.level_group
    return (group, share if group == 0 else -share, vietnamese_key(line.unit.name))


@dataclass(frozen=True)
class DigestBranch:
    """A top-level unit of the scope (a ward, a district organisation) with its sub-units."""

    line: DigestLine
    sub_units: tuple[DigestLine, ...]
    # What the sub-units are called together ("chi bộ").
    noun: str


@dataclass(frozen=True)
class WeeklyDigest:
    scope: Unit | None
    week: Week
    # Every unit worth listing, ranked (for the chart and the counts).
    lines: tuple[DigestLine, ...]
    # The scope's own figure: every entry in it counted once, against what it must reach.
    total: int
    quota: int
    # The scope's top-level units in level order, each with its sub-units in level order.
    branches: tuple[DigestBranch, ...] = ()


@dataclass(frozen=True)
class MonthlyLine:
    unit: Unit
    submission: Submission | None
    on_time: bool
    month_total: int


@dataclass(frozen=True)
class MonthlyDigest:
    scope: Unit | None
    month: Month
    due: datetime
    weeks: tuple[Week, ...]
    lines: tuple[MonthlyLine, ...]
    # Every entry in the scope over those weeks, counted once.
    month_total: int


@dataclass(frozen=True)
class SubUnitReport:
    """How many sub-units a unit has this week, and which of them have not reported."""

    count: int
    silent: tuple[Unit, ...]
    # What the sub-units are called together ("chi bộ").
    noun: str


@dataclass(frozen=True)
class BoardLink:
    token_hash: str
    person: Person
    # None: the whole district.
    scope: str | None
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
