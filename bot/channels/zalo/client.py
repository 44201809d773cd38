"""A small client for the Zalo Bot Platform API, on httpx.

Calls are `POST {base}/bot{token}/{method}` with a JSON body. Every answer is judged by its
`ok` field, not its HTTP status: Zalo reports failures inside HTTP 200. Written here rather
than taken from python-zalo-bot, which turns `ok: false` answers into None and runs
`asyncio.run` inside a running loop. The token is part of every URL: no error this module
raises mentions the URL, and logging redacts the token anyway (bot.redaction).
"""

from __future__ import annotations

from typing import Any

import httpx

# Zalo's servers fetch a photo's URL before answering sendPhoto: allow for it.
SEND_TIMEOUT_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 10.0


class ZaloError(Exception):
    """Zalo answered `ok: false`."""

    def __init__(self, method: str, code: int, description: str) -> None:
        super().__init__(f"Zalo {method}: {code} {description}")
        self.method = method
        self.code = code
        self.description = description


class ZaloBadRequest(ZaloError):
    """400: the call itself is wrong (an empty text, a chat that does not exist)."""


class ZaloUnauthorized(ZaloError):
    """401: the token was rejected."""


class ZaloNothingYet(ZaloError):
    """408 from getUpdates: no update arrived within the poll's timeout."""


class ZaloQuotaExceeded(ZaloError):
    """429: the plan's quota (or a rate) was exceeded."""


class ZaloServerError(ZaloError):
    """403 (which Zalo's own table calls an internal server error), 5xx and anything else."""


class ZaloUnreachable(Exception):
    """The request never reached Zalo (no connection): safe to try again."""


class ZaloUncertain(Exception):
    """The request left but no answer came back: it may have been carried out."""


_ERRORS: dict[int, type[ZaloError]] = {
    400: ZaloBadRequest,
    401: ZaloUnauthorized,
    404: ZaloBadRequest,
    408: ZaloNothingYet,
    429: ZaloQuotaExceeded,
}


class ZaloClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._prefix = f"{base_url.rstrip('/')}/bot{token}/"
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(SEND_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
            transport=transport,
        )

    async def call(
        self, method: str, payload: dict[str, Any] | None = None, *, timeout: float | None = None
    ) -> Any:
        """The `result` of a call; raises a ZaloError for `ok: false`."""
        request_timeout = (
            httpx.Timeout(timeout, connect=CONNECT_TIMEOUT_SECONDS)
            if timeout is not None
            else httpx.USE_CLIENT_DEFAULT
        )
        try:
            response = await self._http.post(
                self._prefix + method, json=payload or {}, timeout=request_timeout
            )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise ZaloUnreachable(f"Zalo {method}: {type(error).__name__}") from None
        except httpx.HTTPError as error:
            raise ZaloUncertain(f"Zalo {method}: {type(error).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise ZaloServerError(method, response.status_code, "answer is not JSON")
        if body.get("ok") is True:
            return body.get("result")
        code = _code(body.get("error_code"), response.status_code)
        description = str(body.get("description") or "")
        raise _ERRORS.get(code, ZaloServerError)(method, code, description)

    async def get_me(self) -> dict[str, Any]:
        return dict(await self.call("getMe") or {})

    async def get_update(self, timeout: int) -> dict[str, Any] | None:
        """One update, or None when none came within `timeout` seconds. Zalo removes an
        update from its queue once it is read: store it before anything else."""
        try:
            result = await self.call(
                "getUpdates", {"timeout": timeout}, timeout=timeout + CONNECT_TIMEOUT_SECONDS
            )
        except ZaloNothingYet:
            return None
        # One update per call; take the first if a list ever comes back.
        if isinstance(result, list):
            return result[0] if result else None
        return result if isinstance(result, dict) else None

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        return dict(await self.call("sendMessage", {"chat_id": chat_id, "text": text}) or {})

    async def send_photo(self, chat_id: str, url: str, caption: str = "") -> dict[str, Any]:
        payload: dict[str, Any] = {"chat_id": chat_id, "photo": url}
        if caption:
            payload["caption"] = caption
        return dict(await self.call("sendPhoto", payload) or {})

    async def set_webhook(self, url: str, secret_token: str) -> None:
        await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook")

    async def close(self) -> None:
        await self._http.aclose()


def _code(value: object, status: int) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return status if status >= 400 else 500
