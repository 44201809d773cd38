"""The unit tree: who sits under whom, which quota covers a unit, and where a scope starts.

Figures are rolled up in SQL (the ledger's aggregate queries); this module only reasons
about the units themselves, a few thousand at most.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property

from bot.domain.model.collation import vietnamese_key
from bot.domain.model.entities import KIND_ORDER, Unit, UnitKind

_KIND_RANK = {kind: rank for rank, kind in enumerate(KIND_ORDER)}


def _tree_key(unit: Unit) -> tuple[int, bytes]:
    return (_KIND_RANK[unit.kind], vietnamese_key(unit.name))


class UnitTree:
    """A set of units (usually the active ones) seen as a forest."""

    def __init__(self, units: Iterable[Unit]) -> None:
        self.by_code = {unit.code: unit for unit in units}
        self._children: dict[str | None, list[Unit]] = {}
        for unit in self.by_code.values():
            parent = unit.parent if unit.parent in self.by_code else None
            self._children.setdefault(parent, []).append(unit)
        for siblings in self._children.values():
            siblings.sort(key=_tree_key)

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    def children(self, code: str | None) -> list[Unit]:
        """Direct sub-units of `code` (the roots for None), kind then name order."""
        return list(self._children.get(code, []))

    @property
    def roots(self) -> list[Unit]:
        return self.children(None)

    def has_sub_units(self, code: str) -> bool:
        return bool(self._children.get(code))

    def ancestors(self, code: str) -> list[Unit]:
        """From the parent up to the root."""
        found: list[Unit] = []
        unit = self.by_code.get(code)
        while unit is not None and unit.parent in self.by_code:
            unit = self.by_code[unit.parent]
            found.append(unit)
        return found

    def subtree(self, code: str) -> list[Unit]:
        """The unit and everything below it, depth first."""
        return [unit for _, unit in self.ordered(self.by_code[code])]

    def ordered(self, start: Unit | None = None) -> list[tuple[int, Unit]]:
        """Depth-first from `start` (every root for None), each unit with its depth."""
        stack = [(0, start)] if start else [(0, u) for u in reversed(self.roots)]
        found: list[tuple[int, Unit]] = []
        while stack:
            depth, unit = stack.pop()
            found.append((depth, unit))
            stack.extend((depth + 1, child) for child in reversed(self.children(unit.code)))
        return found

    def effective_quota(self, code: str) -> int:
        """What the unit must reach: its own quota, or, without one, the sum of what its
        sub-units must reach (a district of wards owes the wards' quotas)."""
        return self._effective[code]

    @cached_property
    def _effective(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for _, unit in reversed(self.ordered()):  # children before their parents
            found[unit.code] = unit.weekly_quota or sum(
                found[child.code] for child in self.children(unit.code)
            )
        return found

    def tops(self, codes: Iterable[str]) -> list[Unit]:
        """Of the given units, those with no ancestor among them: summing their rolled-up
        figures counts every entry below them exactly once."""
        chosen = set(codes)
        return [
            self.by_code[code]
            for code in chosen
            if code in self.by_code
            and not any(above.code in chosen for above in self.ancestors(code))
        ]

    def sub_unit_noun(self, code: str) -> str:
        return sub_unit_noun(self.children(code))


def sub_unit_noun(children: Iterable[Unit]) -> str:
    """How a unit's sub-units are called together: 'chi bộ' when all are party cells."""
    kinds = {child.kind for child in children}
    return "chi bộ" if kinds == {UnitKind.PARTY_CELL} else "đơn vị"


def scope_units(tree: UnitTree, scope: Unit | None) -> list[Unit]:
    """The scope unit and everything below it (every unit for no scope), in tree order."""
    if scope is None:
        return [unit for _, unit in tree.ordered()]
    if scope.code not in tree:
        return []
    return tree.subtree(scope.code)


def top_units(tree: UnitTree, scope: Unit | None) -> Sequence[Unit]:
    """The units a scope is made of at its first level: the scope's sub-units (the wards and
    organisations of a district), or the roots when there is no scope."""
    if scope is None:
        roots = tree.roots
        if len(roots) == 1 and tree.has_sub_units(roots[0].code):
            return tree.children(roots[0].code)
        return roots
    return tree.children(scope.code)
