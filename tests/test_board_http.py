"""The board over HTTP (the bot's own Starlette app on SQLite): /bangtin links, sessions limited
to their scope, tampered/expired/revoked links refused, Telegram's initData checked, output
escaped, and the figures those of /tiendo."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from bot.channels.web.board import board_routes
from bot.channels.web.server import build_web_app
from bot.clock import MovableClock
from bot.domain import wording
from bot.domain.model.entities import Unit, UnitKind
from bot.render.renderer import FileRenderer
from tests.conftest import ADMIN_ID, at, make_policy, seed
from tests.support.dialogue import Dialogue, person

BASE = "https://quizbot.test"
TOKEN = "123456:TEST-token"
ADMIN = person(ADMIN_ID, "Quản trị")
AN = person(1001, "Nguyễn Văn An")
BINH = person(1002, "Lê Văn Bình")


@pytest.fixture
def board(sql_database):
    seed(sql_database)
    campaign = sql_database.run(lambda store: store.campaigns.active())
    policy = make_policy(campaign, public_base_url=BASE)
    clock = MovableClock(at("2024-09-12 09:00"))
    dialogue = Dialogue(None, policy, clock.now(), database=sql_database)
    routes = board_routes(
        sql_database,
        lambda: policy,
        FileRenderer(),
        b"board-secret",
        secure=True,
        telegram_token=TOKEN,
        now=clock.now,
    )
    app = build_web_app(sql_database, board=routes)
    for who, code in ((AN, "KM"), (BINH, "KT")):
        dialogue.send(who, f"/dangky {code}")
        dialogue.send(ADMIN, f"/duyet {who.user_id}")
    dialogue.send(AN, "thêm 45 lượt")
    with TestClient(app, base_url=BASE) as client:
        yield dialogue, client, clock


def link_of(dialogue: Dialogue, who) -> str:
    [reply] = [r for r in dialogue.send(who, "/bangtin") if r.chat.chat_id == who.user_id]
    found = re.search(rf"{re.escape(BASE)}(/board/open/[\w-]+)", reply.text)
    assert found, reply.text
    return found.group(1)


def test_a_link_opens_the_overview_with_the_figures_of_tiendo(board):
    dialogue, client, _ = board
    path = link_of(dialogue, ADMIN)
    opened = client.get(path, follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/board/"
    cookie = opened.headers["set-cookie"]
    assert (
        "HttpOnly" in cookie
        and "Secure" in cookie
        and "SameSite=lax" in cookie.replace("Lax", "lax")
    )
    page = client.get("/board/")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    # The same week and figures as /tiendo all: KM 45 of 200, KT no data (not 0).
    [status] = dialogue.send(ADMIN, "/tiendo all")
    assert "Phường Khương Mai (KM) — 45/200" in status.text
    html = page.text
    km = html[html.index('data-code="KM"') :]
    assert re.search(r'<span class="figure">45 / 200</span>', km)
    # Its share and the pace it still needs (155 left, Thursday: 4 days counting today).
    assert '<span class="percent">22%</span>' in km
    assert "cần khoảng 39 lượt/ngày" in km[: km.index("</summary>")]
    kt = html[html.index('data-code="KT"') :]
    assert f'<span class="figure">{wording.NO_DATA} / 200</span>' in kt
    assert "Chưa có người báo cáo" in html
    assert '<strong id="ty-le">1/5</strong>' in html and '<span id="dung-han">1</span>' in html
    # A unit nobody reports for is marked where it stands.
    nc = html[html.index('data-code="NC"') :]
    assert nc.index("chưa có người báo cáo") < nc.index("</details>")
    assert (
        client.get("/board/xuat")
        .headers["content-type"]
        .startswith("application/vnd.openxmlformats")
    )


def test_tampered_expired_and_revoked_links_are_refused(board):
    dialogue, client, clock = board
    path = link_of(dialogue, ADMIN)
    tampered = client.get(path[:-2] + "xx", follow_redirects=False)
    assert tampered.status_code == 403 and "Gửi /bangtin" in tampered.text
    assert client.get("/board/").status_code == 403  # no session
    assert client.get(path, follow_redirects=False).status_code == 303
    assert client.get("/board/").status_code == 200
    # /huybangtin: the session stops at once, and the link too.
    assert "Đã hủy 1 đường dẫn" in dialogue.send(ADMIN, "/huybangtin")[0].text
    assert client.get("/board/").status_code == 403
    assert client.get(path, follow_redirects=False).status_code == 403
    # A new link works for 7 days, not after.
    fresh = link_of(dialogue, ADMIN)
    clock.set(at("2024-09-19 09:01"))
    assert client.get(fresh, follow_redirects=False).status_code == 403
    # A forged cookie is no session.
    client.cookies.set("quizbot_board", "0" * 64 + ".abc", domain="quizbot.test", path="/board")
    assert client.get("/board/").status_code == 403


def test_a_secretarys_board_is_its_unit_and_nothing_else(board):
    dialogue, client, _ = board
    client.get(link_of(dialogue, AN), follow_redirects=False)
    own = client.get("/board/unit/KM")
    assert own.status_code == 200 and "thêm 45 lượt" in own.text and "Nguyễn Văn An" in own.text
    assert client.get("/board/unit/km01").status_code == 200
    other = client.get("/board/unit/KT")
    assert other.status_code == 403 and wording.OUTSIDE_SCOPE in other.text
    overview = client.get("/board/").text
    assert "Phường Khương Mai" in overview and 'data-code="KT"' not in overview


def test_the_unit_page_shows_the_audit_trail(board):
    dialogue, client, _ = board
    message = dialogue.last_message_id()
    dialogue.edit(message, "thêm 50 lượt", at=at("2024-09-12 10:00"))
    dialogue.send(AN, "thêm 5 lượt")
    dialogue.send(AN, "/huy")
    client.get(link_of(dialogue, ADMIN), follow_redirects=False)
    page = client.get("/board/unit/KM").text
    assert "sửa lúc" in page and "45 → 50" in page
    assert '<tr class="void">' in page and "(đã hủy)" in page


def test_names_and_texts_from_people_are_escaped(board, sql_database):
    dialogue, client, _ = board
    evil = Unit("XSS", "<script>alert(1)</script>", UnitKind.WARD, "TX", 200)
    sql_database.run(lambda store: store.units.upsert(evil))
    dialogue.send(ADMIN, "/bc XSS <b>7</b> <script>x</script>")
    client.get(link_of(dialogue, ADMIN), follow_redirects=False)
    for page in (client.get("/board/").text, client.get("/board/unit/XSS").text):
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def init_data(user_id: int, signed_at: int, token: str = TOKEN) -> str:
    fields = {
        "auth_date": str(signed_at),
        "query_id": "AAH",
        "user": json.dumps({"id": user_id, "first_name": "An"}),
    }
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    return urlencode(fields)


def test_the_mini_app_signs_in_with_telegrams_init_data(board):
    _, client, _ = board
    now = int(time.time())
    form = {"content-type": "application/x-www-form-urlencoded"}

    def post(data: str) -> int:
        body = urlencode({"init_data": data})
        return client.post(
            "/board/telegram", content=body, headers=form, follow_redirects=False
        ).status_code

    assert post(init_data(1001, now - int(timedelta(days=2).total_seconds()))) == 403
    assert post(init_data(1001, now, token="999:other")) == 403
    assert post(init_data(1001, now).replace("hash=", "hash=0")) == 403
    assert client.get("/board/").status_code == 403
    assert post(init_data(4242, now)) == 403  # nobody the bot knows
    assert post(init_data(1001, now)) == 303
    page = client.get("/board/")
    assert page.status_code == 200 and "Phường Khương Mai" in page.text
    assert client.get("/board/unit/KT").status_code == 403
    assert client.get("/board/app").status_code == 200


def test_without_a_public_address_bangtin_says_what_to_set(sqlite_database):
    seed(sqlite_database)
    campaign = sqlite_database.run(lambda store: store.campaigns.active())
    policy = make_policy(campaign)
    dialogue = Dialogue(None, policy, at("2024-09-12 09:00"), database=sqlite_database)
    assert dialogue.send(ADMIN, "/bangtin")[0].text == wording.BOARD_NEEDS_ADDRESS
    stranger = person(4242)
    policy_with_address = make_policy(campaign, public_base_url=BASE)
    dialogue = Dialogue(None, policy_with_address, at("2024-09-12 09:00"), database=sqlite_database)
    assert dialogue.send(stranger, "/bangtin")[0].text == wording.BOARD_NOT_ALLOWED
    # In a group the link goes to the person, never into the group.
    replies = dialogue.send(ADMIN, "/bangtin", group=-300)
    assert [r.chat.chat_id for r in replies] == [ADMIN_ID, "-300"]
    assert "/board/open/" not in replies[1].text


def test_the_campaign_to_date_page_and_its_spreadsheet(board):
    dialogue, client, _ = board
    dialogue.send(AN, "thêm 200 lượt", at=at("2024-09-05 10:00"))  # week 36: KM met its 200
    client.get(link_of(dialogue, ADMIN), follow_redirects=False)
    page = client.get("/board/cuoc-thi")
    assert page.status_code == 200
    row = page.text[page.text.index('<tr data-code="KM">') :]
    row = row[: row.index("</tr>")]
    # Weeks 36 and 37 so far: 245 of 400, one week met of two.
    assert "<td>245</td><td>400</td><td>1/2</td>" in row
    sheet = client.get("/board/xuat")
    assert sheet.status_code == 200 and sheet.content[:2] == b"PK"


async def test_the_console_serves_the_board_and_board_prints_a_link(tmp_path, monkeypatch):
    import io

    from bot.bootstrap import run_console
    from bot.clock import MovableClock as Clock
    from bot.config import load_settings
    from tests.test_trust_cli import environment

    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    from bot.cli import main

    assert main(["init"]) == 0
    out = io.StringIO()
    script = io.StringIO(":time 2024-09-12 09:00\n:board\n/bangtin\n:quit\n")
    await run_console(load_settings(env_file=None), Clock(), script, out)
    links = re.findall(r"http://127\.0\.0\.1:\d+/board/open/[\w-]+", out.getvalue())
    assert len(links) == 2  # :board, and /bangtin's answer


async def test_the_telegram_menu_button_opens_the_board_as_a_mini_app(tmp_path):
    from bot.bootstrap import initialise, open_core
    from bot.channels.telegram.application import build_application
    from bot.clock import SystemClock
    from tests.support.fake_bot_api import FakeBotApi
    from tests.support.harness import TOKEN as BOT_TOKEN
    from tests.support.harness import bot_settings

    with FakeBotApi(BOT_TOKEN) as api:
        settings = bot_settings(api, tmp_path, PUBLIC_BASE_URL=BASE)
        initialise(settings)
        core = open_core(settings, SystemClock())
        application = build_application(settings, core)
        try:
            await application.initialize()
            await application.post_init(application)
        finally:
            await application.shutdown()
            core.close()
        button = api.menu_button
        if isinstance(button, str):
            button = json.loads(button)
        assert button["type"] == "web_app" and button["text"] == wording.BOARD_MENU_BUTTON
        assert button["web_app"]["url"] == f"{BASE}/board/app"


def test_a_ward_admins_board_is_its_ward_and_zalo_gets_the_link_too(board):
    from bot.domain.model.entities import ChatRef, MembershipStatus, Person

    dialogue, client, _ = board
    dialogue.send(ADMIN, "/capquyen 1500 KM")
    client.get(link_of(dialogue, person(1500, "Đỗ Thị Hoa")), follow_redirects=False)
    assert client.get("/board/unit/KM01").status_code == 200
    assert client.get("/board/unit/KT").status_code == 403
    # A Zalo secretary asks in private: the link comes to that Zalo chat.
    zalo_person = Person("zalo", "0a0a0a0a", "Bí thư Zalo")
    dialogue.query(
        lambda store: store.members.decide(
            store.members.request(zalo_person, "KT", at("2024-09-12 08:00")).id,
            MembershipStatus.APPROVED,
            ADMIN,
            at("2024-09-12 08:00"),
        )
    )
    from bot.domain.model.messages import ChatKind, Inbound

    inbound = Inbound(
        sender=zalo_person,
        chat=ChatRef("zalo", "0a0a0a0a"),
        chat_kind=ChatKind.PRIVATE,
        sent_at=at("2024-09-12 09:00"),
        text="/bangtin",
        command="board",
        message_id="z1",
    )
    [reply] = [
        r for r in dialogue.handle(inbound, at("2024-09-12 09:00")) if "/board/open/" in r.text
    ]
    assert reply.chat == ChatRef("zalo", "0a0a0a0a")
    path = re.search(r"/board/open/[\w-]+", reply.text).group(0)
    client.cookies.clear()
    client.get(path, follow_redirects=False)
    assert client.get("/board/unit/KT").status_code == 200
    assert client.get("/board/unit/KM").status_code == 403
