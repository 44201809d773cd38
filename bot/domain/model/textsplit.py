"""Splitting a long HTML-lite message into parts that each fit a platform's limit.

Parts break at line ends where possible. A line too long for one part is cut at a space,
never inside a tag or an entity, and a <b>/<i> left open at a cut is closed at the end of
the part and opened again at the start of the next, so every part is valid markup.
"""

from __future__ import annotations

import re

_TAG = re.compile(r"</?(b|i)>")


def measure(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def split_message(text: str, limit: int) -> list[str]:
    if limit < 64:
        raise ValueError("limit too small to split sensibly")
    if measure(text) <= limit:
        return [text]
    # Room for closing and reopening tags at a cut.
    budget = limit - len("<b><i></i></b>")
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if measure(candidate) <= budget:
            current = candidate
            continue
        if current:
            parts.append(current)
            current = ""
        while measure(line) > budget:
            cut = _cut_position(line, budget)
            parts.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        current = line
    if current:
        parts.append(current)
    return _balance(parts)


def _cut_position(line: str, budget: int) -> int:
    """The last safe place to cut `line` so the head fits the budget."""
    end = len(line)
    while measure(line[:end]) > budget:
        end -= max(1, (measure(line[:end]) - budget) // 2)
    unsafe = _inside_markup(line, end)
    if unsafe is not None:
        end = unsafe
    space = line.rfind(" ", 0, end)
    if space > end // 2 and _inside_markup(line, space) is None:
        return space
    return max(end, 1)


def _inside_markup(line: str, position: int) -> int | None:
    """If `position` falls inside a tag or an entity, the index where that markup starts."""
    tag_open = line.rfind("<", 0, position)
    if tag_open != -1 and line.find(">", tag_open) >= position:
        return tag_open
    amp = line.rfind("&", 0, position)
    if amp != -1:
        semicolon = line.find(";", amp)
        if semicolon >= position and semicolon - amp <= 10:
            return amp
    return None


def _balance(parts: list[str]) -> list[str]:
    balanced: list[str] = []
    carried: list[str] = []
    for part in parts:
        opened = list(carried)
        for match in _TAG.finditer(part):
            tag = match.group(1)
            if match.group(0).startswith("</"):
                if tag in opened:
                    opened.remove(tag)
            else:
                opened.append(tag)
        prefix = "".join(f"<{tag}>" for tag in carried)
        suffix = "".join(f"</{tag}>" for tag in reversed(opened))
        balanced.append(prefix + part + suffix)
        carried = opened
    return balanced
