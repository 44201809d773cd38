"""Where a unit stands this week: its rolled-up figure and the quota it counts toward."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.domain.model.entities import NO_FIGURE, Unit, UnitWeekTotal
from bot.domain.model.progress import Progress, Standing
from bot.domain.model.tree import sub_unit_noun
from bot.domain.model.weeks import Week
from bot.domain.usecases.turn import Turn


def chain_of(turn: Turn, unit: Unit) -> list[Unit]:
    """The unit and every unit above it."""
    return [unit, *turn.ancestors(unit)]


def reply_units(chain: list[Unit]) -> list[Unit]:
    """Of a unit's chain, what a reply shows: the unit, and without a quota of its own, the
    nearest unit above it with one."""
    unit = chain[0]
    if unit.weekly_quota > 0:
        return [unit]
    covering = next((above for above in chain[1:] if above.weekly_quota > 0), None)
    return [unit] if covering is None else [unit, covering]


def figures_of(turn: Turn, week: Week, units: Sequence[Unit]) -> dict[str, UnitWeekTotal]:
    rows = turn.store.ledger.week_totals(
        turn.campaign.id, week.start, sorted({unit.code for unit in units})
    )
    return {row.unit.code: row for row in rows}


def standing_of(
    turn: Turn, unit: Unit, week: Week, figures: Mapping[str, UnitWeekTotal], chain: list[Unit]
) -> Standing:
    """The unit's progress and, for a unit without a quota of its own, that of the nearest
    unit above it with one (a cell's report counts toward its ward's 200)."""
    covering = None
    if unit.weekly_quota == 0:
        above = next((u for u in chain[1:] if u.weekly_quota > 0 and u.code in figures), None)
        if above is not None:
            covering = _standing(turn, above, week, figures)
    return _standing(turn, unit, week, figures, covering)


def _standing(
    turn: Turn,
    unit: Unit,
    week: Week,
    figures: Mapping[str, UnitWeekTotal],
    covering: Standing | None = None,
) -> Standing:
    row = figures.get(unit.code)
    figure = row.figure if row else NO_FIGURE
    days_left = week.days_left(turn.now, turn.policy.tz)
    children = turn.children(unit)
    owed = 0
    if unit.weekly_quota == 0 and children and covering is None:
        owed = turn.unit_tree().effective_quota(unit.code)
    return Standing(
        unit,
        figure,
        Progress(figure.total, unit.weekly_quota, days_left),
        bool(children),
        sub_unit_noun(children),
        covering,
        owed,
    )
