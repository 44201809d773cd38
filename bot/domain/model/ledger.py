"""The ledger's arithmetic: a unit's own week figure is a fold of its live entries.

Entries are folded in the order their messages were sent (ties by arrival): `set N` makes
the figure N, `add N` adds N. Each live entry's *effect* is what it changed in that fold;
the ledger stores effects so that a plain SQL sum gives the fold, and re-derives them after
every change (new entry, edit, undo), always under the unit's lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.domain.model.entities import ReportEntry, ReportMode


@dataclass(frozen=True)
class Folded:
    total: int
    # Entry id -> its effect in the fold, for live entries only.
    effects: dict[int, int]


def order_key(entry: ReportEntry) -> tuple[datetime, int]:
    """Sending order; entries sent in the same instant keep the order they were booked in."""
    return (entry.sent_at, entry.id)


def fold(entries: Iterable[ReportEntry], start: int = 0) -> Folded:
    """The fold of `entries` on top of `start`, the figure of the entries sent before them."""
    live = sorted((e for e in entries if not e.void), key=order_key)
    total = start
    effects: dict[int, int] = {}
    for entry in live:
        effects[entry.id] = effect_of(entry.mode, entry.requested, total)
        total += effects[entry.id]
    return Folded(total, effects)


def effect_of(mode: ReportMode, requested: int, before: int) -> int:
    """What one entry changes in the fold on top of `before`: `set N` makes it N."""
    return requested - before if mode is ReportMode.SET else requested


def changed_effects(entries: Iterable[ReportEntry], start: int = 0) -> tuple[int, dict[int, int]]:
    """The fold's total, and the effects that differ from what the entries hold now.

    A change only moves the effects of the entries sent at or after it: the caller passes
    those, and `start`, the sum of the effects of the entries sent before."""
    entries = list(entries)
    folded = fold(entries, start)
    stored = {entry.id: entry.effect for entry in entries}
    return folded.total, {
        entry_id: effect
        for entry_id, effect in folded.effects.items()
        if stored.get(entry_id) != effect
    }
