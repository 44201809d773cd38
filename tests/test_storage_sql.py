"""What only a real database shows: the schema, the unit loader, locking and concurrency."""

from dataclasses import replace
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import bot.storage.tables  # noqa: F401
from bot.bootstrap import initialise
from bot.clock import FixedClock
from bot.config import load_settings
from bot.core import Core
from bot.domain.model.entities import ChatRef, Person
from bot.domain.model.messages import ChatKind, Inbound
from bot.domain.usecases.unit_table import UnitTableError
from bot.storage import migrate
from bot.storage.database import Database, make_engine
from bot.storage.seed import load_units
from tests.conftest import ADMIN_ID, at, make_policy, run_together
from tests.support.units import UNITS, units_csv

NOW = at("2024-09-12 09:00")
ADMIN = Person("telegram", ADMIN_ID, "Admin")


def test_migrations_create_exactly_the_schema_the_models_describe(sql_database):
    with sql_database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
    assert migrate.is_up_to_date(sql_database.engine)


def test_sqlite_runs_in_wal_with_a_busy_timeout_and_foreign_keys(sqlite_database):
    with sqlite_database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def write_units(tmp_path, text):
    path = tmp_path / "units.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_loading_units_twice_changes_nothing_and_removed_units_are_kept_inactive(
    sql_database, tmp_path
):
    path = write_units(tmp_path, units_csv())
    first = sql_database.run(lambda store: load_units(store, path))
    assert first["unchanged"] == 9 and first["added"] == 0
    again = sql_database.run(lambda store: load_units(store, path))
    assert again["unchanged"] == 9 and again["added"] == 0 and again["updated"] == 0

    fewer = [u for u in UNITS if u.active and u.code != "KM02"]
    fewer = [replace(u, name="Phường Khương Mai (mới)") if u.code == "KM" else u for u in fewer]
    counts = sql_database.run(
        lambda store: load_units(store, write_units(tmp_path, units_csv(fewer)))
    )
    assert counts["updated"] == 1 and counts["deactivated"] == 1
    km02 = sql_database.run(lambda store: store.units.get("KM02"))
    assert km02 is not None and km02.active is False
    assert sql_database.run(lambda store: store.units.get("KM")).name == "Phường Khương Mai (mới)"


def test_a_bad_units_file_changes_nothing_and_lists_every_problem(sql_database, tmp_path):
    bad = (
        units_csv()
        + "km 9,Tên,ward,TX,200\nKM,Trùng,ward,TX,200\nX1,,alien,TX,-3\nX2,Con,ward,NOPE,5\n"
    )
    with pytest.raises(UnitTableError) as raised:
        sql_database.run(lambda store: load_units(store, write_units(tmp_path, bad)))
    problems = raised.value.problems
    assert any("«KM 9» không hợp lệ" in p for p in problems)
    assert any("«KM» bị trùng" in p for p in problems)
    assert any("loại «alien»" in p for p in problems)
    assert any("cấp trên «NOPE»" in p for p in problems)
    assert sql_database.run(lambda store: store.units.get("X2")) is None


def test_initialise_applies_migrations_units_and_campaign_and_is_repeatable(tmp_path, monkeypatch):
    path = write_units(tmp_path, units_csv())
    settings = load_settings(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'nested' / 'quizbot.db'}",
            "UNITS_FILE": str(path),
            "CAMPAIGN_NAME": "Đợt thử",
            "CAMPAIGN_START": "2024-09-02",
        },
        env_file=None,
    )
    campaign, counts = initialise(settings)
    assert (campaign.name, campaign.start, campaign.end) == ("Đợt thử", date(2024, 9, 2), None)
    assert counts["added"] == 9
    campaign_again, counts_again = initialise(settings)
    assert campaign_again == campaign
    assert counts_again["unchanged"] == 9 and counts_again["added"] == 0


def core_for(database: Database) -> Core:
    campaign = database.run(lambda store: store.campaigns.active())
    return Core(database, make_policy(campaign), FixedClock(NOW))


def admin_report(text: str, message_id: str) -> Inbound:
    return Inbound(
        sender=ADMIN,
        chat=ChatRef("telegram", ADMIN_ID),
        chat_kind=ChatKind.PRIVATE,
        sent_at=NOW,
        text=text,
        command="report",
        args=tuple(text.split()),
        message_id=message_id,
    )


def test_concurrent_reports_are_all_counted(sql_database):
    core = core_for(sql_database)
    run_together([lambda n=n: core.handle(admin_report("KM 1", f"m{n}")) for n in range(12)])
    cid = sql_database.run(lambda store: store.campaigns.active().id)
    assert sql_database.run(lambda store: store.ledger.own_total(cid, "KM", date(2024, 9, 9))) == 12


def test_the_same_message_delivered_concurrently_counts_once(sql_database):
    core = core_for(sql_database)
    replies: list[str] = []
    run_together(
        [
            lambda: replies.extend(r.text for r in core.handle(admin_report("KM 5", "same")))
            for _ in range(6)
        ]
    )
    cid = sql_database.run(lambda store: store.campaigns.active().id)
    assert sql_database.run(lambda store: store.ledger.own_total(cid, "KM", date(2024, 9, 9))) == 5
    assert sum("Đã ghi nhận «+" in text for text in replies) == 1
    assert sum("đã được ghi nhận trước đó" in text for text in replies) == 5


def test_concurrent_sets_and_adds_leave_a_consistent_ledger(sql_database):
    core = core_for(sql_database)
    jobs = [
        lambda n=n: core.handle(admin_report("KM 10" if n % 2 else "KM =100", f"s{n}"))
        for n in range(10)
    ]
    run_together(jobs)
    cid = sql_database.run(lambda store: store.campaigns.active().id)
    total = sql_database.run(lambda store: store.ledger.own_total(cid, "KM", date(2024, 9, 9)))
    # Whatever the order, the week ends as the last "=100" plus the adds that came after it.
    assert total in {100 + 10 * k for k in range(6)}


def test_unit_of_work_rolls_back_on_error(sqlite_database):
    def failing(store):
        store.admins.grant("telegram", "55", NOW)
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        sqlite_database.run(failing)
    assert sqlite_database.run(lambda store: store.admins.is_admin("telegram", "55")) is False


def test_make_engine_creates_the_sqlite_directory(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a' / 'b' / 'q.db'}")
    with engine.connect() as connection:
        connection.exec_driver_sql("select 1")
    engine.dispose()
    assert (tmp_path / "a" / "b" / "q.db").exists()


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_replaced_and_the_work_runs_once_more(
    postgres_database,
):
    """No ping before each checkout ([core]): a pooled connection that PostgreSQL ended
    meanwhile fails the next unit of work's first statement, which then runs again on a
    fresh connection and succeeds."""
    import sqlalchemy as sa

    engine = postgres_database.engine
    assert engine.pool._pre_ping is False

    def backend(store) -> int:
        return int(store.connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())

    first = postgres_database.run(backend)
    units = len(postgres_database.run(lambda store: store.units.active()))
    admin = sa.create_engine(engine.url)
    try:
        with admin.begin() as connection:
            connection.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    finally:
        admin.dispose()
    runs = []

    def count_units(store) -> int:
        runs.append(1)
        return len(store.units.active())

    assert postgres_database.run(count_units) == units > 0
    assert len(runs) == 2  # the first attempt met the dropped connection
    assert postgres_database.run(backend) != first
