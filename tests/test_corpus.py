"""The project's corpus of real-looking messages (tests/corpus/reports.tsv): each read as
the corpus says, in its own spelling and the ways phones and people vary it (no diacritics,
a capital first letter, an emoji after it); no message ever books a number not in it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from bot.domain.model.entities import ReportMode
from bot.domain.reading.numberwords import NUMBER_WORDS
from bot.domain.reading.parsing import (
    ParseError,
    ParseProblem,
    Question,
    ReportRequest,
    fold,
    parse_report,
)

CORPUS = Path(__file__).parent / "corpus" / "reports.tsv"
# Without diacritics these number words stay readable (see bot/domain/reading/numberwords.py).
FOLDED_NUMBER_WORDS = frozenset(
    {"muoi", "tram", "nghin", "ngan", "mot", "hai", "ba", "bon", "lam", "tam", "chin", "linh"}
)


def corpus() -> list[tuple[str, str]]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    entries = []
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        text, reading = line.split("\t")
        entries.append((text, reading))
    return entries


def variants(text: str, reading: str) -> list[str]:
    """The message as written, and as people and phones vary it."""
    found = [text, text[:1].upper() + text[1:], f"{text} 👍"]
    # Folding erases invisible characters too: those lines would become other messages.
    if reading != "refuse malformed_number" and fold(text) != text.lower():
        found.append(fold(text))
    return list(dict.fromkeys(found))


def reading_of(result: ReportRequest | ParseError) -> str:
    if isinstance(result, ParseError):
        if result.problem in (ParseProblem.NOT_UNDERSTOOD, ParseProblem.EMPTY):
            return "chat"
        return f"refuse {result.problem.value}"
    if result.question is Question.ADD_OR_TOTAL:
        return f"ask {result.amount}"
    if result.question is Question.WEEK_OR_CAMPAIGN:
        return f"ask-since {result.amount}"
    mode = "add" if result.mode is ReportMode.ADD else "set"
    week = " tuantruoc" if result.week_offset == -1 else ""
    return f"{mode} {result.amount}{week}"


def number_is_in_the_text(text: str, amount: int) -> bool:
    """The amount is written in the text: in digits (dots group thousands), or in words."""
    digits = [int(run.replace(".", "")) for run in re.findall(r"[0-9][0-9.]*", text)]
    if digits:
        return amount in digits
    words = set(re.findall(r"\w+", text.lower())) | set(re.findall(r"\w+", fold(text)))
    return bool(words & (NUMBER_WORDS | FOLDED_NUMBER_WORDS))


def test_the_corpus_is_read_as_it_says(record_property: Callable[[str, object], None]) -> None:
    entries = corpus()
    checked = 0
    wrong: list[str] = []
    for text, expected in entries:
        for variant in variants(text, expected):
            checked += 1
            result = parse_report(variant)
            got = reading_of(result)
            if got != expected:
                wrong.append(f"{variant!r}: expected {expected}, got {got}")
            if isinstance(result, ReportRequest):
                assert number_is_in_the_text(variant, result.amount), variant
    understood = checked - len(wrong)
    share = understood / checked
    # Shown at the end of the run (tests/conftest.py), also when workers run the tests.
    record_property(
        CORPUS_SUMMARY,
        f"corpus: {len(entries)} messages, {checked} with their variants; "
        f"{understood} read as expected ({share:.1%})",
    )
    assert len(entries) >= 200
    assert not wrong, "\n".join(wrong)


CORPUS_SUMMARY = "corpus_summary"
