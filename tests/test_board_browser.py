"""The board in a real browser (Playwright driving Debian's chromium-headless-shell, which
.ci/run installs): at 360 and 1 280 px the overview opens from a /bangtin link with the figures
of /tiendo, a ward expands to its cells, the week selector changes the figures, a unit page
shows the audit trail, a new report appears without reloading, and no console errors.
Screenshots are kept in test-artifacts/board/."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.channels.web.board import board_routes
from bot.channels.web.server import WebServer, build_web_app
from bot.clock import MovableClock
from bot.core import Core
from bot.render.renderer import FileRenderer
from tests.conftest import ADMIN_ID, at, make_policy, seed
from tests.support.dialogue import Dialogue, person
from tests.support.loopback import free_port

BROWSER = shutil.which("chromium-headless-shell") or "/usr/lib/chromium/headless_shell"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "board"
ADMIN = person(ADMIN_ID, "Quản trị")
AN = person(1001, "Nguyễn Văn An")
CELL = person(1003, "Trần Thị Cúc")

pytestmark = pytest.mark.skipif(
    not Path(BROWSER).exists(), reason="chromium-headless-shell is not installed"
)


@pytest.fixture
async def served(sqlite_database):
    seed(sqlite_database)
    campaign = sqlite_database.run(lambda store: store.campaigns.active())
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    policy = make_policy(campaign, public_base_url=base)
    clock = MovableClock(at("2024-09-12 09:00"))
    core = Core(sqlite_database, policy, clock)
    dialogue = Dialogue(None, policy, clock.now(), database=sqlite_database)
    for who, code in ((AN, "KM"), (CELL, "KM01")):
        dialogue.send(who, f"/dangky {code}")
        dialogue.send(ADMIN, f"/duyet {who.user_id}")
    dialogue.send(AN, "thêm 45 lượt", at=at("2024-09-05 10:00"))  # week 36
    dialogue.send(AN, "thêm 60 lượt")
    dialogue.send(CELL, "thêm 12 lượt")
    routes = board_routes(
        sqlite_database,
        lambda: core.policy,
        FileRenderer(),
        b"browser-secret",
        secure=False,
        now=clock.now,
    )
    server = WebServer(build_web_app(sqlite_database, board=routes), "127.0.0.1", port)
    await server.start()
    try:
        yield dialogue, base
    finally:
        await server.stop()


def link(dialogue: Dialogue, base: str) -> str:
    [reply] = [r for r in dialogue.send(ADMIN, "/bangtin") if r.chat.chat_id == ADMIN_ID]
    found = re.search(rf"{re.escape(base)}/board/open/[\w-]+", reply.text)
    assert found, reply.text
    return found.group(0)


@pytest.mark.parametrize("width", [360, 1280])
async def test_the_board_in_a_browser(served, width):
    from playwright.async_api import async_playwright, expect

    dialogue, base = served
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=BROWSER)
        page = await browser.new_page(viewport={"width": width, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(link(dialogue, base))
        assert page.url == f"{base}/board/"
        # The same figures as /tiendo: KM 72 of 200 (its own 60 and its cell's 12).
        [status] = dialogue.send(ADMIN, "/tiendo all")
        assert "Phường Khương Mai (KM) — 72/200" in status.text
        ward = page.locator('details[data-code="KM"]')
        assert "72 / 200" in await ward.locator("summary .figure").inner_text()
        await page.screenshot(path=str(ARTIFACTS / f"overview-{width}.png"), full_page=True)
        # A ward expands to its cells.
        cell = ward.locator('li[data-code="KM01"]')
        assert not await cell.is_visible()
        await ward.locator("summary .toggle").click()
        assert await cell.is_visible() and "12" in await cell.inner_text()
        # A new report shows without reloading (the page refreshes itself every 5 s).
        dialogue.send(AN, "thêm 8 lượt")
        figure = page.locator('details[data-code="KM"] summary .figure')
        await expect(figure).to_contain_text("80 / 200", timeout=12_000)
        # The week selector: last week's figure.
        await page.select_option("#tuan", "2024-W36")
        await page.wait_for_url(re.compile(r"tuan=2024-W36"))
        assert (
            "45 / 200" in await page.locator('details[data-code="KM"] summary .figure').inner_text()
        )
        # A unit page: the entries as written, with the audit trail.
        dialogue.send(AN, "/huy")
        await page.goto(f"{base}/board/unit/KM")
        assert "thêm 60 lượt" in await page.content()
        assert await page.locator("tr.void").count() == 1
        await page.screenshot(path=str(ARTIFACTS / f"unit-{width}.png"), full_page=True)
        await browser.close()
    assert errors == []
