"""A fake Telegram Bot API server on loopback, for end-to-end tests and benchmarks.

It speaks enough of the real HTTP API for python-telegram-bot's `Application` to run against
it unchanged (getMe, getUpdates with offsets and long polling, sendMessage, editMessageText,
sendPhoto, sendDocument, answerCallbackQuery, setMyCommands, ...). Tests push updates in and
read back what the bot sent. Faults can be injected per chat: 403 (blocked), 429 with
retry_after, group migration; and a global rate limit that answers 429 beyond N per second.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import itertools
import json
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from tests.support.loopback import LoopbackServer

BOT_ID = 7_000_000_001
BOT_USERNAME = "quizbot_test_bot"


@dataclass
class Sent:
    """One call the bot made that sends or changes something visible."""

    method: str
    chat_id: int
    text: str
    params: dict[str, Any]
    at: float
    message_id: int | None = None
    file_name: str | None = None
    file_content: bytes | None = None
    # time.monotonic() when the server answered, for benchmarks.
    answered: float = 0.0
    # Which bot process sent it, when each is given its own base URL (see `via_url`).
    via: str = ""

    @property
    def buttons(self) -> list[dict[str, Any]]:
        markup = self.params.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]


@dataclass
class RateLimit:
    """Answers 429 once more than `per_second` requests arrived in the last second."""

    per_second: int
    arrivals: deque[float] = field(default_factory=deque)
    windows: list[tuple[float, float]] = field(default_factory=list)
    violations: int = 0


class FakeBotApi(LoopbackServer):
    def __init__(self, token: str) -> None:
        self.token = token
        self._lock = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self.sent: list[Sent] = []
        self.requests: list[tuple[str, float]] = []
        self.forbidden_chats: set[int] = set()
        # Files people sent, as Telegram keeps them: file id -> content (getFile, download).
        self.kept_files: dict[str, bytes] = {}
        # The menu button the bot set (setChatMenuButton), as sent.
        self.menu_button: Any = None
        self.migrated_chats: dict[int, int] = {}
        self.retry_after_once: dict[int, int] = {}
        self.rate_limit: RateLimit | None = None
        # (method, chat, error code, time.monotonic() of the refusal)
        self.failures: list[tuple[str, int, int, float]] = []
        # From the n-th sending request on, record each request and hold its answer until
        # released: a test can kill the bot while those requests are in flight.
        self.hold_from: int | None = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self._sends = 0
        # Sends to these chats never get through: held unrecorded until released (a test
        # kills the bot while its answer is on the way), then refused.
        self.stalled_chats: set[int] = set()
        self.max_poll_seconds = 1.0
        # The last setWebhook's parameters (url, secret_token, allowed_updates), or None.
        self.webhook: dict[str, Any] | None = None
        super().__init__(self._handler_class())

    # ------------------------------------------------------------ pushing updates

    def next_message_id(self, chat_id: int) -> int:
        with self._lock:
            counter = self._message_ids.setdefault(chat_id, itertools.count(1))
            return next(counter)

    def message(
        self,
        *,
        user_id: int,
        chat_id: int | None = None,
        text: str,
        first_name: str = "Người dùng",
        last_name: str | None = None,
        message_id: int | None = None,
        reply_to_bot: bool = False,
        date: int | None = None,
        chat_title: str = "Nhóm",
    ) -> dict[str, Any]:
        """A Telegram Message object from a person (not yet delivered)."""
        chat_id = user_id if chat_id is None else chat_id
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        message: dict[str, Any] = {
            "message_id": message_id or self.next_message_id(chat_id),
            "date": int(time.time()) if date is None else date,
            "chat": _chat(chat_id, user, chat_title),
            "from": user,
            "text": text,
        }
        if text.startswith("/"):
            command_length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": command_length}]
        if reply_to_bot:
            message["reply_to_message"] = {
                "message_id": 1,
                "date": message["date"],
                "chat": message["chat"],
                "from": self.bot_user(),
                "text": "…",
            }
        return message

    def push_message(self, **kwargs: Any) -> dict[str, Any]:
        message = self.message(**kwargs)
        self.push_update({"message": message})
        return message

    def push_edit(self, message: dict[str, Any], text: str, edit_date: int | None = None) -> None:
        edited = dict(message, text=text, edit_date=edit_date or int(time.time()) + 1)
        if text.startswith("/"):
            edited["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
            ]
        else:
            edited.pop("entities", None)
        self.push_update({"edited_message": edited})

    def push_callback(
        self, *, user_id: int, sent: Sent, data: str, first_name: str = "Admin"
    ) -> None:
        message = {
            "message_id": sent.message_id,
            "date": int(sent.at),
            "chat": _chat(sent.chat_id, {"first_name": first_name}, "Nhóm"),
            "from": self.bot_user(),
            "text": sent.text,
        }
        self.push_update(
            {
                "callback_query": {
                    "id": str(next(self._update_ids) * 1000),
                    "from": {"id": user_id, "is_bot": False, "first_name": first_name},
                    "chat_instance": "1",
                    "message": message,
                    "data": data,
                }
            }
        )

    def push_update(self, update: dict[str, Any]) -> int:
        with self._lock:
            update_id = next(self._update_ids)
            self._updates.append(dict(update, update_id=update_id))
            self._lock.notify_all()
            return update_id

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    # ------------------------------------------------------------ reading what was sent

    def bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "QuizBot", "username": BOT_USERNAME}

    def messages_to(self, chat_id: int) -> list[Sent]:
        with self._lock:
            return [sent for sent in self.sent if sent.chat_id == chat_id]

    def snapshot(self) -> list[Sent]:
        with self._lock:
            return list(self.sent)

    async def wait_for(
        self, predicate: Callable[[list[Sent]], bool], timeout: float = 10.0
    ) -> list[Sent]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sent = self.snapshot()
            if predicate(sent):
                return sent
            await asyncio.sleep(0.01)
        raise AssertionError(
            f"timed out; the bot sent {[(s.chat_id, s.text[:60]) for s in self.snapshot()]}"
        )

    async def wait_for_reply(self, chat_id: int, count_before: int, timeout: float = 10.0) -> Sent:
        """The first message to `chat_id` after the first `count_before` ones."""
        sent = await self.wait_for(
            lambda all_sent: sum(1 for s in all_sent if s.chat_id == chat_id) > count_before,
            timeout,
        )
        return [s for s in sent if s.chat_id == chat_id][count_before]

    async def wait_until_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:
        """Until no update is pending and nothing new was sent for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        last_count, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            count = len(self.snapshot())
            if count != last_count:
                last_count, last_change = count, time.monotonic()
            elif self.pending_updates() == 0 and time.monotonic() - last_change >= quiet:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the bot did not go idle")

    # ------------------------------------------------------------ the HTTP side

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes; with Nagle on, the client's delayed ACK
            # stalls every response by ~40 ms.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, payload = api._dispatch(
                    self.path, self.headers.get("Content-Type", ""), body
                )
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the bot stopped while a long poll was still open

            def do_GET(self) -> None:
                kept = f"/file/bot{api.token}/kept/"
                # python-telegram-bot quotes the file's URL path (the token's ":" included).
                path = urllib.parse.unquote(self.path)
                if not path.startswith(kept):
                    self.do_POST()
                    return
                content = api.kept_files.get(path[len(kept) :])
                self.send_response(200 if content is not None else 404)
                self.send_header("Content-Length", str(len(content or b"")))
                self.end_headers()
                self.wfile.write(content or b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def via_url(self, name: str) -> str:
        """A base URL for one bot process of several: what it sends is marked `via=name`."""
        return f"{self.base_url}/via-{name}"

    def _dispatch(self, path: str, content_type: str, body: bytes) -> tuple[int, dict[str, Any]]:
        via = ""
        if path.startswith("/via-"):
            via, _, rest = path[len("/via-") :].partition("/")
            path = f"/{rest}"
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix) :].split("?", 1)[0]
        params, files = _parse_body(content_type, body)
        arrived = time.monotonic()
        with self._lock:
            self.requests.append((method, arrived))
        if method == "getUpdates":
            return 200, {"ok": True, "result": self._get_updates(params)}
        fault = self._fault(method, params, arrived)
        if fault is not None:
            return fault
        return self._answer(method, params, files, via)

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        wait = min(float(params.get("timeout") or 0), self.max_poll_seconds)
        deadline = time.monotonic() + wait
        with self._lock:
            # Confirming an offset drops every update before it, as the real server does.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._lock.wait(deadline - time.monotonic())
            return [dict(u) for u in self._updates[:limit]]

    def _fault(
        self, method: str, params: dict[str, Any], arrived: float
    ) -> tuple[int, dict[str, Any]] | None:
        chat_id = _int_or_none(params.get("chat_id"))
        if chat_id is not None and chat_id in self.stalled_chats:
            self.holding.set()
            self.release.wait(timeout=60)
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        with self._lock:
            limit = self.rate_limit
            if limit is not None and chat_id is not None:
                if any(start <= arrived < end for start, end in limit.windows):
                    limit.violations += 1
                while limit.arrivals and arrived - limit.arrivals[0] >= 1.0:
                    limit.arrivals.popleft()
                if len(limit.arrivals) >= limit.per_second:
                    retry_after = 1
                    limit.windows.append((arrived, arrived + retry_after))
                    self.failures.append((method, chat_id, 429, arrived))
                    return 429, _too_many(retry_after)
                limit.arrivals.append(arrived)
            if chat_id is None:
                return None
            if chat_id in self.retry_after_once:
                retry_after = self.retry_after_once.pop(chat_id)
                self.failures.append((method, chat_id, 429, arrived))
                return 429, _too_many(retry_after)
            if chat_id in self.forbidden_chats:
                self.failures.append((method, chat_id, 403, arrived))
                return 403, {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                }
            if chat_id in self.migrated_chats:
                self.failures.append((method, chat_id, 400, arrived))
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: group chat was upgraded to a supergroup chat",
                    "parameters": {"migrate_to_chat_id": self.migrated_chats[chat_id]},
                }
        return None

    def _answer(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, tuple[str, bytes]],
        via: str = "",
    ) -> tuple[int, dict[str, Any]]:
        if method == "getFile":
            file_id = str(params.get("file_id"))
            if file_id not in self.kept_files:
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: invalid file_id",
                }
            result = {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(self.kept_files[file_id]),
                "file_path": f"kept/{file_id}",
            }
            return 200, {"ok": True, "result": result}
        if method == "getMe":
            return 200, {
                "ok": True,
                "result": dict(
                    self.bot_user(),
                    can_join_groups=True,
                    can_read_all_group_messages=False,
                    supports_inline_queries=False,
                ),
            }
        if method in {
            "setMyCommands",
            "setChatMenuButton",
            "deleteWebhook",
            "answerCallbackQuery",
            "setWebhook",
            "deleteMyCommands",
            "close",
            "logOut",
        }:
            if method == "setChatMenuButton":
                self.menu_button = params.get("menu_button")
            if method == "answerCallbackQuery":
                self._record(Sent(method, 0, "", params, time.time()))
            if method == "setWebhook":
                self.webhook = dict(params)
            if method == "deleteWebhook":
                self.webhook = None
            return 200, {"ok": True, "result": True}
        if method in {"sendMessage", "sendPhoto", "sendDocument", "editMessageText"}:
            chat_id = int(params["chat_id"])
            text = str(params.get("text") or params.get("caption") or "")
            message_id = (
                int(params["message_id"])
                if method == "editMessageText"
                else self.next_message_id(chat_id)
            )
            file_name = content = None
            if files:
                file_name, content = next(iter(files.values()))
            self._record(
                Sent(
                    method,
                    chat_id,
                    text,
                    params,
                    time.time(),
                    message_id,
                    file_name,
                    content,
                    via=via,
                )
            )
            with self._lock:
                self._sends += 1
                hold = self.hold_from is not None and self._sends >= self.hold_from
            if hold:
                self.holding.set()
                self.release.wait(timeout=60)
            result: dict[str, Any] = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": _chat(chat_id, {"first_name": "X"}, "Nhóm"),
                "from": self.bot_user(),
            }
            if text:
                result["text"] = text
            if method == "sendDocument":
                result["document"] = {
                    "file_id": f"doc{message_id}",
                    "file_unique_id": f"d{message_id}",
                    "file_name": file_name or "file",
                }
            if method == "sendPhoto":
                result["photo"] = [
                    {
                        "file_id": f"photo{message_id}",
                        "file_unique_id": f"p{message_id}",
                        "width": 800,
                        "height": 600,
                    }
                ]
            return 200, {"ok": True, "result": result}
        return 400, {
            "ok": False,
            "error_code": 400,
            "description": f"Bad Request: method {method} is not faked",
        }

    def _record(self, sent: Sent) -> None:
        sent.answered = time.monotonic()
        with self._lock:
            self.sent.append(sent)


def _chat(chat_id: int, user: dict[str, Any], title: str) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": user.get("first_name", "X")}
    kind = "supergroup" if str(chat_id).startswith("-100") else "group"
    return {"id": chat_id, "type": kind, "title": title}


def _too_many(retry_after: int) -> dict[str, Any]:
    return {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {retry_after}",
        "parameters": {"retry_after": retry_after},
    }


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _maybe_json(value: str) -> Any:
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _parse_body(
    content_type: str, body: bytes
) -> tuple[dict[str, Any], dict[str, tuple[str, bytes]]]:
    if not body:
        return {}, {}
    if content_type.startswith("application/json"):
        return json.loads(body), {}
    if content_type.startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + body
        )
        params: dict[str, Any] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            payload = part.get_payload(decode=True) or b""
            if filename:
                files[str(name)] = (filename, payload)
            else:
                params[str(name)] = _maybe_json(payload.decode())
        return params, files
    parsed = parse_qs(body.decode(), keep_blank_values=True)
    return {key: _maybe_json(values[-1]) for key, values in parsed.items()}, {}
