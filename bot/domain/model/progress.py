"""A unit's standing against its weekly quota."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.model.collation import vietnamese_key
from bot.domain.model.entities import Figure, Unit, UnitWeekTotal


def whole_percent(total: int, quota: int) -> int:
    """The one rendering of a share of a quota, in the chat, the chart, the spreadsheet and
    the board alike: whole percent rounded down, so 199/200 never reads as 100%."""
    return total * 100 // quota if quota > 0 else 0


@dataclass(frozen=True)
class Progress:
    total: int
    quota: int
    # Days left in the week counting today; 0 once the week is over.
    days_left: int

    @property
    def has_quota(self) -> bool:
        return self.quota > 0

    @property
    def met(self) -> bool:
        return self.has_quota and self.total >= self.quota

    @property
    def percent(self) -> int:
        """Whole percent, rounded down so that 199/200 never reads as 100%."""
        return whole_percent(self.total, self.quota)

    @property
    def remaining(self) -> int:
        return max(self.quota - self.total, 0)

    @property
    def surplus(self) -> int:
        return max(self.total - self.quota, 0) if self.has_quota else 0

    @property
    def per_day_needed(self) -> int:
        if self.remaining == 0 or self.days_left == 0:
            return 0
        return -(-self.remaining // self.days_left)


def ranking_key(total: int, quota: int, name: str) -> tuple[int, float, int, int, bytes]:
    """Sort key for leaderboards: units with a quota first, by share of quota, then total;
    among equals the larger quota first (a ward before a cell), then by name."""
    share = total / quota if quota > 0 else 0.0
    return (0 if quota > 0 else 1, -share, -total, -quota, vietnamese_key(name))


@dataclass(frozen=True)
class Standing:
    """A unit's rolled-up figure for a week, measured against its quota."""

    unit: Unit
    figure: Figure
    progress: Progress
    # Whether units sit below this one, and what they are called together ("chi bộ").
    has_sub_units: bool
    sub_unit_noun: str
    # For a unit without a quota of its own: the nearest unit above it that has one ...
    covering: Standing | None = None
    # ... or, for one with sub-units, what they owe together (a district: its wards' quotas).
    sub_unit_quota: int = 0


def _score(row: UnitWeekTotal) -> tuple[int, float, int]:
    """What a place is decided by; units with equal scores share a place."""
    return ranking_key(row.total, row.unit.weekly_quota, row.unit.name)[:3]


def places(rows: Sequence[UnitWeekTotal]) -> list[tuple[int | None, UnitWeekTotal]]:
    """The rows in leaderboard order with their places: equal figures share a place and the
    next place skips (1, 2, 2, 4); units that have not reported come last, unplaced (None)."""
    reported = sorted(
        (row for row in rows if row.reported),
        key=lambda row: ranking_key(row.total, row.unit.weekly_quota, row.unit.name),
    )
    silent = sorted(
        (row for row in rows if not row.reported),
        key=lambda row: ranking_key(row.total, row.unit.weekly_quota, row.unit.name),
    )
    placed: list[tuple[int | None, UnitWeekTotal]] = []
    for index, row in enumerate(reported):
        previous = placed[-1] if placed else None
        if previous is not None and _score(previous[1]) == _score(row):
            placed.append((previous[0], row))
        else:
            placed.append((index + 1, row))
    return [*placed, *((None, row) for row in silent)]


@dataclass(frozen=True)
class Place:
    """Where one unit stands among its siblings of the same kind."""

    place: int | None  # None: it has not reported, so it is not ranked
    tied: bool
    out_of: int
    noun: str


def place_of(rows: Sequence[UnitWeekTotal], code: str, noun: str) -> Place:
    ranked = places(rows)
    mine = next(place for place, row in ranked if row.unit.code == code)
    tied = mine is not None and sum(1 for place, _ in ranked if place == mine) > 1
    return Place(mine, tied, len(ranked), noun)
