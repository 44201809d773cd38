"""bench/board: the board's overview and unit page at 1 000 units × 52 weeks of reports.

Builds the same database as bench/status_scale (a district, 20 wards, cells under them, three
live entries per unit per week and one voided) on SQLite, and on PostgreSQL when
QUIZBOT_TEST_POSTGRES_URL is set; signs in through a board link; then times N requests of
each page through the bot's own ASGI app (Starlette, in process: the server's time, without
the network). The goal: under 300 ms, median and p95.

    python -m bench.board [--units 1000] [--weeks 52] [--requests 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from starlette.testclient import TestClient

from bench.status_scale import TZ, build
from bot.channels.web.board import board_routes
from bot.channels.web.server import build_web_app
from bot.config import load_settings
from bot.domain.model.entities import Person
from bot.domain.model.views import BoardLink
from bot.domain.usecases.board import token_hash
from bot.render.renderer import FileRenderer
from bot.storage import migrate
from bot.storage.database import Database, make_engine
from bot.storage.ledger import ENTRY
from bot.storage.schema import UNIT
from bot.storage.units import CAMPAIGN, CAMPAIGN_QUOTA


def postgres_copy(source: Database, url: str) -> Database:
    """The same data on PostgreSQL (a schema of its own, dropped first)."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA IF EXISTS bench_board CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA bench_board"))
    engine.dispose()
    separator = "&" if "?" in url else "?"
    target = Database(make_engine(f"{url}{separator}options=-csearch_path%3Dbench_board"))
    migrate.upgrade(target.engine)
    tables = (UNIT, CAMPAIGN, CAMPAIGN_QUOTA, ENTRY)
    with source.engine.connect() as reading, target.engine.begin() as writing:
        for table in tables:
            rows = [dict(row._mapping) for row in reading.execute(sa.select(table))]
            if rows:
                writing.execute(sa.insert(table), rows)
        writing.execute(
            sa.text("SELECT setval('report_entry_id_seq', (SELECT max(id) FROM report_entry))")
        )
        writing.execute(sa.text("SELECT setval('campaign_id_seq', (SELECT max(id) FROM campaign))"))
    return target


def timed(client: TestClient, path: str, requests: int) -> tuple[float, float]:
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def measure(database: Database, now: datetime, requests: int) -> dict[str, tuple[float, float]]:
    campaign = database.run(lambda store: store.campaigns.active())
    settings = load_settings({"ADMIN_IDS": "900"}, env_file=None)
    policy = settings.policy(campaign)
    link = BoardLink(token_hash("bench"), Person("telegram", "900"), None, now, now + timedelta(1))
    database.run(lambda store: store.board_links.create(link))
    routes = board_routes(
        database, lambda: policy, FileRenderer(), b"bench", secure=False, now=lambda: now
    )
    with TestClient(build_web_app(database, board=routes)) as client:
        assert client.get("/board/open/bench", follow_redirects=False).status_code == 303
        return {
            "overview": timed(client, "/board/", requests),
            "unit page (ward)": timed(client, "/board/unit/W00", requests),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--requests", type=int, default=50)
    arguments = parser.parse_args()
    now = datetime.now(TZ).replace(hour=10)
    with tempfile.TemporaryDirectory() as folder:
        sqlite = build(Path(folder) / "board.db", arguments.units, arguments.weeks, now.date())
        databases = {"SQLite": sqlite}
        url = os.environ.get("QUIZBOT_TEST_POSTGRES_URL")
        if url:
            databases["PostgreSQL"] = postgres_copy(sqlite, url)
        for name, database in databases.items():
            for page, (median, p95) in measure(database, now, arguments.requests).items():
                print(
                    f"{name:<10} {arguments.units} units × {arguments.weeks} weeks  {page:<17}"
                    f" median {median:6.1f} ms  p95 {p95:6.1f} ms"
                )
            database.dispose()


if __name__ == "__main__":
    main()
