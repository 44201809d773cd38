"""The board's pages under /board/ (Starlette + Jinja2, escaped by default): opened by a
/bangtin link or from the Telegram Mini App, each request limited on the server to the
session's scope. The figures come from the domain (bot.domain.usecases.board), as the chat's do."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.domain import wording
from bot.domain.model.entities import Person, Unit
from bot.domain.model.messages import TableSpec
from bot.domain.model.policy import Policy
from bot.domain.model.views import BoardLink
from bot.domain.model.weeks import Week, local_date
from bot.domain.ports import Renderer, Store, UnitOfWork
from bot.domain.usecases.board import (
    Overview,
    UnitPage,
    in_scope,
    open_session,
    overview,
    person_scope,
    token_hash,
    unit_page,
)
from bot.domain.usecases.campaigns import CampaignToDate, campaign_table, campaign_to_date

HERE = Path(__file__).parent
COOKIE = "quizbot_board"
# The Mini App's form (its initData) is a few hundred bytes.
MAX_FORM_BYTES = 16_384
# Telegram's initData is accepted for this long after Telegram signed it.
INIT_DATA_SECONDS = 24 * 3600
HEADERS = {
    # Scripts and styles only from the bot itself; the Mini App may be framed by Telegram Web.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'self' https://web.telegram.org"
    ),
    "X-Content-Type-Options": "nosniff",
    # The link carries a secret: never sent on as a referrer.
    "Referrer-Policy": "no-referrer",
}

PolicyOf = Callable[[], Policy]


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
    )
    environment.globals["words"] = wording
    return environment


def telegram_user(init_data: str, bot_token: str, now: float) -> dict[str, Any] | None:
    """The user of a Mini App's initData when Telegram signed it (HMAC-SHA256 keyed by
    HMAC-SHA256("WebAppData", token), compared in constant time) within INIT_DATA_SECONDS."""
    fields = dict(parse_qsl(init_data, keep_blank_values=True))
    received = fields.pop("hash", "")
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    expected = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if not received or not hmac.compare_digest(expected, received):
        return None
    try:
        signed_at = int(fields.get("auth_date", "0"))
        user = json.loads(fields.get("user", "{}"))
    except ValueError:
        return None
    if not isinstance(user, dict) or "id" not in user or now - signed_at > INIT_DATA_SECONDS:
        return None
    return user


def board_routes(
    database: UnitOfWork,
    policy_of: PolicyOf,
    renderer: Renderer,
    secret: bytes,
    *,
    secure: bool,
    telegram_token: str = "",
    now: Callable[[], datetime],
) -> list[Route]:
    """`policy_of`: the current policy (the campaign may change while the bot runs)."""
    templates = _environment()

    def page(name: str, status: int = 200, **values: Any) -> Response:
        html = templates.get_template(name).render(**values)
        return HTMLResponse(html, status_code=status, headers=HEADERS)

    def refused(text: str, status: int = 403) -> Response:
        return page("refused.html", status, text=text)

    # The cookie holds one value, the link's hash, signed with hmac from the standard
    # library: Starlette's SessionMiddleware would add itsdangerous and a cookie-held dict.
    def cookie_value(token_hash_: str) -> str:
        signature = hmac.new(secret, token_hash_.encode(), hashlib.sha256).hexdigest()
        return f"{token_hash_}.{signature}"

    def with_session(response: Response, token: str) -> Response:
        response.set_cookie(
            COOKIE,
            cookie_value(token_hash(token)),
            httponly=True,
            secure=secure,
            samesite="lax",
            path="/board",
        )
        return response

    async def session(request: Request) -> BoardLink | None:
        raw = request.cookies.get(COOKIE, "")
        hashed = raw.partition(".")[0]
        if not hashed or not hmac.compare_digest(cookie_value(hashed), raw):
            return None
        link = await database.run_async(lambda store: store.board_links.get(hashed))
        return link if link is not None and link.usable(now()) else None

    def signed_in(
        handler: Callable[[Request, BoardLink], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def guarded(request: Request) -> Response:
            link = await session(request)
            if link is None:
                return refused(wording.NOT_SIGNED_IN)
            return await handler(request, link)

        return guarded

    def chosen_week(request: Request, policy: Policy) -> Week:
        current = policy.week_of(now())
        try:
            week = Week.from_iso(request.query_params.get("tuan", ""))
        except ValueError:
            return current
        return week if policy.covers(week) and week.start <= current.start else current

    async def open_link(request: Request) -> Response:
        token = request.path_params["token"]
        link = await database.run_async(lambda store: store.board_links.get(token_hash(token)))
        if link is None or not link.usable(now()):
            return refused(wording.LINK_REFUSED)
        response = RedirectResponse("/board/", status_code=303, headers=HEADERS)
        return with_session(response, token)

    async def show_overview(request: Request, link: BoardLink) -> Response:
        policy = policy_of()
        week = chosen_week(request, policy)

        def read(store: Store) -> Overview:
            scope = store.units.get(link.scope) if link.scope else None
            return overview(store, policy, scope, week, now())

        view = await database.run_async(read)
        fragment = request.query_params.get("phan") == "noi-dung"
        name = "overview_body.html" if fragment else "overview.html"
        return page(name, view=view, policy=policy)

    async def show_unit(request: Request, link: BoardLink) -> Response:
        policy = policy_of()
        week = chosen_week(request, policy)
        today = local_date(now(), policy.tz)
        code = request.path_params["code"].upper()

        def read(store: Store) -> UnitPage | None:
            unit = store.units.get(code)
            if unit is None or not in_scope(store, link.scope, unit):
                return None
            return unit_page(store, policy, unit, week, today)

        view = await database.run_async(read)
        if view is None:
            return refused(wording.OUTSIDE_SCOPE)
        return page("unit.html", view=view, policy=policy)

    async def download(_request: Request, link: BoardLink) -> Response:
        policy = policy_of()
        today = local_date(now(), policy.tz)

        def read(store: Store) -> TableSpec:
            scope: Unit | None = store.units.get(link.scope) if link.scope else None
            return campaign_table(store, policy, policy.campaign, today, scope, as_of=now())

        spec = await database.run_async(read)
        attachment = renderer.render(spec)
        return Response(
            attachment.content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={
                **HEADERS,
                "Content-Disposition": f'attachment; filename="{attachment.filename}"',
            },
        )

    async def show_campaign(_request: Request, link: BoardLink) -> Response:
        policy = policy_of()
        today = local_date(now(), policy.tz)

        def read(store: Store) -> CampaignToDate:
            [view] = campaign_to_date(store, policy.campaign, today, [link.scope])
            return view

        view = await database.run_async(read)
        return page("campaign.html", view=view, policy=policy)

    async def mini_app(_request: Request) -> Response:
        return page("telegram.html")

    async def from_telegram(request: Request) -> Response:
        # A form field, read without a multipart parser (the body is one urlencoded line).
        body = (await request.body())[:MAX_FORM_BYTES].decode("utf-8", "replace")
        init_data = dict(parse_qsl(body)).get("init_data", "")
        user = telegram_user(init_data, telegram_token, time.time()) if telegram_token else None
        if user is None:
            return refused(wording.LINK_REFUSED)
        person = Person("telegram", str(user["id"]), str(user.get("first_name", "")))
        policy = policy_of()

        def start(store: Store) -> str | None:
            scope = person_scope(store, policy, person)
            if isinstance(scope, str):
                return None
            return open_session(store, person, scope, now())

        token = await database.run_async(start)
        if token is None:
            return refused(wording.BOARD_NOT_ALLOWED)
        return with_session(RedirectResponse("/board/", status_code=303, headers=HEADERS), token)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ("board.js", "board.css", "telegram.js"):
            return Response(status_code=404, headers=HEADERS)
        return FileResponse(HERE / "static" / name, headers=HEADERS)

    return [
        Route("/board/open/{token}", open_link, methods=["GET"]),
        Route("/board/", signed_in(show_overview), methods=["GET"]),
        Route("/board/unit/{code}", signed_in(show_unit), methods=["GET"]),
        Route("/board/xuat", signed_in(download), methods=["GET"]),
        Route("/board/cuoc-thi", signed_in(show_campaign), methods=["GET"]),
        Route("/board/app", mini_app, methods=["GET"]),
        Route("/board/telegram", from_telegram, methods=["POST"]),
        Route("/board/static/{name}", static, methods=["GET"]),
    ]
