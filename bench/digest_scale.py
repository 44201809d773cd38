"""bench/digest_scale: the weekly digest (text, chart, XLSX) for 10 000 units × 52 weeks.

Builds a SQLite database with 10 000 units (a district, 100 wards, the rest cells) and three
live entries plus one voided per unit per week for 52 weeks (2.08 million ledger rows), and a
subscription for the whole district. Then, in a fresh process so that its peak memory is its
own, plans the weekly digest as the job runner does: the job's queries and message, the chart
rendered to PNG, the spreadsheet to XLSX. Goals: under 2 s, peak memory under 300 MB.

    python -m bench.digest_scale [--units 10000] [--weeks 52]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import ENTRIES_PER_WEEK, fill_ledger

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
WARDS = 100
# Monday 13:00 (the default, after the late cut-off) after the last week of data: the digest
# covers that week.
DIGEST_SLOT = datetime(2024, 9, 16, 13, 0, tzinfo=TZ)


def build(path: Path, units: int, weeks: int, all_behind: bool = False) -> None:
    from bot.domain.model.entities import ChatRef, Person, Unit, UnitKind
    from bot.domain.model.weeks import Week
    from bot.storage import migrate
    from bot.storage.database import Database, make_engine

    database = Database(make_engine(f"sqlite:///{path}"))
    migrate.upgrade(database.engine)
    last_week = Week.of(DIGEST_SLOT, TZ).previous()
    first_week = last_week.shifted(-(weeks - 1))
    admin = Person("telegram", "900", "Bench")
    now = datetime(2024, 1, 1, tzinfo=UTC)

    def seed(store) -> None:
        store.campaigns.activate("Bench", first_week.start, None, "lượt dự thi")
        store.units.upsert(Unit("TX", "Quận", UnitKind.DISTRICT, None, 0))
        wards = [f"W{n:03d}" for n in range(WARDS)]
        # Wards and cells both with quotas (quotas at two levels); with `all_behind`, quotas
        # no unit reaches, so every unit's streak must be looked up over the whole window.
        ward_quota, cell_quota = (10**6, 10**4) if all_behind else (200, 5)
        for code in wards:
            store.units.upsert(Unit(code, f"Phường {code}", UnitKind.WARD, "TX", ward_quota))
        for n in range(units - WARDS - 1):
            parent = wards[n % WARDS]
            name = f"Chi bộ Tổ dân phố số {n} phường {parent}"
            store.units.upsert(Unit(f"C{n:05d}", name, UnitKind.PARTY_CELL, parent, cell_quota))
        store.subscriptions.subscribe(ChatRef("telegram", "-900"), None, admin, now)

    database.run(seed)
    fill_ledger(database, first_week, weeks)
    database.dispose()


def measure(path: str, traced: bool) -> None:
    """Runs in its own process: plan the weekly digest once, print timings and memory.
    With `traced`, tracemalloc also counts Python objects (and slows everything down)."""
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    from bot.config import load_settings
    from bot.domain.model.messages import with_files
    from bot.domain.scheduled.digests import weekly_digests
    from bot.render.chart import prepare
    from bot.render.renderer import FileRenderer
    from bot.storage.database import Database, make_engine

    prepare()  # a one-off per process, reported separately as part of the imports
    imported = time.perf_counter()
    database = Database(make_engine(f"sqlite:///{path}"))
    campaign = database.run(lambda store: store.campaigns.active())
    policy = load_settings({}, env_file=None).policy(campaign)
    collect_start = time.perf_counter()
    [digest] = database.run(
        lambda store: weekly_digests(store, policy, DIGEST_SLOT, DIGEST_SLOT + timedelta(minutes=1))
    )
    collected = time.perf_counter()
    rendered = with_files(digest, FileRenderer().render)
    done = time.perf_counter()
    python_peak = tracemalloc.get_traced_memory()[1] if traced else 0
    chart, table = rendered.attachments
    print(
        json.dumps(
            {
                "imports_s": imported - started,
                "collect_s": collected - collect_start,
                "render_s": done - collected,
                "digest_s": done - collect_start,
                "python_peak_mb": python_peak / 2**20,
                "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "text_chars": len(rendered.text),
                "png_kb": len(chart.content) / 1024,
                "xlsx_kb": len(table.content) / 1024,
            }
        )
    )


def main(units: int, weeks: int, all_behind: bool) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "digest.db"
        started = time.perf_counter()
        build(path, units, weeks, all_behind)
        built = time.perf_counter() - started
        rows = units * weeks * (ENTRIES_PER_WEEK + 1)
        situation = "every unit below quota" if all_behind else "most units at quota"
        print(
            f"{units} units × {weeks} weeks: {rows} ledger rows ({situation}), "
            f"built in {built:.0f} s"
        )
        runs = [_run(path, traced=False) for _ in range(3)]
        traced = _run(path, traced=True)
    for run in runs:
        print(
            f"digest {run['digest_s']:.2f} s (queries and message {run['collect_s']:.2f} s, "
            f"chart and XLSX {run['render_s']:.2f} s); peak RSS {run['max_rss_mb']:.0f} MB; "
            f"text {run['text_chars']} chars, PNG {run['png_kb']:.0f} KiB, "
            f"XLSX {run['xlsx_kb']:.0f} KiB"
        )
    print(f"peak Python objects (a separate tracemalloc run): {traced['python_peak_mb']:.0f} MB")
    print(
        "goal: under 2 s, peak memory under 300 MB (imports, not counted above: "
        f"{runs[0]['imports_s']:.2f} s)"
    )


def _run(path: Path, *, traced: bool) -> dict[str, float]:
    command = [sys.executable, "-m", "bench.digest_scale", "--measure", str(path)]
    if traced:
        command.append("--traced")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument(
        "--all-behind",
        action="store_true",
        help="quotas nobody meets: the streak of every unit is looked up (the worst case)",
    )
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.measure:
        measure(arguments.measure, arguments.traced)
    else:
        main(arguments.units, arguments.weeks, arguments.all_behind)
