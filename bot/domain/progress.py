"""A unit's standing against its weekly quota."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.collation import vietnamese_key
from bot.domain.model import Figure, Unit


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
        return self.total * 100 // self.quota if self.has_quota else 0

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
