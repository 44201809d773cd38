"""Loading data/units.csv: updates units in place, never duplicates or deletes them."""

from __future__ import annotations

import codecs
import csv
import io
import unicodedata
from collections import Counter
from dataclasses import replace
from pathlib import Path

from bot.domain import wording
from bot.domain.model.entities import Unit
from bot.domain.usecases.unit_table import UNIT_COLUMNS, UnitTableError, units_from_rows
from bot.storage.repositories import SqlStore


def read_units_file(path: Path) -> list[Unit]:
    text = decode_units_file(path.read_bytes())
    first_line = text.split("\n", 1)[0]
    # Excel writes "Unicode text" with tabs, and some locales' CSV with semicolons.
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    missing = [column for column in UNIT_COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise UnitTableError([wording.units_file_missing_columns(missing)])
    return units_from_rows(reader)


def decode_units_file(raw: bytes) -> str:
    """The file as officials save it from Excel: UTF-8 (with or without BOM), UTF-16 (Excel's
    "Unicode text", with a BOM) or Windows-1258, Excel's Vietnamese code page (its tones are
    combining marks, recomposed here). Anything else is refused, never guessed."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "cp1258"]
    for encoding in encodings:
        try:
            return unicodedata.normalize("NFC", raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    raise UnitTableError([wording.units_file_undecodable()])


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
