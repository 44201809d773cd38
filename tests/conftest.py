from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.domain.model.entities import Campaign
from bot.domain.model.policy import Policy
from bot.storage import migrate
from bot.storage.database import Database, make_engine
from tests.support.dialogue import Dialogue
from tests.support.memory_store import MemoryStore
from tests.support.postgres import schema_url
from tests.support.units import UNITS

T = TypeVar("T")
TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ADMIN_ID = "900"
CAMPAIGN = Campaign(1, "Cuộc thi thử nghiệm", date(2024, 9, 2), date(2024, 12, 29), "lượt dự thi")


def at(text: str) -> datetime:
    """A local Hanoi time: at('2024-09-12 09:00')."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


def make_policy(campaign: Campaign = CAMPAIGN, **changes: Any) -> Policy:
    values: dict[str, Any] = {
        "campaign": campaign,
        "tz": TZ,
        "max_report": 10_000,
        "late_grace": timedelta(hours=12),
        "configured_admins": frozenset({("telegram", ADMIN_ID)}),
    }
    values.update(changes)
    return Policy(**values)


@pytest.fixture
def policy() -> Policy:
    return make_policy()


@pytest.fixture
def memory_store() -> MemoryStore:
    store = MemoryStore()
    for unit in UNITS:
        store.units.upsert(unit)
    store.campaigns.activate(CAMPAIGN.name, CAMPAIGN.start, CAMPAIGN.end, CAMPAIGN.metric)
    return store


@pytest.fixture
def dialogue(memory_store: MemoryStore, policy: Policy) -> Dialogue:
    # Thursday of week 37 (09/09–15/09/2024).
    return Dialogue(memory_store, policy, at("2024-09-12 09:00"))


# ---------------------------------------------------------------- databases


def seed(database: Database) -> None:
    def work(store: Any) -> None:
        for unit in UNITS:
            store.units.upsert(unit)
        store.campaigns.activate(CAMPAIGN.name, CAMPAIGN.start, CAMPAIGN.end, CAMPAIGN.metric)

    database.run(work)


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'quizbot.db'}"


@pytest.fixture
def sqlite_database(sqlite_url: str) -> Iterator[Database]:
    database = Database(make_engine(sqlite_url))
    migrate.upgrade(database.engine)
    seed(database)
    yield database
    database.dispose()


def _postgres_url() -> str | None:
    return os.environ.get("QUIZBOT_TEST_POSTGRES_URL") or None


def _postgres_required() -> bool:
    return os.environ.get("QUIZBOT_REQUIRE_POSTGRES") == "1"


def _unavailable(reason: str) -> None:
    if _postgres_required():
        pytest.fail(f"PostgreSQL is required (QUIZBOT_REQUIRE_POSTGRES=1) but {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """A fresh schema in the test PostgreSQL database, dropped afterwards."""
    url = _postgres_url()
    if url is None:
        _unavailable("QUIZBOT_TEST_POSTGRES_URL is not set")
        raise AssertionError("unreachable")
    admin = sa.create_engine(url)
    schema = f"quizbot_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except sa.exc.OperationalError as error:
        admin.dispose()
        _unavailable(f"cannot reach PostgreSQL at the test URL: {type(error).__name__}")
    engine = make_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A database URL on a schema of its own (child processes connect to it by URL)."""
    base = os.environ.get("QUIZBOT_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("QUIZBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required but QUIZBOT_TEST_POSTGRES_URL is not set")
        pytest.skip("QUIZBOT_TEST_POSTGRES_URL is not set")
    with schema_url(base, "quizbot_url") as url:
        yield url


@pytest.fixture
def postgres_database(postgres_engine: Engine) -> Database:
    database = Database(postgres_engine)
    migrate.upgrade(database.engine)
    seed(database)
    return database


class MemoryDatabase:
    """The memory store behind the same `run(work)` interface as `Database`."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def run(self, work: Callable[[Any], T]) -> T:
        return work(self.store)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sql_database(request: pytest.FixtureRequest) -> Database:
    """Tests of what only a real database shows run on SQLite and PostgreSQL."""
    database: Database = request.getfixturevalue(f"{request.param}_database")
    return database


def run_together(functions: list[Callable[[], object]]) -> None:
    """Start every function in its own thread at the same moment; fail on any error."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(functions))

    def runner(function: Callable[[], object]) -> None:
        barrier.wait()
        try:
            function()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=runner, args=(f,)) for f in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_database(request: pytest.FixtureRequest) -> Any:
    """Each storage contract test runs on the memory fake, SQLite and PostgreSQL."""
    if request.param == "memory":
        return MemoryDatabase(request.getfixturevalue("memory_store"))
    return request.getfixturevalue(f"{request.param}_database")


@pytest.fixture
def db_dialogue(any_database: Any, policy: Policy) -> Dialogue:
    """A dialogue whose every message is one unit of work on the memory fake, SQLite or
    PostgreSQL (Thursday of week 37)."""
    return Dialogue(None, policy, at("2024-09-12 09:00"), database=any_database)


# What tests asked to be shown at the end of the run (the corpus test's figures), heard from
# their reports: with pytest-xdist the tests run in workers, the summary in the controller.
SHOWN_AT_THE_END: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    from tests.test_corpus import CORPUS_SUMMARY

    for name, value in report.user_properties:
        if name == CORPUS_SUMMARY and report.when == "call":
            SHOWN_AT_THE_END.append(str(value))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """The corpus test's figures (size, share read as expected) at the end of every run."""
    for line in SHOWN_AT_THE_END:
        terminalreporter.write_line(line)
