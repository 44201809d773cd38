"""The web server in the open: connections that never finish their headers, bodies larger
than any update, JSON nested to exhaust the parser. Each is bounded here, before the app."""

from __future__ import annotations

import asyncio
import resource
from collections import OrderedDict
from typing import Any

from starlette.requests import Request
from uvicorn.protocols.http.h11_impl import H11Protocol

# A client has this long from connecting to the end of its request's headers.
HEADER_SECONDS = 5.0
# ... and this long to send the body once the headers are in.
BODY_SECONDS = 10.0
# JSON nested deeper than this is no update (Telegram's are under 10 levels).
MAX_JSON_DEPTH = 64


def connection_cap() -> int:
    """At most this many connections at once: half the process's file limit, leaving room for
    the database, the chat platforms' clients and the log, so accept() never meets EMFILE."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1000
    return max(16, min(1000, soft // 2))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on the request's headers (uvicorn has none: its
    keep-alive timer only runs between requests) and a cap on connections. At the cap, a new
    connection pushes out the oldest one still waiting for its headers, so connections that
    never finish (a slowloris) only ever push out each other while real requests go through."""

    cap = 1000

    def __init__(self, config: Any, server_state: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, server_state, *args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        # The server's connections that have not yet sent a whole request head, oldest
        # first: kept beside uvicorn's own set of connections, one per server.
        if not hasattr(server_state, "waiting_for_headers"):
            server_state.waiting_for_headers = OrderedDict()
        self.waiting: OrderedDict[GuardedH11Protocol, None] = server_state.waiting_for_headers

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.cap:
            if not self.waiting:
                transport.abort()  # every slot is serving a real request
                return
            oldest, _ = self.waiting.popitem(last=False)
            oldest._give_up()
        super().connection_made(transport)
        self.waiting[self] = None
        self._deadline = self.loop.call_later(HEADER_SECONDS, self._give_up)

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not None and self in self.waiting:
            self._headers_arrived()

    def connection_lost(self, exc: Exception | None) -> None:
        self._headers_arrived()
        if getattr(self, "transport", None) is not None:
            super().connection_lost(exc)

    def _headers_arrived(self) -> None:
        self.waiting.pop(self, None)
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _give_up(self) -> None:
        self._headers_arrived()
        self.connections.discard(self)
        if not self.transport.is_closing():
            self.transport.abort()


class BodyTooLarge(Exception):
    """More bytes than the route takes."""


async def limited_body(request: Request, limit: int) -> bytes:
    """The body, read as it streams: refused (BodyTooLarge) as soon as it passes `limit`,
    never read whole first; a client that sends it too slowly gets TimeoutError."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async with asyncio.timeout(BODY_SECONDS):
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge
            chunks.append(chunk)
    return b"".join(chunks)


def json_depth_within(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether no array or object in the JSON text nests deeper than `limit`. Written by
    hand because the standard parser has no depth bound (it recurses until RecursionError)
    and this one pass over ≤ 1 MB costs less than parsing."""
    depth = 0
    in_string = False
    escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return False
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return True
