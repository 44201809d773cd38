"""A fake Zalo Bot Platform API on loopback, for end-to-end tests and benchmarks.

It behaves as the real one is documented to (see docs/ARCHITECTURE.md, "Zalo"): calls are
`POST /bot{token}/{method}` with JSON; failures come as `{"ok": false, "error_code": N}` with
HTTP 200; `getUpdates` hands out one update per call and forgets it once read (no offset),
and answers 408 after its timeout when there is none; texts over 2 000 characters are
refused; `sendPhoto` fetches its URL before answering. Tests push updates in, read back what
the bot sent, and can deliver updates to the bot's webhook instead.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.loopback import LoopbackServer, post_update

TEXT_LIMIT = 2000


@dataclass
class ZaloSent:
    method: str
    chat_id: str
    text: str
    # sendPhoto: what fetching the photo's URL gave (status, content type, bytes).
    photo_status: int | None = None
    photo_type: str | None = None
    photo: bytes | None = None
    at: float = field(default_factory=time.monotonic)


class FakeZaloApi(LoopbackServer):
    def __init__(self, token: str, now: Callable[[], float] = time.time) -> None:
        self.token = token
        # Stamps the updates it makes (epoch seconds): a test on a fixed clock passes its own.
        self.now = now
        self._lock = threading.Condition()
        self._updates: deque[dict[str, Any]] = deque()
        self._ids = itertools.count(1)
        self.sent: list[ZaloSent] = []
        self.calls: list[str] = []
        # Updates handed out by getUpdates, in order (each only once).
        self.served: list[dict[str, Any]] = []
        self.webhook: dict[str, str] | None = None
        # Per chat: answer every send with this error code (ok: false, HTTP 200).
        self.failing_chats: dict[str, int] = {}
        self.max_poll_seconds = 0.5
        # While set, getUpdates hands nothing out (as if the queue were empty).
        self.hold_updates = False
        # Seconds each send takes to be answered (a slow platform).
        self.send_delay = 0.0
        super().__init__(self._handler_class())

    # ------------------------------------------------------------ updates

    def update(
        self,
        *,
        user_id: str,
        text: str = "",
        chat_id: str | None = None,
        name: str = "Người dùng Zalo",
        event: str = "message.text.received",
        message_id: str | None = None,
        group: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An update as Zalo sends it (not yet delivered); ids are opaque strings."""
        message: dict[str, Any] = {
            "from": {"id": user_id, "display_name": name, "is_bot": False},
            "chat": {"id": chat_id or user_id, "chat_type": "GROUP" if group else "PRIVATE"},
            "message_id": message_id or f"m{next(self._ids):08x}",
            "date": int(self.now() * 1000),
        }
        if text:
            message["text"] = text
        message.update(extra or {})
        return {"event_name": event, "message": message}

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._updates.append(update)
            self._lock.notify_all()
        return update

    def say(self, user_id: str, text: str, **kwargs: Any) -> dict[str, Any]:
        return self.push(self.update(user_id=user_id, text=text, **kwargs))

    def pending(self) -> int:
        with self._lock:
            return len(self._updates)

    # ------------------------------------------------------------ what the bot sent

    def snapshot(self) -> list[ZaloSent]:
        with self._lock:
            return list(self.sent)

    def texts_to(self, chat_id: str) -> list[str]:
        return [s.text for s in self.snapshot() if s.chat_id == chat_id]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ZaloSent]:
        deadline = time.monotonic() + timeout
        with self._lock:
            while len(self.sent) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"{len(self.sent)} of {count} messages after {timeout} s")
                self._lock.wait(left)
            return list(self.sent)

    # ------------------------------------------------------------ the API

    def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.calls.append(method)
        if method == "getMe":
            return _ok({"id": "bot0001", "account_name": "quizbot", "can_join_groups": True})
        if method == "getUpdates":
            return self._get_updates(body)
        if method == "setWebhook":
            secret = str(body.get("secret_token") or "")
            if not str(body.get("url", "")).startswith(("https://", "http://")) or not (
                8 <= len(secret) <= 256
            ):
                return _error(400, "Bad Request: invalid webhook")
            self.webhook = {"url": str(body["url"]), "secret": secret}
            return _ok(True)
        if method == "deleteWebhook":
            self.webhook = None
            return _ok(True)
        if method in {"sendMessage", "sendPhoto"}:
            return self._send(method, body)
        return _error(404, "Not Found")

    def _get_updates(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.webhook is not None:
            return _error(400, "Bad Request: webhook is set")
        wait = min(float(body.get("timeout") or 0), self.max_poll_seconds)
        deadline = time.monotonic() + wait
        with self._lock:
            while not self._updates or self.hold_updates:
                left = deadline - time.monotonic()
                if left <= 0:
                    return _error(408, "Request timeout")
                self._lock.wait(left)
            update = self._updates.popleft()
            self.served.append(update)
            return _ok(update)

    def _send(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        chat_id = str(body.get("chat_id") or "")
        if not chat_id:
            return _error(400, "Bad Request: chat_id is required")
        if chat_id in self.failing_chats:
            code = self.failing_chats[chat_id]
            return _error(code, "Refused by the fake")
        if self.send_delay:
            time.sleep(self.send_delay)
        text = str(body.get("text") if method == "sendMessage" else body.get("caption") or "")
        if method == "sendMessage" and not 1 <= len(text) <= TEXT_LIMIT:
            return _error(400, "Bad Request: text must be 1-2000 characters")
        sent = ZaloSent(method, chat_id, text)
        if method == "sendPhoto":
            sent.photo_status, sent.photo_type, sent.photo = _fetch(str(body.get("photo") or ""))
            if sent.photo_status != 200:
                return _error(400, "Bad Request: photo url could not be fetched")
        with self._lock:
            self.sent.append(sent)
            self._lock.notify_all()
        return _ok({"message_id": f"s{next(self._ids):08x}", "date": int(time.time() * 1000)})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b"{}"
                prefix = f"/bot{api.token}/"
                if not self.path.startswith(prefix):
                    self._reply(_error(401, "Unauthorized"))
                    return
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    self._reply(_error(400, "Bad Request: body is not JSON"))
                    return
                self._reply(api._answer(self.path[len(prefix) :], body))

            def _reply(self, answer: dict[str, Any]) -> None:
                data = json.dumps(answer).encode()
                # Zalo answers failures with HTTP 200 too.
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot stopped polling while this poll was waiting

            def log_message(self, *args: object) -> None:
                return

        return Handler


def _ok(result: Any) -> dict[str, Any]:
    return {"ok": True, "result": result}


def _error(code: int, description: str) -> dict[str, Any]:
    return {"ok": False, "error_code": code, "description": description}


def _fetch(url: str) -> tuple[int, str | None, bytes | None]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers.get("Content-Type"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, None, None
    except (urllib.error.URLError, ValueError):
        return 0, None, None


def deliver(url: str, body: dict[str, Any], secret: str | None) -> int:
    """POST an update to the bot's webhook as Zalo would; the HTTP status it answered."""
    return post_update(url, body, "X-Bot-Api-Secret-Token", secret)
