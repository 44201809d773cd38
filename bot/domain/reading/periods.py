"""Periods as people name them: «tuantruoc», «tuan 37», «thang 9» (folded, no diacritics)."""

from __future__ import annotations

import re
from datetime import date

from bot.domain.model.weeks import Month, Week
from bot.domain.reading.parsing import fold

_THIS_WEEK = frozenset({"tuan", "tuan nay", "week"})
_LAST_WEEK = frozenset({"tuantruoc", "tuan truoc"})
_THIS_MONTH = frozenset({"thang", "thang nay", "month"})
_NUMBERED = re.compile(r"(tuan|thang)\s*(\d{1,2})")


def parse_period(folded: str, today: date) -> Week | Month | None:
    """The week or month named, the latest one not after `today`; None if none is named."""
    text = " ".join(folded.split())
    if text in _THIS_WEEK:
        return Week.containing(today)
    if text in _LAST_WEEK:
        return Week.containing(today).previous()
    if text in _THIS_MONTH:
        return Month(today.year, today.month)
    numbered = _NUMBERED.fullmatch(text)
    if numbered is None:
        return None
    kind, number = numbered.group(1), int(numbered.group(2))
    if kind == "tuan":
        for year in (today.isocalendar().year, today.isocalendar().year - 1):
            try:
                week = Week(date.fromisocalendar(year, number, 1))
            except ValueError:
                continue
            if week.start <= today:
                return week
        return None
    if not 1 <= number <= 12:
        return None
    year = today.year if number <= today.month else today.year - 1
    return Month(year, number)


def split_trailing_period(argument: str, today: date) -> tuple[str, Week | Month | None]:
    """A week or month named at the end of a command's argument («KM tuan 37», «thang 9»),
    and the rest of the argument."""
    words = argument.split()
    for size in (2, 1):
        if len(words) >= size:
            period = parse_period(fold(" ".join(words[-size:])), today)
            if period is not None:
                return " ".join(words[:-size]), period
    return argument, None
