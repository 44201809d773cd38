"""bench/status_scale: `/status all` over 1 000 units with up to 52 weeks of reports, SQLite.

Builds a database with N units (a district, 20 wards, the rest cells under the wards) and
three live entries per unit per week (plus one voided), for 4 and for 52 weeks of history.
Times the whole use case (the aggregate query, ranking, formatting the message) through the
core, as the Telegram handler calls it, and measures the peak Python memory of one call with
tracemalloc. The goal: under 50 ms per call, memory that does not grow with the weeks.

    python -m bench.status_scale [--units 1000] [--calls 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import tracemalloc
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import ENTRIES_PER_WEEK, fill_ledger
from bot.clock import FixedClock
from bot.config import load_settings
from bot.core import Core
from bot.domain.model.entities import ChatRef, Person, Unit, UnitKind
from bot.domain.model.messages import ChatKind, Inbound
from bot.domain.model.weeks import Week
from bot.storage import migrate
from bot.storage.database import Database, make_engine

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ADMIN = "900"


def build(path: Path, units: int, weeks: int, today: date) -> Database:
    database = Database(make_engine(f"sqlite:///{path}"))
    migrate.upgrade(database.engine)
    first_week = Week.containing(today).shifted(-(weeks - 1))

    def seed(store) -> None:
        store.campaigns.activate("Bench", first_week.start, None, "lượt dự thi")
        store.units.upsert(Unit("TX", "Quận", UnitKind.DISTRICT, None, 0))
        wards = [f"W{n:02d}" for n in range(20)]
        for code in wards:
            store.units.upsert(Unit(code, f"Phường {code}", UnitKind.WARD, "TX", 200))
        for n in range(units - len(wards) - 1):
            parent = wards[n % len(wards)]
            name = f"Chi bộ số {n} {parent}"
            store.units.upsert(Unit(f"C{n:04d}", name, UnitKind.PARTY_CELL, parent, 5))

    database.run(seed)
    fill_ledger(database, first_week, weeks)
    return database


def measure(database: Database, now: datetime, calls: int) -> dict[str, float]:
    campaign = database.run(lambda store: store.campaigns.active())
    settings = load_settings({"ADMIN_IDS": ADMIN}, env_file=None)
    core = Core(database, settings.policy(campaign), FixedClock(now))
    inbound = Inbound(
        sender=Person("telegram", ADMIN, "Admin"),
        chat=ChatRef("telegram", ADMIN),
        chat_kind=ChatKind.PRIVATE,
        sent_at=now,
        text="/status all",
        command="status",
        args=("all",),
        message_id="1",
    )
    core.handle(inbound)  # warm the statement cache and the SQLite page cache
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        replies = core.handle(inbound)
        timings.append((time.perf_counter() - started) * 1000)
    tracemalloc.start()
    core.handle(inbound)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    lines = replies[0].text.count("\n") + 1
    return {
        "median_ms": statistics.median(timings),
        "p95_ms": sorted(timings)[int(0.95 * (len(timings) - 1))],
        "max_ms": max(timings),
        "peak_kib": peak / 1024,
        "lines": lines,
        "chars": len(replies[0].text),
    }


def main(units: int, calls: int) -> None:
    now = datetime(2024, 9, 12, 9, 0, tzinfo=TZ)
    print(f"{units} units, {ENTRIES_PER_WEEK} live entries + 1 voided per unit per week")
    header = ("weeks", "rows", "median ms", "p95 ms", "max ms", "peak KiB", "lines")
    widths = (5, 8, 10, 8, 8, 9, 6)
    print(" ".join(f"{title:>{width}}" for title, width in zip(header, widths, strict=True)))
    with tempfile.TemporaryDirectory() as directory:
        for weeks in (4, 52):
            database = build(Path(directory) / f"w{weeks}.db", units, weeks, now.date())
            rows = units * weeks * (ENTRIES_PER_WEEK + 1)
            result = measure(database, now, calls)
            database.dispose()
            print(
                f"{weeks:>5} {rows:>8} {result['median_ms']:>10.1f} {result['p95_ms']:>8.1f} "
                f"{result['max_ms']:>8.1f} {result['peak_kib']:>9.0f} {result['lines']:>6.0f}"
            )
    print("goal: under 50 ms per call; peak memory independent of the number of weeks")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=30)
    arguments = parser.parse_args()
    main(arguments.units, arguments.calls)
