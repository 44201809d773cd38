"""The bot's web server, one ASGI app (Starlette under uvicorn: small, well kept, and the
server python-telegram-bot's own webhook examples run on): the Zalo webhook, the signed file
links, and a health check."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from json import JSONDecodeError
from typing import Protocol, TypeVar

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.web.files import FileLinks, content_type
from bot.channels.web.guard import (
    BodyTooLarge,
    GuardedH11Protocol,
    connection_cap,
    json_depth_within,
    limited_body,
)
from bot.clock import Clock, SystemClock
from bot.cluster.leadership import Leadership
from bot.domain.model.policy import Policy
from bot.domain.ports import Store
from bot.domain.usecases.status import budget_usage
from bot.inbox.ports import RejectedRepository
from bot.inbox.rejected import RejectedUpdate
from bot.metrics import (
    LEADER_INFO,
    MESSAGE_BUDGET,
    MESSAGES_THIS_MONTH,
    OUTBOX_BACKLOG,
    UPDATES_REJECTED,
    WORKER_INFO,
    exposition,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

ZALO_SECRET_HEADER = "X-Bot-Api-Secret-Token"
TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# A webhook body larger than this is not an update.
MAX_BODY_BYTES = 1_000_000
# Connections the kernel queues while the server is busy; idle keep-alive connections close.
BACKLOG = 256
KEEP_ALIVE_SECONDS = 5


# Past this many sends waiting, the bot is behind: /healthz says "degraded".
BACKLOG_DEGRADED = 1000


def opaque(holder: str) -> str:
    """A worker's name (host and process id) as /healthz shows it: the same worker always
    gives the same short id, and nothing of the host can be read from it."""
    return hashlib.sha256(holder.encode()).hexdigest()[:12]


def _this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Inbox(Protocol):
    """A channel's durable inbox: stores an update (and starts handling it)."""

    async def accept(self, body: object) -> bool: ...


class WebStore(Store, Protocol):
    @property
    def rejected(self) -> RejectedRepository: ...


class WebDatabase(Protocol):
    """The bot's database as the web app reads and writes it."""

    async def run_async(self, work: Callable[[WebStore], T]) -> T: ...


def build_web_app(
    database: WebDatabase,
    *,
    zalo: Inbox | None = None,
    zalo_secret: str = "",
    telegram: Inbox | None = None,
    telegram_secret: str = "",
    files: FileLinks | None = None,
    policy: Policy | None = None,
    clock: Clock | None = None,
    leadership: Leadership | None = None,
    board: list[Route] | None = None,
) -> Starlette:
    """`leadership`: several workers share the database; /healthz names the leader."""
    clock = clock or SystemClock()

    async def healthz(_request: Request) -> Response:
        """For anyone: ok or degraded, the backlog, whether a leader runs. Names of hosts
        and processes are on /metrics, which stays local."""
        try:
            counts = await database.run_async(lambda store: store.outbox.counts())
            leader = await leadership.current() if leadership is not None else None
        except Exception:
            log.exception("health check: the database is not reachable")
            return JSONResponse({"status": "error", "database": False}, status_code=503)
        backlog = counts.get("pending", 0) + counts.get("sending", 0)
        health: dict[str, object] = {"database": True, "outbox_backlog": backlog}
        if leadership is None:
            # SQLite: one process, which runs the scheduler and the outbox itself.
            leading: dict[str, object] = {"live": True, "this_worker": True}
        else:
            health["worker"] = opaque(leadership.holder)
            leading = {
                "worker": opaque(leader.holder) if leader else None,
                "live": leader is not None and leader.expires_at > datetime.now(UTC),
                "this_worker": leadership.held(),
            }
        health["leader"] = leading
        healthy = bool(leading["live"]) and backlog < BACKLOG_DEGRADED
        health["status"] = "ok" if healthy else "degraded"
        return JSONResponse(health)

    async def metrics(_request: Request) -> Response:
        """Prometheus text format; the database's gauges are read now."""
        counts = await database.run_async(lambda store: store.outbox.counts())
        OUTBOX_BACKLOG.set(counts.get("pending", 0) + counts.get("sending", 0))
        holder = leadership.holder if leadership is not None else _this_process()
        WORKER_INFO.clear()
        WORKER_INFO.labels(opaque(holder), socket.gethostname(), str(os.getpid())).set(1)
        if leadership is not None:
            leader = await leadership.current()
            LEADER_INFO.clear()
            if leader is not None:
                LEADER_INFO.labels(opaque(leader.holder), leader.holder).set(leader.token)
        if policy is not None:
            usage = await database.run_async(lambda store: budget_usage(store, policy, clock.now()))
            for used in usage:
                MESSAGES_THIS_MONTH.labels(used.platform).set(used.sent)
                MESSAGE_BUDGET.labels(used.platform).set(used.budget)
        return Response(exposition(), media_type=CONTENT_TYPE_LATEST)

    def webhook(
        platform: str, inbox: Inbox | None, header: str, secret: str
    ) -> Callable[[Request], Awaitable[Response]]:
        """A platform's webhook: the secret checked in constant time (403 otherwise), the
        update stored by its inbox, and only then the 200 (after which the platform will
        not deliver it again)."""

        async def receive(request: Request) -> Response:
            if inbox is None:
                return Response(status_code=404)
            given = request.headers.get(header, "")
            if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
                return Response(status_code=403)
            try:
                body = await limited_body(request, MAX_BODY_BYTES)
            except BodyTooLarge:
                return Response(status_code=413)
            except TimeoutError:
                return Response(status_code=408)
            if not json_depth_within(body):
                return await rejected(platform, "too_deep", body)
            try:
                update = json.loads(body)
            except (JSONDecodeError, UnicodeDecodeError, RecursionError):
                return JSONResponse({"ok": False}, status_code=400)
            try:
                await inbox.accept(update)
            except RejectedUpdate as rejection:
                return await rejected(platform, rejection.reason, body)
            return JSONResponse({"ok": True})

        return receive

    async def rejected(platform: str, reason: str, body: bytes) -> Response:
        """Well-formed JSON but no update: 200, so the platform does not deliver it again and
        again; recorded with its reason and counted, never handled."""
        now = clock.now()
        await database.run_async(lambda store: store.rejected.record(platform, reason, body, now))
        UPDATES_REJECTED.labels(platform, reason).inc()
        log.warning("%s webhook: a delivery that is no update was refused (%s)", platform, reason)
        return JSONResponse({"ok": True})

    async def file_link(request: Request) -> Response:
        if files is None:
            return Response(status_code=404)
        opened = await files.open(
            request.path_params["file_id"],
            request.query_params.get("exp", ""),
            request.query_params.get("sig", ""),
        )
        if opened is None:
            return Response(status_code=403)
        return Response(opened.content, media_type=content_type(opened.filename))

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route(
                "/zalo/webhook",
                webhook("zalo", zalo, ZALO_SECRET_HEADER, zalo_secret),
                methods=["POST"],
            ),
            Route(
                "/telegram/webhook",
                webhook("telegram", telegram, TELEGRAM_SECRET_HEADER, telegram_secret),
                methods=["POST"],
            ),
            Route("/files/{file_id}/{name}", file_link, methods=["GET"]),
            *(board or []),
        ]
    )


class WebServer:
    """uvicorn in the bot's own event loop, started and stopped with the bot. With
    `reuse_port`, several workers listen on the same port and the kernel spreads the
    connections among them (SO_REUSEPORT: `quizbot run --workers N`)."""

    def __init__(self, app: Starlette, host: str, port: int, *, reuse_port: bool = False) -> None:
        GuardedH11Protocol.cap = connection_cap()
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            http=GuardedH11Protocol,
            # Requests handled at once; past this uvicorn answers 503 at once. (uvicorn also
            # counts connections here: the protocol keeps those at `cap`, one below.)
            limit_concurrency=GuardedH11Protocol.cap + 1,
            backlog=BACKLOG,
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None
        self._sockets: list[socket.socket] | None = None
        if reuse_port:
            shared = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            shared.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            shared.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            shared.bind((host, port))
            self._sockets = [shared]

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=self._sockets))
        while not self._server.started:
            if self._task.done():
                self._task.result()  # the port was taken: say so
            await asyncio.sleep(0.01)

    @property
    def port(self) -> int:
        """The port it listens on (useful when started on port 0)."""
        servers = self._server.servers
        return int(servers[0].sockets[0].getsockname()[1]) if servers else 0

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
