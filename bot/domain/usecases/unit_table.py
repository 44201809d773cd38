"""The unit table: reading its rows and checking that they form a tree."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from bot.domain import wording
from bot.domain.model.entities import Unit, UnitKind
from bot.domain.reading.parsing import RESERVED_WORDS

UNIT_COLUMNS = ("code", "name", "kind", "parent", "weekly_quota")
MAX_NAME_LENGTH = 200
# Far above any real quota (a ward's is 200 a week); a larger figure is a slip in the file.
MAX_QUOTA = 1_000_000
_FORMULA_STARTS = ("=", "+", "-", "@")
_CODE = re.compile(r"[A-Z][A-Z0-9_-]{0,19}", re.ASCII)


class UnitTableError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def units_from_rows(rows: Iterable[Mapping[str, str | None]]) -> list[Unit]:
    """Units from table rows (line numbers count the header as line 1); all problems at once."""
    units: list[Unit] = []
    problems: list[str] = []
    seen: set[str] = set()
    lines: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip().upper()
        # A short row («BAD5,Thiếu cột,ward»): its missing cells are absent, not empty.
        missing = [column for column in UNIT_COLUMNS if row.get(column) is None]
        if missing:
            problems.append(wording.unit_row_missing_cells(line, code, missing))
            continue
        name = unicodedata.normalize("NFC", (row.get("name") or "").strip())
        kind_text = (row.get("kind") or "").strip()
        parent = (row.get("parent") or "").strip().upper() or None
        quota_text = (row.get("weekly_quota") or "").strip() or "0"
        if not _CODE.fullmatch(code):
            problems.append(wording.unit_row_bad_code(line, code))
            continue
        if code in seen:
            problems.append(wording.unit_row_duplicate(line, code))
            continue
        if code.lower() in RESERVED_WORDS:
            problems.append(wording.unit_row_reserved_code(line, code))
            continue
        seen.add(code)
        if not name:
            problems.append(wording.unit_row_no_name(line, code))
        elif any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
            problems.append(wording.unit_row_control_characters(line, code))
        elif len(name) > MAX_NAME_LENGTH:
            problems.append(wording.unit_row_name_too_long(line, code, MAX_NAME_LENGTH))
        elif name.startswith(_FORMULA_STARTS):
            problems.append(wording.unit_row_formula_name(line, code, name[0]))
        if kind_text not in {kind.value for kind in UnitKind}:
            problems.append(wording.unit_row_bad_kind(line, code, kind_text))
            continue
        if (
            not quota_text.isascii()
            or not quota_text.isdigit()
            or len(quota_text) > 9
            or int(quota_text) > MAX_QUOTA
        ):
            problems.append(wording.unit_row_bad_quota(line, code, quota_text[:20], MAX_QUOTA))
            continue
        units.append(Unit(code, name, UnitKind(kind_text), parent, int(quota_text)))
        lines[code] = line
    problems.extend(_tree_problems(units, lines))
    if problems:
        raise UnitTableError(problems)
    return units


def _tree_problems(units: list[Unit], lines: Mapping[str, int]) -> list[str]:
    by_code = {unit.code: unit for unit in units}
    problems = [
        wording.unit_unknown_parent(lines.get(unit.code, 0), unit.code, unit.parent)
        for unit in units
        if unit.parent is not None and unit.parent not in by_code
    ]
    for unit in units:
        seen = {unit.code}
        parent = unit.parent
        while parent is not None and parent in by_code:
            if parent in seen:
                problems.append(wording.unit_cycle(lines.get(unit.code, 0), unit.code))
                break
            seen.add(parent)
            parent = by_code[parent].parent
    return problems
