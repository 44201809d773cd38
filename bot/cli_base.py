"""What every `quizbot` subcommand shares: the refusal of a malformed argument (exit 2) and
the database of an initialised bot."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from bot.config import Settings
from bot.core import NotInitialised
from bot.storage import migrate
from bot.storage.database import Database, make_engine

T = TypeVar("T")


class UsageError(ValueError):
    """An argument of the right kind but the wrong form: said as it is, exit 2."""


def parsed(parse: Callable[[str], T], text: str, problem: Callable[[str], str]) -> T:
    try:
        return parse(text)
    except ValueError as error:
        raise UsageError(problem(text)) from error


def database_of(settings: Settings) -> Database:
    database = Database(make_engine(settings.database_url))
    if not migrate.is_up_to_date(database.engine):
        database.dispose()
        raise NotInitialised("the database schema is not up to date")
    return database
