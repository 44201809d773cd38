"""Loading data/units.csv: updates units in place, never duplicates or deletes them."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bot.domain import texts
from bot.domain.model import Unit
from bot.domain.units import UNIT_COLUMNS, UnitTableError, units_from_rows
from bot.storage.repositories import SqlStore


def read_units_file(path: Path) -> list[Unit]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in UNIT_COLUMNS if column not in (reader.fieldnames or [])]
        if missing:
            raise UnitTableError([texts.units_file_missing_columns(missing)])
        return units_from_rows(reader)


def load_units(store: SqlStore, path: Path) -> Counter[str]:
    """Apply the file to the unit table; units no longer listed are deactivated, not deleted."""
    units = read_units_file(path)
    counts: Counter[str] = Counter()
    listed = set()
    for unit in units:
        counts[store.units.upsert(unit)] += 1
        listed.add(unit.code)
    for unit in store.units.everything():
        if unit.code not in listed and unit.active:
            store.units.upsert(replace(unit, active=False))
            counts["deactivated"] += 1
    return counts
